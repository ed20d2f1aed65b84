/**
 * Recording the allocation trace of a JS program from its heap, through the heap's hooks (the
 * way `arenalloc/profile` traces it): every malloc, calloc, aligned allocation, realloc and free
 * from the moment {@link recordTrace} is called until {@link TraceRecorder.stop}.
 *
 * @module
 */

import { expectHeap, expectSingleThreaded } from '../errors';
import type { Heap, HeapHooks } from '../heap';
import { currentHooks, hooksOf, setHooks } from '../port';
import { type Trace, TraceBuilder, TraceOp } from './trace';

/**
 * The hooks that record: each call goes down the chain first, then, when it succeeded, is
 * written down. A block live before recording started is unknown to the trace; its free and
 * realloc are left out (a trace only speaks of blocks it saw allocated).
 */
class RecordingHooks implements HeapHooks {
  readonly next: HeapHooks;
  readonly builder: TraceBuilder;
  /** Pointer of each recorded live block → its ID in the trace. */
  readonly ids: Map<number, number>;
  nextId: number;

  constructor(next: HeapHooks, builder: TraceBuilder) {
    this.next = next;
    this.builder = builder;
    this.ids = new Map();
    this.nextId = 1;
  }

  malloc(size: number): number {
    const ptr = this.next.malloc(size);
    if (ptr !== 0) this.allocated(ptr, size);
    return ptr;
  }

  alignedAlloc(size: number, alignment: number): number {
    const ptr = this.next.alignedAlloc(size, alignment);
    if (ptr !== 0) this.allocated(ptr, size);
    return ptr;
  }

  realloc(ptr: number, size: number): number {
    const moved = this.next.realloc(ptr, size);
    if (moved === 0) return 0;
    const id = this.ids.get(ptr);
    if (id !== undefined) {
      this.builder.add(TraceOp.REALLOC, id, size);
      this.ids.delete(ptr);
      this.ids.set(moved, id);
    }
    return moved;
  }

  free(ptr: number): void {
    this.next.free(ptr);
    const id = this.ids.get(ptr);
    if (id === undefined) return;
    this.builder.add(TraceOp.FREE, id, 0);
    this.ids.delete(ptr);
  }

  usableSize(ptr: number): number {
    return this.next.usableSize(ptr);
  }

  isLive(ptr: number): boolean {
    return this.next.isLive(ptr);
  }

  private allocated(ptr: number, size: number): void {
    const id = this.nextId++;
    this.builder.add(TraceOp.MALLOC, id, size);
    this.ids.set(ptr, id);
  }
}

/** A recording started by {@link recordTrace}. */
export class TraceRecorder {
  /** @internal */
  readonly _heap: Heap;
  /** @internal */
  readonly _hooks: RecordingHooks;
  /** @internal */
  readonly _previous: HeapHooks | null;

  /** @internal Use {@link recordTrace}. */
  constructor(heap: Heap) {
    this._heap = heap;
    this._previous = hooksOf(heap);
    this._hooks = new RecordingHooks(currentHooks(heap), new TraceBuilder());
    setHooks(heap, this._hooks);
  }

  /** The operations recorded so far (recording goes on). */
  trace(): Trace {
    return this._hooks.builder.build();
  }

  /** Stops recording (restoring the hooks that were there before) and returns the trace. */
  stop(): Trace {
    if (hooksOf(this._heap) === this._hooks) setHooks(this._heap, this._previous);
    return this.trace();
  }
}

/**
 * Starts recording every allocation of `heap` as a trace, to replay through other strategies
 * with {@link replay} or to save with {@link formatTrace} / {@link encodeTrace}. Calloc is
 * recorded as malloc (the heap's hooks do not tell them apart).
 *
 * @throws {@link arenalloc!InvalidArgumentError} when `heap` is not a heap
 * @throws {@link arenalloc!NotThreadSafeError} for a threaded heap (`createHeap({ threads: true })`): recording is single-threaded for now
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * import { formatTrace, recordTrace } from 'arenalloc/strategies';
 * const heap = createHeap();
 * const recorder = recordTrace(heap);
 * const p = heap.malloc(100);
 * heap.free(heap.realloc(p, 1000));
 * const text = formatTrace(recorder.stop());
 * if (text !== 'a 0 100\nr 0 1000\nf 0\n') throw new Error(text);
 * ```
 */
export function recordTrace(heap: Heap): TraceRecorder {
  expectHeap(heap, 'recordTrace');
  // One recorder per heap object, and a threaded heap has one per thread: another thread's
  // operations would be missing from the trace, and park()/close() replace the hooks.
  expectSingleThreaded(heap, 'recordTrace');
  return new TraceRecorder(heap);
}
