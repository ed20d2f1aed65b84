/**
 * `arenalloc/inspect`: the heap's integrity walk and its text report, kept out of the core bundle.
 *
 * `heap.check()` and `heap.debugMallocStats()` are methods of every heap, but their code is
 * here: a program that only allocates and frees does not carry it. Importing this entry (once,
 * anywhere in the thread) lets those methods run; without it they throw
 * `InspectNotLoadedError` (`ERR_INSPECT_NOT_LOADED`), naming the import. `arenalloc/rc`, `arenalloc/gc`,
 * `arenalloc/debug`, `arenalloc/pool`, `arenalloc/profile` and `arenalloc/strategies` check
 * heaps themselves, so they load it too.
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
 * @module
 */

import { installInspect } from './install';

export { installInspect };

installInspect();
