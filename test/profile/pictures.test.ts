import { describe, expect, it } from 'vitest';
import { createHeap, InvalidArgumentError } from '../../src/index';
import { heapMap, htmlReport, markLeaks, start, stop, Timeline, tagType } from '../../src/profile/index';
import { IN_BROWSER } from '../support/helpers';

/** The rectangles of one class in an SVG string, with their data attributes. */
function rects(svg: string, cls: string): { addr: number; size: number; title: string }[] {
  const out: { addr: number; size: number; title: string }[] = [];
  const re = new RegExp(`<rect class="${cls}" [^>]*data-addr="(\\d+)" data-size="(\\d+)"><title>([^<]*)</title>`, 'g');
  for (const m of svg.matchAll(re)) out.push({ addr: Number(m[1]), size: Number(m[2]), title: m[3] as string });
  return out;
}

describe('heap map', () => {
  it('draws every used block and free gap of the large-object heap at its address', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 16 });
    const a = heap.malloc(4000);
    const b = heap.malloc(4000);
    const c = heap.malloc(8000);
    heap.free(b);
    const svg = heapMap(heap);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    // A chunk that wraps to the next row is drawn as several rectangles with one data-addr.
    const used = [...new Map(rects(svg, 'used').map((r) => [r.addr, r])).values()];
    expect(used.map((r) => [r.addr, r.size])).toEqual([
      [a - 16, 4016],
      [c - 16, 8016],
    ]);
    const free = [...new Map(rects(svg, 'free').map((r) => [r.addr, r])).values()];
    expect(free.map((r) => r.addr)).toEqual([b - 16, c - 16 + 8016]);
    expect(free[0]?.size).toBe(4016);
    expect(rects(svg, 'header')[0]).toMatchObject({ addr: 0, size: 8192 });
    expect(svg).toContain('fragmentation');
    heap.check();
  });

  // In the browser, sites are the test bundle's URL (an http:// link in the report).
  it.skipIf(IN_BROWSER)('merges runs of sub-pixel chunks of one kind and names the site of a traced block', () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 26 });
    start(heap);
    const small: number[] = [];
    for (let i = 0; i < 2000; i++) small.push(heap.malloc(600)); // 624-byte chunks, well under a pixel at this scale
    heap.malloc(1 << 23);
    const big = heap.malloc(1 << 23);
    tagType(heap, big, 'Texture');
    const svg = heapMap(heap, { width: 600, maxRows: 20 });
    const used = rects(svg, 'used');
    expect(used.length).toBeLessThan(200);
    expect(used.some((r) => /^\d+ used chunks, /.test(r.title))).toBe(true);
    const bigTitle = used.find((r) => r.addr === big - 16)?.title ?? '';
    expect(bigTitle).toMatch(/allocated at .*profile\/pictures\.test\.ts:\d+ \(Texture\)$/);
    expect((svg.match(/class="row-bg"/g) ?? []).length).toBeLessThanOrEqual(20);
    stop(heap);
  });
});

describe('timeline', () => {
  it('samples the heap on each tick and plots live and backing bytes with marks', () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
    let now = 1000;
    const timeline = new Timeline(heap, { now: () => now });
    const ptrs: number[] = [];
    for (let i = 0; i < 10; i++) {
      ptrs.push(heap.malloc(10_000));
      now += 16;
      timeline.sample();
    }
    timeline.mark('free half');
    for (let i = 0; i < 5; i++) heap.free(ptrs.pop()!);
    now += 16;
    timeline.sample();
    expect(timeline.samples.map((s) => s.t)).toEqual([0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 144, 160]);
    expect(timeline.samples[9]).toMatchObject({ liveBlocks: 10, liveBytes: 100_000, tracedBytes: undefined });
    expect(timeline.samples[11]?.liveBytes).toBe(50_000);
    const svg = timeline.toSVG();
    const live = /<polyline class="series live" points="([^"]*)"/.exec(svg);
    expect(live?.[1]?.split(' ')).toHaveLength(12);
    expect(svg).toContain('<polyline class="series backing"');
    expect(svg).not.toContain('series traced" points');
    expect(svg).toContain('>free half</text>');
    expect(svg).toMatch(/<title>peak 97\.7 KiB<\/title>/);
  });

  it('samples on an interval, plots traced bytes when traced, and halves its samples when full', async () => {
    const heap = createHeap();
    start(heap);
    const timeline = new Timeline(heap, { maxSamples: 16 });
    timeline.start(2);
    heap.malloc(100);
    await new Promise((r) => setTimeout(r, 30));
    timeline.stop();
    expect(timeline.samples.length).toBeGreaterThanOrEqual(3);
    expect(timeline.samples.at(-1)?.tracedBytes).toBe(100);
    for (let i = 0; i < 40; i++) timeline.sample();
    expect(timeline.samples.length).toBeLessThanOrEqual(16);
    const ts = timeline.samples.map((s) => s.t);
    expect([...ts].sort((x, y) => x - y)).toEqual(ts);
    expect(timeline.toSVG()).toContain('<polyline class="series traced"');
    expect(() => timeline.start(0)).toThrow(InvalidArgumentError);
    expect(() => new Timeline(heap, { maxSamples: 3 })).toThrow(InvalidArgumentError);
    stop(heap);
  });
});

describe('HTML report', () => {
  // In the browser, sites are the test bundle's URL (an http:// link in the report).
  it.skipIf(IN_BROWSER)('is one self-contained page with every section', () => {
    const heap = createHeap();
    const mark = markLeaks(heap, 2);
    const timeline = new Timeline(heap);
    for (let i = 0; i < 5; i++) {
      heap.malloc(1000 * (i + 1));
      timeline.sample();
    }
    tagType(heap, heap.malloc(64), 'Node<&>');
    const html = htmlReport(heap, { timeline, leaks: mark.report(), title: 'Test <report>' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const id of ['summary', 'malloc-stats', 'sites', 'types', 'heap-map', 'timeline', 'leaks'])
      expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('<title>Test &lt;report&gt;</title>');
    expect(html).toContain('Node&lt;&amp;&gt;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const siteRows = /<table id="sites-table">.*?<tbody>(.*?)<\/tbody>/.exec(html)?.[1] ?? '';
    expect((siteRows.match(/<tr>/g) ?? []).length).toBe(2); // the loop line and the tagged block's line
    stop(heap);
    const untraced = htmlReport(heap);
    expect(untraced).toContain('not traced');
    expect(untraced).toContain('No timeline was sampled');
  });
});

describe('heap map: arenas and pools of the small-object allocator', () => {
  it('draws each arena pool by pool, with its size class and fill', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const a = Array.from({ length: 100 }, () => heap.malloc(16)); // class 0
    const b = Array.from({ length: 10 }, () => heap.malloc(500)); // class 31
    for (const p of a.slice(0, 50)) heap.free(p);
    const svg = heapMap(heap, { width: 1000, maxRows: 200 });
    const pools = Array.from(
      svg.matchAll(/<rect class="pool" [^>]*data-addr="(\d+)" data-size="(\d+)" data-class="(\d+)" data-fill="(\d+)">/g),
      (m) => ({
        addr: Number(m[1]),
        cls: Number(m[3]),
        fill: Number(m[4]),
      }),
    );
    const stats = heap.stats().small;
    // A pool that wraps to the next row is drawn as several rectangles with one data-addr.
    expect(new Set(pools.map((p) => p.addr)).size).toBe(stats.pools);
    const poolSize = heap._small.poolSize;
    const poolOf = (p: number) => p - (p % poolSize);
    const byAddr = new Map(pools.map((p) => [p.addr, p]));
    const c0 = byAddr.get(poolOf(a[50]!));
    const c31 = byAddr.get(poolOf(b[0]!));
    expect(c0?.cls).toBe(0);
    expect(c31?.cls).toBe(31);
    const capacity = (size: number) => Math.floor((poolSize - heap._small.poolHeader) / size);
    expect(c0?.fill).toBe(Math.round((100 * 50) / capacity(16)));
    expect(c31?.fill).toBe(Math.round((100 * 10) / capacity(512)));
    const empty = new Set(Array.from(svg.matchAll(/<rect class="pool-empty" [^>]*data-addr="(\d+)"/g), (m) => m[1]));
    expect(empty.size).toBe(stats.freePools);
    expect(svg).toMatch(/style="fill:hsl\(\d+,70%,\d+%\)"/);
    heap.check();
  });
});
