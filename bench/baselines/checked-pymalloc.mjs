/**
 * The checked small-object reference (issue 14 §2): the least a pymalloc-style allocator must do
 * to keep every promise arenalloc's `free` makes, and nothing else. It is the practical limit of a
 * *checked* allocator in JavaScript, as the unchecked free lists (lifo-free-list.mjs) are the floor.
 *
 * What it keeps from pymalloc: 32 size classes of 16 bytes up to 512 (class `(n - 1) >> 4`),
 * 16 KiB pools aligned to their size, each of one class, blocks carved lazily and freed onto a
 * LIFO list threaded through the blocks, `usedPools[class]` (a doubly linked list of the pools
 * with room), and CPython's pool transitions: a pool that fills leaves its used list, a full
 * pool that gets a block back rejoins it, a pool that empties goes to the free-pool list, from
 * which any class takes it again (re-initialised only when its class changes). What it leaves
 * out: arenas (pools come from the top of the buffer and are never given back), statistics beyond
 * two counters, growth policy, realloc, large blocks.
 *
 * What it checks, on every call: a size is an integer from 0 to 512; a pointer is an integer in
 * the pools' range, 16-aligned, in a page the pool map marks as a pool, and its bit in the pool's
 * live bitmap (one bit per 16-byte unit) is set — which proves at once that it is a block start
 * and that the block is allocated. A bad call throws and changes nothing.
 *
 * All state is in the buffer (a growable SharedArrayBuffer, as arenalloc's default store), read
 * through an Int32Array and a Uint8Array that are re-bound when it grows:
 *
 * ```
 *  word 0..31      usedPools[class]: first pool with room, 0 = none
 *  word 32         freePools: first empty pool
 *  word 33         top: first byte never made into a pool
 *  word 34, 35     counters: live blocks, live bytes (block sizes)
 *  byte 4096 ...   pool map: one byte per 16 KiB page, 1 = a pool (room for 61,440 pages)
 *  byte 65536 ─▶  pools
 *
 *  pool ─▶ ┌ class │ count │ freeBlock │ nextOffset │ nextPool │ prevPool ┐  24 bytes
 *          ├ live bitmap: 1024 bits, one per 16-byte unit ───────────────┤ 128 bytes
 *          ├ (8 bytes unused) ───────────────────────────────────────────┤ to 160
 *          └ blocks of (class + 1) × 16 bytes ... ───────────────────────┘ to 16 KiB
 * ```
 */

const POOL = 16384;
const POOL_LOG2 = 14;
const CLASSES = 32;
const W_USED = 0;
const W_FREE_POOLS = 32;
const W_TOP = 33;
const W_LIVE_BLOCKS = 34;
const W_LIVE_BYTES = 35;
const MAP_BYTE = 4096;
const FIRST_POOL = 65536;
const MAX_BYTES_LIMIT = FIRST_POOL + (FIRST_POOL - MAP_BYTE) * POOL;
// Pool header words, relative to the pool's first word.
const P_CLASS = 0;
const P_COUNT = 1;
const P_FREE = 2;
const P_NEXT_OFFSET = 3;
const P_NEXT_POOL = 4;
const P_PREV_POOL = 5;
const P_BITMAP = 6;
const POOL_HEADER = 160;

/** A bad call: what arenalloc raises as a typed error. */
export class CheckedReferenceError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class CheckedPymalloc {
  /**
   * @param initialBytes - first size of the store (a multiple of 16 KiB, at least 128 KiB)
   * @param maxBytes - most it grows to (at most ~960 MiB, what the pool map covers)
   */
  constructor(initialBytes = 1 << 20, maxBytes = 256 << 20) {
    this.maxBytes = Math.min(maxBytes, MAX_BYTES_LIMIT);
    this.buffer = new SharedArrayBuffer(Math.max(initialBytes, 2 * FIRST_POOL), { maxByteLength: this.maxBytes });
    this.bind();
    this.i32[W_TOP] = FIRST_POOL;
  }

  /**
   * Fixed-length views of the store's current length: a view made without a length over a
   * growable buffer tracks its length, and V8 (Node 20) reads through such a view many times
   * more slowly.
   */
  bind() {
    const bytes = this.buffer.byteLength;
    this.i32 = new Int32Array(this.buffer, 0, bytes >>> 2);
    this.u8 = new Uint8Array(this.buffer, 0, bytes);
  }

  /** The current word view of the store (re-bound when it grows). */
  get mem() {
    return this.i32;
  }

  /** Bytes of the store. */
  get backingBytes() {
    return this.buffer.byteLength;
  }

  /** Live blocks, from the counter in the buffer. */
  get liveBlocks() {
    return this.i32[W_LIVE_BLOCKS];
  }

  /** Allocates `size` bytes (0 to 512); throws on a bad size or when the store is full. */
  malloc(size) {
    if (size >>> 0 !== size || size > 512) throw new CheckedReferenceError('ERR_INVALID_SIZE', `bad size ${size}`);
    const c = size === 0 ? 0 : (size - 1) >> 4;
    const i32 = this.i32;
    const pool = i32[W_USED + c];
    if (pool === 0) return this.mallocFromNewPool(c);
    const p = pool >> 2;
    const block = i32[p + P_FREE];
    const next = i32[block >> 2];
    if (next !== 0) {
      i32[p + P_FREE] = next;
    } else {
      // The list ran out: carve the next block, as pymalloc does, or the pool is full.
      const stride = (c + 1) << 4;
      const offset = i32[p + P_NEXT_OFFSET];
      if (offset + stride <= pool + POOL) {
        i32[offset >> 2] = 0;
        i32[p + P_FREE] = offset;
        i32[p + P_NEXT_OFFSET] = offset + stride;
      } else {
        i32[p + P_FREE] = 0;
        this.unlinkUsed(pool, c);
      }
    }
    const unit = (block - pool) >> 4;
    i32[p + P_BITMAP + (unit >> 5)] |= 1 << (unit & 31);
    i32[p + P_COUNT] += 1;
    i32[W_LIVE_BLOCKS] += 1;
    i32[W_LIVE_BYTES] += (c + 1) << 4;
    return block;
  }

  /** Frees a block; throws on a pointer that is not a live block of this heap. */
  free(ptr) {
    const i32 = this.i32;
    if (
      ptr >>> 0 !== ptr ||
      (ptr & 15) !== 0 ||
      ptr < FIRST_POOL ||
      ptr >= i32[W_TOP] ||
      this.u8[MAP_BYTE + (ptr >>> POOL_LOG2) - (FIRST_POOL >>> POOL_LOG2)] !== 1
    )
      throw new CheckedReferenceError('ERR_INVALID_POINTER', `${ptr} is not a block of this heap`);
    const pool = ptr - (ptr & (POOL - 1));
    const p = pool >> 2;
    const unit = (ptr - pool) >> 4;
    const word = p + P_BITMAP + (unit >> 5);
    const bit = 1 << (unit & 31);
    const bits = i32[word];
    if ((bits & bit) === 0) this.rejectFree(ptr, pool);
    i32[word] = bits ^ bit;
    const c = i32[p + P_CLASS];
    const head = i32[p + P_FREE];
    i32[ptr >> 2] = head;
    i32[p + P_FREE] = ptr;
    const count = i32[p + P_COUNT] - 1;
    i32[p + P_COUNT] = count;
    i32[W_LIVE_BLOCKS] -= 1;
    i32[W_LIVE_BYTES] -= (c + 1) << 4;
    if (head === 0) this.linkUsed(pool, c); // full → used
    if (count === 0) this.poolEmptied(pool, c); // used → empty
  }

  /** Throws the right error for a pointer whose live bit is clear; changes nothing. */
  rejectFree(ptr, pool) {
    const stride = (this.i32[(pool >> 2) + P_CLASS] + 1) << 4;
    const start = (ptr - pool - POOL_HEADER) % stride === 0 && ptr >= pool + POOL_HEADER;
    if (start) throw new CheckedReferenceError('ERR_DOUBLE_FREE', `${ptr} is already free`);
    throw new CheckedReferenceError('ERR_INVALID_POINTER', `${ptr} is not a block start`);
  }

  /** No pool of class `c` has room: take an empty pool (or a new one) and its first block. */
  mallocFromNewPool(c) {
    let pool = this.i32[W_FREE_POOLS];
    if (pool !== 0) {
      this.i32[W_FREE_POOLS] = this.i32[(pool >> 2) + P_NEXT_POOL];
    } else {
      pool = this.i32[W_TOP];
      if (pool + POOL > this.buffer.byteLength) this.grow(pool + POOL);
      this.i32[W_TOP] = pool + POOL;
      this.u8[MAP_BYTE + (pool >>> POOL_LOG2) - (FIRST_POOL >>> POOL_LOG2)] = 1;
      this.i32[(pool >> 2) + P_CLASS] = -1;
    }
    const i32 = this.i32;
    const p = pool >> 2;
    const stride = (c + 1) << 4;
    // An emptied pool of the same class keeps its list (CPython's shortcut); any other starts over.
    if (i32[p + P_CLASS] !== c) {
      i32[p + P_CLASS] = c;
      i32[p + P_FREE] = pool + POOL_HEADER;
      i32[(pool + POOL_HEADER) >> 2] = 0;
      i32[p + P_NEXT_OFFSET] = pool + POOL_HEADER + stride;
    }
    i32[p + P_NEXT_POOL] = 0;
    i32[p + P_PREV_POOL] = 0;
    this.linkUsed(pool, c);
    return this.malloc((c + 1) << 4);
  }

  /** Grows the store to hold `end` bytes at least (doubling); throws when it cannot. */
  grow(end) {
    if (end > this.maxBytes) throw new CheckedReferenceError('ERR_OUT_OF_MEMORY', `cannot grow to ${end} bytes`);
    this.buffer.grow(Math.min(this.maxBytes, Math.max(end, this.buffer.byteLength * 2)));
    this.bind();
  }

  linkUsed(pool, c) {
    const i32 = this.i32;
    const first = i32[W_USED + c];
    i32[(pool >> 2) + P_NEXT_POOL] = first;
    i32[(pool >> 2) + P_PREV_POOL] = 0;
    if (first !== 0) i32[(first >> 2) + P_PREV_POOL] = pool;
    i32[W_USED + c] = pool;
  }

  unlinkUsed(pool, c) {
    const i32 = this.i32;
    const next = i32[(pool >> 2) + P_NEXT_POOL];
    const prev = i32[(pool >> 2) + P_PREV_POOL];
    if (prev === 0) i32[W_USED + c] = next;
    else i32[(prev >> 2) + P_NEXT_POOL] = next;
    if (next !== 0) i32[(next >> 2) + P_PREV_POOL] = prev;
  }

  poolEmptied(pool, c) {
    this.unlinkUsed(pool, c);
    this.i32[(pool >> 2) + P_NEXT_POOL] = this.i32[W_FREE_POOLS];
    this.i32[W_FREE_POOLS] = pool;
  }
}

export const CHECKED_PYMALLOC_CLASSES = CLASSES;
