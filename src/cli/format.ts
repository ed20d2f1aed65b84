/**
 * Plain-text output of the command line: sizes, nanoseconds and aligned tables.
 *
 * @internal
 * @module
 */

/** Bytes in the largest binary unit that keeps the number at least 1 (`1.5 MiB`). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** Nanoseconds with sensible precision. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  return ns >= 100 ? ns.toFixed(0) : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2);
}

/** A table with a header row, columns padded; numeric columns right-aligned. */
export function textTable(head: string[], rows: string[][], numeric: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.length === head.length ? (r[i] as string).length : 0))));
  const line = (cells: string[]): string => {
    if (cells.length !== head.length) return `  ${cells.join(' ')}`;
    return `  ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ')}`.trimEnd();
  };
  return [line(head), ...rows.map(line)].join('\n');
}
