import { describe, expect, it } from 'vitest';
import { createHeap, type Heap } from '../../src/index';
import { heapOf, STORES } from '../support/helpers';

/** The figure on the report line that starts with `label`. */
function figure(report: string, label: string): number {
  const line = report.split('\n').find((l) => l.startsWith(label));
  if (line === undefined) throw new Error(`no line "${label}" in\n${report}`);
  return Number((line.match(/([\d,]+)\s*$/)?.[1] ?? 'NaN').replaceAll(',', ''));
}

const PARTS = [
  '# bytes in allocated blocks',
  '# bytes in available blocks',
  '', // the unused pools line starts with its count; found by pattern below
  '# bytes lost to pool headers',
  '# bytes lost to quantization',
  '# bytes lost to arena alignment',
];

/** Asserts that the report's parts add up to its total, and both agree with stats(). */
function assertReportAddsUp(heap: Heap): string {
  const report = heap.debugMallocStats();
  const stats = heap.stats();
  const unusedLine = report.split('\n').find((l) => / unused pools \* /.test(l));
  expect(unusedLine).toBeDefined();
  const unused = Number(unusedLine!.match(/([\d,]+)\s*$/)![1]!.replaceAll(',', ''));
  const parts = PARTS.filter((l) => l !== '').map((l) => figure(report, l));
  const total = figure(report, 'Total');
  expect(parts.reduce((a, b) => a + b, 0) + unused).toBe(total);
  // The total is the arenas' footprint: every arena chunk is exactly arenaSize bytes here.
  expect(total).toBe(stats.small.arenas * 262144);
  expect(figure(report, '# arenas allocated current')).toBe(stats.small.arenas);
  expect(figure(report, '# arenas allocated total')).toBe(stats.small.arenasAllocated);
  expect(figure(report, '# arenas reclaimed')).toBe(stats.small.arenasReclaimed);
  expect(figure(report, '# arenas highwater mark')).toBe(stats.small.peakArenas);
  // Per class, and the block byte totals, against stats().
  let allocated = 0;
  let available = 0;
  let pools = 0;
  for (const [k, c] of stats.small.classes.entries()) {
    allocated += c.blocksInUse * c.size;
    available += c.blocksAvailable * c.size;
    pools += c.pools;
    const row = report.split('\n').find((l) => new RegExp(`^\\s+${k}\\s+${c.size}\\s`).test(l));
    if (c.pools === 0) expect(row).toBeUndefined();
    else expect(row?.trim().split(/\s+/).map(Number)).toEqual([k, c.size, c.pools, c.blocksInUse, c.blocksAvailable]);
  }
  expect(figure(report, '# bytes in allocated blocks')).toBe(allocated);
  expect(figure(report, '# bytes in available blocks')).toBe(available);
  expect(figure(report, '# bytes lost to pool headers')).toBe(pools * 160);
  expect(stats.small.pools).toBe(pools);
  return report;
}

describe('debugMallocStats', () => {
  it('reports one block in one pool of one arena, to the byte', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 4 << 20 });
    heap.malloc(1);
    const report = assertReportAddsUp(heap);
    expect(report).toContain('Small block threshold = 512, in 32 size classes.');
    expect(report).toMatch(/^\s+0\s+16\s+1\s+1\s+1013$/m); // (16384 − 160) / 16 = 1014 blocks
    expect(figure(report, '# bytes in allocated blocks')).toBe(16);
    expect(figure(report, '# bytes in available blocks')).toBe(1013 * 16);
    expect(figure(report, '15 unused pools * 16384 bytes')).toBe(14 * 16384 + 16368); // the last pool is 16 bytes short
    expect(figure(report, '# bytes lost to quantization')).toBe(0);
    expect(figure(report, '# bytes lost to arena alignment')).toBe(16);
    expect(figure(report, 'Total')).toBe(262144);
  });

  it.each(STORES)('adds up through a seeded workload over a %s store', (store) => {
    const heap = heapOf(store);
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const live: number[] = [];
    for (let step = 0; step < 6000; step++) {
      if (live.length > 0 && rand(5) < 2) heap.free(live.splice(rand(live.length), 1)[0]!);
      else live.push(heap.malloc(rand(10) === 0 ? 513 + rand(3000) : rand(513)));
      if (step % 1500 === 0) assertReportAddsUp(heap);
    }
    assertReportAddsUp(heap);
    heap.check();
    for (const p of live) heap.free(p);
    const report = assertReportAddsUp(heap);
    expect(figure(report, '# arenas allocated current')).toBe(1);
    expect(figure(report, '# bytes in allocated blocks')).toBe(0);
  });

  it('quantization: 208-byte blocks fill an ordinary pool exactly, 496-byte ones leave 352 bytes', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 4 << 20 });
    heap.malloc(208);
    expect(figure(assertReportAddsUp(heap), '# bytes lost to quantization')).toBe(0);
    heap.malloc(496); // ⌊16224 / 496⌋ = 32 blocks, 16224 − 32·496 = 352
    expect(figure(assertReportAddsUp(heap), '# bytes lost to quantization')).toBe(352);
  });
});

describe('stats().small', () => {
  it('starts empty and counts arenas as they come and go', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 4 << 20 });
    const empty = heap.stats().small;
    expect(empty).toMatchObject({ arenas: 0, arenasAllocated: 0, arenasReclaimed: 0, peakArenas: 0, pools: 0, freePools: 0 });
    expect(empty.classes).toHaveLength(32);
    expect(empty.classes.every((c, k) => c.size === 16 * (k + 1) && c.pools === 0 && c.blocksInUse === 0)).toBe(true);
    const p = heap.malloc(100);
    expect(heap.stats().small.classes[6]).toEqual({ size: 112, pools: 1, blocksInUse: 1, blocksAvailable: 144 - 1 });
    heap.free(p);
    expect(heap.stats().small).toMatchObject({ arenas: 1, pools: 0, freePools: 16 });
    heap.check();
  });
});
