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
