/**
 * Leak reports: mark a point, later list the blocks allocated since the mark that are still live,
 * grouped by allocation site.
 *
 * A mark is the tracer's allocation sequence number at the time it was taken; every trace carries
 * the number of the allocation that made it, so the report is one pass over the live traces. A
 * block moved or resized by `realloc` after the mark counts as allocated after the mark (its trace
 * is renewed, as tracemalloc renews it).
 *
 * @module
 */

import { describeValue, expectHeap, InvalidArgumentError } from '../errors';
import type { Heap } from '../heap';
import { formatSize } from './format';
import type { Traceback } from './stack';
import { activeTracer, start, type Tracer } from './tracer';

/** The blocks of one allocation site that outlived a {@link LeakMark}. */
export interface LeakGroup {
  /** Where they were allocated. */
  traceback: Traceback;
  /** Type names the blocks were tagged with (refcounted objects), sorted; empty when untyped. */
  types: string[];
  /** Number of blocks still live. */
  count: number;
  /** Bytes requested by them. */
  size: number;
  /** Their addresses, in allocation order. */
  pointers: number[];
}

/**
 * The blocks allocated since a {@link LeakMark} that are still live, by site, largest first: what
 * {@link LeakMark.report} returns. (Not the report of a dropped `Ref` handle, which is
 * `arenalloc/rc`'s `LeakReport`.)
 */
export class LeakMarkReport {
  /** One group per allocation site (full traceback), largest first. */
  readonly groups: readonly LeakGroup[];
  /** Blocks in all groups. */
  readonly count: number;
  /** Bytes in all groups. */
  readonly size: number;

  /** @param groups - the groups, largest first */
  constructor(groups: readonly LeakGroup[]) {
    this.groups = groups;
    this.count = groups.reduce((n, g) => n + g.count, 0);
    this.size = groups.reduce((n, g) => n + g.size, 0);
  }

  /** One line per site, `file.ts:42: 3 blocks, 1.2 KiB still live [Node]`, after a total. */
  toString(): string {
    const lines = [`${this.count} block${this.count === 1 ? '' : 's'}, ${formatSize(this.size)} allocated since the mark still live`];
    for (const g of this.groups) {
      const types = g.types.length > 0 ? ` [${g.types.join(', ')}]` : '';
      lines.push(`${g.traceback}: ${g.count} block${g.count === 1 ? '' : 's'}, ${formatSize(g.size)} still live${types}`);
    }
    return lines.join('\n');
  }
}

/**
 * The former name of {@link LeakMarkReport}.
 * @deprecated Use {@link LeakMarkReport}: `arenalloc/rc` has a `LeakReport` of its own (a dropped
 * handle), and one name should mean one thing. This alias goes in the next major version.
 */
export const LeakReport: typeof LeakMarkReport = LeakMarkReport;
/**
 * The former name of {@link LeakMarkReport}.
 * @deprecated Use {@link LeakMarkReport}.
 */
export type LeakReport = LeakMarkReport;

/** A point in a heap's allocation history; {@link LeakMark.report} lists what has outlived it. */
export class LeakMark {
  /** The heap. */
  readonly heap: Heap;
  /** @internal */
  readonly _tracer: Tracer;
  /** @internal The tracer's sequence number at the mark. */
  readonly _seq: number;

  /** @internal Use {@link markLeaks}. */
  constructor(heap: Heap, tracer: Tracer) {
    this.heap = heap;
    this._tracer = tracer;
    this._seq = tracer.seq;
  }

  /**
   * The blocks allocated after the mark that are still live, grouped by allocation site.
   *
   * @throws {@link arenalloc!InvalidArgumentError} when tracing was stopped since the mark (its traces are gone)
   */
  report(): LeakMarkReport {
    if (activeTracer(this.heap) !== this._tracer) {
      throw new InvalidArgumentError('tracing of this heap was stopped since the mark; its traces are gone');
    }
    const bySite = new Map<string, { group: LeakGroup; types: Set<string>; seqs: number[] }>();
    for (const [ptr, t] of this._tracer.traces) {
      if (t.seq <= this._seq) continue;
      let entry = bySite.get(t.traceback._key);
      if (entry === undefined) {
        entry = { group: { traceback: t.traceback, types: [], count: 0, size: 0, pointers: [] }, types: new Set(), seqs: [] };
        bySite.set(t.traceback._key, entry);
      }
      entry.group.count++;
      entry.group.size += t.size;
      entry.group.pointers.push(ptr);
      entry.seqs.push(t.seq);
      if (t.type !== undefined) entry.types.add(t.type);
    }
    const groups: LeakGroup[] = [];
    for (const { group, types, seqs } of bySite.values()) {
      const order = seqs.map((_, i) => i).sort((a, b) => (seqs[a] as number) - (seqs[b] as number));
      group.pointers = order.map((i) => group.pointers[i] as number);
      group.types = [...types].sort();
      groups.push(group);
    }
    groups.sort((a, b) => b.size - a.size || b.count - a.count || (a.traceback._key < b.traceback._key ? -1 : 1));
    return new LeakMarkReport(groups);
  }
}

/**
 * Marks the present point of `heap`'s allocations; `mark.report()` later lists the blocks
 * allocated since that are still live. Starts tracing with `frames` frames if it is not on
 * (tracing then stays on until {@link stop}).
 *
 * @example
 * ```ts
 * const mark = markLeaks(heap);
 * handleRequest(heap);
 * console.log(String(mark.report())); // what the request forgot to free
 * ```
 */
export function markLeaks(heap: Heap, frames = 1): LeakMark {
  expectHeap(heap, 'markLeaks');
  if (typeof frames !== 'number' || !Number.isInteger(frames) || frames < 1) {
    throw new InvalidArgumentError(`markLeaks: frames must be a positive integer, got ${describeValue(frames)}`, 'frames');
  }
  let tracer = activeTracer(heap);
  if (tracer === undefined) {
    start(heap, frames);
    tracer = activeTracer(heap) as Tracer;
  }
  return new LeakMark(heap, tracer);
}
