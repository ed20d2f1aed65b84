/**
 * The small-object baselines (issue 3 §6): minimal LIFO free lists over an Int32Array, with the
 * next pointer stored in the free block itself, as pymalloc does. They are the practical speed
 * limit for benchmarks A, B and D.
 *
 * - {@link LifoFreeList}: one size class (benchmarks A and D). `malloc` pops the list or cuts a
 *   new block from the top; `free` pushes.
 * - {@link SizeClassFreeList}: 32 classes of 16 bytes up to 512 (benchmark B). Blocks are cut
 *   from 16 KiB pages of one class each; a page starts with a 16-byte header holding its class,
 *   so `free` finds the class from the address alone (pages are aligned to their size).
 *
 * Both grow their array by doubling (a copy) and check nothing: a baseline trusts its caller.
 */

/** One size class. Words: 0 = head of the free list, 1 = top; blocks from byte 16. */
export class LifoFreeList {
  /**
   * @param blockSize - bytes per block; rounded up to a multiple of 16
   * @param initialBytes - first size of the backing array
   */
  constructor(blockSize, initialBytes = 1 << 20) {
    this.blockSize = Math.max(16, Math.ceil(blockSize / 16) * 16);
    this.mem = new Int32Array(initialBytes >>> 2);
    this.mem[1] = 16;
  }

  /** Bytes of the backing array (never shrinks, so also its peak). */
  get backingBytes() {
    return this.mem.byteLength;
  }

  /** First byte never handed out. */
  get top() {
    return this.mem[1];
  }

  /** Allocates one block (the size argument is not looked at: there is one class). */
  malloc(_size) {
    const mem = this.mem;
    const head = mem[0];
    if (head !== 0) {
      mem[0] = mem[head >> 2];
      return head;
    }
    return this.carve();
  }

  /** Frees a block that `malloc` returned. */
  free(ptr) {
    const mem = this.mem;
    mem[ptr >> 2] = mem[0];
    mem[0] = ptr;
  }

  carve() {
    let mem = this.mem;
    const ptr = mem[1];
    const end = ptr + this.blockSize;
    if (end > mem.byteLength) {
      const grown = new Int32Array(mem.length * 2);
      grown.set(mem);
      this.mem = mem = grown;
    }
    mem[1] = end;
    return ptr;
  }
}

/** Bytes per page of {@link SizeClassFreeList}; a power of two. */
export const PAGE_BYTES = 16384;
const PAGE_HEADER = 16;
const CLASSES = 32;
// State words in the first page: heads, then each class's carving cursor and limit, then the
// next unused page.
const W_HEADS = 0;
const W_NEXT = CLASSES;
const W_LIMIT = 2 * CLASSES;
const W_PAGE_TOP = 3 * CLASSES;

/** 16-byte size classes up to 512 bytes, class `(size - 1) >> 4`. */
export class SizeClassFreeList {
  /** @param initialBytes - first size of the backing array; a multiple of {@link PAGE_BYTES} */
  constructor(initialBytes = 1 << 20) {
    this.mem = new Int32Array(Math.max(initialBytes, 2 * PAGE_BYTES) >>> 2);
    this.mem[W_PAGE_TOP] = PAGE_BYTES;
  }

  /** Bytes of the backing array (never shrinks, so also its peak). */
  get backingBytes() {
    return this.mem.byteLength;
  }

  /** Allocates `size` bytes, 1 to 512. */
  malloc(size) {
    const c = (size - 1) >> 4;
    const mem = this.mem;
    const head = mem[W_HEADS + c];
    if (head !== 0) {
      mem[W_HEADS + c] = mem[head >> 2];
      return head;
    }
    const next = mem[W_NEXT + c];
    const stride = (c + 1) << 4;
    if (next !== 0 && next + stride <= mem[W_LIMIT + c]) {
      mem[W_NEXT + c] = next + stride;
      return next;
    }
    return this.newPage(c);
  }

  /** Frees a block that `malloc` returned. */
  free(ptr) {
    const mem = this.mem;
    const c = mem[(ptr & -PAGE_BYTES) >> 2];
    mem[ptr >> 2] = mem[W_HEADS + c];
    mem[W_HEADS + c] = ptr;
  }

  /** Starts a new page for class `c` and returns its first block. */
  newPage(c) {
    let mem = this.mem;
    const page = mem[W_PAGE_TOP];
    if (page + PAGE_BYTES > mem.byteLength) {
      const grown = new Int32Array(mem.length * 2);
      grown.set(mem);
      this.mem = mem = grown;
    }
    mem[W_PAGE_TOP] = page + PAGE_BYTES;
    mem[page >> 2] = c;
    const first = page + PAGE_HEADER;
    mem[W_NEXT + c] = first + ((c + 1) << 4);
    mem[W_LIMIT + c] = page + PAGE_BYTES;
    return first;
  }
}
