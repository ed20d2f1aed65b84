/**
 * The C allocation functions a WASM module imports, served by a heap in the module's memory.
 *
 * A module compiled from C (or C++, Rust, Zig) calls `malloc` and friends with C's contract, not
 * JavaScript's: sizes and pointers arrive as i32, which JavaScript reads as signed (so every
 * argument is read back as unsigned with `>>> 0`, and a pointer past 2 GiB still works); failure
 * is a null pointer, never an exception, because an exception unwinds through C frames that
 * cannot clean up. Only a bad `free` or `realloc` (a foreign, interior or already freed pointer)
 * is different: glibc aborts the program there, and so, by default, does this, by calling
 * `onError`, whose default throws.
 *
 * @module
 */

import { InvalidArgumentError, OutOfMemoryError } from '../errors';
import { Heap, MAX_REQUEST } from '../heap';
import type { WasmMemory } from '../memory/store';
import { allocate, memoryOf, release } from '../port';
import { type CoreExports, enableCore, instantiateCore } from './core';

/** WASI's `EINVAL`: `posix_memalign` was given an alignment that is not a power-of-two multiple of 4. */
export const EINVAL = 28;
/** WASI's `ENOMEM`: `posix_memalign` found no memory. */
export const ENOMEM = 48;

/** Largest alignment the heap serves (`Heap.alignedAlloc`): 1 MiB. */
const MAX_ALIGNMENT = 1 << 20;

/** Options of {@link wasmImports}. */
export interface WasmImportsOptions {
  /**
   * Called with the typed error of a bad `free`, `realloc` or `malloc_usable_size` (a pointer
   * that is not a live block: foreign, interior, misaligned, already freed; or, in debug mode,
   * a block whose guard bytes were overwritten). Throwing aborts the module's call, as glibc
   * aborts on a bad free; a handler that returns makes the call return 0, having changed
   * nothing. Never called for out of memory, which is a 0 result.
   * @defaultValue a function that throws the error
   */
  onError?: (error: Error) => void;
  /**
   * Serve small `malloc`, `calloc` and `free` calls in WebAssembly: the three functions returned
   * are then WebAssembly functions (a module that imports them calls them directly, without
   * entering JavaScript), which do what the heap's own fast paths do over the same memory and
   * hand every other call (large blocks, a new arena, a bad pointer, hooks installed) to the
   * JavaScript imports. Has no effect on a heap in a shared memory, which always gets the
   * JavaScript imports. Called from JavaScript, these functions return an i32 (a pointer past
   * 2 GiB reads as negative: use `>>> 0`); set `false` for JavaScript functions throughout.
   * @defaultValue true
   */
  fastPath?: boolean;
  /**
   * For the form that takes a function returning the heap: the memory the heap will be made in.
   * With it, that form gets the fast path too ({@link WasmImportsOptions.fastPath}), turned on
   * at the first call, once the heap exists; without it, that form has JavaScript imports only.
   */
  memory?: WasmMemory;
}

/**
 * The functions {@link wasmImports} returns: C's allocation functions over one heap, with
 * every argument a 32-bit unsigned integer. Pass the object as a module's `env` imports as it
 * is (it holds `memory` too). Results are 32-bit unsigned too, except those of `malloc` and
 * `calloc` when they are the WebAssembly fast path ({@link WasmImportsOptions.fastPath}): called
 * from JavaScript, these return an i32, so read an address with `>>> 0` (a module reads them
 * the same either way).
 */
export interface WasmImports {
  /** `void *malloc(size_t size)`: a block of `size` bytes, or 0. */
  malloc(size: number): number;
  /** `void free(void *ptr)`: frees `ptr`; `free(0)` does nothing. */
  free(ptr: number): void;
  /** `void *calloc(size_t count, size_t size)`: `count × size` zero bytes, or 0 (also when the product overflows). */
  calloc(count: number, size: number): number;
  /** `void *realloc(void *ptr, size_t size)`: moves or resizes; `realloc(0, n)` is `malloc(n)`; `realloc(p, 0)` frees `p` and returns 0; 0 on failure with `ptr` untouched. */
  realloc(ptr: number, size: number): number;
  /** `void *aligned_alloc(size_t alignment, size_t size)`: a block at a multiple of `alignment` (a power of two up to 1 MiB), or 0. */
  aligned_alloc(alignment: number, size: number): number;
  /** `int posix_memalign(void **out, size_t alignment, size_t size)`: writes the block to `*out` and returns 0, or returns {@link EINVAL} or {@link ENOMEM} with `*out` untouched. */
  posix_memalign(out: number, alignment: number, size: number): number;
  /** `size_t malloc_usable_size(void *ptr)`: the bytes the block can hold; 0 for `ptr == 0`. */
  malloc_usable_size(ptr: number): number;
  /** The heap's `WebAssembly.Memory`, for a module that imports `env.memory`. */
  readonly memory: WasmMemory;
}

function rethrow(error: Error): void {
  throw error;
}

/** The functions of {@link WasmImports} without `memory`: what {@link wasmImports} returns for a heap made later. */
export type WasmAllocatorImports = Omit<WasmImports, 'memory'>;

/**
 * C's allocation functions (`malloc`, `free`, `calloc`, `realloc`, `aligned_alloc`,
 * `posix_memalign`, `malloc_usable_size`) over `heap`, with the C contract: arguments read as
 * unsigned 32-bit, 0 for failure, no exception except from `onError`. Use it to make arenalloc
 * the malloc of a module compiled with its allocator imported, so that the module's blocks and
 * the blocks JavaScript allocates for it come from one heap in one memory.
 *
 * The heap must live in a `WebAssembly.Memory` (`store: 'wasm'`), normally above the module's
 * data and stack: `createHeap({ store: 'wasm', memory, base: __heap_base })`. Debug mode and
 * tracing apply to the module's calls as to any others.
 *
 * A module's `__heap_base` is known only once it is instantiated, and instantiation needs the
 * imports: pass a function that returns the heap instead, and make the heap after instantiating
 * (before the module's first allocation). The function is called once, at the first call of
 * any import; the result then has no `memory` (give the module the memory you made), and it has
 * the WebAssembly fast path only when `options.memory` names that memory.
 *
 * Small `malloc`, `calloc` and `free` calls are served in WebAssembly by default (see
 * {@link WasmImportsOptions.fastPath}): the module's calls then never enter JavaScript, except
 * for large blocks, new arenas, bad pointers, and while hooks (tracing, debug mode) are on.
 *
 * @param heap - the heap to allocate from, or a function that returns it
 * @throws {@link arenalloc!InvalidArgumentError} when the heap does not live in a `WebAssembly.Memory`
 *   (for a function: at the first import call)
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * import { wasmImports } from 'arenalloc/wasm';
 * const heap = createHeap({ store: 'wasm', base: 65536 });
 * const env = wasmImports(heap); // WebAssembly.instantiate(bytes, { env })
 * const p = env.malloc(-1 >>> 0); // 4 GiB - 1 bytes: no such block, and no exception
 * if (p !== 0 || env.realloc(0, 16) === 0) throw new Error('C contract');
 * ```
 */
export function wasmImports(heap: Heap, options?: WasmImportsOptions): WasmImports;
export function wasmImports(heap: () => Heap, options?: WasmImportsOptions): WasmAllocatorImports;
/* @__NO_SIDE_EFFECTS__ */
export function wasmImports(source: Heap | (() => Heap), options: WasmImportsOptions = {}): WasmImports | WasmAllocatorImports {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  const onError = options.onError ?? rethrow;
  if (typeof onError !== 'function') throw new InvalidArgumentError('onError must be a function');
  const fastPath = options.fastPath ?? true;
  if (typeof fastPath !== 'boolean') throw new InvalidArgumentError('fastPath must be a boolean');
  if (typeof source === 'function') {
    const memory = options.memory ?? null;
    // Forwarders that resolve the heap at the first call; each later call is one null test and
    // a call to the real import.
    let real: WasmImports | null = null;
    let core: CoreExports | null = null;
    const get = (): WasmImports => {
      if (real === null) {
        const heap = source();
        real = importsOver(heap, onError);
        if (core !== null && heap.memory === memory) enableCore(core, heap);
      }
      return real;
    };
    const forwarders: WasmAllocatorImports = {
      malloc: (size) => (real ?? get()).malloc(size),
      free: (ptr) => (real ?? get()).free(ptr),
      calloc: (count, size) => (real ?? get()).calloc(count, size),
      realloc: (ptr, size) => (real ?? get()).realloc(ptr, size),
      aligned_alloc: (alignment, size) => (real ?? get()).aligned_alloc(alignment, size),
      posix_memalign: (out, alignment, size) => (real ?? get()).posix_memalign(out, alignment, size),
      malloc_usable_size: (ptr) => (real ?? get()).malloc_usable_size(ptr),
    };
    if (!fastPath || memory === null) return forwarders;
    core = instantiateCore(memory, forwarders);
    return core === null ? forwarders : withCore(forwarders, core);
  }
  const imports = importsOver(source, onError);
  if (!fastPath) return imports;
  const core = instantiateCore(imports.memory, imports);
  if (core === null || !enableCore(core, source)) return imports;
  return withCore(imports, core);
}

/** `imports` with the functions the WebAssembly fast path serves replaced by its own. */
function withCore<T extends WasmAllocatorImports>(imports: T, core: CoreExports): T {
  return {
    ...imports,
    malloc: core.malloc,
    free: core.free,
    calloc: core.calloc,
    aligned_alloc: core.aligned_alloc,
    posix_memalign: core.posix_memalign,
  };
}

function importsOver(heap: Heap, onError: (error: Error) => void): WasmImports {
  const memory = heap instanceof Heap ? heap.memory : null;
  if (memory === null) throw new InvalidArgumentError("wasmImports needs a heap in a WebAssembly.Memory (store: 'wasm')");

  // `>>> 0` makes every argument an unsigned 32-bit integer, which is what the heap's raw entries
  // take (the public ones would test that again): the hooks of tracing and debug mode, when
  // installed, stand in for the raw entries exactly as the public entries would call them.
  const malloc = (size: number): number => {
    const n = size >>> 0;
    if (n > MAX_REQUEST) return 0;
    return allocate(heap, n);
  };

  const free = (ptr: number): void => {
    const p = ptr >>> 0;
    if (p === 0) return;
    try {
      release(heap, p);
    } catch (error) {
      onError(error as Error);
    }
  };

  const calloc = (count: number, size: number): number => {
    const total = (count >>> 0) * (size >>> 0); // exact: below 2^64, and compared before use
    if (total > MAX_REQUEST) return 0;
    try {
      return heap.calloc(1, total);
    } catch (error) {
      if (error instanceof OutOfMemoryError) return 0;
      throw error;
    }
  };

  const realloc = (ptr: number, size: number): number => {
    const p = ptr >>> 0;
    const n = size >>> 0;
    if (p === 0) return malloc(n);
    if (n === 0) {
      free(p);
      return 0;
    }
    if (n > MAX_REQUEST) {
      // No block can be that large; but a bad pointer is still reported as such.
      if (!heap.isLive(p)) checkPointer(heap, p, onError);
      return 0;
    }
    try {
      return heap.realloc(p, n);
    } catch (error) {
      if (!(error instanceof OutOfMemoryError)) onError(error as Error);
      return 0;
    }
  };

  const alignedAlloc = (alignment: number, size: number): number => {
    const a = alignment >>> 0;
    const n = size >>> 0;
    if (a === 0 || (a & (a - 1)) !== 0 || a > MAX_ALIGNMENT || n > MAX_REQUEST) return 0;
    try {
      return heap.alignedAlloc(n, a);
    } catch (error) {
      if (error instanceof OutOfMemoryError) return 0;
      throw error;
    }
  };

  const posixMemalign = (out: number, alignment: number, size: number): number => {
    const at = out >>> 0;
    const a = alignment >>> 0;
    if (a < 4 || (a & (a - 1)) !== 0 || a > MAX_ALIGNMENT) return EINVAL;
    const p = alignedAlloc(a, size);
    if (p === 0) return ENOMEM;
    // The allocation may have grown the memory: write through the views as they are now.
    const mem = memoryOf(heap);
    mem.reach(at + 3);
    const u8 = mem.u8;
    if (at === 0 || at + 4 > u8.length) {
      heap.free(p);
      return EINVAL;
    }
    u8[at] = p & 0xff;
    u8[at + 1] = (p >>> 8) & 0xff;
    u8[at + 2] = (p >>> 16) & 0xff;
    u8[at + 3] = p >>> 24;
    return 0;
  };

  const usableSize = (ptr: number): number => {
    const p = ptr >>> 0;
    if (p === 0) return 0;
    try {
      return heap.usableSize(p);
    } catch (error) {
      onError(error as Error);
      return 0;
    }
  };

  return {
    malloc,
    free,
    calloc,
    realloc,
    aligned_alloc: alignedAlloc,
    posix_memalign: posixMemalign,
    malloc_usable_size: usableSize,
    memory,
  };
}

/** Reports `ptr`, known not to be a live block, through `onError` with the heap's own typed error. */
function checkPointer(heap: Heap, ptr: number, onError: (error: Error) => void): void {
  try {
    heap.usableSize(ptr);
  } catch (error) {
    onError(error as Error);
  }
}
