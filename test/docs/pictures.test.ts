// The heap map as a reader sees it: its caption fits the picture at the default width, and a pool
// (whatever its size class and fill) cannot be mistaken for a used block or a free gap. Both
// failed before the change that wraps the caption and keeps pool hues away from the used blue.
import { describe, expect, it } from 'vitest';
import { createHeap } from '../../src/index';
import { heapMap } from '../../src/profile/index';

/** Average advance of the caption's 11px sans-serif, per character (measured: 5.5–6.2 px). */
const CHAR_PX = 6.2;

/** Hue (degrees), saturation and lightness (percent) of a #rrggbb colour. */
function hsl(hex: string): [number, number, number] {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const d = max - min;
  const s = d === 0 ? 0 : d / (1 - Math.abs(2 * l - 1));
  let h = 0;
  if (d !== 0) h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [(h * 60 + 360) % 360, s * 100, l * 100];
}

function busyHeap() {
  const heap = createHeap({ initialBytes: 1 << 20 });
  for (let cls = 0; cls < 32; cls++) for (let i = 0; i < 1 + cls * 20; i++) heap.malloc(16 * (cls + 1));
  for (let i = 0; i < 40; i++) heap.malloc(1000 + 300 * i);
  return heap;
}

describe('heap map legibility', () => {
  it('wraps its caption to the picture at the default width and at a narrow one', () => {
    for (const width of [undefined, 500]) {
      const svg = heapMap(busyHeap(), width === undefined ? {} : { width });
      const w = Number(/<svg [^>]*width="(\d+)"/.exec(svg)?.[1]);
      const lines = [...svg.matchAll(/<text class="caption summary"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join(' ')).toMatch(/arenas.*fragmentation/);
      for (const line of lines) expect(line.length * CHAR_PX, `"${line}" is wider than ${w}px`).toBeLessThanOrEqual(w - 16);
      const height = Number(/<svg [^>]*height="(\d+)"/.exec(svg)?.[1]);
      const lastY = Math.max(...[...svg.matchAll(/<text class="caption summary" x="\d+" y="(\d+)"/g)].map((m) => Number(m[1])));
      expect(lastY).toBeLessThan(height);
    }
  });

  it('colours pools apart from used blocks and free gaps, for every size class and fill', () => {
    const svg = heapMap(busyHeap());
    const used = hsl(/\.used\{fill:(#[0-9a-f]{6})/.exec(svg)![1]!);
    const free = hsl(/\.free\{fill:(#[0-9a-f]{6})/.exec(svg)![1]!);
    const pools = [...svg.matchAll(/style="fill:hsl\((\d+),(\d+)%,(\d+)%\)"/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
    expect(new Set(pools.map((p) => p[0])).size).toBeGreaterThan(20); // many size classes drawn
    const hueGap = (a: number, b: number) => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));
    for (const [h, , l] of pools) {
      expect(hueGap(h!, used[0]), `pool hue ${h} is close to the used blocks' ${used[0].toFixed(0)}`).toBeGreaterThanOrEqual(45);
      expect(l!, `pool lightness ${l}% is as pale as a free gap (${free[2].toFixed(0)}%)`).toBeLessThanOrEqual(free[2] - 15);
    }
  });
});
