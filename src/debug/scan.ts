/**
 * Byte scans for the guard and fill checks. The middle of a range is compared eight bytes at a
 * time through the Float64 view: a freed block's bytes are all checked when it leaves the
 * quarantine, and those can be large. (The three fill patterns read as finite, non-zero doubles,
 * so `!==` on them is a bitwise comparison.)
 *
 * @internal
 * @module
 */

import type { Memory } from '../memory/store';

/** Each byte value repeated eight times, read as a double. */
const patterns = /* @__PURE__ */ repeatedBytes();

function repeatedBytes(): Float64Array {
  const doubles = new Float64Array(256);
  const bytes = new Uint8Array(doubles.buffer);
  for (let b = 0; b < 256; b++) bytes.fill(b, b * 8, b * 8 + 8);
  return doubles;
}

/** Address of the first byte in `[from, to)` that is not `byte`, or -1. */
export function firstMismatch(mem: Memory, from: number, to: number, byte: number): number {
  const u8 = mem.u8;
  let i = from;
  // Rounded with arithmetic, not `& ~7`: a signed mask turns an address past 2^31 negative. The
  // low three bits are right either way (`&` keeps the address modulo 2^32).
  const wordStart = from + ((8 - (from & 7)) & 7);
  const wordEnd = to - (to & 7);
  const pattern = patterns[byte] as number;
  // Patterns that read as NaN or zero cannot be compared as doubles: bytes only for those.
  if (wordStart < wordEnd && !Number.isNaN(pattern) && pattern !== 0) {
    for (; i < wordStart; i++) if (u8[i] !== byte) return i;
    const f64 = mem.f64;
    for (let w = wordStart >>> 3, end = wordEnd >>> 3; w < end; w++) {
      if (f64[w] !== pattern) {
        for (i = w * 8; ; i++) if (u8[i] !== byte) return i;
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
