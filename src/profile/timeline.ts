/**
 * Memory over time, like `mprof run` / `mprof plot`: samples of a heap's figures (read from the
 * buffer's counters) taken on an interval or on every tick of a frame loop, drawn as an SVG plot.
 *
 * @module
 */

import { describeValue, expectHeap, InvalidArgumentError } from '../errors';
import type { Heap } from '../heap';
import { escapeXml, formatSize } from './format';
import { activeTracer } from './tracer';

/** One sample of a {@link Timeline}. */
export interface Sample {
  /** Milliseconds since the timeline's first sample. */
  t: number;
  /** Usable bytes of the live blocks (`stats().liveBytes`). */
  liveBytes: number;
  /** Live blocks. */
  liveBlocks: number;
  /** Size of the backing store. */
  backingBytes: number;
  /** Bytes of free chunks. */
  freeBytes: number;
  /** Traced memory when the heap is traced, else undefined. */
  tracedBytes: number | undefined;
}

/** A labelled moment on a {@link Timeline} (a phase of the program), drawn as a vertical line. */
export interface TimelineMark {
  /** Milliseconds since the first sample. */
  t: number;
  /** What happened. */
  label: string;
}

/** Options of {@link Timeline}. */
export interface TimelineOptions {
  /**
   * Most samples kept; when full, every other sample is dropped (the plot keeps its whole span at
   * half the resolution). At least 16.
   * @defaultValue `10000`
   */
  maxSamples?: number;
  /**
   * The clock, in milliseconds. Tests pass a fake one.
   * @defaultValue `performance.now`
   */
  now?: () => number;
}

/** Options of {@link Timeline.toSVG}. */
export interface TimelinePlotOptions {
  /** @defaultValue `800` */
  width?: number;
  /** @defaultValue `300` */
  height?: number;
  /** @defaultValue `'Memory over time'` */
  title?: string;
}

/**
 * Samples a heap's figures over time. Call {@link Timeline.sample} from a frame loop
 * (`requestAnimationFrame`, a game tick), or {@link Timeline.start} to sample on an interval.
 *
 * @example
 * ```ts
 * const timeline = new Timeline(heap);
 * timeline.start(50);
 * await runWorkload(heap);
 * timeline.stop();
 * writeFileSync('memory.svg', timeline.toSVG());
 * ```
 */
export class Timeline {
  /** The heap sampled. */
  readonly heap: Heap;
  /** The samples, oldest first. */
  readonly samples: Sample[];
  /** The marks, oldest first. */
  readonly marks: TimelineMark[];
  private readonly maxSamples: number;
  private readonly now: () => number;
  private origin: number;
  private timer: ReturnType<typeof setInterval> | null;

  /**
   * @param heap - the heap to sample
   * @throws {@link arenalloc!InvalidArgumentError} for a bad heap or option
   */
  constructor(heap: Heap, options: TimelineOptions = {}) {
    expectHeap(heap, 'Timeline');
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError(`Timeline: options must be an object, got ${describeValue(options)}`, 'options');
    const maxSamples = options.maxSamples ?? 10_000;
    if (!Number.isInteger(maxSamples) || maxSamples < 16)
      throw new InvalidArgumentError(`maxSamples must be an integer of at least 16, got ${maxSamples}`);
    this.heap = heap;
    this.samples = [];
    this.marks = [];
    this.maxSamples = maxSamples;
    this.now = options.now ?? (() => performance.now());
    this.origin = Number.NaN;
    this.timer = null;
  }

  private elapsed(): number {
    const now = this.now();
    if (Number.isNaN(this.origin)) this.origin = now;
    return now - this.origin;
  }

  /** Takes one sample now; returns it. */
  sample(): Sample {
    const stats = this.heap.stats();
    const tracer = activeTracer(this.heap);
    const s: Sample = {
      t: this.elapsed(),
      liveBytes: stats.liveBytes,
      liveBlocks: stats.liveBlocks,
      backingBytes: stats.backingBytes,
      freeBytes: stats.freeBytes,
      tracedBytes: tracer === undefined ? undefined : tracer.current,
    };
    if (this.samples.length >= this.maxSamples) {
      let j = 0;
      for (let i = 0; i < this.samples.length; i += 2) this.samples[j++] = this.samples[i] as Sample;
      this.samples.length = j;
    }
    this.samples.push(s);
    return s;
  }

  /** Labels the present moment (and takes a sample, so the plot has a point there). */
  mark(label: string): void {
    if (typeof label !== 'string') throw new InvalidArgumentError(`mark: label must be a string, got ${describeValue(label)}`, 'label');
    const s = this.sample();
    this.marks.push({ t: s.t, label: String(label) });
  }

  /**
   * Samples every `intervalMs` milliseconds until {@link Timeline.stop}. The timer does not keep
   * Node alive.
   *
   * @throws {@link arenalloc!InvalidArgumentError} for an interval that is not a positive number
   */
  start(intervalMs = 100): void {
    if (typeof intervalMs !== 'number' || !(intervalMs > 0))
      throw new InvalidArgumentError(`intervalMs must be a positive number, got ${String(intervalMs)}`);
    this.stop();
    this.sample();
    const timer = setInterval(() => this.sample(), intervalMs);
    (timer as { unref?: () => void }).unref?.();
    this.timer = timer;
  }

  /** Stops interval sampling, taking a last sample. */
  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  /**
   * The plot as SVG: live bytes and backing-store size (and traced bytes, when sampled) against
   * time, with the peak of live bytes and the marks.
   */
  toSVG(options: TimelinePlotOptions = {}): string {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError(`toSVG: options must be an object, got ${describeValue(options)}`, 'options');
    return plotTimeline(this.samples, this.marks, options);
  }
}

// Scoped to the plot's root class: an inlined SVG's <style> applies to the whole page.
const STYLE = `
.arenalloc-timeline .title{font:bold 13px sans-serif;fill:#222}
.arenalloc-timeline .axis{stroke:#555;stroke-width:1}
.arenalloc-timeline .grid{stroke:#e4e4e4;stroke-width:1}
.arenalloc-timeline .tick{font:10px sans-serif;fill:#555}
.arenalloc-timeline .series{fill:none;stroke-width:1.5}
.arenalloc-timeline .live{stroke:#3b7dd8;stroke-width:2}
.arenalloc-timeline .backing{stroke:#999;stroke-dasharray:4 3}
.arenalloc-timeline .traced{stroke:#d8703b;stroke-width:1;stroke-dasharray:6 2}
.arenalloc-timeline .peak{stroke:#c33;stroke-width:1;stroke-dasharray:2 2}
.arenalloc-timeline .mark{stroke:#2a2;stroke-width:1}
.arenalloc-timeline .mark-label{font:10px sans-serif;fill:#2a2}
.arenalloc-timeline .legend{font:11px sans-serif;fill:#333}
`;

/** Draws samples as an SVG line plot. @internal */
export function plotTimeline(samples: readonly Sample[], marks: readonly TimelineMark[], options: TimelinePlotOptions = {}): string {
  const width = Math.max(240, Math.floor(options.width ?? 800));
  const height = Math.max(160, Math.floor(options.height ?? 300));
  const title = options.title ?? 'Memory over time';
  const left = 70;
  const right = 36;
  const top = 28;
  const bottom = 44;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  // Loops, not `Math.max(...array)`: a spread of some 120,000 samples overflows the call stack.
  let tMax = 1;
  let bytesMax = 1;
  let peak = 0;
  for (const s of samples) {
    if (s.t > tMax) tMax = s.t;
    bytesMax = Math.max(bytesMax, s.backingBytes, s.liveBytes, s.tracedBytes ?? 0);
    if (s.liveBytes > peak) peak = s.liveBytes;
  }
  const yMax = niceBytes(bytesMax);
  const x = (t: number): number => left + (t / tMax) * plotW;
  const y = (b: number): number => top + plotH - (b / yMax) * plotH;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const b = (yMax * i) / 4;
    const yy = y(b).toFixed(1);
    parts.push(`<line class="grid" x1="${left}" x2="${left + plotW}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="tick" x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${formatSize(b)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const t = (tMax * i) / 5;
    parts.push(`<text class="tick" x="${x(t).toFixed(1)}" y="${top + plotH + 14}" text-anchor="middle">${formatSeconds(t)}</text>`);
  }
  parts.push(`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}"/>`);
  parts.push(`<line class="axis" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  const line = (cls: string, pick: (s: Sample) => number | undefined): void => {
    const pts: string[] = [];
    for (const s of samples) {
      const v = pick(s);
      if (v !== undefined) pts.push(`${x(s.t).toFixed(1)},${y(v).toFixed(1)}`);
    }
    if (pts.length > 0) parts.push(`<polyline class="series ${cls}" points="${pts.join(' ')}"/>`);
  };
  line('backing', (s) => s.backingBytes);
  line('traced', (s) => s.tracedBytes);
  line('live', (s) => s.liveBytes);
  if (samples.length > 0) {
    const py = y(peak).toFixed(1);
    parts.push(`<line class="peak" x1="${left}" x2="${left + plotW}" y1="${py}" y2="${py}"><title>peak ${formatSize(peak)}</title></line>`);
  }
  for (const m of marks) {
    const mx = x(m.t).toFixed(1);
    parts.push(`<line class="mark" x1="${mx}" x2="${mx}" y1="${top}" y2="${top + plotH}"/>`);
    parts.push(`<text class="mark-label" x="${mx}" y="${top - 3}" text-anchor="middle">${escapeXml(m.label)}</text>`);
  }
  const ly = height - 10;
  const legend = [
    ['live', 'live bytes'],
    ['backing', 'backing store'],
    ['traced', 'traced bytes'],
    ['peak', 'peak live'],
  ]
    .map(([cls, label], i) => {
      const lx = left + i * 130;
      return `<line class="series ${cls}" x1="${lx}" x2="${lx + 20}" y1="${ly - 4}" y2="${ly - 4}"/><text class="legend" x="${lx + 24}" y="${ly}">${label}</text>`;
    })
    .join('');
  const empty = samples.length === 0 ? `<text class="legend" x="${left + 10}" y="${top + 20}">no samples</text>` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="arenalloc-timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<style>${STYLE}</style><text class="title" x="${left}" y="16">${escapeXml(title)}</text>${parts.join('')}${legend}${empty}</svg>`
  );
}

/**
 * The top of the y axis: the smallest round figure (1, 2, 2.5, 5 times a power of ten) of the
 * binary unit that prints `bytes`, at or above it, so that the quarter ticks read `512 KiB`,
 * `1.0 MiB`, ... rather than `976.6 KiB`.
 */
function niceBytes(bytes: number): number {
  let unit = 1;
  while (bytes / unit >= 1024) unit *= 1024;
  const n = bytes / unit;
  let step = 1;
  while (step * 10 < n) step *= 10;
  for (const k of [1, 2, 2.5, 5, 10]) if (k * step >= n) return k * step * unit;
  return 10 * step * unit;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
