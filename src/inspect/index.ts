/**
 * `arenalloc/inspect`: the heap's integrity walk and its text report, kept out of the core bundle.
 *
 * `heap.check()` and `heap.debugMallocStats()` are methods of every heap, but their code is
 * here: a program that only allocates and frees does not carry it. Importing this entry (once,
 * anywhere in the thread) lets those methods run; without it they throw
 * `InspectNotLoadedError` (`ERR_INSPECT_NOT_LOADED`), naming the import. The layers that check
 * heaps themselves install it when they are set up (`createRc`, `createGc`, `enableDebug`, a
 * `BufferPool` or `KeptBytes`, the heap strategy, tracing's `start`, `htmlReport`), and so does
 * `arenalloc/threads` when it loads; none of them does anything at import time.
 *
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * import 'arenalloc/inspect';
 *
 * const heap = createHeap();
 * heap.free(heap.malloc(24));
 * heap.check(); // walks every pool, arena and chunk
 * console.log(heap.debugMallocStats());
 * ```
 *
 * @module arenalloc/inspect
 */

import { installInspect } from './install';

export { installInspect };

installInspect();
