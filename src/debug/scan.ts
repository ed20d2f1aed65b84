/**
 * Byte scans for the guard and fill checks: word-wise in the middle, since a freed block's
 * bytes are checked when it leaves the quarantine and those can be large.
 *
 * @internal
 * @module
 */

import type { Memory } from '../memory/store';

/** Address of the first byte in `[from, to)` that is not `byte`, or -1. */
export function firstMismatch(mem: Memory, from: number, to: number, byte: number): number {
  const u8 = mem.u8;
  let i = from;
  const wordStart = (from + 3) & ~3;
  const wordEnd = to & ~3;
  if (wordStart < wordEnd) {
    for (; i < wordStart; i++) if (u8[i] !== byte) return i;
    const u32 = mem.u32;
    const word = Math.imul(byte, 0x01010101) >>> 0;
    for (let w = wordStart >>> 2, end = wordEnd >>> 2; w < end; w++) {
      if (u32[w] !== word) {
        for (i = w << 2; ; i++) if (u8[i] !== byte) return i;
      }
    }
    i = wordEnd;
  }
  for (; i < to; i++) if (u8[i] !== byte) return i;
  return -1;
}

/** Address of the last byte in `[from, to)` that is not `byte`, or -1. Byte by byte: errors only. */
export function lastMismatch(u8: Uint8Array, from: number, to: number, byte: number): number {
  for (let i = to - 1; i >= from; i--) if (u8[i] !== byte) return i;
  return -1;
}
