/**
 * What a trace holds, without replaying it: operation counts, a size histogram, the peak of live
 * bytes and blocks, and how long blocks live (in operations between allocation and free).
 *
 * @module
 */

import { type Trace, TraceOp } from './trace';

/** A histogram bucket: values from `from` to `to` inclusive, and how many fell in it. */
export interface Bucket {
  /** Smallest value of the bucket. */
  from: number;
  /** Largest value of the bucket. */
  to: number;
  /** How many values fell in it. */
  count: number;
}

/** Figures of a trace, from {@link traceStats}. */
export interface TraceStats {
  /** Operations. */
  ops: number;
  /** Per kind of operation. */
  mallocs: number;
  /** calloc operations. */
  callocs: number;
  /** realloc operations. */
  reallocs: number;
  /** free operations. */
  frees: number;
  /** Bytes asked for by allocations and reallocs, summed. */
  bytesRequested: number;
  /** Most requested bytes live at once. */
  peakLiveBytes: number;
  /** Most blocks live at once. */
  peakLiveBlocks: number;
  /** Blocks still live at the end (never freed). */
  liveAtEnd: number;
  /** Sizes of allocations and reallocs, in power-of-two buckets (0, 1, 2–3, 4–7, ...). */
  sizes: Bucket[];
  /** Lifetimes of freed blocks, in operations from allocation to free, in power-of-two buckets. */
  lifetimes: Bucket[];
}

function bucketOf(value: number): number {
  return value === 0 ? 0 : 32 - Math.clz32(value);
}

function buckets(counts: Float64Array): Bucket[] {
  const out: Bucket[] = [];
  counts.forEach((count, k) => {
    if (count > 0) out.push({ from: k === 0 ? 0 : 2 ** (k - 1), to: k === 0 ? 0 : 2 ** k - 1, count });
  });
  return out;
}

/**
 * The figures of a trace.
 *
 * @example
 * ```ts
 * import { parseTrace, traceStats } from 'arenalloc/strategies';
 * const stats = traceStats(parseTrace(new TextEncoder().encode('a 1 100\na 2 7\nf 1\n')));
 * if (stats.peakLiveBytes !== 107 || stats.liveAtEnd !== 1) throw new Error('wrong figures');
 * ```
 */
export function traceStats(trace: Trace): TraceStats {
  const size = new Float64Array(trace.slotCount);
  const born = new Float64Array(trace.slotCount);
  const sizeCounts = new Float64Array(34);
  const lifeCounts = new Float64Array(34);
  const kinds = [0, 0, 0, 0];
  let live = 0;
  let blocks = 0;
  let peakBytes = 0;
  let peakBlocks = 0;
  let requested = 0;
  for (let i = 0; i < trace.length; i++) {
    const op = trace.ops[i] as number;
    const s = trace.slots[i] as number;
    const n = trace.sizes[i] as number;
    kinds[op] = (kinds[op] as number) + 1;
    live -= size[s] as number;
    if (op === TraceOp.FREE) {
      size[s] = 0;
      blocks--;
      const k = bucketOf(i - (born[s] as number));
      lifeCounts[k] = (lifeCounts[k] as number) + 1;
    } else {
      if (op !== TraceOp.REALLOC) {
        blocks++;
        born[s] = i;
      }
      size[s] = n;
      live += n;
      requested += n;
      const k = bucketOf(n);
      sizeCounts[k] = (sizeCounts[k] as number) + 1;
    }
    if (live > peakBytes) peakBytes = live;
    if (blocks > peakBlocks) peakBlocks = blocks;
  }
  return {
    ops: trace.length,
    mallocs: kinds[TraceOp.MALLOC] as number,
    callocs: kinds[TraceOp.CALLOC] as number,
    reallocs: kinds[TraceOp.REALLOC] as number,
    frees: kinds[TraceOp.FREE] as number,
    bytesRequested: requested,
    peakLiveBytes: peakBytes,
    peakLiveBlocks: peakBlocks,
    liveAtEnd: blocks,
    sizes: buckets(sizeCounts),
    lifetimes: buckets(lifeCounts),
  };
}
