/**
 * `measure(fn)`, like memory_profiler's `memory_usage`: what a call allocated and freed on one or
 * more heaps, and the peak it reached.
 *
 * It installs counting hooks (no stacks, so it is cheap enough to wrap real work) for the
 * duration of the call, or until the promise an async `fn` returns settles:
 *
 * ```
 *  heap.malloc ──▶ MeasureHooks (count blocks and usable bytes) ──▶ previous hooks / raw
 * ```
 *
 * Bytes are usable bytes (what {@link Heap.usableSize} reports, the figure `heap.stats()` sums), so
 * `netBytes` equals the change of `stats().liveBytes` when nothing else touches the heap. A
 * `realloc` counts as one block freed (its old size) and one allocated (its new size).
 *
 * @module
 */

import { describeValue, expectSingleThreaded, InvalidArgumentError } from '../errors';
import { Heap, type HeapHooks } from '../heap';
import { currentHooks, hooksOf, setHooks } from '../port';

/** What happened on one heap during a {@link measure}d call. */
export interface HeapUsage {
  /** The heap. */
  heap: Heap;
  /** Blocks allocated during the call (`malloc`, `calloc`, `alignedAlloc`, and `realloc`). */
  allocatedBlocks: number;
  /** Usable bytes of those blocks. */
  allocatedBytes: number;
  /** Blocks freed during the call (`free`, and `realloc`). */
  freedBlocks: number;
  /** Usable bytes of those blocks. */
  freedBytes: number;
  /** `allocatedBlocks - freedBlocks`. */
  netBlocks: number;
  /** `allocatedBytes - freedBytes`: what the call left allocated. */
  netBytes: number;
  /** Highest `netBytes` reached at any moment of the call (0 if it never went above the start). */
  peakBytes: number;
  /** `heap.stats().liveBytes` before the call. */
  liveBytesBefore: number;
  /** `heap.stats().liveBytes` after the call. */
  liveBytesAfter: number;
}

/** The result of a {@link measure}d call: its value and the usage of each heap. */
export interface Measurement<T, U> {
  /** What `fn` returned (awaited, for an async `fn`). */
  value: T;
  /** The usage: one {@link HeapUsage}, or an array of them when `measure` was given an array. */
  usage: U;
}

/** Counting hooks for one heap during one measured call. @internal */
export class MeasureHooks implements HeapHooks {
  readonly next: HeapHooks;
  active: boolean;
  allocatedBlocks: number;
  allocatedBytes: number;
  freedBlocks: number;
  freedBytes: number;
  peakBytes: number;

  constructor(next: HeapHooks) {
    this.next = next;
    this.active = true;
    this.allocatedBlocks = 0;
    this.allocatedBytes = 0;
    this.freedBlocks = 0;
    this.freedBytes = 0;
    this.peakBytes = 0;
  }

  private allocated(ptr: number): void {
    this.allocatedBlocks++;
    this.allocatedBytes += this.next.usableSize(ptr);
    const net = this.allocatedBytes - this.freedBytes;
    if (net > this.peakBytes) this.peakBytes = net;
  }

  malloc(size: number): number {
    const ptr = this.next.malloc(size);
    if (ptr !== 0 && this.active) this.allocated(ptr);
    return ptr;
  }

  alignedAlloc(size: number, alignment: number): number {
    const ptr = this.next.alignedAlloc(size, alignment);
    if (ptr !== 0 && this.active) this.allocated(ptr);
    return ptr;
  }

  realloc(ptr: number, size: number): number {
    const old = this.active && this.next.isLive(ptr) ? this.next.usableSize(ptr) : 0;
    const moved = this.next.realloc(ptr, size);
    if (moved !== 0 && this.active) {
      this.freedBlocks++;
      this.freedBytes += old;
      this.allocated(moved);
    }
    return moved;
  }

  free(ptr: number): void {
    const size = this.active && this.next.isLive(ptr) ? this.next.usableSize(ptr) : -1;
    this.next.free(ptr);
    if (size >= 0) {
      this.freedBlocks++;
      this.freedBytes += size;
    }
  }

  usableSize(ptr: number): number {
    return this.next.usableSize(ptr);
  }

  isLive(ptr: number): boolean {
    return this.next.isLive(ptr);
  }
}

/**
 * Runs `fn` and reports what it allocated and freed on `heap` (or on each heap of an array):
 * blocks and bytes allocated, freed, net, and the peak during the call. An async `fn` is
 * measured until its promise settles, and `measure` returns a promise.
 *
 * Everything that allocates on the heap meanwhile is counted, including other async tasks.
 * Measurements nest. If `fn` throws, the hooks are removed and the error propagates.
 *
 * @throws {@link arenalloc!InvalidArgumentError} when `heap` is not a heap (or an array of them) or `fn` not a function
 * @throws {@link arenalloc!NotThreadSafeError} for a threaded heap (`createHeap({ threads: true })`): measuring is single-threaded for now
 * @example
 * ```ts
 * const { value, usage } = measure(heap, () => buildTree(heap, 1000));
 * console.log(usage.allocatedBlocks, usage.netBytes, usage.peakBytes);
 * const { usage: u } = await measure(heap, async () => { await loadLevel(heap); });
 * ```
 */
export function measure<T>(heap: Heap, fn: () => Promise<T>): Promise<Measurement<T, HeapUsage>>;
export function measure<T>(heaps: readonly Heap[], fn: () => Promise<T>): Promise<Measurement<T, HeapUsage[]>>;
export function measure<T>(heap: Heap, fn: () => T): Measurement<T, HeapUsage>;
export function measure<T>(heaps: readonly Heap[], fn: () => T): Measurement<T, HeapUsage[]>;
export function measure<T>(
  heaps: Heap | readonly Heap[],
  fn: () => T,
): Measurement<T, HeapUsage | HeapUsage[]> | Promise<Measurement<Awaited<T>, HeapUsage | HeapUsage[]>> {
  const list = heaps instanceof Heap ? [heaps] : heaps;
  if (!Array.isArray(list) || list.length === 0 || !list.every((h) => h instanceof Heap) || new Set(list).size !== list.length) {
    throw new InvalidArgumentError('measure takes a heap or a non-empty array of distinct heaps');
  }
  if (typeof fn !== 'function') throw new InvalidArgumentError(`measure takes a function to run as fn, got ${describeValue(fn)}`, 'fn');
  // The usage is read off this heap object's hooks and the heap's stats: on a threaded heap the
  // first miss other threads' frees, the second counts their allocations, and park() drops the hooks.
  for (const h of list) expectSingleThreaded(h, 'measure');
  const before = list.map((h) => h.stats().liveBytes);
  const previous = list.map((h) => hooksOf(h));
  const hooks = list.map((h) => {
    const m = new MeasureHooks(currentHooks(h));
    setHooks(h, m);
    return m;
  });
  const finish = (): HeapUsage | HeapUsage[] => {
    const usage = list.map((h, i) => uninstall(h, hooks[i] as MeasureHooks, previous[i] ?? null, before[i] as number));
    return heaps instanceof Heap ? (usage[0] as HeapUsage) : usage;
  };
  let value: T;
  try {
    value = fn();
  } catch (e) {
    finish();
    throw e;
  }
  if (isThenable(value)) {
    return Promise.resolve(value).then(
      (v) => ({ value: v, usage: finish() }),
      (e: unknown) => {
        finish();
        throw e;
      },
    );
  }
  return { value, usage: finish() };
}

/** Removes measuring hooks (or turns them into a pass-through when a layer was installed above them). */
function uninstall(heap: Heap, hooks: MeasureHooks, previous: HeapHooks | null, before: number): HeapUsage {
  hooks.active = false;
  if (hooksOf(heap) === hooks) setHooks(heap, previous);
  return {
    heap,
    allocatedBlocks: hooks.allocatedBlocks,
    allocatedBytes: hooks.allocatedBytes,
    freedBlocks: hooks.freedBlocks,
    freedBytes: hooks.freedBytes,
    netBlocks: hooks.allocatedBlocks - hooks.freedBlocks,
    netBytes: hooks.allocatedBytes - hooks.freedBytes,
    peakBytes: hooks.peakBytes,
    liveBytesBefore: before,
    liveBytesAfter: heap.stats().liveBytes,
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
  );
}
