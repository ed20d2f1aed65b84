/**
 * Results: what a suite prints and hands to the runner, and how the runner keeps them.
 *
 * A suite calls {@link reportSuite} once with its tables and target checks. That prints them, and,
 * when the runner set `BENCH_RESULTS_DIR`, also writes them there as `<suite>.json`. After a full
 * run the runner merges those files into `bench/results.json` (suites that did not run keep their
 * previous entry) and renders `bench/RESULTS.md` from it, so the committed figures always match
 * the committed JSON.
 */

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { QUICK } from './measure.mjs';
import { describeCheck, printChecks, printMeasurement, printTiming, timingCells, timingHeader } from './table.mjs';

/** The machine and runtime a figure was measured on. */
export function environment() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus.length > 0 ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

/**
 * Prints a suite's results and hands them to the runner.
 * `result` is `{ suite, title, timing: [{ title, reference, rows }], measurements: [{ title,
 * columns, rows }], checks: [...], notes: [string] }`.
 */
export function reportSuite(result) {
  console.log(`\n== ${result.title}${QUICK ? ' (quick mode: few samples, figures are rough)' : ''}`);
  for (const t of result.timing ?? []) printTiming(t);
  for (const m of result.measurements ?? []) printMeasurement(m);
  if ((result.checks ?? []).length > 0) printChecks(result.checks);
  for (const note of result.notes ?? []) console.log(`  note: ${note}`);
  const dir = process.env.BENCH_RESULTS_DIR;
  if (dir) {
    const full = { ...result, quick: QUICK, environment: environment() };
    writeFileSync(join(dir, `${result.suite}.json`), `${JSON.stringify(full, null, 2)}\n`);
  }
}

/** Merges fresh suite results into the previous results file's contents (`{ suites: {} }`). */
export function mergeResults(previous, fresh) {
  const suites = { ...(previous?.suites ?? {}) };
  for (const r of fresh) suites[r.suite] = r;
  return { updated: new Date().toISOString(), suites };
}

function mdTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** Renders the merged results as Markdown, after a fixed preamble. */
export function renderMarkdown(preamble, merged) {
  const parts = [preamble.trim(), ''];
  for (const r of Object.values(merged.suites).sort((a, b) => a.suite.localeCompare(b.suite))) {
    const env = r.environment;
    parts.push(`## ${r.title}`, '');
    parts.push(
      `Measured ${env.date.slice(0, 16).replace('T', ' ')} UTC, node ${env.node} (V8 ${env.v8}), ${env.cpu}, ` +
        `${env.cores} cores, ${env.memoryGiB} GiB, ${env.platform}${r.quick ? ' — quick mode, rough figures' : ''}.`,
      '',
    );
    for (const t of r.timing ?? []) {
      parts.push(`**${t.title}**`, '', mdTable(timingHeader(t), timingCells(t)), '');
    }
    for (const m of r.measurements ?? []) parts.push(`**${m.title}**`, '', mdTable(m.columns, m.rows), '');
    if ((r.checks ?? []).length > 0) {
      parts.push('Targets:', '');
      for (const c of r.checks) parts.push(`- **${c.pass ? 'PASS' : 'FAIL'}** ${c.name}: ${describeCheck(c)}`);
      parts.push('');
    }
    for (const note of r.notes ?? []) parts.push(`> ${note}`, '');
  }
  return `${parts.join('\n').trim()}\n`;
}
