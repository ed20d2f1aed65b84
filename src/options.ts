/**
 * The options of {@link createHeap} and {@link Heap.attach}, and the checks on the tunables that
 * both apply (a header read by `attach` is held to the same rules as the options of `createHeap`).
 *
 * @module
 */

import type { InvalidArgumentError, ThreadsNotLoadedError } from './errors';
import type { createHeap, Heap } from './heap';
import type { StoreOptions } from './memory/store';

/** Options of {@link createHeap}. */
export interface HeapOptions extends StoreOptions {
  /**
   * Alignment of every payload, in bytes. MUST be 8 or 16. Use 8 only for 32-bit WASM layouts
   * that never store 16-byte vectors in the heap.
   * @defaultValue `16`
   */
  align?: 8 | 16;
  /**
   * Size in bytes of a pool of the small-object allocator: the unit that holds blocks of one size
   * class (requests of up to 512 bytes). MUST be a power of two from 4096 to 65536. Each pool
   * spends `32 + poolSize / align / 8` bytes (rounded up to `align`) on its header; larger pools
   * spend a smaller share on headers and on the tail that no whole block fills, smaller ones hold
   * less memory captive in a size class. CPython uses 16 KiB on 64-bit (4 KiB before 3.10).
   * @defaultValue `16384`
   */
  poolSize?: number;
  /**
   * Size in bytes of an arena of the small-object allocator: the unit it takes from (and gives
   * back to) the large-object heap, cut into pools. MUST be a power of two, at least 4 × `poolSize`,
   * at most 256 × `poolSize` and at most 16 MiB. CPython uses 1 MiB on 64-bit (256 KiB before
   * 3.10); the smaller default here suits heaps of a few MiB and returns memory in finer steps.
   * @defaultValue `262144`
   */
  arenaSize?: number;
  /**
   * Debug mode (guard bytes, fills, a free quarantine) lives in `arenalloc/debug`, which the core
   * does not import, so that a bundle of `createHeap` carries none of it. `createHeap` therefore
   * refuses `debug: true` with an {@link InvalidArgumentError} that says so; use
   * `createDebugHeap(options)` from `arenalloc/debug`, or `enableDebug(heap)` on a new heap.
   * @defaultValue `false`
   */
  debug?: boolean;
  /**
   * A null-pointer guard for a heap above a `base`: the first `guardLow` bytes of memory are
   * cleared when the heap is created, and {@link Heap.check} (and debug mode's checks) report any
   * byte there that is no longer zero as a null-pointer write: C code that wrote through a null
   * pointer plus a small offset (`p->field` with `p == NULL`). `true` guards the first 1024 bytes,
   * which wasm-ld leaves empty below a module's data (its default `--global-base`). MUST be a
   * multiple of 4 and at most `base`. These are the only bytes below `base` the heap touches.
   * @defaultValue `0` (no guard)
   */
  guardLow?: number | boolean;
  /**
   * Make a threaded heap: one heap that any number of threads use at once (see the workers
   * guide). Its code lives in `arenalloc/threads`, which the core does not import: a thread that
   * has not loaded it (`import 'arenalloc/threads'`) gets a {@link ThreadsNotLoadedError} here.
   * Each thread joins with `Heap.attach(heap.buffer)` and gets its own heap object;
   * pointers mean the same in every thread, and a block allocated in one may be freed, realloc'ed
   * or read in any other. Needs the `'shared'` store (a growable `SharedArrayBuffer`), which it
   * implies; any other `store` is an {@link InvalidArgumentError}. Refcounted objects, the cycle
   * detector and debug mode refuse a threaded heap (`NotThreadSafeError`).
   * @defaultValue `false`
   */
  threads?: boolean;
  /**
   * For a threaded heap: how many threads may be joined at once (each takes a slot of 576
   * bytes). MUST be an integer from 1 to 1024.
   * @defaultValue `64`
   */
  maxThreads?: number;
}

/** Options of {@link Heap.attach}. */
export interface AttachOptions {
  /**
   * Byte address where the heap begins: the `base` it was created with.
   * @defaultValue `0`
   */
  base?: number;
  /**
   * For a `WebAssembly.Memory`: the most the heap may grow it to, in bytes, when that is less than
   * the memory's own limit (see {@link StoreOptions.maxBytes}).
   * @defaultValue the memory's own limit
   */
  maxBytes?: number;
}

/** @internal Why a pool and arena size break the invariants of `src/small/layout.ts`, or null if they keep them. */
export function checkSmallTunables(poolSize: unknown, arenaSize: unknown): string | null {
  const pow2 = (n: unknown): n is number => typeof n === 'number' && n >>> 0 === n && n !== 0 && (n & (n - 1)) === 0;
  if (!pow2(poolSize) || poolSize < 4096 || poolSize > 65536) {
    return `poolSize must be a power of two from 4096 to 65536, got ${String(poolSize)}`;
  }
  if (!pow2(arenaSize) || arenaSize < 4 * poolSize || arenaSize > 256 * poolSize || arenaSize > 16 << 20) {
    return `arenaSize must be a power of two from 4 to 256 pools (of ${poolSize} bytes) and at most 16 MiB, got ${String(arenaSize)}`;
  }
  return null;
}
