/**
 * Plain-text output of a suite: timing tables (contender, ns/op, ±rme, ratio to a named
 * reference), measurement tables, and target checks with PASS/FAIL.
 */

/** Formats nanoseconds with three significant digits. */
export function formatNs(ns) {
  if (!Number.isFinite(ns)) return String(ns);
  if (ns >= 100) return ns.toFixed(0);
  if (ns >= 10) return ns.toFixed(1);
  return ns.toFixed(2);
}

/** Formats a ratio: `3.21×`. */
export function formatRatio(ratio) {
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

function pad(text, width, right) {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** Prints rows of cells under a header; columns after the first are right-aligned. */
export function printGrid(header, cells) {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (row) => `  ${row.map((cell, i) => pad(cell, widths[i], i > 0)).join('  ')}`;
  console.log(line(header));
  for (const row of cells) console.log(line(row));
}

/** The header of a timing table. */
export function timingHeader(table) {
  return ['contender', 'ns/op (best round)', 'median', '±rme', `× ${table.reference}`];
}

/**
 * The cells of a timing table: contender, ns/op of the fastest round, the median round, ±rme of
 * the fastest round, ratio to the reference. Rows from before interleaved rounds have no median.
 */
export function timingCells(table) {
  return table.rows.map((r) => [
    r.name,
    formatNs(r.nsPerOp),
    r.medianNsPerOp === undefined ? '—' : formatNs(r.medianNsPerOp),
    `±${r.rme.toFixed(1)}%`,
    formatRatio(r.ratio),
  ]);
}

/** Prints a timing table (`{ title, reference, rows }` with rows from `withRatios`). */
export function printTiming(table) {
  console.log(`\n${table.title}`);
  printGrid(timingHeader(table), timingCells(table));
}

/** Prints a measurement table (`{ title, columns, rows: string[][] }`). */
export function printMeasurement(table) {
  console.log(`\n${table.title}`);
  printGrid(table.columns, table.rows);
}

/** Formats a check's value and limit the way both outputs show them. */
export function describeCheck(check) {
  const show = (v) => (check.unit === '×' ? formatRatio(v) : `${v.toFixed(2)} ${check.unit}`);
  return `${show(check.value)} (target: ${check.kind} ${show(check.limit)})`;
}

/** Prints target checks, one line each, PASS or FAIL. */
export function printChecks(checks) {
  console.log('\ntargets');
  for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${describeCheck(c)}`);
}
