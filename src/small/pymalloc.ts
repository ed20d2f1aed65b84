/**
 * The small-object allocator's code: the malloc/free fast paths, pools, arenas. The structure and
 * its invariants are described in `./layout.ts`; read that first.
 *
 * Internal hot paths trust their callers: the facade in `heap.ts` has validated the size (an
 * integer ≤ 512) or the pointer (a non-zero, aligned uint32) before calling in.
 *
 * @internal
 * @module
 */

import { DoubleFreeError, InvalidPointerError, RC_HINT } from '../errors';
import { Chunk, type Tlsf } from '../large/tlsf';
import { Counter, INTERNAL_REQUEST, Region, SmallState } from '../layout';
import type { Memory } from '../memory/store';
import { ArenaEntry, CARVE_BYTES, NO_ARENA, NONE, POOL_FIELDS_BYTES, PoolHeader, SMALL_REQUEST_THRESHOLD } from './layout';

/**
 * pymalloc over a {@link Memory}, with arenas from a {@link Tlsf}. One per heap; it holds only
 * the tunables and the views' owner, every piece of state is in the buffer.
 * @internal
 */
export class SmallHeap {
  readonly mem: Memory;
  readonly large: Tlsf;
  /** Block alignment A, A - 1 and log2(A). */
  readonly align: number;
  readonly alignMask: number;
  readonly alignLog2: number;
  /** Pool size P, P - 1 and log2(P). */
  readonly poolSize: number;
  readonly poolMask: number;
  readonly poolLog2: number;
  /** Arena size R: the TLSF chunk of an arena is exactly this many bytes. */
  readonly arenaSize: number;
  /** R / P. */
  readonly poolsPerArena: number;
  /** Pool header bytes: fields and live bitmap, rounded to A. The first block starts here. */
  readonly poolHeader: number;
  /** Words of the live bitmap. */
  readonly bitmapWords: number;
  /** Number of size classes: 512 / A. */
  readonly classes: number;

  constructor(mem: Memory, large: Tlsf, align: number, poolSize: number, arenaSize: number) {
    this.mem = mem;
    this.large = large;
    this.align = align;
    this.alignMask = align - 1;
    this.alignLog2 = 31 - Math.clz32(align);
    this.poolSize = poolSize;
    this.poolMask = poolSize - 1;
    this.poolLog2 = 31 - Math.clz32(poolSize);
    this.arenaSize = arenaSize;
    this.poolsPerArena = arenaSize / poolSize;
    this.bitmapWords = Math.ceil(poolSize / align / 32);
    this.poolHeader = Math.ceil((POOL_FIELDS_BYTES + this.bitmapWords * 4) / align) * align;
    this.classes = SMALL_REQUEST_THRESHOLD / align;
  }

  /**
   * Lays out the empty state in the heap header: no arenas, every list empty, and a clear pool
   * map for the store's maximum size (see `./layout.ts`). Runs once, on a new heap.
   */
  format(): void {
    const header = this.mem.head;
    header.fill(0, SmallState.ARENA_TABLE, SmallState.END);
    header[SmallState.UNUSED_SLOTS] = NONE;
    header[SmallState.USABLE_HEAD] = NONE;
    header.fill(NONE, SmallState.LAST_WITH, SmallState.LAST_WITH + this.poolsPerArena + 1);
    const counters = this.mem.counters;
    counters[Counter.ARENAS_ALLOCATED] = 0;
    counters[Counter.ARENAS_RECLAIMED] = 0;
    counters[Counter.ARENAS_PEAK] = 0;
    let pages = Math.ceil(this.mem.maxBytes / this.poolSize);
    const words = Math.ceil(pages / 32);
    let map = this.mem.base + (SmallState.END << 2);
    if (SmallState.END + words > Region.END) {
      map = this.large.malloc(words * 4);
      // A store too small for its own map gets no arenas: every request goes to TLSF.
      if (map === 0) pages = 0;
      else this.large.setRequested(map, INTERNAL_REQUEST);
    }
    const mapped = this.mem.u32;
    if (pages !== 0) mapped.fill(0, map >>> 2, (map >>> 2) + words);
    this.mem.head[SmallState.POOL_MAP] = map;
    this.mem.head[SmallState.POOL_MAP_PAGES] = pages;
  }

  /** Sets (`on`) or clears the pool-map bits of the `count` pages from address `first`. */
  private mapPools(first: number, count: number, on: boolean): void {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const mapWord = (header[SmallState.POOL_MAP] as number) >>> 2;
    for (let page = first >>> this.poolLog2, end = page + count; page < end; page++) {
      const w = mapWord + (page >>> 5);
      u32[w] = on ? (u32[w] as number) | (1 << (page & 31)) : (u32[w] as number) & ~(1 << (page & 31));
    }
  }

  /** Block size of class `c`. */
  classSize(c: number): number {
    return (c + 1) << this.alignLog2;
  }

  // ─── malloc ────────────────────────────────────────────────────────────────────────────────

  /**
   * Allocates a block for a request of 0..512 bytes; 0 when no arena can be had.
   *
   * The fast path, a pool of the class in use: the class list head, the pool's free-list head, a
   * pop (one load through the block), the count, and one bitmap word read-modify-write: six
   * typed-array loads, four stores, two well-predicted branches, no call. The pop that takes the
   * last listed block is {@link SmallHeap.mallocCarve}'s (the next never-used blocks are carved
   * ahead, or the pool is full); no used pool, or detached views, {@link SmallHeap.mallocSlow}'s.
   * The function is kept this small so that V8 inlines it into `Heap.malloc`,
   * and that into the caller's loop, beside `Heap.free`: V8 inlines at most 920 bytecodes into one
   * function (`--max-inlined-bytecode-size-cumulative`), and a function past that budget is
   * called instead, which costs more than the whole pop.
   */
  malloc(size: number): number {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const log = this.alignLog2;
    const c = size === 0 ? 0 : (size - 1) >>> log;
    const pool = header[SmallState.USED_POOLS + c] as number;
    // Falsy is 0 (no used pool) or undefined: WASM code grew the memory and detached the views.
    if (pool) {
      const pw = pool >>> 2;
      const block = u32[pw + PoolHeader.FREE_BLOCK] as number;
      const next = u32[block >>> 2] as number;
      // The last listed block: carve the next ones ahead (as CPython does), out of line.
      if (next === 0) return this.mallocCarve(pool, c);
      u32[pw + PoolHeader.FREE_BLOCK] = next;
      u32[pw + PoolHeader.COUNT] = (u32[pw + PoolHeader.COUNT] as number) + 1;
      const unit = (block - pool) >>> log;
      const bw = pw + PoolHeader.BITMAP + (unit >>> 5);
      u32[bw] = (u32[bw] as number) | (1 << (unit & 31));
      return block;
    }
    return this.mallocSlow(c);
  }

  /**
   * malloc's pop takes the last listed block of `pool` (class `c`): carves the next never-used
   * blocks ahead ({@link SmallHeap.carve}) as the new list; when no whole block is left, the list
   * stays empty and the pool is full (carve takes it off its class list).
   */
  private mallocCarve(pool: number, c: number): number {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const block = u32[pw + PoolHeader.FREE_BLOCK] as number;
    u32[pw + PoolHeader.FREE_BLOCK] = this.carve(pool, c);
    u32[pw + PoolHeader.COUNT] = (u32[pw + PoolHeader.COUNT] as number) + 1;
    const unit = (block - pool) >>> this.alignLog2;
    const bw = pw + PoolHeader.BITMAP + (unit >>> 5);
    u32[bw] = (u32[bw] as number) | (1 << (unit & 31));
    return block;
  }

  /**
   * The rest of malloc for class `c`: no used pool, so one is taken ({@link SmallHeap.poolFor})
   * and malloc runs again; or the views are detached (WASM code grew the memory: re-bind). Since
   * a class's only pool is kept as it empties, this runs about once per pool a class takes.
   */
  private mallocSlow(c: number): number {
    // The arena table and other pools may lie past these views if another thread grew the store.
    this.mem.reachEnd();
    // Detached views have length 0: only then ask the memory.
    if (this.mem.u32.length === 0 && this.mem.refresh()) return this.malloc((c + 1) << this.alignLog2);
    return this.poolFor(c) === 0 ? 0 : this.malloc((c + 1) << this.alignLog2);
  }

  /**
   * The pool's free list is running dry: carves the next never-used blocks, up to
   * {@link CARVE_BYTES} of them, and returns the first (the new list, in address order), or
   * returns 0 when no whole block is left, taking the now full pool off its class list
   * (used → full).
   */
  private carve(pool: number, c: number): number {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const offset = u32[pw + PoolHeader.NEXT_OFFSET] as number;
    const max = u32[pw + PoolHeader.MAX_NEXT_OFFSET] as number;
    if (offset > max) {
      this.unlinkUsed(pool, c);
      return 0;
    }
    const size = this.classSize(c);
    // CARVE_BYTES' worth of blocks (at least one, at most what is left), linked in address order.
    const last = Math.min(max, offset + Math.max(0, CARVE_BYTES - size));
    let o = offset;
    for (; o + size <= last; o += size) u32[(pool + o) >>> 2] = pool + o + size;
    u32[(pool + o) >>> 2] = 0;
    u32[pw + PoolHeader.NEXT_OFFSET] = o + size;
    return pool + offset;
  }

  /**
   * Slow path of malloc: no used pool of class `c`. Takes an empty or untouched pool from the
   * fullest usable arena (making an arena when there is none), links it as used, returns it.
   */
  private poolFor(c: number): number {
    let u32 = this.mem.u32;
    let header = this.mem.head;
    let arena = header[SmallState.USABLE_HEAD] as number;
    if (arena === NONE) {
      // An arena of kept pools alone serves before a new arena is made.
      this.releaseKeptArenas();
      arena = header[SmallState.USABLE_HEAD] as number;
    }
    if (arena === NONE) {
      arena = this.newArena();
      if (arena === NONE) return 0;
      u32 = this.mem.u32;
      header = this.mem.head;
    }
    const aw = this.entryWord(arena);
    let pool = u32[aw + ArenaEntry.FREE_POOL_LIST] as number;
    if (pool !== 0) {
      u32[aw + ArenaEntry.FREE_POOL_LIST] = u32[(pool >>> 2) + PoolHeader.NEXT] as number;
      // empty → used. Same class: its free list still holds all its blocks, nothing to redo.
      if (u32[(pool >>> 2) + PoolHeader.CLASS] !== c) this.initPool(pool, arena, c);
    } else {
      // untouched → used
      pool = u32[aw + ArenaEntry.WATERMARK] as number;
      u32[aw + ArenaEntry.WATERMARK] = pool + this.poolSize;
      this.initPool(pool, arena, c);
    }
    this.arenaTookPool(arena, aw);
    this.linkUsed(pool, c);
    return pool;
  }

  private initPool(pool: number, arena: number, c: number): void {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const base = u32[this.entryWord(arena) + ArenaEntry.BASE] as number;
    // The last pool of an arena is Chunk.HEADER bytes short: the next chunk's header is there.
    const limit = pool + this.poolSize === base + this.arenaSize ? this.poolSize - Chunk.HEADER : this.poolSize;
    // The first block is carved at once: a used pool's free list is never empty.
    const first = pool + this.poolHeader;
    u32[first >>> 2] = 0;
    u32[pw + PoolHeader.COUNT] = 0;
    u32[pw + PoolHeader.FREE_BLOCK] = first;
    u32[pw + PoolHeader.ARENA] = arena;
    u32[pw + PoolHeader.CLASS] = c;
    u32[pw + PoolHeader.NEXT_OFFSET] = this.poolHeader + this.classSize(c);
    u32[pw + PoolHeader.MAX_NEXT_OFFSET] = limit - this.classSize(c);
    u32.fill(0, pw + PoolHeader.BITMAP, pw + PoolHeader.BITMAP + this.bitmapWords);
    this.mapPools(pool, 1, true);
  }

  /** Links `pool` at the front of usedPools[c]. */
  private linkUsed(pool: number, c: number): void {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const next = header[SmallState.USED_POOLS + c] as number;
    u32[(pool >>> 2) + PoolHeader.NEXT] = next;
    u32[(pool >>> 2) + PoolHeader.PREV] = 0;
    if (next !== 0) u32[(next >>> 2) + PoolHeader.PREV] = pool;
    header[SmallState.USED_POOLS + c] = pool;
  }

  private unlinkUsed(pool: number, c: number): void {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const next = u32[(pool >>> 2) + PoolHeader.NEXT] as number;
    const prev = u32[(pool >>> 2) + PoolHeader.PREV] as number;
    if (prev === 0) header[SmallState.USED_POOLS + c] = next;
    else u32[(prev >>> 2) + PoolHeader.NEXT] = next;
    if (next !== 0) u32[(next >>> 2) + PoolHeader.PREV] = prev;
  }

  // ─── free ──────────────────────────────────────────────────────────────────────────────────

  /**
   * The pool that holds address `ptr` when `ptr` lies in a pool that malloc has handed out, else
   * 0. O(1): the pool map is the library's own memory, so no user data can pass this test.
   */
  poolOf(ptr: number): number {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const page = ptr >>> this.poolLog2;
    // Beyond the store (or with detached views) this reads undefined, which fails the tests.
    if (
      !(page < (header[SmallState.POOL_MAP_PAGES] as number)) ||
      (((u32[((header[SmallState.POOL_MAP] as number) >>> 2) + (page >>> 5)] as number) >>> (page & 31)) & 1) === 0
    ) {
      // Cold: not a small pool, or an address past the views: the store grew behind the heap's
      // back (WASM code detached them, or another thread grew a shared store; Memory.refresh).
      return ptr >>> 2 >= u32.length && this.mem.refresh() ? this.poolOf(ptr) : 0;
    }
    return ptr - (ptr & this.poolMask);
  }

  /**
   * `free` for the facade: frees `ptr` if it lies in a pool that malloc has handed out and
   * returns the block's size; returns 0, changing nothing, when `ptr` is no small pointer
   * (misaligned, or in no such pool: the caller tries the large-object heap); throws a typed
   * error, changing nothing, when it lies in a pool but is not an allocated block's start.
   *
   * It is {@link SmallHeap.poolOf} and then {@link SmallHeap.free} written out as one function,
   * with the cold tests in {@link SmallHeap.tryFreeCold}, so that `Heap.malloc` and `Heap.free`
   * together fit V8's cumulative inlining budget (920 bytecodes) in the caller's loop. The cost
   * over an unchecked free-list push is the address check (the pool map: three loads from the
   * heap header and the map, two compares) and the bitmap word, which is the double-free check
   * and the mark at once.
   */
  tryFree(ptr: number): number {
    const mem = this.mem;
    const u32 = mem.u32;
    const header = mem.head;
    const page = ptr >>> this.poolLog2;
    // Beyond the store (or with detached views) this reads undefined, which fails the tests.
    if (
      (ptr & this.alignMask) !== 0 ||
      !(page < (header[SmallState.POOL_MAP_PAGES] as number)) ||
      (((u32[((header[SmallState.POOL_MAP] as number) >>> 2) + (page >>> 5)] as number) >>> (page & 31)) & 1) === 0
    ) {
      return this.tryFreeCold(ptr);
    }
    const offset = ptr & this.poolMask;
    const pool = ptr - offset;
    const pw = pool >>> 2;
    const log = this.alignLog2;
    const unit = offset >>> log;
    const bw = pw + PoolHeader.BITMAP + (unit >>> 5);
    const word = u32[bw] as number;
    const bit = 1 << (unit & 31);
    if ((word & bit) === 0) return this.freeMissed(ptr, pool);
    u32[bw] = word & ~bit;
    const head = u32[pw + PoolHeader.FREE_BLOCK] as number;
    u32[ptr >>> 2] = head;
    u32[pw + PoolHeader.FREE_BLOCK] = ptr;
    const count = (u32[pw + PoolHeader.COUNT] as number) - 1;
    u32[pw + PoolHeader.COUNT] = count;
    const c = u32[pw + PoolHeader.CLASS] as number;
    // An empty free list means the pool was full (a used pool always has a free block).
    if (head === 0 || count === 0) this.freeTransition(pool, head, count);
    return (c + 1) << log;
  }

  /**
   * The cold tail of {@link SmallHeap.tryFree}: a misaligned pointer, one in no small pool, or an
   * address past the views (the store grew behind the heap's back: re-bind and try again).
   */
  private tryFreeCold(ptr: number): number {
    if ((ptr & this.alignMask) !== 0) return 0;
    return ptr >>> 2 >= this.mem.u32.length && this.mem.refresh() ? this.tryFree(ptr) : 0;
  }

  /**
   * Frees the block at `ptr` in `pool` (from {@link SmallHeap.poolOf}) and returns its size, or
   * throws a typed error and changes nothing when `ptr` is not an allocated block's start.
   *
   * The fast path: one bitmap word read and written (the check and the mark at once), a push on
   * the pool's free list (two stores), the count, and one branch for the rare transitions.
   */
  free(ptr: number, pool: number): number {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const unit = (ptr - pool) >>> this.alignLog2;
    const bw = pw + PoolHeader.BITMAP + (unit >>> 5);
    const word = u32[bw] as number;
    const bit = 1 << (unit & 31);
    if ((word & bit) === 0) return this.freeMissed(ptr, pool);
    u32[bw] = word & ~bit;
    const head = u32[pw + PoolHeader.FREE_BLOCK] as number;
    u32[ptr >>> 2] = head;
    u32[pw + PoolHeader.FREE_BLOCK] = ptr;
    const count = (u32[pw + PoolHeader.COUNT] as number) - 1;
    u32[pw + PoolHeader.COUNT] = count;
    const c = u32[pw + PoolHeader.CLASS] as number;
    // An empty free list means the pool was full (a used pool always has a free block).
    if (head === 0 || count === 0) this.freeTransition(pool, head, count);
    return (c + 1) << this.alignLog2;
  }

  /**
   * `free` found the block's bit clear: a bad pointer, or a pool past these views (another thread
   * grew the store and made it there; the bitmap load read undefined). Re-binds and frees in the
   * second case, throws the typed error, changing nothing, in the first.
   */
  private freeMissed(ptr: number, pool: number): number {
    if (ptr >= this.mem.u8.length && this.mem.refresh()) return this.free(ptr, pool);
    throw this.badPointer(ptr, pool);
  }

  /**
   * The rare part of free: full → used, or used/full → empty (and maybe the arena goes back). A
   * class's only used pool stays on its class list when it empties (it is *kept*), so that a
   * program that allocates and frees one block at a time does not give the pool back to its arena
   * and take it again on every pair (benchmark A; see "Kept pools" in `./layout.ts`).
   */
  private freeTransition(pool: number, head: number, count: number): void {
    // The arena table and other pools may lie past these views if another thread grew the store.
    this.mem.reachEnd();
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const c = u32[pw + PoolHeader.CLASS] as number;
    const wasFull = head === 0;
    if (count !== 0) {
      if (wasFull) {
        // full → used, at the front of its class list; a kept pool there goes back first.
        const first = this.mem.head[SmallState.USED_POOLS + c] as number;
        if (first !== 0 && u32[(first >>> 2) + PoolHeader.COUNT] === 0) {
          this.unlinkUsed(first, c);
          const aw = this.entryWord(u32[(first >>> 2) + PoolHeader.ARENA] as number);
          const bound = u32[aw + ArenaEntry.KEPT] as number;
          if (bound !== 0) u32[aw + ArenaEntry.KEPT] = bound - 1;
          this.toEmpty(first);
        }
        this.linkUsed(pool, c);
      }
      return;
    }
    if (!wasFull) {
      if (u32[pw + PoolHeader.PREV] === 0 && u32[pw + PoolHeader.NEXT] === 0 && this.mayKeep(pool)) {
        const aw = this.entryWord(u32[pw + PoolHeader.ARENA] as number);
        u32[aw + ArenaEntry.KEPT] = (u32[aw + ArenaEntry.KEPT] as number) + 1;
        return;
      }
      this.unlinkUsed(pool, c);
    }
    this.toEmpty(pool);
  }

  /**
   * Whether `pool`, the only pool on its class list, may be kept there as it empties: unless the
   * arena would then hold only kept and free pools while other arenas exist (a kept pool must
   * never hold on to an arena that could go back).
   */
  private mayKeep(pool: number): boolean {
    const u32 = this.mem.u32;
    const arena = u32[(pool >>> 2) + PoolHeader.ARENA] as number;
    const aw = this.entryWord(arena);
    const free = u32[aw + ArenaEntry.FREE_POOLS] as number;
    if (this.mem.head[SmallState.ARENAS] === 1 || free + (u32[aw + ArenaEntry.KEPT] as number) + 1 < this.poolsPerArena) return true;
    return free + this.kept(arena, false) + 1 < this.poolsPerArena;
  }

  /**
   * The kept pools of `arena`: empty pools at the head of a class list, at most one per class.
   * Counts them and makes the arena's `KEPT` bound exact, or with `release` makes them empty (off
   * their class lists, onto the arena's free-pool list; the bound is then 0).
   */
  private kept(arena: number, release: boolean): number {
    const u32 = this.mem.u32;
    let n = 0;
    for (let k = 0; k < this.classes; k++) {
      const pool = this.mem.head[SmallState.USED_POOLS + k] as number;
      const pw = pool >>> 2;
      if (pool === 0 || u32[pw + PoolHeader.COUNT] !== 0 || u32[pw + PoolHeader.ARENA] !== arena) continue;
      n++;
      if (!release) continue;
      this.unlinkUsed(pool, k);
      this.emptied(pool);
    }
    u32[this.entryWord(arena) + ArenaEntry.KEPT] = release ? 0 : n;
    return n;
  }

  /**
   * No arena has a free pool: the kept pools of any arena that holds nothing else go back, so
   * that it serves. Other kept pools stay (malloc then makes an arena), so that classes in use
   * keep their pools: giving every kept pool back here made a real C workload through
   * `arenalloc/wasm` give pools back and take them again in turn, 1,600 times a unit.
   */
  private releaseKeptArenas(): void {
    if (this.poolsPerArena > this.classes) return; // an arena cannot be all kept pools
    const u32 = this.mem.u32;
    for (let k = 0; k < this.classes; k++) {
      const pool = this.mem.head[SmallState.USED_POOLS + k] as number;
      if (pool === 0 || u32[(pool >>> 2) + PoolHeader.COUNT] !== 0) continue;
      const arena = u32[(pool >>> 2) + PoolHeader.ARENA] as number;
      if (this.kept(arena, false) === this.poolsPerArena) this.kept(arena, true);
    }
  }

  /**
   * `pool`, already off its class list, is empty: onto its arena's free-pool list. If its arena
   * is then left with only kept and free pools while other arenas exist, its kept pools go too,
   * so that the arena can go back.
   */
  private toEmpty(pool: number): void {
    const arena = this.emptied(pool);
    const u32 = this.mem.u32;
    const aw = this.entryWord(arena);
    if (u32[aw + ArenaEntry.BASE] === 0 || this.mem.head[SmallState.ARENAS] === 1) return;
    const free = u32[aw + ArenaEntry.FREE_POOLS] as number;
    const total = this.poolsPerArena;
    if (free === total || free + (u32[aw + ArenaEntry.KEPT] as number) < total) return;
    if (free + this.kept(arena, false) === total) this.kept(arena, true);
  }

  /** Puts the empty `pool` on its arena's free-pool list (the arena may go back); returns the arena. */
  private emptied(pool: number): number {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const arena = u32[pw + PoolHeader.ARENA] as number;
    const aw = this.entryWord(arena);
    u32[pw + PoolHeader.NEXT] = u32[aw + ArenaEntry.FREE_POOL_LIST] as number;
    u32[aw + ArenaEntry.FREE_POOL_LIST] = pool;
    this.arenaFreedPool(arena, aw);
    return arena;
  }

  /** Whether `ptr` in `pool` is an allocated block's start. */
  isLive(ptr: number, pool: number): boolean {
    this.mem.reach(ptr);
    const unit = (ptr - pool) >>> this.alignLog2;
    return (((this.mem.u32[(pool >>> 2) + PoolHeader.BITMAP + (unit >>> 5)] as number) >>> (unit & 31)) & 1) === 1;
  }

  /** Throws the typed error for `ptr` in `pool` unless it is an allocated block's start. */
  checkLive(ptr: number, pool: number): void {
    if (!this.isLive(ptr, pool)) throw this.badPointer(ptr, pool);
  }

  /** Block size of the pool's class. */
  blockSize(pool: number): number {
    return ((this.mem.u32[(pool >>> 2) + PoolHeader.CLASS] as number) + 1) << this.alignLog2;
  }

  /** Works out why `ptr` (aligned, in `pool`, its bit clear) is not an allocated block. */
  private badPointer(ptr: number, pool: number): Error {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const offset = ptr - pool;
    const size = this.blockSize(pool);
    if (offset < this.poolHeader) return new InvalidPointerError(`pointer ${ptr} is inside the header of the pool at ${pool}`, ptr);
    const into = (offset - this.poolHeader) % size;
    if (into !== 0) {
      return new InvalidPointerError(`pointer ${ptr} is ${into} bytes inside the ${size}-byte block at ${ptr - into}${RC_HINT}`, ptr);
    }
    if (offset >= (u32[pw + PoolHeader.NEXT_OFFSET] as number)) {
      return new InvalidPointerError(`pointer ${ptr} is a block of the pool at ${pool} that was never allocated`, ptr);
    }
    if (u32[pw + PoolHeader.COUNT] === 0) {
      return new DoubleFreeError(`pointer ${ptr} was already freed (its pool at ${pool} is now empty)`, ptr);
    }
    return new DoubleFreeError(`pointer ${ptr} was already freed`, ptr);
  }

  // ─── arenas ────────────────────────────────────────────────────────────────────────────────

  /** Word index of arena `arena`'s table entry. */
  entryWord(arena: number): number {
    return ((this.mem.head[SmallState.ARENA_TABLE] as number) >>> 2) + arena * ArenaEntry.STRIDE;
  }

  /**
   * Gets an arena from the large-object heap and puts it on the (empty) usable list. Returns its
   * index, or NONE, changing nothing, when the large-object heap cannot give one.
   */
  private newArena(): number {
    const large = this.large;
    const base = large.alignedAlloc(this.arenaSize - Chunk.HEADER, this.poolSize);
    if (base === 0) return NONE;
    // The pool map ends at the store's maximum size as the heap was created; a store attached
    // with room to grow beyond it gets no arenas there.
    if (base + this.arenaSize > (this.mem.head[SmallState.POOL_MAP_PAGES] as number) * this.poolSize) {
      large.free(base);
      return NONE;
    }
    large.setRequested(base, INTERNAL_REQUEST);
    let u32 = this.mem.u32;
    let header = this.mem.head;
    let arena = header[SmallState.UNUSED_SLOTS] as number;
    if (arena !== NONE) {
      header[SmallState.UNUSED_SLOTS] = u32[this.entryWord(arena) + ArenaEntry.NEXT] as number;
    } else {
      arena = header[SmallState.ARENA_SLOTS] as number;
      if (arena === header[SmallState.ARENA_CAPACITY] && !this.growTable()) {
        large.free(base);
        return NONE;
      }
      u32 = this.mem.u32;
      header = this.mem.head;
      header[SmallState.ARENA_SLOTS] = arena + 1;
    }
    const aw = this.entryWord(arena);
    const total = this.poolsPerArena;
    u32[aw + ArenaEntry.BASE] = base;
    u32[aw + ArenaEntry.FREE_POOLS] = total;
    u32[aw + ArenaEntry.FREE_POOL_LIST] = 0;
    u32[aw + ArenaEntry.WATERMARK] = base;
    u32[aw + ArenaEntry.NEXT] = NONE;
    u32[aw + ArenaEntry.PREV] = NONE;
    u32[aw + ArenaEntry.KEPT] = 0;
    // Untouched pools say so, whatever the memory held before: free must never take them for pools.
    for (let i = 0; i < total; i++) u32[((base + i * this.poolSize) >>> 2) + PoolHeader.ARENA] = NO_ARENA;
    header[SmallState.USABLE_HEAD] = arena;
    header[SmallState.LAST_WITH + total] = arena;
    header[SmallState.EMPTY_ARENAS] = (header[SmallState.EMPTY_ARENAS] as number) + 1;
    const arenas = (header[SmallState.ARENAS] as number) + 1;
    header[SmallState.ARENAS] = arenas;
    const counters = this.mem.counters;
    counters[Counter.ARENAS_ALLOCATED] = (counters[Counter.ARENAS_ALLOCATED] as number) + 1;
    if (arenas > (counters[Counter.ARENAS_PEAK] as number)) counters[Counter.ARENAS_PEAK] = arenas;
    return arena;
  }

  /** Doubles the arena table (an internal chunk of the large-object heap). */
  private growTable(): boolean {
    const header = this.mem.head;
    const old = header[SmallState.ARENA_TABLE] as number;
    const capacity = header[SmallState.ARENA_CAPACITY] as number;
    const next = capacity === 0 ? 16 : capacity * 2;
    const table = this.large.malloc(next * ArenaEntry.STRIDE * 4);
    if (table === 0) return false;
    this.large.setRequested(table, INTERNAL_REQUEST);
    const fresh = this.mem.u32;
    if (old !== 0) {
      fresh.copyWithin(table >>> 2, old >>> 2, (old >>> 2) + capacity * ArenaEntry.STRIDE);
      this.large.free(old);
    }
    this.mem.head[SmallState.ARENA_TABLE] = table;
    this.mem.head[SmallState.ARENA_CAPACITY] = next;
    return true;
  }

  /**
   * The head arena of the usable list gave a pool away. It has the fewest free pools, so it stays
   * the head, unless it has none left and leaves the list.
   */
  private arenaTookPool(arena: number, aw: number): void {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const free = u32[aw + ArenaEntry.FREE_POOLS] as number;
    if (free === this.poolsPerArena) header[SmallState.EMPTY_ARENAS] = (header[SmallState.EMPTY_ARENAS] as number) - 1;
    if (header[SmallState.LAST_WITH + free] === arena) header[SmallState.LAST_WITH + free] = NONE;
    u32[aw + ArenaEntry.FREE_POOLS] = free - 1;
    if (free - 1 === 0) {
      const next = u32[aw + ArenaEntry.NEXT] as number;
      header[SmallState.USABLE_HEAD] = next;
      if (next !== NONE) u32[this.entryWord(next) + ArenaEntry.PREV] = NONE;
      u32[aw + ArenaEntry.NEXT] = NONE;
    } else {
      // Every other arena has at least `free` free pools: this one is alone with free - 1.
      header[SmallState.LAST_WITH + free - 1] = arena;
    }
  }

  /**
   * A pool of `arena` became empty: one more free pool. The arena moves right past the arenas
   * that had as many free pools as it had (in O(1), through lastWith); a full arena re-enters the
   * list at the head. A wholly free arena goes back to the large-object heap unless it is the
   * only one (the spare).
   */
  private arenaFreedPool(arena: number, aw: number): void {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const free = u32[aw + ArenaEntry.FREE_POOLS] as number;
    if (free === 0) {
      const head = header[SmallState.USABLE_HEAD] as number;
      u32[aw + ArenaEntry.NEXT] = head;
      u32[aw + ArenaEntry.PREV] = NONE;
      if (head !== NONE) u32[this.entryWord(head) + ArenaEntry.PREV] = arena;
      header[SmallState.USABLE_HEAD] = arena;
    } else {
      const last = header[SmallState.LAST_WITH + free] as number;
      if (last === arena) {
        const prev = u32[aw + ArenaEntry.PREV] as number;
        header[SmallState.LAST_WITH + free] = prev !== NONE && u32[this.entryWord(prev) + ArenaEntry.FREE_POOLS] === free ? prev : NONE;
      } else {
        this.unlinkUsable(arena);
        this.insertUsableAfter(arena, last);
      }
    }
    const now = free + 1;
    u32[aw + ArenaEntry.FREE_POOLS] = now;
    if (header[SmallState.LAST_WITH + now] === NONE) header[SmallState.LAST_WITH + now] = arena;
    if (now !== this.poolsPerArena) return;
    if (header[SmallState.EMPTY_ARENAS] === 0) {
      header[SmallState.EMPTY_ARENAS] = 1; // the spare
      return;
    }
    // Two wholly free arenas, side by side at the end of the list: keep the one at the lower
    // address as the spare, so that free space gathers at the top where trim() can return it.
    const last = header[SmallState.LAST_WITH + now] as number;
    const other = last !== arena ? last : (u32[aw + ArenaEntry.PREV] as number);
    const otherBase = u32[this.entryWord(other) + ArenaEntry.BASE] as number;
    this.releaseArena(otherBase > (u32[aw + ArenaEntry.BASE] as number) ? other : arena);
  }

  /** Takes a wholly free arena off the usable list and gives its chunk back. */
  private releaseArena(arena: number): void {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const aw = this.entryWord(arena);
    const total = this.poolsPerArena;
    if (header[SmallState.LAST_WITH + total] === arena) {
      const prev = u32[aw + ArenaEntry.PREV] as number;
      header[SmallState.LAST_WITH + total] = prev !== NONE && u32[this.entryWord(prev) + ArenaEntry.FREE_POOLS] === total ? prev : NONE;
    }
    this.unlinkUsable(arena);
    const base = u32[aw + ArenaEntry.BASE] as number;
    this.mapPools(base, ((u32[aw + ArenaEntry.WATERMARK] as number) - base) >>> this.poolLog2, false);
    u32[aw + ArenaEntry.BASE] = 0;
    u32[aw + ArenaEntry.FREE_POOLS] = 0;
    u32[aw + ArenaEntry.FREE_POOL_LIST] = 0;
    u32[aw + ArenaEntry.WATERMARK] = 0;
    u32[aw + ArenaEntry.PREV] = NONE;
    u32[aw + ArenaEntry.NEXT] = header[SmallState.UNUSED_SLOTS] as number;
    header[SmallState.UNUSED_SLOTS] = arena;
    header[SmallState.ARENAS] = (header[SmallState.ARENAS] as number) - 1;
    const counters = this.mem.counters;
    counters[Counter.ARENAS_RECLAIMED] = (counters[Counter.ARENAS_RECLAIMED] as number) + 1;
    this.large.free(base);
  }

  private unlinkUsable(arena: number): void {
    const u32 = this.mem.u32;
    const header = this.mem.head;
    const aw = this.entryWord(arena);
    const next = u32[aw + ArenaEntry.NEXT] as number;
    const prev = u32[aw + ArenaEntry.PREV] as number;
    if (prev === NONE) header[SmallState.USABLE_HEAD] = next;
    else u32[this.entryWord(prev) + ArenaEntry.NEXT] = next;
    if (next !== NONE) u32[this.entryWord(next) + ArenaEntry.PREV] = prev;
    u32[aw + ArenaEntry.NEXT] = NONE;
    u32[aw + ArenaEntry.PREV] = NONE;
  }

  private insertUsableAfter(arena: number, after: number): void {
    const u32 = this.mem.u32;
    const aw = this.entryWord(arena);
    const afterWord = this.entryWord(after);
    const next = u32[afterWord + ArenaEntry.NEXT] as number;
    u32[aw + ArenaEntry.PREV] = after;
    u32[aw + ArenaEntry.NEXT] = next;
    u32[afterWord + ArenaEntry.NEXT] = arena;
    if (next !== NONE) u32[this.entryWord(next) + ArenaEntry.PREV] = arena;
  }
}
