/**
 * The routing layer: what the public entries of `Heap` call once their arguments are checked and
 * no hooks are installed, and what the hooks of the optional layers call to reach the allocators
 * underneath (through `rawHooks` of `src/port.ts`).
 *
 * Requests of up to {@link SMALL_REQUEST_THRESHOLD} (512) bytes go to the small-object allocator,
 * larger ones to TLSF. A small request that finds no arena (a full fixed store) falls back to
 * TLSF, as pymalloc falls back to the system malloc; that block is then a large block like any
 * other. A pointer is routed by its address alone, in O(1), by {@link poolOfBlock}: it is a small
 * block if it lies in a pool of a live arena, and everything else is TLSF's to judge.
 *
 * ```
 *  size ≤ 512 ──▶ small.malloc ──(no arena)──┐
 *  size > 512 ─────────────────────────────── ▶ large.malloc
 *  ptr ──▶ poolOfBlock ── pool ──▶ small (checkLive, blockSize, free)
 *                      └─ 0 ────▶ large (checkLiveLarge, usableSize, free)
 * ```
 *
 * Contract of every function here: sizes are validated integers from 0 to `MAX_REQUEST`;
 * pointers are non-zero uint32 numbers, and each entry checks that a pointer is a live block
 * before it changes anything, throwing the typed error `free` documents otherwise. Allocation
 * returns 0 for out of memory, having changed nothing.
 *
 * @internal
 * @module
 */

import { DoubleFreeError, InvalidPointerError, RC_HINT } from './errors';
import type { Heap } from './heap';
import { ChunkState } from './large/tlsf';
import { Counter, INTERNAL_REQUEST } from './layout';
import { SMALL_REQUEST_THRESHOLD } from './small/layout';

/** The pool of the small block `ptr` would be: its pool's address, or 0 when it is no small block's address. */
export function poolOfBlock(heap: Heap, ptr: number): number {
  return (ptr & (heap.align - 1)) === 0 ? heap._small.poolOf(ptr) : 0;
}

/** Allocates a validated size; 0 when out of memory. */
export function rawMalloc(heap: Heap, size: number): number {
  if (size <= SMALL_REQUEST_THRESHOLD) {
    const ptr = heap._small.malloc(size);
    // Undefined when the views were short (another thread grew the store): re-bind and again.
    if (ptr > 0) {
      heap._countAlloc(size === 0 ? heap.align : ((size - 1) | (heap.align - 1)) + 1);
      return ptr;
    }
    if (ptr !== 0 && heap._mem.refresh()) return rawMalloc(heap, size);
  }
  return largeMalloc(heap, size);
}

/**
 * malloc from TLSF: a size above 512, or a small request that found no arena or found the views
 * short; 0 when out of memory.
 */
export function largeMalloc(heap: Heap, size: number): number {
  if (size > heap._maxLarge) return 0;
  const ptr = heap._large.malloc(size);
  if (ptr === 0) return 0;
  heap._countAlloc(heap._large.usableSize(ptr));
  return ptr;
}

/** Aligned allocation of a validated size and power-of-two alignment; 0 when out of memory. */
export function rawAlignedAlloc(heap: Heap, size: number, alignment: number): number {
  if (alignment <= heap.align) return rawMalloc(heap, size);
  const ptr = size > heap._maxLarge ? 0 : heap._large.alignedAlloc(size, alignment);
  if (ptr === 0) return 0;
  heap._countAlloc(heap._large.usableSize(ptr));
  return ptr;
}

/**
 * Realloc of a non-zero pointer; 0 when out of memory (the old block stays live). A small block
 * stays in place for a request in its own class, or for a shrink that would save less than 25%
 * of it (CPython's rule); otherwise it moves, to a small or a large block. A large block asked to
 * shrink to a small size follows the same 25% rule, then moves to a small block.
 */
export function rawRealloc(heap: Heap, ptr: number, size: number): number {
  const small = heap._small;
  const pool = poolOfBlock(heap, ptr);
  if (pool !== 0) {
    small.checkLive(ptr, pool);
    const old = small.blockSize(pool);
    const need = size === 0 ? 1 : size;
    if (need <= old && (need + heap.align > old || 4 * need > 3 * old)) return ptr;
    const moved = rawMalloc(heap, size);
    if (moved === 0) return 0;
    heap._mem.u8.copyWithin(moved, ptr, ptr + Math.min(old, size));
    heap._countFree(small.free(ptr, pool));
    return moved;
  }
  checkLiveLarge(heap, ptr);
  const large = heap._large;
  const old = large.usableSize(ptr);
  if (size <= SMALL_REQUEST_THRESHOLD) {
    if (size <= old && 4 * size > 3 * old) return ptr;
  } else if (size <= heap._maxLarge && large.resizeInPlace(ptr, size)) {
    const now = large.usableSize(ptr);
    const counters = heap._mem.counters;
    const live = (counters[Counter.LIVE_BYTES] as number) + now - old;
    counters[Counter.LIVE_BYTES] = live;
    if (live > (counters[Counter.PEAK_BYTES] as number)) counters[Counter.PEAK_BYTES] = live;
    return ptr;
  }
  const moved = rawMalloc(heap, size);
  if (moved === 0) return 0;
  heap._mem.u8.copyWithin(moved, ptr, ptr + Math.min(old, size));
  heap._countFree(old);
  large.free(ptr);
  return moved;
}

/**
 * Frees a non-zero pointer after checking it is a live block. For a small block the check costs
 * the pool map (three loads from the heap header and the map) and one bitmap word, which the free
 * reads anyway to clear the block's bit (`SmallHeap.tryFree`).
 */
export function rawFree(heap: Heap, ptr: number): void {
  const bytes = heap._small.tryFree(ptr);
  if (bytes !== 0) heap._countFree(bytes);
  else largeFree(heap, ptr);
}

/** Frees a pointer that is no small block: checks it is a live large block first. */
export function largeFree(heap: Heap, ptr: number): void {
  checkLiveLarge(heap, ptr);
  heap._countFree(heap._large.usableSize(ptr));
  heap._large.free(ptr);
}

/**
 * The batch free (`freeBatch` of the port; the cycle detector frees its garbage through it):
 * frees the non-zero pointers of `list[0..n)` as {@link rawFree} does, each one checked, and
 * writes the live-bytes and frees counters once for the batch. If a pointer is refused, the ones
 * before it stay freed and counted, and the error propagates.
 */
export function rawFreeBatch(heap: Heap, list: Uint32Array, n: number): void {
  const small = heap._small;
  const large = heap._large;
  let bytes = 0;
  let frees = 0;
  try {
    for (let i = 0; i < n; i++) {
      const ptr = list[i] as number;
      if (ptr === 0) continue;
      const size = small.tryFree(ptr);
      if (size !== 0) bytes += size;
      else {
        checkLiveLarge(heap, ptr);
        bytes += large.usableSize(ptr);
        large.free(ptr);
      }
      frees++;
    }
  } finally {
    const counters = heap._mem.counters;
    counters[Counter.LIVE_BYTES] = (counters[Counter.LIVE_BYTES] as number) - bytes;
    counters[Counter.FREES] = (counters[Counter.FREES] as number) + frees;
  }
}

/** Usable size of a live block (checked). */
export function rawUsableSize(heap: Heap, ptr: number): number {
  const pool = poolOfBlock(heap, ptr);
  if (pool !== 0) {
    heap._small.checkLive(ptr, pool);
    return heap._small.blockSize(pool);
  }
  checkLiveLarge(heap, ptr);
  return heap._large.usableSize(ptr);
}

/** Whether a non-zero uint32 is a live user block. Never throws. */
export function rawIsLive(heap: Heap, ptr: number): boolean {
  if ((ptr & (heap.align - 1)) !== 0) return false;
  const pool = heap._small.poolOf(ptr);
  if (pool !== 0) return heap._small.isLive(ptr, pool);
  return isLiveLarge(heap, ptr);
}

/** Throws unless `ptr` (a uint32) is the start of a live user block. O(1). */
export function checkLive(heap: Heap, ptr: number): void {
  const pool = poolOfBlock(heap, ptr);
  if (pool !== 0) heap._small.checkLive(ptr, pool);
  else checkLiveLarge(heap, ptr);
}

/** Whether `ptr`, known to lie in no small pool, is the start of a live large user block. */
function isLiveLarge(heap: Heap, ptr: number): boolean {
  return (
    (ptr & (heap.align - 1)) === 0 && heap._large.classify(ptr) === ChunkState.LIVE && heap._large.requestedOf(ptr) !== INTERNAL_REQUEST
  );
}

/** Throws unless `ptr`, known to lie in no small pool, is the start of a live large user block. O(1). */
export function checkLiveLarge(heap: Heap, ptr: number): void {
  // The test of isLiveLarge written out: this is on the path of every large free.
  const large = heap._large;
  if ((ptr & (heap.align - 1)) !== 0 || large.classify(ptr) !== ChunkState.LIVE || large.requestedOf(ptr) === INTERNAL_REQUEST) {
    throw notLarge(heap, ptr);
  }
}

/** Why `ptr`, which lies in no small pool, is no live large block. */
function notLarge(heap: Heap, ptr: number): Error {
  if ((ptr & (heap.align - 1)) !== 0) return new InvalidPointerError(`pointer ${ptr} is not aligned to ${heap.align}`, ptr);
  const state = heap._large.classify(ptr);
  if (state === ChunkState.FREE) return new DoubleFreeError(`pointer ${ptr} was already freed`, ptr);
  if (state !== ChunkState.LIVE) return new InvalidPointerError(`pointer ${ptr} is not the start of a block of this heap${RC_HINT}`, ptr);
  return new InvalidPointerError(`pointer ${ptr} is memory the heap manages itself`, ptr);
}
