/**
 * The checked large-block reference (issue 14 §2): a minimal two-level segregated fit allocator
 * (Masmano et al., 2004) that keeps every promise arenalloc's large `free` makes, and nothing
 * else. It is the practical limit of a *checked* TLSF in JavaScript; the power-of-two free list
 * (pow2-free-list.mjs) stays as the unchecked floor.
 *
 * What it keeps: boundary tags with immediate coalescing (a freed chunk merges with both free
 * neighbours at once), first level ⌊log2 size⌋ and 32 linear second levels, bitmaps searched
 * with `Math.clz32`, good-fit search (round the request up to the next list), splitting, growth at
 * the top (the new space merges with a free top chunk), and two counters in the buffer. What it
 * leaves out: aligned requests, realloc, trimming, statistics, and everything a heap facade does.
 *
 * What it checks, on every call: a size is an integer up to 1 GiB; a pointer is an integer in the
 * heap's range, 16-aligned, whose chunk carries the tag `(ptr ^ TAG_KEY)` (so interior and foreign
 * pointers are refused in O(1), as arenalloc's chunks do), whose size reaches a chunk whose tag
 * agrees too, and whose FREE bit is clear (else a double free). A bad call throws and changes
 * nothing.
 *
 * ```
 *  word 0            first-level bitmap
 *  word 1..24        second-level bitmaps
 *  word 32, 33       counters: live chunks, live bytes
 *  word 64 ...       list heads [fl × 32 + sl] (24 × 32 words)
 *  byte 4096 ─▶ chunks ... sentinel (a used 16-byte chunk at the end)
 *
 *  chunk ─▶ ┌ prevSize │ tag │ size | PREV_FREE | FREE │ (unused) ┐ 16 bytes, then the payload;
 *           a free chunk's payload holds nextFree, prevFree; prevSize is kept while the chunk
 *           before is free
 * ```
 */

import { CheckedReferenceError } from './checked-pymalloc.mjs';

const W_FL = 0;
const W_SL = 1;
const W_LIVE_CHUNKS = 32;
const W_LIVE_BYTES = 33;
const W_HEADS = 64;
const FL_COUNT = 24;
const FIRST_CHUNK = 4096;
const HEADER = 16;
const MIN_CHUNK = 32;
const FREE = 1;
const PREV_FREE = 2;
const SIZE_MASK = ~3;
const TAG_KEY = 0x5a17b10c;
const MAX_REQUEST = 1 << 30;
// Chunk words, relative to the chunk's first word (the two LINKs: a free chunk's list links, not the PREV_FREE flag).
const H_PREV_SIZE = 0;
const H_TAG = 1;
const H_SIZE = 2;
const H_NEXT_LINK = 4;
const H_PREV_LINK = 5;

export class CheckedTlsf {
  /**
   * @param initialBytes - first size of the store (a multiple of 16, at least 64 KiB)
   * @param maxBytes - most it grows to (below 2 GiB)
   */
  constructor(initialBytes = 1 << 20, maxBytes = 1 << 30) {
    this.maxBytes = maxBytes;
    this.buffer = new SharedArrayBuffer(Math.max(initialBytes, 1 << 16), { maxByteLength: maxBytes });
    this.bind();
    const end = this.buffer.byteLength;
    this.end = end;
    this.writeSentinel(end - HEADER, 0);
    this.i32[((end - HEADER) >> 2) + H_SIZE] |= PREV_FREE;
    this.i32[((end - HEADER) >> 2) + H_PREV_SIZE] = end - HEADER - FIRST_CHUNK;
    this.writeChunk(FIRST_CHUNK, (end - HEADER - FIRST_CHUNK) | FREE);
    this.insertFree(FIRST_CHUNK, end - HEADER - FIRST_CHUNK);
  }

  /**
   * A fixed-length view of the store's current length: a view made without a length over a
   * growable buffer tracks its length, and V8 (Node 20) reads through such a view many times
   * more slowly.
   */
  bind() {
    this.i32 = new Int32Array(this.buffer, 0, this.buffer.byteLength >>> 2);
  }

  /** The current word view of the store (re-bound when it grows). */
  get mem() {
    return this.i32;
  }

  /** Bytes of the store. */
  get backingBytes() {
    return this.buffer.byteLength;
  }

  /** Live chunks, from the counter in the buffer. */
  get liveBlocks() {
    return this.i32[W_LIVE_CHUNKS];
  }

  /** Allocates `size` bytes; throws on a bad size or when the store cannot grow enough. */
  malloc(size) {
    if (size >>> 0 !== size || size > MAX_REQUEST) throw new CheckedReferenceError('ERR_INVALID_SIZE', `bad size ${size}`);
    const need = size <= MIN_CHUNK - HEADER ? MIN_CHUNK : (size + HEADER + 15) & ~15;
    let chunk = this.findFree(need);
    if (chunk === 0) {
      this.grow(need);
      chunk = this.findFree(need);
    }
    const i32 = this.i32;
    const w = chunk >> 2;
    const total = i32[w + H_SIZE] & SIZE_MASK;
    this.removeFree(chunk, total);
    const rest = total - need;
    let used = total;
    if (rest >= MIN_CHUNK) {
      used = need;
      const remainder = chunk + need;
      this.writeChunk(remainder, rest | FREE);
      i32[((remainder + rest) >> 2) + H_PREV_SIZE] = rest;
      this.insertFree(remainder, rest);
    } else {
      i32[((chunk + total) >> 2) + H_SIZE] &= ~PREV_FREE;
    }
    i32[w + H_SIZE] = used | (i32[w + H_SIZE] & PREV_FREE);
    i32[W_LIVE_CHUNKS] += 1;
    i32[W_LIVE_BYTES] += used;
    return chunk + HEADER;
  }

  /** Frees a block; throws on a pointer that is not a live block of this heap. */
  free(ptr) {
    const i32 = this.i32;
    if (ptr >>> 0 !== ptr || (ptr & 15) !== 0 || ptr < FIRST_CHUNK + HEADER || ptr >= this.end)
      throw new CheckedReferenceError('ERR_INVALID_POINTER', `${ptr} is not a block of this heap`);
    let chunk = ptr - HEADER;
    let w = chunk >> 2;
    const word = i32[w + H_SIZE];
    let size = word & SIZE_MASK;
    const next = chunk + size;
    if (
      i32[w + H_TAG] !== (ptr ^ TAG_KEY) ||
      next > this.end - HEADER ||
      size < MIN_CHUNK ||
      i32[(next >> 2) + H_TAG] !== ((next + HEADER) ^ TAG_KEY)
    )
      throw new CheckedReferenceError('ERR_INVALID_POINTER', `${ptr} is not a block start`);
    if ((word & FREE) !== 0) throw new CheckedReferenceError('ERR_DOUBLE_FREE', `${ptr} is already free`);
    i32[W_LIVE_CHUNKS] -= 1;
    i32[W_LIVE_BYTES] -= size;
    // Marked free before a free predecessor may swallow it: a second free of the same pointer
    // then reads a header that says FREE.
    i32[w + H_SIZE] = word | FREE;
    if ((word & PREV_FREE) !== 0) {
      const prevSize = i32[w + H_PREV_SIZE];
      chunk -= prevSize;
      this.removeFree(chunk, prevSize);
      size += prevSize;
      w = chunk >> 2;
    }
    const nextWord = i32[(next >> 2) + H_SIZE];
    if ((nextWord & FREE) !== 0) {
      const nextSize = nextWord & SIZE_MASK;
      this.removeFree(next, nextSize);
      size += nextSize;
    }
    i32[w + H_SIZE] = size | FREE | (i32[w + H_SIZE] & PREV_FREE);
    const after = (chunk + size) >> 2;
    i32[after + H_PREV_SIZE] = size;
    i32[after + H_SIZE] |= PREV_FREE;
    this.insertFree(chunk, size);
  }

  /** The first free chunk of at least `need` bytes on a list that is large enough; 0 = none. */
  findFree(need) {
    let fl;
    let sl;
    if (need < 512) {
      fl = 0;
      sl = need >>> 4;
    } else {
      const rounded = need + (1 << (31 - Math.clz32(need) - 5)) - 1;
      const log = 31 - Math.clz32(rounded);
      fl = log - 8;
      sl = (rounded >>> (log - 5)) - 32;
    }
    const i32 = this.i32;
    let slMap = fl < FL_COUNT ? i32[W_SL + fl] & (-1 << sl) : 0;
    if (slMap === 0) {
      const flMap = fl + 1 < 32 ? i32[W_FL] & (-1 << (fl + 1)) : 0;
      if (flMap === 0) return 0;
      fl = 31 - Math.clz32(flMap & -flMap);
      slMap = i32[W_SL + fl];
    }
    sl = 31 - Math.clz32(slMap & -slMap);
    return i32[W_HEADS + fl * 32 + sl];
  }

  /** The list of a free chunk of `size` bytes (rounded down). */
  static listOf(size) {
    if (size < 512) return size >>> 4;
    const log = 31 - Math.clz32(size);
    return (log - 8) * 32 + ((size >>> (log - 5)) - 32);
  }

  insertFree(chunk, size) {
    const i32 = this.i32;
    const list = CheckedTlsf.listOf(size);
    const head = i32[W_HEADS + list];
    i32[(chunk >> 2) + H_NEXT_LINK] = head;
    i32[(chunk >> 2) + H_PREV_LINK] = 0;
    if (head !== 0) i32[(head >> 2) + H_PREV_LINK] = chunk;
    i32[W_HEADS + list] = chunk;
    i32[W_FL] |= 1 << (list >>> 5);
    i32[W_SL + (list >>> 5)] |= 1 << (list & 31);
  }

  removeFree(chunk, size) {
    const i32 = this.i32;
    const next = i32[(chunk >> 2) + H_NEXT_LINK];
    const prev = i32[(chunk >> 2) + H_PREV_LINK];
    if (next !== 0) i32[(next >> 2) + H_PREV_LINK] = prev;
    if (prev !== 0) {
      i32[(prev >> 2) + H_NEXT_LINK] = next;
      return;
    }
    const list = CheckedTlsf.listOf(size);
    i32[W_HEADS + list] = next;
    if (next === 0) {
      const sl = (i32[W_SL + (list >>> 5)] &= ~(1 << (list & 31)));
      if (sl === 0) i32[W_FL] &= ~(1 << (list >>> 5));
    }
  }

  writeChunk(chunk, sizeAndFlags) {
    this.i32[(chunk >> 2) + H_TAG] = (chunk + HEADER) ^ TAG_KEY;
    this.i32[(chunk >> 2) + H_SIZE] = sizeAndFlags;
  }

  writeSentinel(chunk, flags) {
    this.writeChunk(chunk, HEADER | flags);
  }

  /** Grows the store so that a free chunk of `need` bytes exists at the top; throws when it cannot. */
  grow(need) {
    const oldEnd = this.end;
    const wanted = Math.max(oldEnd * 2, oldEnd + need + HEADER);
    if (oldEnd + need + HEADER > this.maxBytes) throw new CheckedReferenceError('ERR_OUT_OF_MEMORY', `cannot grow by ${need} bytes`);
    this.buffer.grow(Math.min(this.maxBytes, wanted));
    this.bind();
    const i32 = this.i32;
    const end = this.buffer.byteLength;
    this.end = end;
    // The old sentinel becomes the start of a free chunk up to the new sentinel.
    let chunk = oldEnd - HEADER;
    let size = end - HEADER - chunk;
    const word = i32[(chunk >> 2) + H_SIZE];
    if ((word & PREV_FREE) !== 0) {
      const prevSize = i32[(chunk >> 2) + H_PREV_SIZE];
      chunk -= prevSize;
      this.removeFree(chunk, prevSize);
      size += prevSize;
    } else {
      this.writeChunk(chunk, 0);
    }
    i32[(chunk >> 2) + H_SIZE] = size | FREE | (i32[(chunk >> 2) + H_SIZE] & PREV_FREE);
    this.writeSentinel(end - HEADER, PREV_FREE);
    i32[((end - HEADER) >> 2) + H_PREV_SIZE] = size;
    this.insertFree(chunk, size);
  }
}
