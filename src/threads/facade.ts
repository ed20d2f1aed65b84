/**
 * The heap object of a threaded heap: a `Heap` whose `malloc` and `free` go straight to this
 * thread's allocator ({@link ThreadedAllocator}), made by the threads port instead of the core's
 * `new Heap` (`ThreadsPort.heap` in `src/heap.ts`).
 *
 * Why a subclass: the core's `Heap.malloc` and `Heap.free` write the single-threaded fast path
 * inline and leave everything else, hooks included, to `_mallocRest` / `_freeRest`. A threaded
 * heap installed as hooks therefore paid the failed inline test, the out-of-line rest (which
 * validates the argument a second time) and then the hook: 1.49× the single-threaded heap's
 * instructions per pair on A′ and 1.27× on B. Here the two entries validate once and call the
 * current hook, which on an open thread is its allocator; V8 sees one receiver map there and
 * inlines the allocator's fast path. The core's inline path is not touched, so a program that
 * never loads `arenalloc/threads` runs exactly the code it ran before; one that uses both kinds of
 * heap at one call site sees two receiver maps there, as it would for any two classes.
 *
 * `_hooks` stays the state machine of the thread's heap object: the allocator while the thread
 * is joined, the closed or parked entries after `close()` / `park()`, a layer that wraps the
 * allocator while one is installed. Every other entry (`calloc`, `realloc`, `usableSize`, ...) is
 * the core's, through `_hooks` as for any hooked heap.
 *
 * @internal
 * @module
 */

import { OUT_OF_MEMORY_HINT, OutOfMemoryError } from '../errors';
import { Heap, type HeapHooks, MAX_REQUEST } from '../heap';

/** The heap object of one thread of a threaded heap. @internal */
export class ThreadedHeap extends Heap {
  override malloc(size: number): number {
    if (typeof size === 'number' && size >>> 0 === size && size <= MAX_REQUEST) {
      const ptr = (this._hooks as HeapHooks).malloc(size);
      if (ptr !== 0) return ptr;
      throw outOfMemory(size);
    }
    // A bad size: the core's rest throws the typed error.
    return this._mallocRest(size);
  }

  override free(ptr: number): void {
    if (typeof ptr === 'number' && ptr >>> 0 === ptr && ptr !== 0) (this._hooks as HeapHooks).free(ptr);
    else this._freeRest(ptr);
  }
}

// Out of the entry: a template literal counts against V8's budget for inlining the function
// that holds it, even on a branch that never runs.
function outOfMemory(size: number): OutOfMemoryError {
  return new OutOfMemoryError(`out of memory: cannot allocate ${size} bytes${OUT_OF_MEMORY_HINT}`, size);
}
