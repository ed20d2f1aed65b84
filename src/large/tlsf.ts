/**
 * The large-object heap: two-level segregated fit (TLSF; Masmano, Ripoll, Crespo and Real,
 * "TLSF: a new dynamic memory allocator for real-time systems", ECRTS 2004).
 *
 * It serves every request the small-object allocator does not (above 512 bytes), the arenas of
 * the small-object allocator, and aligned requests. `malloc` and `free` are O(1): a free chunk is
 * found through two bitmaps searched with `Math.clz32`, and a freed chunk merges with both free
 * neighbours at once through boundary tags.
 *
 * ## Chunks
 *
 * The heap is a sequence of chunks from `base + HEADER_BYTES` (the first chunk after the heap
 * header, which begins at the memory's `base`) to the sentinel at `Word.HEAP_END`. Each
 * chunk starts with a 16-byte header; the payload (what `malloc` returns) follows it, so a
 * payload is aligned to 16 whenever chunks are.
 *
 * ```
 *  chunk c ─▶ ┌────────────┬────────────┬──────────────────────┬────────────┐
 *             │ prevSize   │ tag        │ size | PREV_FREE|FREE │ requested  │  16 bytes
 *  c + 16  ─▶ ├────────────┴────────────┴──────────────────────┴────────────┤
 *             │ payload (free chunk: nextLink, prevLink, then nothing)      │
 *  c + size ▶ └─────────────────────────────────────────────────────────────┘
 * ```
 *
 * - `prevSize` is the size of the chunk physically before this one; it is kept only while that
 *   chunk is free (the `PREV_FREE` bit says so). It is the "footer" of the previous chunk.
 * - `tag` is `(c + 16) ^ TAG_KEY`: it marks a real chunk start, so that `free` rejects an
 *   interior or foreign pointer in O(1) without a table. (A forged tag needs the user to write
 *   exactly that word at exactly that place, and the next chunk's tag must agree as well.)
 * - `size` counts the whole chunk, header included, and is a multiple of the alignment, so its two
 *   low bits hold `FREE` (this chunk is free) and `PREV_FREE` (the one before it is).
 * - `requested` is what the caller asked for (for statistics and debugging).
 *
 * A free chunk is on the list of its size class, doubly linked through its payload (`nextLink`,
 * `prevLink`: list links, not to be confused with the `PREV_FREE` flag, which is about the
 * chunk physically before). Two free chunks are never neighbours: `free` merges at once.
 *
 * ## Size classes
 *
 * A size below 512 (with 16-byte alignment) maps to first level 0 and second level size / 16.
 * Above, the first level is ⌊log2 size⌋ and the second level splits that power of two into 32
 * linear steps. Insertion rounds down, search rounds up to the next step, so that any chunk on a
 * list found by search is large enough ("good fit", worst-case internal waste under 1/32).
 *
 * ## Invariants
 *
 * What `checkTlsf` (`./check.ts`, behind `heap.check()`) verifies, one named check each:
 *
 * - **T1 (the end)**: the sentinel at `Word.HEAP_END` is aligned, lies at or after the first chunk,
 *   and its header fits in the store; it carries its tag and a size of 0.
 * - **T2 (tags)**: every chunk from the first to the sentinel starts with its tag.
 * - **T3 (tiling)**: every chunk's size is at least `Chunk.MIN` and a multiple of the alignment,
 *   and the chunks tile the heap exactly, from the first chunk to the sentinel.
 * - **T4 (boundary tags)**: the `PREV_FREE` bit of a chunk (and of the sentinel) is set exactly
 *   when the chunk before it is free, and then its `prevSize` is that chunk's size.
 * - **T5 (immediate merging)**: no two free chunks are neighbours.
 * - **T6 (lists)**: every free chunk is on exactly one list, the list of its size class; every
 *   list holds only free chunks, linked both ways, with no cycle.
 * - **T7 (bitmaps)**: a second-level bit is set exactly when its list is non-empty, a first-level
 *   bit exactly when one of its second-level lists is.
 * - **T8 (counters)**: the free and used chunk and byte counters of the header agree with the walk.
 *
 * ## Growth
 *
 * When no free chunk fits, the backing store grows; the new space becomes a free chunk that
 * merges with a free chunk at the top, and the sentinel moves to the new end. `trim()` does the
 * reverse for a store that can shrink.
 *
 * Internal hot paths trust their callers: the facade in `heap.ts` validates every argument.
 *
 * @internal
 * @module
 */

import { Counter, HEADER_BYTES, INTERNAL_REQUEST, Region, Word } from '../layout';
import { type Memory, roundUp, WASM_PAGE } from '../memory/store';

// Word offsets inside a chunk, relative to the chunk's first word, and the flag bits of its size
// word. `const enum`s, so that the bundler writes the numbers into the code: a module-level
// `const` becomes a variable that V8 loads and checks at every use, and whose bytes count
// against its budget for inlining the hot paths. Exported for the integrity walk (`./check.ts`)
// and the threaded heap; no layer above the core uses them (the port has its own names).
/** Word offsets of a chunk header, and of the free-list links in a free chunk's payload. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see above)
export const enum H {
  PREV_SIZE = 0,
  TAG = 1,
  SIZE = 2,
  REQUESTED = 3,
  /** A free chunk's link to the next chunk of its free list (0 ends it). A list link, not a flag. */
  NEXT_LINK = 4,
  /** A free chunk's link to the previous chunk of its free list (0 for the head). Not `Bits.PREV_FREE`. */
  PREV_LINK = 5,
}
/** The flag bits of a chunk's size word, and the constants of the list index. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see above)
export const enum Bits {
  /** This chunk is free. */
  FREE = 1,
  /** The chunk physically before this one is free (its size is in this chunk's prevSize). */
  PREV_FREE = 2,
  SIZE_MASK = ~3,
  /** log2 of the number of second-level lists per first level. */
  SL_LOG2 = 5,
  SL_COUNT = 32,
  /** Mixed into a chunk's address to make its tag. */
  TAG_KEY = 0x5a17b10c,
}
/** Sizes of every chunk: the one name for them in the core. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see above)
export const enum Chunk {
  /** Bytes of a chunk header, in front of every payload. */
  HEADER = 16,
  /** Smallest chunk: a header and room for the two free-list links. */
  MIN = 32,
}
/** What {@link Tlsf.classify} says a payload pointer is. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see above)
export const enum ChunkState {
  /** The payload of a live (used) chunk. */
  LIVE = 0,
  /** The payload of a free chunk: freeing it again is a double free. */
  FREE = 1,
  /** No chunk's payload: an interior, foreign or stale pointer. */
  FOREIGN = 2,
}

/** First levels: enough for sizes up to 4 GiB at 8-byte alignment. */
export const FL_COUNT = 25;

/** The tag word of the chunk at `chunk`. */
export function tagOf(chunk: number): number {
  return ((chunk + Chunk.HEADER) ^ Bits.TAG_KEY) >>> 0;
}

/**
 * The TLSF allocator over a {@link Memory}. Chunk addresses are byte offsets; payload = chunk + 16.
 * @internal
 */
export class Tlsf {
  readonly mem: Memory;
  /** Chunk sizes are multiples of this (8 or 16). */
  readonly align: number;
  readonly alignLog2: number;
  /** Sizes below this all map to first level 0. */
  readonly smallBlock: number;
  /** SL_LOG2 + alignLog2: how the first level is derived from ⌊log2 size⌋. */
  readonly flShift: number;
  /** Address of the first chunk: right after the heap header, which begins at the memory's base. */
  readonly first: number;

  constructor(mem: Memory, align: number) {
    this.mem = mem;
    this.align = align;
    this.alignLog2 = 31 - Math.clz32(align);
    this.flShift = Bits.SL_LOG2 + this.alignLog2;
    this.smallBlock = 1 << this.flShift;
    this.first = mem.base + HEADER_BYTES;
  }

  /** Lays out an empty heap: one free chunk from the first chunk's address to a sentinel at the end. */
  format(): void {
    const header = this.mem.head;
    header.fill(0, Word.TLSF_FL_BITMAP, Word.TLSF_FL_BITMAP + 1);
    header.fill(0, Region.TLSF_SL_BITMAPS, Region.TLSF_HEADS + FL_COUNT * Bits.SL_COUNT);
    const counters = this.mem.counters;
    counters[Counter.LARGE_USED_CHUNKS] = 0;
    counters[Counter.LARGE_USED_BYTES] = 0;
    counters[Counter.LARGE_FREE_CHUNKS] = 0;
    counters[Counter.LARGE_FREE_BYTES] = 0;
    counters[Counter.PEAK_BACKING] = this.mem.byteLength;
    const end = this.mem.byteLength - Chunk.HEADER;
    this.writeSentinel(end, 0);
    const first = this.first;
    const size = end - first;
    this.writeHeader(first, size | Bits.FREE, 0);
    this.mem.u32[(end >>> 2) + H.PREV_SIZE] = size;
    this.mem.u32[(end >>> 2) + H.SIZE] |= Bits.PREV_FREE;
    this.insertFree(first, size);
  }

  // ─── size arithmetic ───────────────────────────────────────────────────────────────────────

  /** The chunk size that holds `request` payload bytes. */
  chunkSizeFor(request: number): number {
    const size = roundUp(request + Chunk.HEADER, this.align);
    return Math.max(size, Chunk.MIN);
  }

  /** Largest request that could ever be satisfied by this store. */
  get maxRequest(): number {
    return this.mem.maxBytes - this.first - 2 * Chunk.HEADER - Chunk.MIN;
  }

  // ─── the free lists ────────────────────────────────────────────────────────────────────────

  /** List index (first level × 32 + second level) for inserting a chunk of `size`. */
  listFor(size: number): number {
    if (size < this.smallBlock) return size >>> this.alignLog2;
    const log2 = 31 - Math.clz32(size);
    const sl = (size >>> (log2 - Bits.SL_LOG2)) ^ Bits.SL_COUNT;
    return ((log2 - this.flShift + 1) << Bits.SL_LOG2) | sl;
  }

  /**
   * Puts the free chunk at `chunk` at the front of its list. The list index is `listFor(size)`
   * written out, as `popFit` writes out its search: both run on every malloc and free, and V8
   * inlines a function into them only while the sum stays within its budget.
   */
  private insertFree(chunk: number, size: number): void {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    let list: number;
    if (size < this.smallBlock) list = size >>> this.alignLog2;
    else {
      const log2 = 31 - Math.clz32(size);
      list = ((log2 - this.flShift + 1) << Bits.SL_LOG2) | ((size >>> (log2 - Bits.SL_LOG2)) ^ Bits.SL_COUNT);
    }
    const head = header[Region.TLSF_HEADS + list] as number;
    const w = chunk >>> 2;
    u32[w + H.NEXT_LINK] = head;
    u32[w + H.PREV_LINK] = 0;
    if (head !== 0) u32[(head >>> 2) + H.PREV_LINK] = chunk;
    else {
      const fl = list >>> Bits.SL_LOG2;
      header[Word.TLSF_FL_BITMAP] = (header[Word.TLSF_FL_BITMAP] as number) | (1 << fl);
      header[Region.TLSF_SL_BITMAPS + fl] = (header[Region.TLSF_SL_BITMAPS + fl] as number) | (1 << (list & (Bits.SL_COUNT - 1)));
    }
    header[Region.TLSF_HEADS + list] = chunk;
    const counters = this.mem.counters;
    counters[Counter.LARGE_FREE_CHUNKS] = (counters[Counter.LARGE_FREE_CHUNKS] as number) + 1;
    counters[Counter.LARGE_FREE_BYTES] = (counters[Counter.LARGE_FREE_BYTES] as number) + size;
  }

  private removeFree(chunk: number, size: number): void {
    const u32 = this.mem.u32;
    const w = chunk >>> 2;
    const next = u32[w + H.NEXT_LINK] as number;
    const prev = u32[w + H.PREV_LINK] as number;
    if (next !== 0) u32[(next >>> 2) + H.PREV_LINK] = prev;
    if (prev !== 0) u32[(prev >>> 2) + H.NEXT_LINK] = next;
    else this.unlinkHead(this.listFor(size), next);
    const counters = this.mem.counters;
    counters[Counter.LARGE_FREE_CHUNKS] = (counters[Counter.LARGE_FREE_CHUNKS] as number) - 1;
    counters[Counter.LARGE_FREE_BYTES] = (counters[Counter.LARGE_FREE_BYTES] as number) - size;
  }

  /** The head of `list` leaves it; `next` (0 or a chunk whose back link is already cleared) is the new head. */
  private unlinkHead(list: number, next: number): void {
    const header = this.mem.head;
    header[Region.TLSF_HEADS + list] = next;
    if (next !== 0) return;
    const fl = list >>> Bits.SL_LOG2;
    const sl = (header[Region.TLSF_SL_BITMAPS + fl] as number) & ~(1 << (list & (Bits.SL_COUNT - 1)));
    header[Region.TLSF_SL_BITMAPS + fl] = sl;
    if (sl === 0) header[Word.TLSF_FL_BITMAP] = (header[Word.TLSF_FL_BITMAP] as number) & ~(1 << fl);
  }

  /**
   * Takes a free chunk of at least `size` bytes off the lists and returns it, or returns 0,
   * changing nothing. Search rounds the size up to the next list ("good fit"), so the head of any
   * non-empty list found is large enough: no list is walked.
   */
  private popFit(size: number): number {
    let fl: number;
    let sl: number;
    if (size < this.smallBlock) {
      fl = 0;
      sl = size >>> this.alignLog2;
    } else {
      const rounded = size + (1 << (31 - Math.clz32(size) - Bits.SL_LOG2)) - 1;
      if (rounded >= 0x1_0000_0000) return 0;
      const log2 = 31 - Math.clz32(rounded);
      fl = log2 - this.flShift + 1;
      sl = (rounded >>> (log2 - Bits.SL_LOG2)) ^ Bits.SL_COUNT;
    }
    const u32 = this.mem.u32;
    const header = this.mem.head;
    // Falsy: 0 (no list of this first level fits), or undefined (views detached by WASM code).
    let slMap = (header[Region.TLSF_SL_BITMAPS + fl] as number) & (~0 << sl);
    if (!slMap) {
      const flMap = (header[Word.TLSF_FL_BITMAP] as number) & (~0 << (fl + 1));
      if (!flMap) return 0;
      fl = 31 - Math.clz32(flMap & -flMap);
      slMap = header[Region.TLSF_SL_BITMAPS + fl] as number;
    }
    const list = (fl << Bits.SL_LOG2) | (31 - Math.clz32(slMap & -slMap));
    const chunk = header[Region.TLSF_HEADS + list] as number;
    const w = chunk >>> 2;
    // A chunk past these views (another thread grew the store and listed it): 0, changing
    // nothing; `refill` re-binds and searches again.
    if (!(w + H.PREV_LINK < u32.length)) return 0;
    const next = u32[w + H.NEXT_LINK] as number;
    if (next !== 0) {
      u32[(next >>> 2) + H.PREV_LINK] = 0;
      header[Region.TLSF_HEADS + list] = next;
    } else {
      this.unlinkHead(list, 0);
    }
    const counters = this.mem.counters;
    counters[Counter.LARGE_FREE_CHUNKS] = (counters[Counter.LARGE_FREE_CHUNKS] as number) - 1;
    counters[Counter.LARGE_FREE_BYTES] =
      (counters[Counter.LARGE_FREE_BYTES] as number) - (((u32[w + H.SIZE] as number) & Bits.SIZE_MASK) >>> 0);
    return chunk;
  }

  // ─── headers ───────────────────────────────────────────────────────────────────────────────

  private writeHeader(chunk: number, sizeAndFlags: number, requested: number): void {
    const u32 = this.mem.u32;
    const w = chunk >>> 2;
    u32[w + H.TAG] = tagOf(chunk);
    u32[w + H.SIZE] = sizeAndFlags;
    u32[w + H.REQUESTED] = requested;
  }

  private writeSentinel(chunk: number, prevFreeFlag: number): void {
    this.writeHeader(chunk, prevFreeFlag, 0);
    this.mem.head[Word.HEAP_END] = chunk;
  }

  /** Size of the chunk at `chunk` (flags stripped). */
  sizeOf(chunk: number): number {
    return ((this.mem.u32[(chunk >>> 2) + H.SIZE] as number) & Bits.SIZE_MASK) >>> 0;
  }

  /** Bytes the caller asked for when the chunk with payload `ptr` was allocated. */
  requestedOf(ptr: number): number {
    return this.mem.u32[((ptr - Chunk.HEADER) >>> 2) + H.REQUESTED] as number;
  }

  /** Overwrites the `requested` word of the live chunk with payload `ptr` (to mark it internal). */
  setRequested(ptr: number, requested: number): void {
    this.mem.u32[((ptr - Chunk.HEADER) >>> 2) + H.REQUESTED] = requested;
  }

  /** Usable payload bytes of the live chunk with payload `ptr`. */
  usableSize(ptr: number): number {
    return this.sizeOf(ptr - Chunk.HEADER) - Chunk.HEADER;
  }

  /** Classifies a payload pointer in O(1): see {@link ChunkState}. */
  classify(ptr: number): ChunkState {
    const kind = this.classifyIn(ptr);
    // A detached view (WASM code grew the memory) finds no chunk anywhere, and views another
    // thread's growth left short end before the sentinel: re-bind and look again.
    return kind === ChunkState.FOREIGN && this.mem.refresh() ? this.classifyIn(ptr) : kind;
  }

  private classifyIn(ptr: number): ChunkState {
    const chunk = ptr - Chunk.HEADER;
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const end = header[Word.HEAP_END] as number;
    // Views short of the sentinel (another thread grew the store): "no chunk" until `classify`
    // re-binds; a free then finds every neighbour it may merge with inside the views.
    if (chunk < this.first || chunk >= end || !((end >>> 2) + H.SIZE < u32.length)) return ChunkState.FOREIGN;
    const w = chunk >>> 2;
    if (u32[w + H.TAG] !== tagOf(chunk)) return ChunkState.FOREIGN;
    const sizeAndFlags = u32[w + H.SIZE] as number;
    const size = (sizeAndFlags & Bits.SIZE_MASK) >>> 0;
    if (size < Chunk.MIN || size > end - chunk || (size & (this.align - 1)) !== 0) return ChunkState.FOREIGN;
    if (u32[((chunk + size) >>> 2) + H.TAG] !== tagOf(chunk + size)) return ChunkState.FOREIGN;
    return (sizeAndFlags & Bits.FREE) !== 0 ? ChunkState.FREE : ChunkState.LIVE;
  }

  // ─── allocation ────────────────────────────────────────────────────────────────────────────

  /**
   * Allocates a chunk for `request` payload bytes; returns the payload address, or 0.
   *
   * The path of a request the lists can serve is this function and `popFit` and `insertFree`
   * (for the split-off tail): two bitmap searches with `Math.clz32`, a pop, two headers written.
   */
  malloc(request: number): number {
    const size = this.chunkSizeFor(request);
    const chunk = this.popFit(size) || this.refill(size);
    if (chunk === 0) return 0;
    this.takeChunk(chunk, size, request);
    return chunk + Chunk.HEADER;
  }

  /**
   * `popFit` for when no listed chunk fits: after re-binding views that WASM code detached, or
   * after growing the store. 0, changing nothing, when the store cannot grow enough.
   */
  private refill(size: number): number {
    if (this.mem.refresh()) {
      const chunk = this.popFit(size);
      if (chunk !== 0) return chunk;
    }
    return this.growFor(size) ? this.popFit(size) : 0;
  }

  /**
   * Allocates `request` bytes whose payload address is a multiple of `alignment` (a power of two
   * larger than the heap's alignment) plus `skew`. Returns the payload address, or 0.
   *
   * `skew` is 0 for an aligned payload (`alignedAlloc` of the API); the threaded heap passes
   * `Chunk.HEADER` to align the chunk itself, header included, to a cache line (see
   * `src/threads/layout.ts`, "What a thread keeps to stay off the lock").
   */
  alignedAlloc(request: number, alignment: number, skew = 0): number {
    if (alignment <= this.align) return this.malloc(request);
    this.mem.reachEnd();
    const size = this.chunkSizeFor(request);
    // Room for the chunk, for moving its payload up to the next multiple of `alignment`, and for
    // a leading free chunk of at least Chunk.MIN bytes in front of it.
    const search = size + alignment + Chunk.MIN;
    const chunk = this.popFit(search) || this.refill(search);
    if (chunk === 0) return 0;
    const total = this.sizeOf(chunk);
    let payload = roundUp(chunk + Chunk.HEADER - skew, alignment) + skew;
    // A gap in front must hold a free chunk; one step of `alignment` is not enough when the
    // alignment is below Chunk.MIN (16 on an 8-aligned heap), so round up past Chunk.MIN instead.
    if (payload !== chunk + Chunk.HEADER && payload - Chunk.HEADER - chunk < Chunk.MIN) {
      payload = roundUp(chunk + Chunk.HEADER + Chunk.MIN - skew, alignment) + skew;
    }
    const start = payload - Chunk.HEADER;
    const lead = start - chunk;
    if (lead > 0) {
      // The leading piece becomes a free chunk of its own; its predecessor is in use (free chunks
      // never touch), so it carries no PREV_FREE bit.
      this.writeHeader(chunk, lead | Bits.FREE, 0);
      this.insertFree(chunk, lead);
      this.writeHeader(start, (total - lead) | Bits.PREV_FREE, 0);
      this.mem.u32[(start >>> 2) + H.PREV_SIZE] = lead;
    }
    this.takeChunk(start, size, request);
    return payload;
  }

  /**
   * Marks the free chunk at `chunk` (already off its list) as used with `size` bytes, splitting
   * off and freeing the remainder when it is big enough to be a chunk.
   */
  private takeChunk(chunk: number, size: number, request: number): void {
    const u32 = this.mem.u32;
    const w = chunk >>> 2;
    const word = u32[w + H.SIZE] as number;
    const total = (word & Bits.SIZE_MASK) >>> 0;
    const prevFlag = word & Bits.PREV_FREE;
    const rest = total - size;
    const counters = this.mem.counters;
    counters[Counter.LARGE_USED_CHUNKS] = (counters[Counter.LARGE_USED_CHUNKS] as number) + 1;
    if (rest >= Chunk.MIN) {
      this.writeHeader(chunk, size | prevFlag, request);
      const remainder = chunk + size;
      this.writeHeader(remainder, rest | Bits.FREE, 0);
      u32[((remainder + rest) >>> 2) + H.PREV_SIZE] = rest;
      this.insertFree(remainder, rest);
      counters[Counter.LARGE_USED_BYTES] = (counters[Counter.LARGE_USED_BYTES] as number) + size;
    } else {
      this.writeHeader(chunk, total | prevFlag, request);
      const next = (chunk + total) >>> 2;
      u32[next + H.SIZE] = (u32[next + H.SIZE] as number) & ~Bits.PREV_FREE;
      counters[Counter.LARGE_USED_BYTES] = (counters[Counter.LARGE_USED_BYTES] as number) + total;
    }
  }

  /** Frees the live chunk with payload `ptr`, merging it with free neighbours. */
  free(ptr: number): void {
    const u32 = this.mem.u32;
    let chunk = ptr - Chunk.HEADER;
    let w = chunk >>> 2;
    const sizeAndFlags = u32[w + H.SIZE] as number;
    let size = (sizeAndFlags & Bits.SIZE_MASK) >>> 0;
    const counters = this.mem.counters;
    counters[Counter.LARGE_USED_CHUNKS] = (counters[Counter.LARGE_USED_CHUNKS] as number) - 1;
    counters[Counter.LARGE_USED_BYTES] = (counters[Counter.LARGE_USED_BYTES] as number) - size;
    // Mark it free before it may be swallowed by its predecessor: a later free of the same
    // pointer then reads a stale header that still says FREE, and is reported as a double free.
    u32[w + H.SIZE] = sizeAndFlags | Bits.FREE;
    const next = chunk + size;
    if ((sizeAndFlags & Bits.PREV_FREE) !== 0) {
      const prevSize = u32[w + H.PREV_SIZE] as number;
      chunk -= prevSize;
      this.removeFree(chunk, prevSize);
      size += prevSize;
      w = chunk >>> 2;
    }
    const nextFlags = u32[(next >>> 2) + H.SIZE] as number;
    if ((nextFlags & Bits.FREE) !== 0) {
      const nextSize = (nextFlags & Bits.SIZE_MASK) >>> 0;
      this.removeFree(next, nextSize);
      size += nextSize;
    }
    u32[w + H.SIZE] = size | Bits.FREE;
    const after = (chunk + size) >>> 2;
    u32[after + H.PREV_SIZE] = size;
    u32[after + H.SIZE] = (u32[after + H.SIZE] as number) | Bits.PREV_FREE;
    this.insertFree(chunk, size);
  }

  /**
   * Resizes the live chunk with payload `ptr` in place to hold `request` bytes: shrinking splits
   * off the tail; growing takes from a free right neighbour, or grows the store when the chunk is
   * the last one. Returns false (changing nothing) when it cannot stay in place.
   */
  resizeInPlace(ptr: number, request: number): boolean {
    this.mem.reachEnd();
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const chunk = ptr - Chunk.HEADER;
    const w = chunk >>> 2;
    const size = this.sizeOf(chunk);
    const want = this.chunkSizeFor(request);
    if (want <= size) {
      this.shrinkChunk(chunk, size, want);
      u32[w + H.REQUESTED] = request;
      return true;
    }
    const next = chunk + size;
    const end = header[Word.HEAP_END] as number;
    const nextFlags = u32[(next >>> 2) + H.SIZE] as number;
    const nextSize = (nextFlags & Bits.FREE) === 0 ? 0 : (nextFlags & Bits.SIZE_MASK) >>> 0;
    if (size + nextSize < want) {
      // The last chunk (or the one before a free top) grows with the store itself. Growth may
      // replace the views, so start over with fresh ones.
      if (next + nextSize !== end || !this.growFor(want - size + Chunk.MIN)) return false;
      return this.resizeInPlace(ptr, request);
    }
    this.removeFree(next, nextSize);
    const total = size + nextSize;
    const rest = total - want;
    const counters = this.mem.counters;
    const prevFlag = (u32[w + H.SIZE] as number) & Bits.PREV_FREE;
    if (rest >= Chunk.MIN) {
      this.writeHeader(chunk, want | prevFlag, request);
      const remainder = chunk + want;
      this.writeHeader(remainder, rest | Bits.FREE, 0);
      u32[((remainder + rest) >>> 2) + H.PREV_SIZE] = rest;
      this.insertFree(remainder, rest);
      counters[Counter.LARGE_USED_BYTES] = (counters[Counter.LARGE_USED_BYTES] as number) + (want - size);
    } else {
      this.writeHeader(chunk, total | prevFlag, request);
      const after = (chunk + total) >>> 2;
      u32[after + H.SIZE] = (u32[after + H.SIZE] as number) & ~Bits.PREV_FREE;
      counters[Counter.LARGE_USED_BYTES] = (counters[Counter.LARGE_USED_BYTES] as number) + nextSize;
    }
    return true;
  }

  /** Splits the used chunk at `chunk` down to `want` bytes when the tail can stand alone. */
  private shrinkChunk(chunk: number, size: number, want: number): void {
    const u32 = this.mem.u32;
    const rest = size - want;
    if (rest < Chunk.MIN) return;
    const w = chunk >>> 2;
    u32[w + H.SIZE] = want | ((u32[w + H.SIZE] as number) & Bits.PREV_FREE);
    const tail = chunk + want;
    // The tail is written as a used chunk and freed, so that it merges with a free right neighbour.
    this.writeHeader(tail, rest, 0);
    const counters = this.mem.counters;
    counters[Counter.LARGE_USED_CHUNKS] = (counters[Counter.LARGE_USED_CHUNKS] as number) + 1;
    this.free(tail + Chunk.HEADER);
  }

  // ─── growth and trimming ───────────────────────────────────────────────────────────────────

  /**
   * Grows the store so that a free chunk of at least `size` bytes (rounded up to its search
   * class) exists at the top. Returns false, changing nothing, when the store cannot grow.
   *
   * Pages that WASM code grew since the heap last did lie between the sentinel and the new space
   * (`Memory.extend` says where the heap's own pages begin). They become one used chunk marked
   * internal, as the small allocator's arenas are, so that the chunk walk stays contiguous and no
   * list, no `free` and no merge ever hands them out:
   *
   * ```
   *  old sentinel ─▶ ┌────────┬──────────────────────────┬────────┬─────────────────┬──────────┐
   *                  │ header │ the module's pages       │ header │ new free chunk  │ sentinel │
   *                  └────────┴──────────────────────────┴────────┴─────────────────┴──────────┘
   *                   internal chunk (requested = INTERNAL)  ▲ where memory.grow said the old end was
   * ```
   */
  private growFor(size: number): boolean {
    const mem = this.mem;
    const end = mem.head[Word.HEAP_END] as number;
    const limit = end + Chunk.HEADER;
    // Only a WASM memory has pages the heap did not grow itself (see Memory.extend).
    const adjoining = mem.wasm === null || mem.currentLength() === limit;
    const u32 = mem.u32;
    const endFlags = u32[(end >>> 2) + H.SIZE] as number;
    const topFree = adjoining && (endFlags & Bits.PREV_FREE) !== 0 ? (u32[(end >>> 2) + H.PREV_SIZE] as number) : 0;
    // Search rounds a size up by at most 1/32 of it; ask for that much more so the search succeeds.
    // Past foreign pages the new space also holds the sentinel's successor header.
    const need = Math.max(size + (size >>> Bits.SL_LOG2) + this.align - topFree, Chunk.MIN) + (adjoining ? 0 : Chunk.HEADER);
    const start = mem.extend(limit, need);
    if (start < 0) return false;
    if (start > limit) this.fenceForeign(end, start);
    const counters = mem.counters;
    if (mem.byteLength > (counters[Counter.PEAK_BACKING] as number)) counters[Counter.PEAK_BACKING] = mem.byteLength;
    this.extendTo(mem.byteLength);
    return true;
  }

  /**
   * Turns the sentinel at `end` into a used internal chunk that spans up to `start` (pages that
   * are not the heap's), and puts a new sentinel at `start`, the first byte of the heap's own new
   * space.
   */
  private fenceForeign(end: number, start: number): void {
    const u32 = this.mem.u32;
    const endFlags = u32[(end >>> 2) + H.SIZE] as number;
    this.writeHeader(end, (start - end) | (endFlags & Bits.PREV_FREE), INTERNAL_REQUEST);
    this.writeSentinel(start, 0);
    const counters = this.mem.counters;
    counters[Counter.LARGE_USED_CHUNKS] = (counters[Counter.LARGE_USED_CHUNKS] as number) + 1;
    counters[Counter.LARGE_USED_BYTES] = (counters[Counter.LARGE_USED_BYTES] as number) + (start - end);
  }

  /** Turns the space between the sentinel and `byteLength` into a free chunk at the top. */
  private extendTo(byteLength: number): void {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const end = header[Word.HEAP_END] as number;
    // A restored buffer may be any length (or grow to a maxByteLength that is not a page multiple):
    // the sentinel stays aligned and a few trailing bytes go unused.
    const newEnd = byteLength - Chunk.HEADER - ((byteLength - Chunk.HEADER) % this.align);
    if (newEnd <= end) return;
    const endFlags = u32[(end >>> 2) + H.SIZE] as number;
    // The old sentinel becomes a used chunk spanning the new space, then is freed (and merges).
    this.writeHeader(end, (newEnd - end) | (endFlags & Bits.PREV_FREE), 0);
    this.writeSentinel(newEnd, 0);
    const counters = this.mem.counters;
    counters[Counter.LARGE_USED_CHUNKS] = (counters[Counter.LARGE_USED_CHUNKS] as number) + 1;
    counters[Counter.LARGE_USED_BYTES] = (counters[Counter.LARGE_USED_BYTES] as number) + (newEnd - end);
    this.free(end + Chunk.HEADER);
  }

  /**
   * Gives free memory at the top of the heap back to a store that can shrink, keeping at least
   * `keepBytes` of store. Returns the number of bytes released.
   */
  trim(keepBytes: number): number {
    this.mem.refresh();
    if (!this.mem.canShrink) return 0;
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const end = header[Word.HEAP_END] as number;
    const endFlags = u32[(end >>> 2) + H.SIZE] as number;
    if ((endFlags & Bits.PREV_FREE) === 0) return 0;
    const topSize = u32[(end >>> 2) + H.PREV_SIZE] as number;
    const top = end - topSize;
    let newLength = Math.max(roundUp(top + Chunk.HEADER, WASM_PAGE), roundUp(keepBytes, WASM_PAGE));
    let newEnd = newLength - Chunk.HEADER;
    if (newEnd > top && newEnd - top < Chunk.MIN) {
      newLength += WASM_PAGE;
      newEnd += WASM_PAGE;
    }
    const before = this.mem.byteLength;
    if (newLength >= before) return 0;
    this.removeFree(top, topSize);
    if (newEnd > top) {
      const size = newEnd - top;
      this.writeHeader(top, size | Bits.FREE, 0);
      this.writeSentinel(newEnd, Bits.PREV_FREE);
      u32[(newEnd >>> 2) + H.PREV_SIZE] = size;
      this.insertFree(top, size);
    } else {
      this.writeSentinel(top, 0);
    }
    this.mem.shrink(newLength);
    return before - newLength;
  }
}
