/**
 * The large-block baseline: a plain power-of-two segregated free list over an Int32Array, the
 * practical speed limit for the large-block benchmark (issue 2 §8).
 *
 * A request is rounded up to a power of two (at least 16 bytes); each power has one LIFO list of
 * free chunks, threaded through the chunks themselves. Nothing is ever split or merged, so
 * `malloc` and `free` are a few array accesses; the price is memory (up to half of a chunk is
 * waste, and a freed chunk only serves its own power).
 *
 * ```
 *  words 0..31   heads[k]: first free chunk of payload 2^k bytes (a payload address), 0 = none
 *  word  32      top: first byte never handed out
 *  byte  256 ─▶ ┌──────────┬──────────────────────┬──────────┬─────────
 *               │ k (16 B) │ payload 2^k bytes    │ k (16 B) │ payload ...
 *               └──────────┴──────────────────────┴──────────┴─────────
 *  a free chunk's first payload word holds the next free payload address of its list
 * ```
 *
 * The 16-byte header keeps payloads 16-aligned, like arenalloc's, and lets `free` take the
 * pointer alone. The array grows by doubling (a copy). No checks: a baseline trusts its caller.
 */

const W_TOP = 32;
const FIRST_CHUNK = 256;
const HEADER = 16;

export class Pow2FreeList {
  /** @param initialBytes - first size of the backing array; a multiple of 4 */
  constructor(initialBytes = 1 << 20) {
    this.mem = new Int32Array(initialBytes >>> 2);
    this.mem[W_TOP] = FIRST_CHUNK;
  }

  /** Bytes of the backing array. It never shrinks, so this is also its peak. */
  get backingBytes() {
    return this.mem.byteLength;
  }

  /** First byte never handed out: the high-water mark of the chunks. */
  get top() {
    return this.mem[W_TOP];
  }

  /** Payload bytes a request of `size` gets. */
  static usableSize(size) {
    return size <= 16 ? 16 : 2 ** (32 - Math.clz32(size - 1));
  }

  /** Allocates `size` bytes (1 up to 1 GiB); returns a byte offset into `mem`, 16-aligned. */
  malloc(size) {
    const k = size <= 16 ? 4 : 32 - Math.clz32(size - 1);
    const mem = this.mem;
    const head = mem[k];
    if (head !== 0) {
      mem[k] = mem[head >> 2];
      return head;
    }
    return this.carve(k);
  }

  /** Frees a payload address that `malloc` returned. */
  free(ptr) {
    const mem = this.mem;
    const k = mem[(ptr - HEADER) >> 2];
    mem[ptr >> 2] = mem[k];
    mem[k] = ptr;
  }

  /** Cuts a new chunk for power `k` from the top, growing the array when needed. */
  carve(k) {
    let mem = this.mem;
    const chunk = mem[W_TOP];
    const end = chunk + HEADER + 2 ** k;
    if (end > mem.byteLength) {
      let bytes = mem.byteLength * 2;
      while (bytes < end) bytes *= 2;
      const grown = new Int32Array(bytes >>> 2);
      grown.set(mem);
      this.mem = mem = grown;
    }
    mem[chunk >> 2] = k;
    mem[W_TOP] = end;
    return chunk + HEADER;
  }
}
