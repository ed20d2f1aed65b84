// The FAQ quotes the committed benchmark run; this keeps every figure it quotes equal to that run
// (bench/results.json, printed as bench/RESULTS.md), so that a re-run of the benchmarks that
// changes a figure fails here until the FAQ says the new one. (The FAQ's figures had gone stale
// once: they quoted a run two re-runs old.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../package/entries';

interface TimingRow {
  name: string;
  nsPerOp: number;
}
interface Suite {
  timing?: { title: string; rows: TimingRow[] }[];
  measurements?: { title: string; columns: string[]; rows: string[][] }[];
}

const results = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8')) as { suites: Record<string, Suite> };
const faq = readFileSync(join(ROOT, 'docs/guides/faq.md'), 'utf8');

/** ns as bench/lib/table.mjs prints them (three significant digits). */
const formatNs = (ns: number) => (ns >= 100 ? ns.toFixed(0) : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2));

/** The best-round ns/op of one contender in the timing table whose title starts with `table`. */
function ns(suite: string, table: string, contender: string): number {
  const timing = results.suites[suite]?.timing?.find((t) => t.title.startsWith(table));
  const row = timing?.rows.find((r) => r.name === contender);
  if (row === undefined) throw new Error(`bench/results.json has no "${contender}" in ${suite} "${table}"`);
  return row.nsPerOp;
}

/** The cells of the FAQ table row whose first cell starts with `label`. */
function faqRow(label: string): string[] {
  const line = faq.split('\n').find((l) => l.startsWith(`| ${label}`));
  if (line === undefined) throw new Error(`the FAQ has no table row "${label}"`);
  return line
    .split('|')
    .slice(2, -1)
    .map((c) => c.trim().replace(/,/g, ''));
}

const CONTENDERS = ['arenalloc', '@thi.ng/malloc', 'new Uint8Array'];
const ROWS: [label: string, suite: string, table: string][] = [
  ['16 bytes, repeated (A)', 'small', 'A. malloc(16) + free'],
  ['256 bytes, repeated (A)', 'small', 'A. malloc(256) + free'],
  ['10,000 random sizes', 'small', 'B. 10,000 random sizes'],
  ['1,000 live blocks of 1–64 KiB', 'large', 'free one random live block'],
];
const prose = faq.replace(/\s+/g, ' ');

describe('the FAQ figures are those of the committed benchmark run', () => {
  it.each(ROWS)('"%s" row', (label, suite, table) => {
    const cells = faqRow(label);
    expect(cells).toHaveLength(CONTENDERS.length);
    CONTENDERS.forEach((contender, i) => {
      if (cells[i] === '—')
        expect(results.suites[suite]?.timing?.find((t) => t.title.startsWith(table))?.rows.some((r) => r.name === contender)).toBe(false);
      else expect(cells[i], `${label}, ${contender}`).toBe(formatNs(ns(suite, table, contender)));
    });
  });

  it('bytes per block (D)', () => {
    const d = results.suites.small?.measurements?.find((m) => m.title.startsWith('D.'));
    const backing = (name: string) => d?.rows.find((r) => r[0] === name)?.[d.columns.indexOf('backing / block')];
    const highWater = (name: string) => d?.rows.find((r) => r[0] === name)?.[d.columns.indexOf('high-water / block')];
    expect(faqRow('1,000,000 blocks')).toEqual([
      backing('arenalloc'),
      `${highWater('@thi.ng/malloc')} (high-water)`,
      backing('new Uint8Array'),
    ]);
  });

  it('the figures in the text', () => {
    const a16 = (c: string) => ns('small', 'A. malloc(16) + free', c);
    expect(prose).toContain(
      `measured ${formatNs(a16('new Uint8Array'))} ns against arenalloc's ${formatNs(a16('arenalloc'))} ns for \`malloc(16)\``,
    );
    expect(prose).toContain(`(${formatNs(a16('free list (one class)'))} ns per 16-byte pair)`);
    expect(prose).toContain(
      `(${formatNs(a16('checked pymalloc (reference)'))} ns per 16-byte pair); arenalloc takes ${(a16('arenalloc') / a16('checked pymalloc (reference)')).toFixed(2)}×`,
    );
    const b = (c: string) => ns('small', 'B. 10,000 random sizes', c);
    const large = (c: string) => ns('large', 'free one random live block', c);
    const times = (x: number) => x.toFixed(1);
    expect(prose).toContain(
      `arenalloc was ${times(b('new Uint8Array') / b('arenalloc'))} times faster on B and ${times(large('new Uint8Array') / large('arenalloc'))} times on large blocks`,
    );
    const slower = b('@thi.ng/malloc') / b('arenalloc');
    expect(prose).toContain('about a thousand times slower');
    expect(slower).toBeGreaterThan(500);
    expect(slower).toBeLessThan(2000);
  });
});
