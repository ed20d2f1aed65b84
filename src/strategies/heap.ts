/**
 * The arenalloc heap as a strategy: pymalloc pools for requests of up to 512 bytes over TLSF for
 * the rest (`createHeap`), through its public entries, with their checks.
 *
 * @module
 */

import { createHeap, type Heap } from '../heap';
import { installInspect } from '../inspect/install';
import type { Allocator, StrategyOptions } from './allocator';

/** The pool size the strategy's heap is created with (the heap's default). */
const POOL_SIZE = 16384;

/** The arenalloc heap behind the {@link Allocator} interface. Create one with {@link createHeapStrategy}. */
export class HeapAllocator implements Allocator {
  readonly name: string = 'heap';
  /** The heap itself, for what the interface does not cover (`stats()`, hooks, tracing). */
  readonly heap: Heap;

  /** @param heap - the heap to allocate from */
  constructor(heap: Heap) {
    this.heap = heap;
    installInspect(); // heap.check() of this heap's users runs the walk of arenalloc/inspect
  }

  malloc(size: number): number {
    return this.heap.malloc(size);
  }

  free(ptr: number): void {
    this.heap.free(ptr);
  }

  realloc(ptr: number, size: number): number {
    return this.heap.realloc(ptr, size);
  }

  usableSize(ptr: number): number {
    return this.heap.usableSize(ptr);
  }

  footprint(): number {
    return this.heap.buffer.byteLength;
  }

  /** Free chunks of the large-object heap, plus free blocks and free pools of the small one. O(pools). */
  freeBytes(): number {
    const stats = this.heap.stats();
    let small = 0;
    for (const c of stats.small.classes) small += c.blocksAvailable * c.size;
    return stats.large.freeBytes + small + stats.small.freePools * POOL_SIZE;
  }

  bytes(ptr: number, length: number): Uint8Array {
    return this.heap.bytes(ptr, length);
  }

  check(): void {
    this.heap.check();
  }
}

/**
 * Creates the arenalloc heap (`createHeap`) as a strategy, over a growable store.
 *
 * @param options - the store's initial and largest size
 */
/* @__NO_SIDE_EFFECTS__ */
export function createHeapStrategy(options: StrategyOptions = {}): HeapAllocator {
  return new HeapAllocator(
    createHeap({ initialBytes: options.initialBytes ?? 1 << 20, maxBytes: options.maxBytes ?? 1 << 28, poolSize: POOL_SIZE }),
  );
}
