// The heap object of a threaded heap (src/threads/facade.ts): its own malloc and free, which call
// the thread's allocator without the core's hook path. Every case the core's entries cover must
// stay typed and harmless through them, and the object must stay a Heap.
import { describe, expect, it } from 'vitest';
import {
  createHeap,
  DoubleFreeError,
  Heap,
  InvalidPointerError,
  InvalidSizeError,
  MAX_REQUEST,
  OutOfMemoryError,
  ThreadClosedError,
} from '../../src/index';
import '../../src/threads/index';
import { ThreadedHeap } from '../../src/threads/facade';
import { expectError, expectUnchanged, snapshot } from '../support/helpers';

describe('the threaded heap object', () => {
  it('is a Heap made by the threads port, from createHeap and from attach, and the single-threaded heap is not', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20 });
    const other = Heap.attach(heap.buffer);
    for (const h of [heap, other]) {
      expect(h).toBeInstanceOf(ThreadedHeap);
      expect(h).toBeInstanceOf(Heap);
    }
    expect(createHeap()).not.toBeInstanceOf(ThreadedHeap);
    other.close();
    heap.close();
  });

  it('malloc and free validate once and keep every error typed; nothing changes on a refusal', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 21 });
    const p = heap.malloc(24);
    const snap = snapshot(heap);
    for (const bad of [-1, 1.5, Number.NaN, '8', 8n, null, undefined, MAX_REQUEST + 1]) {
      expectError(() => heap.malloc(bad as number), InvalidSizeError, 'ERR_INVALID_SIZE');
    }
    for (const bad of [-16, 1.5, '16', 16n, null, undefined, {}]) {
      expectError(() => heap.free(bad as number), InvalidPointerError, 'ERR_INVALID_POINTER');
    }
    heap.free(0);
    // Out of memory, small (no room for a new arena once the store is full) and large.
    const err = expectError(() => heap.malloc(3 << 20), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
    expect((err as OutOfMemoryError).requested).toBe(3 << 20);
    expectUnchanged(heap, snap);
    heap.free(p);
    expectError(() => heap.free(p), DoubleFreeError, 'ERR_DOUBLE_FREE');
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
    heap.close();
  });

  it('a small malloc that finds no room throws OutOfMemoryError, and the heap still works after', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 20 });
    const held: number[] = [];
    let error: unknown;
    try {
      for (;;) held.push(heap.malloc(512));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect((error as OutOfMemoryError).requested).toBe(512);
    heap.check();
    for (const p of held) heap.free(p);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
    heap.free(heap.malloc(512));
    heap.close();
  });

  it('after close() and while parked, malloc and free throw ThreadClosedError', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20 });
    const p = heap.malloc(16);
    heap.park();
    expectError(() => heap.malloc(16), ThreadClosedError, 'ERR_THREAD_CLOSED');
    expectError(() => heap.free(p), ThreadClosedError, 'ERR_THREAD_CLOSED');
    heap.unpark();
    heap.free(p);
    heap.close();
    expectError(() => heap.malloc(16), ThreadClosedError, 'ERR_THREAD_CLOSED');
    expectError(() => heap.free(p), ThreadClosedError, 'ERR_THREAD_CLOSED');
    // A bad size is still a bad size.
    expectError(() => heap.malloc(-1), InvalidSizeError, 'ERR_INVALID_SIZE');
  });
});
