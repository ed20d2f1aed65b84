/**
 * The WebAssembly fast path of `wasmImports`: `malloc`, `calloc`, `free`, `aligned_alloc` and
 * `posix_memalign`, compiled from `src/wasm/core/core.c` (read its opening comment), over the heap's own pool
 * structures in the module's memory.
 *
 * Why it exists: a module that imports a JavaScript function pays a WebAssembly → JavaScript
 * call on every use, and for an allocator that call costs more than the allocation (measured in
 * the WebAssembly guide). A WebAssembly function passed as the import is a direct call. The
 * fast path does what the JavaScript heap's own fast paths do, word for word, and hands every
 * other case to the JavaScript imports (`slow_malloc`, `slow_free`, `slow_calloc`) before it
 * writes anything, so the heap never knows which of the two served a call.
 *
 * It is off (every call goes to JavaScript) until {@link enableCore} points it at a heap, and
 * while the heap has hooks installed (tracing, debug mode, measure, trace recording), which the
 * module's calls must go through: a watch on the heap's hooks turns it off and on.
 *
 * @internal
 * @module
 */

import type { Heap } from '../heap';
import type { WasmMemory } from '../memory/store';
import { hooksOf, maxLargeRequest, watchHooks } from '../port';
import { CORE_WASM_BASE64 } from './core-bytes';

/** The exports of core.wasm. Arguments and results are i32: JavaScript reads a result as signed. */
export interface CoreExports {
  core_enable(base: number, maxLarge: number): number;
  core_set_on(on: number): void;
  malloc(size: number): number;
  free(ptr: number): void;
  calloc(count: number, size: number): number;
  aligned_alloc(alignment: number, size: number): number;
  posix_memalign(out: number, alignment: number, size: number): number;
}

/** What the fast path calls for everything it does not do itself: the JavaScript imports. */
export interface SlowPath {
  malloc(size: number): number;
  free(ptr: number): void;
  calloc(count: number, size: number): number;
  aligned_alloc(alignment: number, size: number): number;
  posix_memalign(out: number, alignment: number, size: number): number;
}

let compiled: WebAssembly.Module | null | undefined;

/** core.wasm, compiled once per process; null where this runtime cannot compile it. */
function coreModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const text = atob(CORE_WASM_BASE64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      compiled = new WebAssembly.Module(bytes);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * An instance of the fast path over `memory`, off, calling `slow` for what it does not do; null
 * when it cannot serve this memory: a shared memory (its module imports an unshared one, and a
 * heap in a shared memory may have other threads in it), or a runtime without WebAssembly.
 */
export function instantiateCore(memory: WasmMemory, slow: SlowPath): CoreExports | null {
  if (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer) return null;
  const module = coreModule();
  if (module === null) return null;
  try {
    const instance = new WebAssembly.Instance(module, {
      env: { memory: memory as WebAssembly.Memory },
      arenalloc: {
        slow_malloc: slow.malloc,
        slow_free: slow.free,
        slow_calloc: slow.calloc,
        slow_aligned_alloc: slow.aligned_alloc,
        slow_posix_memalign: slow.posix_memalign,
      },
    });
    return instance.exports as unknown as CoreExports;
  } catch {
    return null;
  }
}

/** The fast-path instances serving each heap, told when its hooks change. */
const served = new WeakMap<Heap, CoreExports[]>();

/**
 * Points `core` at `heap` (whose memory it was instantiated over) and turns it on while the heap
 * has no hooks. Returns false, leaving it off, when the heap's layout is not the one core.wasm
 * was compiled for.
 *
 * The hooks are watched through the port (`watchHooks`), which passes every change on.
 */
export function enableCore(core: CoreExports, heap: Heap): boolean {
  if (core.core_enable(heap.base, maxLargeRequest(heap)) !== 1) return false;
  let cores = served.get(heap);
  if (cores === undefined) {
    const list: CoreExports[] = [];
    cores = list;
    served.set(heap, list);
    watchHooks(heap, (next) => {
      for (const c of list) c.core_set_on(next === null ? 1 : 0);
    });
  }
  cores.push(core);
  core.core_set_on(hooksOf(heap) === null ? 1 : 0);
  return true;
}
