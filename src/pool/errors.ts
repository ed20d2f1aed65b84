/**
 * The error debug mode raises when a released lease's payload was written: the bytes were
 * poisoned (0xDD) on release and are no longer all poison when the payload leaves quarantine or
 * the pool's `check()` looks at it. Every other misuse of a lease raises a core error
 * (`ERR_USE_AFTER_FREE`, `ERR_DOUBLE_FREE`, `ERR_INVALID_SIZE`, `ERR_INVALID_ARGUMENT`).
 *
 * @module
 */

import { UseAfterFreeError } from '../errors';

/** The byte debug mode writes over a released payload (the core debug mode's freed-memory fill). */
export const RELEASED_FILL = 0xdd;

/**
 * A write through the bytes of a released lease, found in debug mode. Its `code` is
 * `'ERR_USE_AFTER_FREE'`; `pointer` is the payload's address in its heap.
 */
export class LeaseWrittenAfterReleaseError extends UseAfterFreeError {
  /** Offset of the first overwritten byte from the start of the payload. */
  readonly offset: number;
  /** The lease's length in bytes when it was released. */
  readonly length: number;
  /** Where the lease was taken, when tracing or the pool's `traceLeases` option was on. */
  readonly site: string | undefined;

  /**
   * @param pointer - the payload's address @param offset - first bad byte, from the payload
   * @param length - the lease's length @param site - where it was taken, if known
   */
  constructor(pointer: number, offset: number, length: number, site: string | undefined) {
    super(
      `a released lease of ${length} bytes at ${pointer} was written after release (byte ${offset} is no longer 0xDD)${
        site === undefined ? '' : `; it was taken at\n${site}`
      }`,
      pointer,
    );
    this.offset = offset;
    this.length = length;
    this.site = site;
  }
}

/** Offset of the first byte of `u8[start, start + length)` that is not {@link RELEASED_FILL}, or -1. */
export function firstUnpoisoned(u8: Uint8Array, start: number, length: number): number {
  for (let i = 0; i < length; i++) if (u8[start + i] !== RELEASED_FILL) return i;
  return -1;
}
