/**
 * arenalloc/profile: where the memory of a heap went. Tracing like Python's `tracemalloc`
 * (allocation sites, snapshots, statistics, comparisons), `measure(fn)` like memory_profiler,
 * leak reports, and pictures: a heap map, a memory-over-time plot and a self-contained HTML report.
 *
 * The core does not import this module; it attaches to a heap through the heap's hooks.
 *
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * import { start, takeSnapshot } from 'arenalloc/profile';
 * const heap = createHeap();
 * start(heap, 3);
 * const p = heap.malloc(1000);
 * for (const stat of takeSnapshot(heap).statistics('lineno')) console.log(String(stat));
 * // /app/main.ts:5: size=1000 B, count=1, average=1000 B
 * ```
 *
 * @module arenalloc/profile
 */

export { formatSize } from './format';
export { type HeapMapOptions, heapMap } from './heapmap';
export { type LeakGroup, LeakMark, LeakMarkReport, LeakReport, markLeaks } from './leaks';
export { type HeapUsage, type Measurement, measure } from './measure';
export { htmlReport, type ReportOptions } from './report';
export { Filter, type GroupBy, Snapshot, type SnapshotJSON, Statistic, StatisticDiff, takeSnapshot, UNTYPED } from './snapshot';
export { Frame, Traceback } from './stack';
export { type Sample, Timeline, type TimelineMark, type TimelineOptions, type TimelinePlotOptions } from './timeline';
export {
  clearTraces,
  getTraceback,
  getTracebackLimit,
  getTracedMemory,
  isTracing,
  MAX_FRAMES,
  resetPeak,
  start,
  stop,
  Trace,
  type TracedMemory,
  type TraceOptions,
  tagType,
} from './tracer';
