/**
 * The one interface every strategy implements, and the checks they share.
 *
 * A strategy is an allocator over one buffer of its own (the `uint8array` reference row excepted:
 * it is the JS garbage collector). Pointers are byte offsets into that buffer, 0 is null, as in the
 * heap. Every public entry validates its arguments and throws a typed error (`ArenallocError`
 * subclasses) that leaves the allocator as it was.
 *
 * @module
 */

import { InvalidPointerError, InvalidSizeError, OutOfMemoryError } from '../errors';

/** The names of the strategies, as the command line and every report spell them. */
export type StrategyName = 'bump' | 'buddy' | 'first-fit' | 'segregated' | 'tlsf' | 'heap' | 'uint8array';

/** Every strategy name, in the order reports list them. */
export const STRATEGY_NAMES: readonly StrategyName[] = ['bump', 'buddy', 'first-fit', 'segregated', 'tlsf', 'heap', 'uint8array'];

/**
 * An allocation strategy behind the interface a trace replay drives.
 *
 * @example
 * ```ts
 * import { createStrategy } from 'arenalloc/strategies';
 * const a = createStrategy('first-fit');
 * const p = a.malloc(100);
 * if (a.usableSize(p) < 100) throw new Error('too small');
 * a.free(p);
 * a.check();
 * ```
 */
export interface Allocator {
  /** The strategy's name (one of {@link StrategyName} for the built-in ones). */
  readonly name: string;
  /**
   * Allocates `size` bytes; returns a non-zero pointer.
   * @throws InvalidSizeError for a size that is not an integer from 0 to 2^32 − 1
   * @throws OutOfMemoryError when the buffer cannot grow enough; nothing changes
   */
  malloc(size: number): number;
  /**
   * Frees a live block; `free(0)` does nothing.
   * @throws InvalidPointerError for a pointer that is no live block's start
   * @throws DoubleFreeError for a block already freed (where the strategy can tell)
   */
  free(ptr: number): void;
  /**
   * Resizes a live block, keeping its first `min(old, size)` bytes; returns its new address.
   * `realloc(0, size)` is `malloc(size)`. On failure the old block stays live and unchanged.
   */
  realloc(ptr: number, size: number): number;
  /** Bytes the live block at `ptr` can hold (at least what was asked for). */
  usableSize(ptr: number): number;
  /** Frees every block at once, where the strategy can (bump, for one). */
  reset?(): void;
  /** Bytes of backing memory the strategy holds now: its buffer's length, for the in-buffer ones. */
  footprint(): number;
  /** Bytes inside the footprint that hold neither a live block nor the strategy's own metadata. */
  freeBytes(): number;
  /** A view of `length` bytes of the live block at `ptr`, for reading and writing its contents. */
  bytes(ptr: number, length: number): Uint8Array;
  /**
   * Walks the strategy's structures and throws `HeapCorruptedError` naming the first broken
   * invariant. O(size of the buffer): for tests.
   */
  check(): void;
}

/**
 * Options every in-buffer strategy takes: how large its buffer starts and how far it may grow
 * (a growable `SharedArrayBuffer` where the runtime has one, else a resizable `ArrayBuffer`).
 */
export interface StrategyOptions {
  /**
   * Initial size of the buffer in bytes; rounded up to a multiple of 64 KiB.
   * @defaultValue `1048576` (1 MiB)
   */
  initialBytes?: number;
  /**
   * The most the buffer may grow to, in bytes; rounded up to a multiple of 64 KiB. MUST be at
   * least `initialBytes` and at most 4 GiB − 64 KiB.
   * @defaultValue `268435456` (256 MiB)
   */
  maxBytes?: number;
}

/** Largest size a request may name. */
export const MAX_SIZE = 0xffff_ffff;

/** Throws InvalidSizeError unless `size` is an integer from 0 to MAX_SIZE. @internal */
export function checkSize(size: number): void {
  if (typeof size !== 'number' || size >>> 0 !== size) {
    throw new InvalidSizeError(`size must be an integer from 0 to ${MAX_SIZE}, got ${String(size)}`);
  }
}

/** Throws InvalidPointerError unless `ptr` is a non-negative 32-bit integer. @internal */
export function checkPointerType(ptr: number): void {
  if (typeof ptr !== 'number' || ptr >>> 0 !== ptr) throw new InvalidPointerError(`not a pointer: ${String(ptr)}`, undefined);
}

/** The error for a pointer that is no live block of `strategy`. @internal */
export function notABlock(strategy: string, ptr: number): InvalidPointerError {
  return new InvalidPointerError(`${strategy}: ${ptr} is not the start of a live block`, ptr);
}

/** The error for a request the buffer cannot hold. @internal */
export function outOfMemory(strategy: string, size: number): OutOfMemoryError {
  return new OutOfMemoryError(`${strategy}: out of memory: cannot allocate ${size} bytes`, size);
}

/** The tag word of a block header at `block`: marks a real block start (see each strategy). @internal */
export function tagOf(block: number, key: number): number {
  return (block ^ key) >>> 0;
}

/** Rounds `n` up to a multiple of `to` (a power of two). @internal */
export function roundUp(n: number, to: number): number {
  return n + (-n & (to - 1));
}
