/**
 * Replaying a trace through strategies: one verifying pass, then timed rounds.
 *
 * - The verifying pass stamps the first and last byte of every block when it is allocated and
 *   checks both before the block is resized or freed (a strategy that hands out overlapping
 *   blocks or loses bytes in a realloc fails here), runs the strategy's `check()` at the end,
 *   and measures: the footprint after every operation (its peak), and at the operation where
 *   the trace's live bytes peak, the bytes lost inside blocks (usable − requested) and the free
 *   bytes inside the footprint. It also samples the curves the HTML report draws.
 * - Each timed round replays the operations, preloaded in typed arrays, through a fresh
 *   allocator; only the operation loop is timed. `nsPerOp` is the median over the rounds, after
 *   untimed rounds that warm the loop up ({@link warmupRounds}).
 *   Calloc replays as malloc in the timed rounds (zeroing is the replayer's, not the strategy's).
 *
 * @module
 */

import type { Allocator, StrategyName, StrategyOptions } from './allocator';
import { createStrategy } from './create';
import { type Trace, TraceOp } from './trace';

/** Options of {@link replay} and {@link replayAll}. */
export interface ReplayOptions {
  /**
   * Timed rounds per strategy (the median is reported). 0 skips timing (`nsPerOp` is then NaN).
   * @defaultValue `5`
   */
  rounds?: number;
  /**
   * Points of the footprint and live-bytes curves, per strategy.
   * @defaultValue `200`
   */
  samples?: number;
  /** Called now and then with the work done and the work there is (operations replayed, all passes). */
  onProgress?: (done: number, total: number) => void;
}

/** Figures of one strategy on one trace. */
export interface StrategyResult {
  /** Strategy name. */
  name: string;
  /** Nanoseconds per operation: the median of the timed rounds (NaN when not timed or failed). */
  nsPerOp: number;
  /** Nanoseconds per operation of each timed round, in order. */
  roundsNsPerOp: number[];
  /** Largest footprint (bytes of backing memory held) over the trace. */
  peakFootprint: number;
  /** `peakFootprint` / the trace's peak live bytes. */
  footprintRatio: number;
  /** Usable − requested bytes of the live blocks, where the trace's live bytes peak. */
  internalFragmentation: number;
  /** Free bytes inside the footprint, where the trace's live bytes peak. */
  externalFragmentation: number;
  /** Whether every stamped byte survived and the strategy's `check()` passed. */
  verified: boolean;
  /** Why the strategy could not finish the trace (out of memory, a damaged block), if it could not. */
  error?: string;
  /** The curves of the HTML report: operation index, footprint and live (requested) bytes at it. */
  curve: {
    /** Operation index (1-based) of each sample. */
    op: number[];
    /** Footprint at each sample. */
    footprint: number[];
    /** Requested bytes live at each sample. */
    live: number[];
  };
}

/** Figures of a trace replayed through several strategies, from {@link replayAll}. */
export interface TraceResult {
  /** Operations in the trace. */
  ops: number;
  /** Most requested bytes live at once. */
  peakLiveBytes: number;
  /** Most blocks live at once. */
  peakLiveBlocks: number;
  /** One entry per strategy, in the order asked for. */
  strategies: StrategyResult[];
}

/** The timed loop of a replay: from {@link createReplayLoop}, to pass to {@link timeReplay}. */
export type ReplayLoop = (a: Allocator, ops: Uint8Array, slots: Uint32Array, sizes: Uint32Array, ptrs: Float64Array, n: number) => void;

// The timed loop. Each strategy gets its own copy of the function (compiled from this source),
// so that its call sites see one class of allocator and stay monomorphic: one shared loop would
// see seven and turn megamorphic, charging every strategy for the others. Where `new Function` is
// refused (a page's content security policy), all share `sharedLoop`, the same code.
const LOOP_SOURCE = `return function replayLoop(a, ops, slots, sizes, ptrs, n) {
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    const s = slots[i];
    if (op === 3) a.free(ptrs[s]);
    else if (op === 2) ptrs[s] = a.realloc(ptrs[s], sizes[i]);
    else ptrs[s] = a.malloc(sizes[i]);
  }
};`;

/** Loops made so far, to give each its own source text. */
let loopsMade = 0;

const sharedLoop: ReplayLoop = (a, ops, slots, sizes, ptrs, n) => {
  for (let i = 0; i < n; i++) {
    const op = ops[i] as number;
    const s = slots[i] as number;
    if (op === TraceOp.FREE) a.free(ptrs[s] as number);
    else if (op === TraceOp.REALLOC) ptrs[s] = a.realloc(ptrs[s] as number, sizes[i] as number);
    else ptrs[s] = a.malloc(sizes[i] as number);
  }
};

/**
 * A private copy of the timed loop, with call sites of its own: use one per allocator class, and
 * reuse it across the rounds of that allocator, so that it is compiled once for that class.
 */
export function createReplayLoop(): ReplayLoop {
  try {
    // A source of its own each time: V8 caches compiled code by source text, and loops compiled
    // from one text share their type feedback (a no-op allocator's loop ran 4x slower after the
    // seven strategies had run through theirs).
    loopsMade++;
    return new Function(LOOP_SOURCE.replace('{\n', `{\n  // replay loop ${loopsMade}\n`))() as ReplayLoop;
  } catch {
    return sharedLoop;
  }
}

/**
 * Replays `trace` once through `allocator` (fresh, empty) and returns the nanoseconds the
 * operation loop took. The building block of the timed rounds, exported for benches that time
 * an allocator of their own (a no-op one measures the replayer's own cost).
 *
 * @param loop - a loop from {@link createReplayLoop}, reused across rounds; by default a new one
 */
export function timeReplay(trace: Trace, allocator: Allocator, loop: ReplayLoop = createReplayLoop()): number {
  const ptrs = new Float64Array(trace.slotCount);
  const start = performance.now();
  loop(allocator, trace.ops, trace.slots, trace.sizes, ptrs, trace.length);
  return (performance.now() - start) * 1e6;
}

/** Where the trace's requested live bytes peak: the operation index (−1 for an empty trace), the bytes and the most blocks. */
function peakOf(trace: Trace): { at: number; bytes: number; blocks: number } {
  const size = new Float64Array(trace.slotCount);
  let live = 0;
  let blocks = 0;
  let at = -1;
  let bytes = 0;
  let most = 0;
  for (let i = 0; i < trace.length; i++) {
    const s = trace.slots[i] as number;
    const op = trace.ops[i];
    live -= size[s] as number;
    if (op === TraceOp.FREE) {
      size[s] = 0;
      blocks--;
    } else {
      if (op !== TraceOp.REALLOC) blocks++;
      size[s] = trace.sizes[i] as number;
      live += trace.sizes[i] as number;
    }
    if (live > bytes || at < 0) {
      at = i;
      bytes = live;
    }
    if (blocks > most) most = blocks;
  }
  return { at, bytes, blocks: most };
}

const stampOf = (i: number): number => (Math.imul(i, 31) + 7) & 255;
const lastStampOf = (i: number): number => (Math.imul(i, 17) + 101) & 255;

/** The verifying pass (see the module comment). Fills `result`; stops at the first failure. */
function verifyPass(
  trace: Trace,
  a: Allocator,
  peakAt: number,
  result: StrategyResult,
  samples: number,
  progress: (n: number) => void,
): void {
  const n = trace.length;
  const ptrs = new Float64Array(trace.slotCount);
  const requested = new Float64Array(trace.slotCount);
  const usable = new Float64Array(trace.slotCount);
  const first = new Uint8Array(trace.slotCount);
  const last = new Uint8Array(trace.slotCount);
  const step = Math.max(1, Math.floor(n / Math.max(1, samples)));
  let liveRequested = 0;
  let liveUsable = 0;
  let peakFootprint = a.footprint();
  const damaged = (i: number, s: number, which: string): string => `op ${i + 1}: the ${which} byte of block ${s} changed`;
  for (let i = 0; i < n; i++) {
    const op = trace.ops[i] as number;
    const s = trace.slots[i] as number;
    const size = trace.sizes[i] as number;
    if (op === TraceOp.FREE || op === TraceOp.REALLOC) {
      const old = requested[s] as number;
      if (old > 0) {
        const view = a.bytes(ptrs[s] as number, old);
        if (view[0] !== first[s]) throw new Error(damaged(i, s, 'first'));
        if (view[old - 1] !== last[s]) throw new Error(damaged(i, s, 'last'));
      }
      liveRequested -= old;
      liveUsable -= usable[s] as number;
      if (op === TraceOp.FREE) {
        a.free(ptrs[s] as number);
        requested[s] = 0;
        usable[s] = 0;
      } else {
        const p = a.realloc(ptrs[s] as number, size);
        ptrs[s] = p;
        const kept = Math.min(old, size);
        const view = a.bytes(p, size);
        if (kept > 0 && view[0] !== first[s]) throw new Error(damaged(i, s, 'first'));
        if (old > 0 && old <= size && view[old - 1] !== last[s]) throw new Error(`op ${i + 1}: realloc lost the last byte of block ${s}`);
        if (kept === 0) first[s] = stampOf(i);
        if (size > 0) {
          view[0] = first[s] as number;
          last[s] = size === 1 ? (first[s] as number) : lastStampOf(i);
          view[size - 1] = last[s] as number;
        }
        requested[s] = size;
        usable[s] = a.usableSize(p);
        liveRequested += size;
        liveUsable += usable[s] as number;
      }
    } else {
      const p = a.malloc(size);
      ptrs[s] = p;
      if (size > 0) {
        const view = a.bytes(p, size);
        if (op === TraceOp.CALLOC) view.fill(0);
        first[s] = stampOf(i);
        last[s] = size === 1 ? (first[s] as number) : lastStampOf(i);
        view[0] = first[s] as number;
        view[size - 1] = last[s] as number;
      }
      requested[s] = size;
      usable[s] = a.usableSize(p);
      liveRequested += size;
      liveUsable += usable[s] as number;
    }
    const footprint = a.footprint();
    if (footprint > peakFootprint) peakFootprint = footprint;
    if (i === peakAt) {
      result.internalFragmentation = liveUsable - liveRequested;
      result.externalFragmentation = a.freeBytes();
    }
    if (i % step === 0 || i === n - 1) {
      result.curve.op.push(i + 1);
      result.curve.footprint.push(footprint);
      result.curve.live.push(liveRequested);
    }
    if ((i & 0xffff) === 0xffff) progress(0x10000);
  }
  progress(n & 0xffff);
  a.check();
  result.peakFootprint = peakFootprint;
  result.verified = true;
}

/** Untimed rounds before the timed ones: enough for about 200,000 operations, from 1 to 10. */
export function warmupRounds(ops: number): number {
  return Math.min(10, Math.max(1, Math.ceil(200_000 / Math.max(1, ops))));
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** What {@link replayAll} replays: a strategy name, or a name and a factory of fresh allocators. */
export type StrategySpec =
  | StrategyName
  | {
      /** The name the results give it. */
      name: string;
      /** Makes a fresh, empty allocator (one per pass). */
      create: () => Allocator;
    };

/**
 * Replays `trace` through each strategy: a verifying pass each, then `rounds` timed rounds,
 * interleaved (round 1 of every strategy, then round 2, ...) so that a machine whose speed
 * drifts charges every strategy alike. A strategy that fails (out of memory, a damaged block)
 * gets an `error` and the others go on.
 *
 * @param strategies - names, or `{ name, create }` for allocators of your own
 * @param options - rounds, curve samples, progress
 * @param strategyOptions - buffer sizes for the built-in strategies
 */
export function replayAll(
  trace: Trace,
  strategies: readonly StrategySpec[],
  options: ReplayOptions = {},
  strategyOptions: StrategyOptions = {},
): TraceResult {
  const rounds = options.rounds ?? 5;
  const samples = options.samples ?? 200;
  const peak = peakOf(trace);
  const specs = strategies.map((s) => (typeof s === 'string' ? { name: s, create: () => createStrategy(s, strategyOptions) } : s));
  const warmups = rounds === 0 ? 0 : warmupRounds(trace.length);
  const total = trace.length * specs.length * (1 + warmups + rounds);
  let done = 0;
  const progress = (n: number): void => {
    done += n;
    options.onProgress?.(done, total);
  };
  const results: StrategyResult[] = specs.map((spec) => ({
    name: spec.name,
    nsPerOp: Number.NaN,
    roundsNsPerOp: [],
    peakFootprint: 0,
    footprintRatio: 0,
    internalFragmentation: 0,
    externalFragmentation: 0,
    verified: false,
    curve: { op: [], footprint: [], live: [] },
  }));
  specs.forEach((spec, k) => {
    const result = results[k] as StrategyResult;
    const before = done;
    try {
      verifyPass(trace, spec.create(), peak.at, result, samples, progress);
      result.footprintRatio = peak.bytes > 0 ? result.peakFootprint / peak.bytes : 0;
    } catch (e) {
      result.error = e instanceof Error ? e.message : String(e);
      // Its timed rounds will not run: count them as done, so that progress still reaches the total.
      done = before + trace.length * (1 + warmups + rounds);
    }
  });
  const loops = specs.map(() => createReplayLoop());
  // Untimed rounds first: the verifying pass ran other code, and a loop's first rounds run in
  // the interpreter or baseline code until the optimised code (compiled on another thread, late
  // on a busy machine) is ready. On a short trace that is most of a round.
  specs.forEach((spec, k) => {
    const result = results[k] as StrategyResult;
    for (let w = 0; w < warmups && result.error === undefined; w++) {
      try {
        timeReplay(trace, spec.create(), loops[k]);
      } catch (e) {
        result.error = e instanceof Error ? e.message : String(e);
      }
      progress(trace.length);
    }
  });
  for (let r = 0; r < rounds; r++) {
    specs.forEach((spec, k) => {
      const result = results[k] as StrategyResult;
      if (result.error !== undefined) return;
      try {
        const ns = timeReplay(trace, spec.create(), loops[k]);
        result.roundsNsPerOp.push(trace.length > 0 ? ns / trace.length : 0);
      } catch (e) {
        result.error = e instanceof Error ? e.message : String(e);
      }
      progress(trace.length);
    });
  }
  for (const result of results) if (result.error === undefined) result.nsPerOp = median(result.roundsNsPerOp);
  return { ops: trace.length, peakLiveBytes: peak.bytes, peakLiveBlocks: peak.blocks, strategies: results };
}

/**
 * Replays `trace` through one strategy ({@link replayAll} with one entry).
 *
 * @param create - makes a fresh allocator for each pass
 */
export function replay(trace: Trace, create: () => Allocator, options: ReplayOptions = {}): StrategyResult {
  const probe = create();
  return replayAll(trace, [{ name: probe.name, create }], options).strategies[0] as StrategyResult;
}
