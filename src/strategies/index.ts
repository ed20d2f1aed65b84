/**
 * arenalloc/strategies: other allocation strategies behind one {@link Allocator} interface, and
 * the trace tools that compare them (record, parse, replay), so that the allocation trace of a
 * real program can show which strategy is fastest, which holds the least memory, and where
 * fragmentation comes from. The `arenalloc` command line is built on this module.
 *
 * @example
 * ```ts
 * import { parseTrace, replayAll } from 'arenalloc/strategies';
 * const trace = parseTrace(new TextEncoder().encode('a 1 100\na 2 40\nf 1\nr 2 400\nf 2\n'));
 * const { strategies } = replayAll(trace, ['first-fit', 'tlsf', 'heap'], { rounds: 3 });
 * for (const s of strategies) if (!s.verified) throw new Error(`${s.name}: ${s.error}`);
 * ```
 *
 * @module arenalloc/strategies
 */

export { type Allocator, MAX_SIZE, STRATEGY_NAMES, type StrategyName, type StrategyOptions } from './allocator';
export { BuddyAllocator, createBuddy } from './buddy';
export { BumpAllocator, type BumpMark, createBump } from './bump';
export { createStrategy } from './create';
export { createFirstFit, FirstFitAllocator } from './first-fit';
export { createHeapStrategy, HeapAllocator } from './heap';
export { recordTrace, TraceRecorder } from './record';
export {
  createReplayLoop,
  type ReplayLoop,
  type ReplayOptions,
  replay,
  replayAll,
  type StrategyResult,
  type StrategySpec,
  type TraceResult,
  timeReplay,
  warmupRounds,
} from './replay';
export { createSegregated, SegregatedAllocator } from './segregated';
export { type Bucket, type TraceStats, traceStats } from './stats';
export { createTlsf, TlsfAllocator } from './tlsf';
export { encodeTrace, formatTrace, isBinaryTrace, isGzip, parseTrace, type Trace, TraceBuilder, TraceFormatError, TraceOp } from './trace';
export { createUint8ArrayStrategy, Uint8ArrayAllocator } from './uint8array';
