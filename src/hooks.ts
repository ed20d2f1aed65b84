/**
 * How optional layers interpose on a heap's allocation entries without the core knowing them.
 *
 * A layer (tracing in `arenalloc/profile`, debug mode in `arenalloc/debug`) wraps the heap's
 * current hooks, or the raw allocators when there are none, and installs the result:
 *
 * ```
 *  heap.malloc ──▶ heap._hooks ──▶ (tracing) ──▶ (debug mode) ──▶ rawHooks(heap) ──▶ small / large
 * ```
 *
 * The core only tests `heap._hooks` for null, so a bundle without the optional layers pays one
 * field load per call and carries none of their code.
 *
 * @internal
 * @module
 */

import type { Heap, HeapHooks } from './heap';

/** Hooks that go straight to the heap's allocators: the end of every chain. @internal */
/* @__NO_SIDE_EFFECTS__ */
export function rawHooks(heap: Heap): HeapHooks {
  return {
    malloc: (size) => heap._rawMalloc(size),
    alignedAlloc: (size, alignment) => heap._rawAlignedAlloc(size, alignment),
    realloc: (ptr, size) => heap._rawRealloc(ptr, size),
    free: (ptr) => heap._rawFree(ptr),
    usableSize: (ptr) => heap._rawUsableSize(ptr),
    isLive: (ptr) => heap._rawIsLive(ptr),
  };
}

/** The hooks a new layer should wrap: the installed chain, or the raw allocators. @internal */
export function currentHooks(heap: Heap): HeapHooks {
  return heap._hooks ?? rawHooks(heap);
}
