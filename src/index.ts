/**
 * arenalloc: a private heap inside one ArrayBuffer, SharedArrayBuffer or WebAssembly.Memory,
 * managed by hand.
 *
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * const heap = createHeap();
 * const p = heap.malloc(64);
 * heap.free(p);
 * ```
 *
 * ## Reading the source
 *
 * Each layer opens with an essay on its design and invariants:
 *
 * - the facade, `Heap` and `createHeap`: `src/heap.ts`; routing by size and address: `src/route.ts`
 * - the header, every word of it for every layer: `src/layout.ts`
 * - small objects (pymalloc: arenas, pools, blocks): `src/small/layout.ts`
 * - large objects (TLSF): `src/large/tlsf.ts`
 * - the store and its views: `src/memory/store.ts`
 * - the port, the one door from the layers above into the core: `src/port.ts`
 * - the integrity walk (`arenalloc/inspect`): `src/inspect/check.ts`
 * - the threaded heap (`arenalloc/threads`): `src/threads/layout.ts`
 * - refcounted objects (`arenalloc/rc`): `src/rc/layout.ts`; the cycle detector (`arenalloc/gc`): `src/gc/`
 * - tracing and pictures (`arenalloc/profile`): `src/profile/tracer.ts`; debug mode: `src/debug/layer.ts`
 * - buffer pools, strategies, WebAssembly: `src/pool/pool.ts`, `src/strategies/allocator.ts`, `src/wasm/imports.ts`
 *
 * @module arenalloc
 */

export {
  ArenallocError,
  DoubleFreeError,
  type ErrorCode,
  HeapCorruptedError,
  InspectNotLoadedError,
  InvalidArgumentError,
  InvalidPointerError,
  InvalidSizeError,
  LayoutVersionError,
  NotAHeapError,
  NotThreadSafeError,
  OutOfMemoryError,
  StaleViewError,
  ThreadClosedError,
  ThreadLimitError,
  ThreadsActiveError,
  ThreadsNotLoadedError,
  UseAfterFreeError,
} from './errors';
export {
  type AttachOptions,
  createHeap,
  Heap,
  type HeapOptions,
  type HeapStats,
  MAX_REQUEST,
  type SmallClassStats,
  type SmallHeapStats,
} from './heap';
export type { StoreKind, StoreOptions, WasmMemory, WasmMemoryShape } from './memory/store';
