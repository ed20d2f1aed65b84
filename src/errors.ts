/**
 * Typed errors. Every error arenalloc throws is an {@link ArenallocError} with a stable
 * {@link ArenallocError.code | code}; a call that throws has changed no state.
 *
 * @module
 */

/** Every error code arenalloc can raise. Codes are stable across versions. */
export type ErrorCode =
  | 'ERR_INVALID_POINTER'
  | 'ERR_DOUBLE_FREE'
  | 'ERR_OUT_OF_MEMORY'
  | 'ERR_INVALID_SIZE'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_HEAP_CORRUPTED'
  | 'ERR_USE_AFTER_FREE'
  | 'ERR_NOT_A_HEAP'
  | 'ERR_LAYOUT_VERSION'
  | 'ERR_STALE_VIEW'
  | 'ERR_THREADS_ACTIVE'
  | 'ERR_THREAD_CLOSED'
  | 'ERR_THREAD_LIMIT'
  | 'ERR_NOT_THREAD_SAFE'
  | 'ERR_THREADS_NOT_LOADED'
  | 'ERR_INSPECT_NOT_LOADED';

/**
 * Base class of every error arenalloc throws.
 *
 * @example
 * ```ts
 * try { heap.free(12345); } catch (e) {
 *   if (e instanceof ArenallocError && e.code === 'ERR_INVALID_POINTER') { ... }
 * }
 * ```
 */
export class ArenallocError extends Error {
  /** Stable machine-readable code; match on this, not on the message. */
  readonly code: ErrorCode;
  /** The pointer the failed call was given, when it was given one. */
  readonly pointer: number | undefined;

  /**
   * @param code - the stable error code
   * @param message - a human-readable explanation
   * @param pointer - the pointer involved, if any
   */
  constructor(code: ErrorCode, message: string, pointer?: number) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.pointer = pointer;
  }
}

/** A pointer that is not the start of a live block of this heap (foreign, interior, misaligned). */
export class InvalidPointerError extends ArenallocError {
  /** @param message - what was wrong @param pointer - the pointer */
  constructor(message: string, pointer?: number) {
    super('ERR_INVALID_POINTER', message, pointer);
  }
}

/** A pointer to a block that has already been freed. */
export class DoubleFreeError extends ArenallocError {
  /** @param message - what was wrong @param pointer - the pointer */
  constructor(message: string, pointer?: number) {
    super('ERR_DOUBLE_FREE', message, pointer);
  }
}

/**
 * @internal What to do about an interior pointer: the common one is an `arenalloc/rc` object
 * pointer, which points past the object's header, handed to `heap.free`.
 */
export const RC_HINT = ' (if it is an arenalloc/rc object, release it with rc.release(ptr): heap.free takes only pointers from malloc)';

/** @internal What to do about an allocation that does not fit. */
export const OUT_OF_MEMORY_HINT =
  " (the store cannot grow that far: raise createHeap's maxBytes option, or use a growable store, or free blocks first)";

/** The backing store is full and cannot grow far enough for the request. */
export class OutOfMemoryError extends ArenallocError {
  /** The number of bytes that were asked for. */
  readonly requested: number;
  /** @param message - what was wrong @param requested - the bytes asked for */
  constructor(message: string, requested: number) {
    super('ERR_OUT_OF_MEMORY', message);
    this.requested = requested;
  }
}

/** A size that is not a non-negative safe integer within the heap's maximum request. */
export class InvalidSizeError extends ArenallocError {
  /** @param message - what was wrong */
  constructor(message: string) {
    super('ERR_INVALID_SIZE', message);
  }
}

/** An option or argument of the wrong type or out of range. */
export class InvalidArgumentError extends ArenallocError {
  /** The name of the parameter that was wrong (`'heap'`, `'ptr'`, `'index'`, ...), when known. */
  readonly argument: string | undefined;
  /** @param message - what was wrong @param argument - the parameter's name, if known */
  constructor(message: string, argument?: string) {
    super('ERR_INVALID_ARGUMENT', message);
    this.argument = argument;
  }
}

/** `check()` or a hot path found a structure of the heap that breaks an invariant. */
export class HeapCorruptedError extends ArenallocError {
  /** @param message - what was found @param pointer - where, if known */
  constructor(message: string, pointer?: number) {
    super('ERR_HEAP_CORRUPTED', message, pointer);
  }
}

/**
 * @internal What a corruption found by `check()` usually is, and the tool that finds its cause;
 * appended to the messages of damaged free lists.
 */
export const CORRUPTION_HINT =
  ' (a write after free or past the end of a block? arenalloc/debug, createDebugHeap(), reports such writes at the next free or check, with the block)';

/** A handle or view used after the memory it refers to was freed. */
export class UseAfterFreeError extends ArenallocError {
  /** @param message - what was wrong @param pointer - the pointer */
  constructor(message: string, pointer?: number) {
    super('ERR_USE_AFTER_FREE', message, pointer);
  }
}

/** `Heap.attach` was given a buffer that does not hold a heap (or a truncated one). */
export class NotAHeapError extends ArenallocError {
  /** @param message - what was wrong */
  constructor(message: string) {
    super('ERR_NOT_A_HEAP', message);
  }
}

/** `Heap.attach` was given a heap written with another layout version. */
export class LayoutVersionError extends ArenallocError {
  /** The layout version found in the buffer. */
  readonly found: number;
  /** @param message - what was wrong @param found - the version in the buffer */
  constructor(message: string, found: number) {
    super('ERR_LAYOUT_VERSION', message);
    this.found = found;
  }
}

/** A view handed out before the backing store grew or shrank is no longer valid. */
export class StaleViewError extends ArenallocError {
  /** @param message - what was wrong */
  constructor(message: string) {
    super('ERR_STALE_VIEW', message);
  }
}

/**
 * A call on a threaded heap that needs the other threads to stand still: `check()` while another
 * joined thread is neither parked nor closed, or `reclaim()` of the calling thread itself.
 * Nothing changed; park the other threads (`heap.park()`) first.
 */
export class ThreadsActiveError extends ArenallocError {
  /** The thread (slot) that is still active, when one is named. */
  readonly threadId: number | undefined;
  /** @param message - what was wrong @param threadId - the active thread, if known */
  constructor(message: string, threadId?: number) {
    super('ERR_THREADS_ACTIVE', message);
    this.threadId = threadId;
  }
}

/**
 * A threaded heap's object used after its thread gave its place back: after `heap.close()`,
 * while it is parked (`heap.park()`), or after another thread reclaimed its slot. Nothing changed.
 */
export class ThreadClosedError extends ArenallocError {
  /** @param message - what was wrong */
  constructor(message: string) {
    super('ERR_THREAD_CLOSED', message);
  }
}

/** `Heap.attach` of a threaded heap whose thread slots are all taken. Nothing changed. */
export class ThreadLimitError extends ArenallocError {
  /** The number of slots the heap was created with (`maxThreads`). */
  readonly maxThreads: number;
  /** @param message - what was wrong @param maxThreads - the heap's slot count */
  constructor(message: string, maxThreads: number) {
    super('ERR_THREAD_LIMIT', message);
    this.maxThreads = maxThreads;
  }
}

/**
 * A layer that is single-threaded for now (refcounted objects, the cycle detector, debug mode)
 * was asked to work on a threaded heap, which it would corrupt. Nothing changed.
 */
export class NotThreadSafeError extends ArenallocError {
  /** @param message - what was wrong */
  constructor(message: string) {
    super('ERR_NOT_THREAD_SAFE', message);
  }
}

/**
 * `createHeap({ threads: true })`, or `Heap.attach` of a threaded heap, in a thread that has not
 * loaded the threaded heap: it lives in `arenalloc/threads`, which the core does not import so
 * that a program without threads does not bundle it. Add `import 'arenalloc/threads';` to every
 * thread (the main thread and each worker) that makes or joins a threaded heap. Nothing changed.
 */
export class ThreadsNotLoadedError extends ArenallocError {
  /** @param message - what was wrong */
  constructor(message: string) {
    super('ERR_THREADS_NOT_LOADED', message);
  }
}

/**
 * `heap.check()` or `heap.debugMallocStats()` in a thread that has not loaded their code: the
 * integrity walk and the text report live in `arenalloc/inspect`, which the core does not import
 * so that a program that only allocates and frees does not bundle them. Add
 * `import 'arenalloc/inspect';` once in the thread (the layers that check heaps, such as
 * `createRc` or `enableDebug`, install it when they are set up). Nothing changed.
 */
export class InspectNotLoadedError extends ArenallocError {
  /** @param message - what was wrong */
  constructor(message: string) {
    super('ERR_INSPECT_NOT_LOADED', message);
  }
}

/** How a value of the wrong type reads in an error message. @internal */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'bigint') return `the bigint ${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return `a ${typeof value}`;
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

/**
 * Throws {@link InvalidArgumentError} (naming `argument` and the entry `where`) unless `value`
 * is a heap. Duck-typed on the heap's internal views, so that a heap made by another copy of the
 * library (an ESM and a CJS build side by side) is accepted. @internal
 */
export function expectHeap(value: unknown, where: string, argument = 'heap'): void {
  if (typeof value !== 'object' || value === null || !('_mem' in value) || !('_small' in value) || !('_large' in value)) {
    throw new InvalidArgumentError(`${where}: ${argument} must be a Heap, got ${describeValue(value)}`, argument);
  }
}

/**
 * Throws {@link NotThreadSafeError} if `heap` is a threaded heap: for the layers that are
 * single-threaded for now (rc, gc, debug mode), which would corrupt one. @internal
 */
export function expectSingleThreaded(heap: { _threads: unknown }, where: string): void {
  if (heap._threads !== null && heap._threads !== undefined) {
    throw new NotThreadSafeError(
      `${where}: the heap is threaded (createHeap({ threads: true })), and ${where} works on single-threaded heaps only for now`,
    );
  }
}

/** Throws {@link InvalidArgumentError} unless `value` is a uint32 (a pointer's type). @internal */
export function expectPointer(value: unknown, where: string, argument = 'ptr'): void {
  if (typeof value !== 'number' || value >>> 0 !== value) {
    throw new InvalidArgumentError(
      `${where}: ${argument} must be a pointer (an integer from 0 to 2^32 - 1), got ${describeValue(value)}`,
      argument,
    );
  }
}
