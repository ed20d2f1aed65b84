/**
 * The null-pointer guard (`guardLow`): the bytes from address 0 that a heap above a `base` keeps
 * zero, so that C code that wrote through a null pointer plus a small offset is caught. Its check
 * is part of `heap.check()` (`arenalloc/inspect`) and of debug mode's checks, which reach it
 * through the port; it lives in the core so that neither needs the other.
 *
 * @internal
 * @module
 */

import { HeapCorruptedError } from './errors';
import type { Heap } from './heap';
import { Word } from './layout';

/**
 * Throws {@link HeapCorruptedError} naming the first non-zero byte of the null-pointer guard
 * (`guardLow`), if any. O(guard size). Debug mode calls it too, through the port. @internal
 */
export function checkGuardLow(heap: Heap): void {
  const mem = heap._mem;
  const bytes = mem.head[Word.GUARD_LOW] as number;
  if (bytes === 0) return;
  const u32 = mem.u32;
  for (let w = 0, end = bytes >>> 2; w < end; w++) {
    if (u32[w] !== 0) {
      const u8 = mem.u8;
      let at = w << 2;
      while (u8[at] === 0) at++;
      throw new HeapCorruptedError(
        `null-pointer write: byte ${at} of the guarded low memory (the first ${bytes} bytes) is ${u8[at]}, not 0`,
        at,
      );
    }
  }
}
