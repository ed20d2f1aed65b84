/**
 * What debug mode puts around every block, and where.
 *
 * Debug mode asks the allocator underneath for more than the caller did and lays the block out
 * like CPython's `PYTHONMALLOC=debug`:
 *
 * ```
 *  inner ─▶ ┌───────────────────────────────────────────────────────────────────┐
 *           │ alignment padding, 0xFD (only for alignedAlloc above heap.align)  │
 *  header ▶ ├────────────┬────────────┬────────────┬───────────────────────────┤
 *           │ requested  │ serial     │ offset     │ checksum                  │  16 bytes
 *           ├────────────┴────────────┴────────────┴───────────────────────────┤
 *           │ leading guard: `guardBytes` of 0xFD                               │
 *  user  ─▶ ├───────────────────────────────────────────────────────────────────┤
 *           │ the caller's `requested` bytes: 0xCD when new, 0xDD once freed    │
 *           ├───────────────────────────────────────────────────────────────────┤
 *           │ trailing guard: 0xFD from user + requested to the end of the      │
 *           │ inner block (at least `guardBytes`, more when the allocator       │
 *           │ rounded the request up)                                           │
 *           └───────────────────────────────────────────────────────────────────┘
 * ```
 *
 * - `inner` is what the allocator underneath returned; `user` is what the caller gets. Since the
 *   header is 16 bytes and `guardBytes` is a multiple of the heap's alignment, `user` keeps the
 *   alignment of `inner`.
 * - `offset` is `user - inner`, so that `free` finds the inner block of an aligned allocation.
 * - `serial` numbers the allocations of the debug layer (1, 2, ...), like CPython's serial number:
 *   an error that names it lets a rerun of a deterministic program stop at that allocation.
 * - `checksum` mixes the pointer, the three words and the block's state (live or freed), so that
 *   an underrun that reaches past the leading guard into the header is caught, and a header is
 *   never trusted after it was overwritten.
 *
 * The trailing guard reaches to the end of the inner block so that any write past the requested
 * size, even one into the allocator's rounding slack, is caught.
 *
 * @internal
 * @module
 */

/** Bytes of the debug header in front of the leading guard. */
export const DEBUG_HEADER = 16;

// Word offsets of the debug header, relative to its first word.
export const D_REQUESTED = 0;
export const D_SERIAL = 1;
export const D_OFFSET = 2;
export const D_CHECKSUM = 3;

/** Mixed into the checksum of a live block. */
export const STATE_LIVE = 0x4c495645;
/** Mixed into the checksum of a freed block that waits in the quarantine. */
export const STATE_FREED = 0x46524545;

/** The checksum word of a block header: a 32-bit mix of everything in it, and its state. */
export function checksumOf(user: number, requested: number, serial: number, offset: number, state: number): number {
  let h = Math.imul(user ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ requested, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ serial, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ offset, 0xc2b2ae35);
  return (h ^ (h >>> 16) ^ state) >>> 0;
}
