/**
 * The threaded heap's code: one {@link ThreadedAllocator} per thread that joined, installed as
 * the heap object's allocation hooks, so that `Heap.malloc` and the other entries reach it
 * through the branch they already take. The structure, its invariants and the reasons are in
 * `./layout.ts`; read that first.
 *
 * Internal paths trust their callers: the public entries of `Heap` have validated the size or the
 * pointer's type before calling in.
 *
 * @internal
 * @module
 */

import { DoubleFreeError, InvalidArgumentError, InvalidPointerError, RC_HINT, ThreadClosedError, ThreadLimitError } from '../errors';
import type { Heap, HeapHooks } from '../heap';
import { Bits, Chunk, ChunkState, H, type Tlsf, tagOf } from '../large/tlsf';
import { Flag, INTERNAL_REQUEST, SmallState, Word } from '../layout';
import type { Memory } from '../memory/store';
import { checkLiveLarge } from '../route';
import { SMALL_REQUEST_THRESHOLD } from '../small/layout';
import {
  CACHE_ENTRIES,
  CACHE_MAX_CHUNK,
  CACHED_REQUEST,
  DEFAULT_MAX_THREADS,
  HAND_BACK_MAX,
  KEEP_EMPTY_POOLS,
  LINE_BYTES,
  LINE_WORDS,
  PoolList,
  Slot,
  SlotState,
  Table,
  TPool,
} from './layout';
import { lock, mayBlock, unlock } from './lock';
import { Mutant, mutant } from './mutants';

/**
 * The allocator of one thread of a threaded heap: the thread's slot, its view of the tunables,
 * and the code. Every piece of state is in the buffer; this object only caches indexes.
 * @internal
 */
export class ThreadedAllocator implements HeapHooks {
  readonly heap: Heap;
  readonly mem: Memory;
  readonly large: Tlsf;
  /** The slot index (the heap's `threadId`) and the owner word of this thread's pools (index + 1). */
  readonly slot: number;
  readonly me: number;
  /** The token this thread joined with; reclaim changes the slot's. */
  readonly token: number;
  /** Word index of the thread table, of this slot, of its usedPools and fullPools. */
  readonly table: number;
  readonly slotWord: number;
  readonly usedWord: number;
  readonly fullWord: number;
  /**
   * This slot's three counters alone (live bytes, allocations, frees), a fixed view that no growth
   * replaces (a threaded heap's store is a growable SharedArrayBuffer, which never detaches): the
   * fast paths index it with constants instead of `mem.f64` at a field's offset.
   */
  readonly counts: Float64Array;
  /** Int32 index of the heap lock. */
  readonly lockAt: number;
  /** Whether this thread may block in Atomics.wait. */
  readonly canBlock: boolean;
  readonly align: number;
  readonly alignMask: number;
  readonly alignLog2: number;
  readonly poolSize: number;
  readonly poolMask: number;
  readonly poolLog2: number;
  readonly arenaSize: number;
  /** Words of each of the two bitmaps. */
  readonly bitmapWords: number;
  /** Word offsets, in a pool, of its remote flag and pending bitmap; from a live bitmap word to its pending word. */
  readonly remote: number;
  readonly pending: number;
  readonly toPending: number;
  /** Bytes of a threaded pool's header: fields and both bitmaps, rounded to the alignment. */
  readonly poolHeader: number;
  readonly classes: number;
  /** False once the thread closed, or found its slot reclaimed. */
  open: boolean;

  constructor(heap: Heap, slot: number, token: number) {
    const mem = heap._mem;
    this.heap = heap;
    this.mem = mem;
    this.large = heap._large;
    this.slot = slot;
    this.me = slot + 1;
    this.token = token;
    this.table = (mem.head[Word.THREADS_ROOT] as number) >>> 2;
    this.slotWord = slotWordOf(mem, this.table, slot);
    this.usedWord = this.slotWord + Slot.USED;
    this.fullWord = this.slotWord + Slot.FULL;
    this.counts = new Float64Array(mem.buffer, (this.slotWord + Slot.LIVE_BYTES) * 4, 3);
    this.lockAt = this.table + Table.LOCK;
    this.canBlock = mayBlock(mem, this.table + Table.ZERO);
    const small = heap._small;
    this.align = small.align;
    this.alignMask = small.alignMask;
    this.alignLog2 = small.alignLog2;
    this.poolSize = small.poolSize;
    this.poolMask = small.poolMask;
    this.poolLog2 = small.poolLog2;
    this.arenaSize = small.arenaSize;
    this.classes = small.classes;
    this.bitmapWords = small.bitmapWords;
    this.remote = remoteFlagWord(this.bitmapWords);
    this.pending = this.remote + 1;
    this.toPending = this.pending - TPool.LIVE;
    this.poolHeader = poolHeaderBytes(this.align, this.bitmapWords);
    this.open = true;
  }

  // ─── malloc ────────────────────────────────────────────────────────────────────────────────

  /**
   * Allocates a validated size; 0 when out of memory. The fast path is the single-threaded one
   * without its carve-ahead: this thread's class-list head, a pop from the pool's local list,
   * the count, one bitmap word, the two counters. No atomics, no test of the views: a thread's own
   * pools always lie inside them.
   */
  malloc(size: number): number {
    if (size > SMALL_REQUEST_THRESHOLD) return this.largeMalloc(size);
    const u32 = this.mem.u32;
    const log = this.alignLog2;
    const c = size === 0 ? 0 : (size - 1) >>> log;
    const pool = u32[this.usedWord + c] as number;
    if (pool !== 0) {
      const pw = pool >>> 2;
      const block = u32[pw + TPool.FREE_BLOCK] as number;
      if (block !== 0) {
        u32[pw + TPool.FREE_BLOCK] = u32[block >>> 2] as number;
        u32[pw + TPool.COUNT] = (u32[pw + TPool.COUNT] as number) + 1;
        const unit = (block - pool) >>> log;
        const bw = pw + TPool.LIVE + (unit >>> 5);
        u32[bw] = (u32[bw] as number) | (1 << (unit & 31));
        const counts = this.counts;
        counts[0] = (counts[0] as number) + ((c + 1) << log);
        counts[1] = (counts[1] as number) + 1;
        return block;
      }
    }
    return this.mallocSlow(c);
  }

  /**
   * The rest of a small malloc: the head pool's local list is empty. Take its remote frees back,
   * or carve a block, or move it to the full list and try the next pool; with no pool left, find
   * one ({@link ThreadedAllocator.takePool}).
   */
  private mallocSlow(c: number): number {
    this.checkOpen();
    for (;;) {
      const u32 = this.mem.u32;
      const pool = u32[this.usedWord + c] as number;
      if (pool === 0) {
        if (this.takePool(c) === 0) return 0;
        continue;
      }
      const pw = pool >>> 2;
      if (u32[pw + TPool.FREE_BLOCK] === 0 && Atomics.load(this.mem.i32, pw + this.remote) !== 0) this.collect(pool);
      let block = u32[pw + TPool.FREE_BLOCK] as number;
      if (block !== 0) {
        u32[pw + TPool.FREE_BLOCK] = u32[block >>> 2] as number;
      } else {
        const offset = u32[pw + TPool.NEXT_OFFSET] as number;
        if (offset > (u32[pw + TPool.MAX_NEXT_OFFSET] as number)) {
          // used → full: nothing local, nothing to carve, no remote frees waiting.
          this.unlinkOwned(pool, this.usedWord + c);
          this.linkOwned(pool, this.fullWord + c, PoolList.FULL);
          continue;
        }
        // Carve ahead (as the single-threaded heap does): up to CARVE_AHEAD more blocks go on
        // the local list, so that the next mallocs of the class take the fast path.
        const size = (c + 1) << this.alignLog2;
        const max = u32[pw + TPool.MAX_NEXT_OFFSET] as number;
        let end = offset + size;
        let head = 0;
        for (let n = 0; n < CARVE_AHEAD && end <= max; n++, end += size) {
          u32[(pool + end) >>> 2] = head;
          head = pool + end;
        }
        u32[pw + TPool.NEXT_OFFSET] = end;
        u32[pw + TPool.FREE_BLOCK] = reverseList(u32, head);
        block = pool + offset;
      }
      u32[pw + TPool.COUNT] = (u32[pw + TPool.COUNT] as number) + 1;
      const unit = (block - pool) >>> this.alignLog2;
      const bw = pw + TPool.LIVE + (unit >>> 5);
      u32[bw] = (u32[bw] as number) | (1 << (unit & 31));
      this.countAlloc((c + 1) << this.alignLog2);
      return block;
    }
  }

  /**
   * No pool of class `c` with a block in usedPools: move back a full pool that has remote frees
   * waiting; else, under the lock, adopt an orphan of the class, take an empty pool, or carve a new
   * one (making an arena when the newest is used up). Links it at the front of usedPools[c] and
   * returns it; 0 when no arena can be had.
   */
  private takePool(c: number): number {
    const u32 = this.mem.u32;
    const i32 = this.mem.i32;
    for (let pool = u32[this.fullWord + c] as number; pool !== 0; pool = u32[(pool >>> 2) + TPool.NEXT] as number) {
      if (Atomics.load(i32, (pool >>> 2) + this.remote) !== 0) {
        this.unlinkOwned(pool, this.fullWord + c);
        this.linkOwned(pool, this.usedWord + c, PoolList.USED);
        return pool;
      }
    }
    // An empty pool of this thread's own, unless an orphan of the class waits (a racy read: a hint).
    const sw = this.slotWord;
    const empty = u32[sw + Slot.EMPTY] as number;
    if (empty !== 0 && u32[this.table + Table.ORPHANS + c] === 0) {
      u32[sw + Slot.EMPTY] = u32[(empty >>> 2) + TPool.NEXT] as number;
      u32[sw + Slot.EMPTY_COUNT] = (u32[sw + Slot.EMPTY_COUNT] as number) - 1;
      // Same class: its local list still holds every block it carved, nothing to redo.
      if (u32[(empty >>> 2) + TPool.CLASS] !== c) this.initPool(empty, c);
      this.linkOwned(empty, this.usedWord + c, PoolList.USED);
      return empty;
    }
    lock(this.mem, this.lockAt, this.canBlock);
    let pool = 0;
    try {
      const t = this.table;
      pool = this.mem.u32[t + Table.ORPHANS + c] as number;
      if (pool !== 0) {
        const mem32 = this.mem.u32;
        mem32[t + Table.ORPHANS + c] = mem32[(pool >>> 2) + TPool.NEXT] as number;
        mem32[(pool >>> 2) + TPool.OWNER] = this.me;
      } else {
        pool = this.freshPool();
        if (pool === 0) return 0;
        this.initPool(pool, c);
      }
      this.linkOwned(pool, this.usedWord + c, PoolList.USED);
    } finally {
      unlock(this.mem, this.lockAt);
    }
    return pool;
  }

  /** Under the lock: an empty pool from the free-pool stack, or a new one from the newest arena; 0 if none. */
  private freshPool(): number {
    const u32 = this.mem.u32;
    const t = this.table;
    let pool = u32[t + Table.FREE_POOLS] as number;
    if (pool !== 0) {
      u32[t + Table.FREE_POOLS] = u32[(pool >>> 2) + TPool.NEXT] as number;
      return pool;
    }
    if ((u32[t + Table.CURSOR] as number) + this.poolSize > (u32[t + Table.CURSOR_END] as number) && !this.newArena()) return 0;
    const mem32 = this.mem.u32;
    pool = mem32[t + Table.CURSOR] as number;
    mem32[t + Table.CURSOR] = pool + this.poolSize;
    // The last pool of an arena is Chunk.HEADER bytes short: the next chunk's header is there.
    mem32[(pool >>> 2) + TPool.LIMIT] = pool + this.poolSize === mem32[t + Table.CURSOR_END] ? this.poolSize - Chunk.HEADER : this.poolSize;
    // The pool map says "a pool handed out" from now on; arenas of a threaded heap stay, so the bit stays.
    const header = this.mem.head;
    const page = pool >>> this.poolLog2;
    Atomics.or(this.mem.i32, ((header[SmallState.POOL_MAP] as number) >>> 2) + (page >>> 5), 1 << (page & 31));
    return pool;
  }

  /** Under the lock: takes an arena from TLSF and makes it the newest. False, changing nothing, if none. */
  private newArena(): boolean {
    const large = this.large;
    const t = this.table;
    const count = this.mem.u32[t + Table.ARENAS] as number;
    if (count === this.mem.u32[t + Table.ARENA_CAPACITY]) return false;
    let base = large.alignedAlloc(this.arenaSize - Chunk.HEADER, this.poolSize);
    if (base === 0 && this.releaseCached()) base = large.alignedAlloc(this.arenaSize - Chunk.HEADER, this.poolSize);
    if (base === 0) return false;
    if (base + this.arenaSize > (this.mem.head[SmallState.POOL_MAP_PAGES] as number) * this.poolSize) {
      large.free(base);
      return false;
    }
    large.setRequested(base, INTERNAL_REQUEST);
    const u32 = this.mem.u32;
    u32[t + Table.ARENA_LIST + count] = base;
    u32[t + Table.ARENAS] = count + 1;
    u32[t + Table.CURSOR] = base;
    u32[t + Table.CURSOR_END] = base + this.arenaSize;
    return true;
  }

  /** Lays out `pool` (empty, owned by no one) for class `c`, owned by this thread. */
  private initPool(pool: number, c: number): void {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const size = (c + 1) << this.alignLog2;
    u32[pw + TPool.COUNT] = 0;
    u32[pw + TPool.FREE_BLOCK] = 0;
    u32[pw + TPool.OWNER] = this.me;
    u32[pw + TPool.CLASS] = c;
    u32[pw + TPool.NEXT_OFFSET] = this.poolHeader;
    u32[pw + TPool.MAX_NEXT_OFFSET] = (u32[pw + TPool.LIMIT] as number) - size;
    Atomics.store(this.mem.i32, pw + this.remote, 0);
    u32.fill(0, pw + this.pending, pw + this.pending + this.bitmapWords);
    u32.fill(0, pw + TPool.LIVE, pw + TPool.LIVE + this.bitmapWords);
  }

  /** Links `pool` at the front of the owned list whose head is word `headWord`, marking it `list`. */
  private linkOwned(pool: number, headWord: number, list: PoolList): void {
    const u32 = this.mem.u32;
    const next = u32[headWord] as number;
    const pw = pool >>> 2;
    u32[pw + TPool.NEXT] = next;
    u32[pw + TPool.PREV] = 0;
    u32[pw + TPool.LIST] = list;
    if (next !== 0) u32[(next >>> 2) + TPool.PREV] = pool;
    u32[headWord] = pool;
  }

  private unlinkOwned(pool: number, headWord: number): void {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const next = u32[pw + TPool.NEXT] as number;
    const prev = u32[pw + TPool.PREV] as number;
    if (prev === 0) u32[headWord] = next;
    else u32[(prev >>> 2) + TPool.NEXT] = next;
    if (next !== 0) u32[(next >>> 2) + TPool.PREV] = prev;
  }

  /**
   * Takes `pool`'s remote frees back (the owner only): clears the pool's remote flag, then for
   * each word of the pending bitmap that has bits set, clears those blocks' live bits and then
   * their pending bits (an atomic and of just those bits, which also publishes the clear of the
   * live bits; a bit another thread sets meanwhile stays for next time), and puts the blocks on
   * the local list, lowest address first. It reads no block a remote free wrote: the pointers are
   * the bits.
   */
  private collect(pool: number): void {
    const i32 = this.mem.i32;
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    // Cleared before the scan: a remote free that sets a bit the scan misses sets the flag after.
    Atomics.store(i32, pw + this.remote, 0);
    let n = 0;
    let head = u32[pw + TPool.FREE_BLOCK] as number;
    const log = this.alignLog2;
    for (let w = this.bitmapWords - 1; w >= 0; w--) {
      const at = pw + this.pending + w;
      let bits = Atomics.load(i32, at);
      if (bits === 0) continue;
      const lw = pw + TPool.LIVE + w;
      const live = u32[lw] as number;
      u32[lw] = live & ~bits;
      if (mutant === Mutant.LOST_CLEAR) i32[at] = 0;
      else Atomics.and(i32, at, ~bits);
      // A pending block that is not live was freed a second time by a thread that read its live
      // bit just before an earlier take-back cleared it: the block is on the local list already.
      // Cleared and dropped, not put there twice (and the count not lowered twice). That saves
      // the take-back of close() and reclaim(), which runs whatever the list holds; a take-back
      // because the list ran dry comes after the block was handed out again, and then such a
      // racing second free goes unseen, as a double free of a reused block does anywhere.
      bits &= live;
      if (bits === 0) continue;
      do {
        const b = 31 - Math.clz32(bits);
        bits ^= 1 << b;
        const block = pool + (((w << 5) + b) << log);
        u32[block >>> 2] = head;
        head = block;
        n++;
      } while (bits !== 0);
    }
    u32[pw + TPool.FREE_BLOCK] = head;
    u32[pw + TPool.COUNT] = (u32[pw + TPool.COUNT] as number) - n;
  }

  /** A large (or aligned, or fallback) allocation: TLSF under the lock. 0 when out of memory. */
  private largeMalloc(size: number): number {
    if (size > this.heap._maxLarge) return 0;
    // A chunk the cache may keep starts on a cache line and fills whole lines, header included.
    const want = (size + Chunk.HEADER + LINE_BYTES - 1) & -LINE_BYTES;
    const line = want <= CACHE_MAX_CHUNK;
    if (line) {
      const cached = this.fromCache(want, size);
      if (cached !== 0) return cached;
      if (Atomics.load(this.mem.i32, this.table + Table.HANDED_BACK) !== 0) {
        const handed = this.takeHandedBack(want, size);
        if (handed !== 0) return handed;
      }
    }
    return this.largeMallocLocked(size, want, line);
  }

  /**
   * The rest of a large malloc, under the lock: a chunk from TLSF (laid on lines when `line`),
   * after giving cached chunks back to TLSF if it has no room. Apart from `largeMalloc` so that
   * the path to the cache stays small enough for V8 to inline (with it written in, a 64 KiB
   * frame pair took 757 instructions instead of 611–615).
   */
  private largeMallocLocked(size: number, want: number, line: boolean): number {
    this.checkOpen();
    lock(this.mem, this.lockAt, this.canBlock);
    let ptr: number;
    let usable = 0;
    if (mutant === Mutant.EARLY_UNLOCK) {
      unlock(this.mem, this.lockAt);
      ptr = this.freshChunk(size, want, line);
      if (ptr !== 0) usable = this.large.usableSize(ptr);
    } else {
      try {
        ptr = this.freshChunk(size, want, line);
        if (ptr === 0 && this.releaseCached()) ptr = this.freshChunk(size, want, line);
        if (ptr !== 0) usable = this.large.usableSize(ptr);
      } finally {
        unlock(this.mem, this.lockAt);
      }
    }
    if (ptr !== 0) this.countAlloc(usable);
    return ptr;
  }

  /**
   * Under the lock: a chunk from TLSF for a request of `size` bytes; 0 when out of memory. When
   * `line` (the cache may keep it), the chunk is `want` bytes (a multiple of {@link LINE_BYTES})
   * and starts on a cache line. So laid out, no other chunk's bytes share a line with its header
   * or its payload: the 64 KiB frames of two threads that TLSF placed side by side no longer pass
   * the line between them on every pair (the last word of one frame and the next frame's header
   * were one line; measured, two threads churning frames ran at 1.0× of one).
   */
  private freshChunk(size: number, want: number, line: boolean): number {
    if (!line) return this.large.malloc(size);
    const ptr = this.large.alignedAlloc(want - Chunk.HEADER, LINE_BYTES, Chunk.HEADER);
    if (ptr !== 0) this.large.setRequested(ptr, size);
    return ptr;
  }

  /**
   * A chunk from this thread's large-chunk cache of at least `want` bytes and at most an eighth
   * more, handed out without the lock (TLSF still counts it as used, so no other thread touches
   * it; only its `requested` word changes); 0 if none fits.
   */
  private fromCache(want: number, size: number): number {
    const u32 = this.mem.u32;
    const sw = this.slotWord;
    const n = u32[sw + Slot.CACHE_COUNT] as number;
    for (let i = 0; i < n; i++) {
      const ptr = u32[sw + Slot.CACHE + i] as number;
      const chunk = this.large.sizeOf(ptr - Chunk.HEADER);
      if (chunk >= want && chunk - want <= want >>> 3) {
        u32[sw + Slot.CACHE + i] = u32[sw + Slot.CACHE + n - 1] as number;
        u32[sw + Slot.CACHE_COUNT] = n - 1;
        this.large.setRequested(ptr, size);
        this.countAlloc(chunk - Chunk.HEADER);
        return ptr;
      }
    }
    return 0;
  }

  /**
   * Takes the whole hand-back list (one exchange): the first chunk that fits `want` as
   * {@link ThreadedAllocator.fromCache} would is handed out for `size` bytes, others fill this
   * thread's cache while it has room, and the rest go back on the list. Returns the chunk, or 0.
   */
  private takeHandedBack(want: number, size: number): number {
    const i32 = this.mem.i32;
    const t = this.table;
    let ptr = Atomics.exchange(i32, t + Table.HANDED_BACK, 0) >>> 0;
    let found = 0;
    let foundBytes = 0;
    let taken = 0;
    let restHead = 0;
    let restTail = 0;
    const sw = this.slotWord;
    while (ptr !== 0) {
      // Another thread pushed it, and may have grown the store to make it.
      this.mem.reach(ptr);
      const u32 = this.mem.u32;
      const next = u32[ptr >>> 2] as number;
      const bytes = this.large.sizeOf(ptr - Chunk.HEADER);
      const n = u32[sw + Slot.CACHE_COUNT] as number;
      if (found === 0 && bytes >= want && bytes - want <= want >>> 3) {
        found = ptr;
        foundBytes = bytes;
        taken++;
      } else if (n < CACHE_ENTRIES) {
        u32[sw + Slot.CACHE + n] = ptr;
        u32[sw + Slot.CACHE_COUNT] = n + 1;
        taken++;
      } else {
        u32[ptr >>> 2] = restHead;
        if (restHead === 0) restTail = ptr;
        restHead = ptr;
      }
      ptr = next;
    }
    if (taken !== 0) Atomics.sub(i32, t + Table.HANDED_BACK_COUNT, taken);
    if (restHead !== 0) this.pushHandedBack(restHead, restTail);
    if (found === 0) return 0;
    this.large.setRequested(found, size);
    this.countAlloc(foundBytes - Chunk.HEADER);
    return found;
  }

  /**
   * Under the lock, when TLSF has no room: gives the chunks on the hand-back list and in this
   * thread's cache back to TLSF (they are free for the user but used for TLSF), so that a large
   * request does not fail while freed frames sit there. Other threads' caches are theirs, read
   * and written without the lock, and stay. Returns whether it gave any back.
   */
  private releaseCached(): boolean {
    const i32 = this.mem.i32;
    const t = this.table;
    let released = 0;
    let ptr = Atomics.exchange(i32, t + Table.HANDED_BACK, 0) >>> 0;
    while (ptr !== 0) {
      this.mem.reach(ptr);
      const next = this.mem.u32[ptr >>> 2] as number;
      this.large.free(ptr);
      released++;
      ptr = next;
    }
    if (released !== 0) Atomics.sub(i32, t + Table.HANDED_BACK_COUNT, released);
    return released + this.freeCache(this.slotWord) !== 0;
  }

  /** Under the lock: gives the chunks in the cache of the slot at word `sw` to TLSF; returns how many. */
  private freeCache(sw: number): number {
    const n = this.mem.u32[sw + Slot.CACHE_COUNT] as number;
    for (let i = 0; i < n; i++) this.large.free(this.mem.u32[sw + Slot.CACHE + i] as number);
    this.mem.u32[sw + Slot.CACHE_COUNT] = 0;
    return n;
  }

  /** Pushes the list `head`..`tail` (linked through first payload words) onto the hand-back list. */
  private pushHandedBack(head: number, tail: number): void {
    const i32 = this.mem.i32;
    const at = this.table + Table.HANDED_BACK;
    for (;;) {
      const old = Atomics.load(i32, at);
      this.mem.u32[tail >>> 2] = old;
      // The compare-and-swap publishes the link written just before it.
      if (Atomics.compareExchange(i32, at, old, head | 0) === old) return;
    }
  }

  /** Aligned allocation of a validated size and power-of-two alignment; 0 when out of memory. */
  alignedAlloc(size: number, alignment: number): number {
    if (alignment <= this.align) return this.malloc(size);
    if (size > this.heap._maxLarge) return 0;
    this.checkOpen();
    lock(this.mem, this.lockAt, this.canBlock);
    let ptr: number;
    let usable = 0;
    try {
      ptr = this.large.alignedAlloc(size, alignment);
      if (ptr === 0 && this.releaseCached()) ptr = this.large.alignedAlloc(size, alignment);
      if (ptr !== 0) usable = this.large.usableSize(ptr);
    } finally {
      unlock(this.mem, this.lockAt);
    }
    if (ptr !== 0) this.countAlloc(usable);
    return ptr;
  }

  private countAlloc(bytes: number): void {
    const counts = this.counts;
    counts[0] = (counts[0] as number) + bytes;
    counts[1] = (counts[1] as number) + 1;
  }

  private countFree(bytes: number): void {
    const counts = this.counts;
    counts[0] = (counts[0] as number) - bytes;
    counts[2] = (counts[2] as number) + 1;
  }

  // ─── free ──────────────────────────────────────────────────────────────────────────────────

  /**
   * The pool that holds `ptr` when `ptr` lies in a pool handed out (the pool map), else 0. The
   * pool may lie past this thread's views (another thread carved it after growing the store):
   * reading its owner word then reads undefined, which is not this thread, so the caller takes
   * the remote path, which re-binds first.
   */
  poolOf(ptr: number): number {
    const header = this.mem.head;
    const page = ptr >>> this.poolLog2;
    if (
      !(page < (header[SmallState.POOL_MAP_PAGES] as number)) ||
      (((this.mem.u32[((header[SmallState.POOL_MAP] as number) >>> 2) + (page >>> 5)] as number) >>> (page & 31)) & 1) === 0
    ) {
      return 0;
    }
    return ptr - (ptr & this.poolMask);
  }

  /**
   * Frees a non-zero pointer after checking it is a live block. Its own block: the owner test, the
   * live and pending bitmap words (the check), the push, the count, the counters; the rare
   * transitions (full → used, empty) apart. Another thread's block: {@link ThreadedAllocator.remoteFree}.
   */
  free(ptr: number): void {
    const pool = (ptr & this.alignMask) === 0 ? this.poolOf(ptr) : 0;
    if (pool === 0) {
      this.largeFree(ptr);
      return;
    }
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    if (u32[pw + TPool.OWNER] !== this.me) {
      this.remoteFree(ptr, pool);
      return;
    }
    const unit = (ptr - pool) >>> this.alignLog2;
    const bw = pw + TPool.LIVE + (unit >>> 5);
    const word = u32[bw] as number;
    const bit = 1 << (unit & 31);
    if ((word & bit) === 0 || ((u32[bw + this.toPending] as number) & bit) !== 0) throw this.badPointer(ptr, pool);
    u32[bw] = word & ~bit;
    u32[ptr >>> 2] = u32[pw + TPool.FREE_BLOCK] as number;
    u32[pw + TPool.FREE_BLOCK] = ptr;
    const count = (u32[pw + TPool.COUNT] as number) - 1;
    u32[pw + TPool.COUNT] = count;
    const c = u32[pw + TPool.CLASS] as number;
    if (count === 0 || u32[pw + TPool.LIST] === PoolList.FULL) this.freeTransition(pool, c, count);
    const counts = this.counts;
    counts[0] = (counts[0] as number) - ((c + 1) << this.alignLog2);
    counts[2] = (counts[2] as number) + 1;
  }

  /**
   * full → used (relinked at the front), or an empty pool that is not its class's head → this
   * thread's empty pools (up to KEEP_EMPTY_POOLS), else the free-pool stack.
   */
  private freeTransition(pool: number, c: number, count: number): void {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    if (u32[pw + TPool.LIST] === PoolList.FULL) {
      this.unlinkOwned(pool, this.fullWord + c);
      this.linkOwned(pool, this.usedWord + c, PoolList.USED);
      if (count !== 0) return;
    }
    if (u32[this.usedWord + c] === pool) return;
    // No remote free can be pending: the count includes the blocks pending one. (Its remote flag
    // may still be up from frees already taken back; the next collect finds nothing.)
    this.unlinkOwned(pool, this.usedWord + c);
    const sw = this.slotWord;
    const kept = u32[sw + Slot.EMPTY_COUNT] as number;
    if (kept >= KEEP_EMPTY_POOLS) {
      this.releasePool(pool);
      return;
    }
    // Kept by this thread for its next pool of any class, without the lock.
    u32[pw + TPool.LIST] = PoolList.EMPTY;
    u32[pw + TPool.NEXT] = u32[sw + Slot.EMPTY] as number;
    u32[sw + Slot.EMPTY] = pool;
    u32[sw + Slot.EMPTY_COUNT] = kept + 1;
  }

  /** Puts the empty `pool` (off every list) on the free-pool stack, under the lock. */
  private releasePool(pool: number): void {
    lock(this.mem, this.lockAt, this.canBlock);
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    u32[pw + TPool.OWNER] = 0;
    u32[pw + TPool.LIST] = PoolList.FREE;
    u32[pw + TPool.NEXT] = u32[this.table + Table.FREE_POOLS] as number;
    u32[this.table + Table.FREE_POOLS] = pool;
    unlock(this.mem, this.lockAt);
  }

  /**
   * Frees another thread's block (or an orphan's): checks it is live (the live bit, stable while
   * it is), then sets its pending bit with an atomic or, whose old value catches a second remote
   * free; the bit is the whole message, which the owner takes back by scanning the pending bitmap
   * ({@link ThreadedAllocator.collect}). Then raises the pool's remote flag if it is down (a load
   * of a line that stays shared while it is up), and counts the free in this thread's slot. One
   * atomic read-modify-write per free, and no write to the block or to a line the owner writes.
   */
  private remoteFree(ptr: number, pool: number): void {
    this.mem.reach(ptr);
    const u32 = this.mem.u32;
    const i32 = this.mem.i32;
    const pw = pool >>> 2;
    const unit = (ptr - pool) >>> this.alignLog2;
    const bw = pw + TPool.LIVE + (unit >>> 5);
    const bit = 1 << (unit & 31);
    if (((u32[bw] as number) & bit) === 0) throw this.badPointer(ptr, pool);
    if ((Atomics.or(i32, bw + this.toPending, bit) & bit) !== 0) throw new DoubleFreeError(`pointer ${ptr} was already freed`, ptr);
    if (Atomics.load(i32, pw + this.remote) === 0) Atomics.store(i32, pw + this.remote, 1);
    this.countFree(((u32[pw + TPool.CLASS] as number) + 1) << this.alignLog2);
  }

  /**
   * Frees a pointer that lies in no pool: a live large block. One of at most CACHE_MAX_CHUNK
   * bytes goes to this thread's large-chunk cache while there is room, without the lock: the
   * checks read only words of the chunk and of the next one's header that no other thread changes
   * while the chunk is live. Any other goes back to TLSF under the lock.
   */
  private largeFree(ptr: number): void {
    this.mem.reach(ptr);
    const large = this.large;
    const u32 = this.mem.u32;
    const sw = this.slotWord;
    // A chunk laid out for the cache (`freshChunk`): the checks read its own header line only. Not
    // `classify`, which also reads the next chunk's tag: that line is another thread's when the
    // next chunk is its frame, and reading it on every free cost a line transfer per pair. Written
    // out here rather than as a method of the large layer: as a call (`Tlsf.liveSizeByHeader`,
    // tried) it left this path out of V8's inlining budget, 613 -> 799 instructions per frame pair.
    const chunk = ptr - Chunk.HEADER;
    if ((chunk & (LINE_BYTES - 1)) === 0 && chunk >= large.first) {
      const w = chunk >>> 2;
      const word = u32[w + H.SIZE] as number;
      const bytes = (word & Bits.SIZE_MASK) >>> 0;
      if (
        u32[w + H.TAG] === tagOf(chunk) &&
        (word & Bits.FREE) === 0 &&
        (bytes & (LINE_BYTES - 1)) === 0 &&
        bytes !== 0 &&
        bytes <= CACHE_MAX_CHUNK &&
        chunk + bytes <= (this.mem.head[Word.HEAP_END] as number)
      ) {
        const requested = u32[w + H.REQUESTED] as number;
        if (requested === CACHED_REQUEST) throw new DoubleFreeError(`pointer ${ptr} was already freed`, ptr);
        const n = u32[sw + Slot.CACHE_COUNT] as number;
        if (requested !== INTERNAL_REQUEST && n < CACHE_ENTRIES) {
          u32[w + H.REQUESTED] = CACHED_REQUEST;
          u32[sw + Slot.CACHE + n] = ptr;
          u32[sw + Slot.CACHE_COUNT] = n + 1;
          this.countFree(bytes - Chunk.HEADER);
          return;
        }
        if (requested !== INTERNAL_REQUEST && this.handBack(ptr)) {
          this.countFree(bytes - Chunk.HEADER);
          return;
        }
      }
    }
    this.checkOpen();
    lock(this.mem, this.lockAt, this.canBlock);
    let usable: number;
    let held = true;
    try {
      this.checkLiveLarge(ptr);
      usable = large.usableSize(ptr);
      if (mutant === Mutant.EARLY_UNLOCK) {
        held = false;
        unlock(this.mem, this.lockAt);
      }
      large.free(ptr);
    } finally {
      if (held) unlock(this.mem, this.lockAt);
    }
    this.countFree(usable);
  }

  /**
   * Puts the live chunk `ptr` (laid on lines, not more than CACHE_MAX_CHUNK) on the hand-back
   * list, marked cached; false, changing nothing, when the list is full.
   */
  private handBack(ptr: number): boolean {
    const i32 = this.mem.i32;
    const count = this.table + Table.HANDED_BACK_COUNT;
    if (Atomics.add(i32, count, 1) >= HAND_BACK_MAX) {
      Atomics.sub(i32, count, 1);
      return false;
    }
    this.large.setRequested(ptr, CACHED_REQUEST);
    this.pushHandedBack(ptr, ptr);
    return true;
  }

  /** Throws the typed error unless `ptr` (in no pool) is a live large block: not free, not internal, not cached. */
  private checkLiveLarge(ptr: number): void {
    if ((ptr & this.alignMask) === 0 && this.large.classify(ptr) === ChunkState.LIVE && this.large.requestedOf(ptr) === CACHED_REQUEST) {
      throw new DoubleFreeError(`pointer ${ptr} was already freed`, ptr);
    }
    checkLiveLarge(this.heap, ptr);
  }

  // ─── the other entries ─────────────────────────────────────────────────────────────────────

  /** Whether `ptr` in `pool` is a live block: its live bit set and its pending bit clear. */
  private liveIn(ptr: number, pool: number): boolean {
    this.mem.reach(ptr);
    const u32 = this.mem.u32;
    const unit = (ptr - pool) >>> this.alignLog2;
    const bw = (pool >>> 2) + TPool.LIVE + (unit >>> 5);
    const bit = 1 << (unit & 31);
    return ((u32[bw] as number) & bit) !== 0 && ((u32[bw + this.toPending] as number) & bit) === 0;
  }

  /** Usable size of a live block (checked). */
  usableSize(ptr: number): number {
    const pool = (ptr & this.alignMask) === 0 ? this.poolOf(ptr) : 0;
    if (pool !== 0) {
      if (!this.liveIn(ptr, pool)) throw this.badPointer(ptr, pool);
      return ((this.mem.u32[(pool >>> 2) + TPool.CLASS] as number) + 1) << this.alignLog2;
    }
    return this.underLock(() => {
      this.checkLiveLarge(ptr);
      return this.large.usableSize(ptr);
    });
  }

  /** Whether a non-zero uint32 is a live user block. */
  isLive(ptr: number): boolean {
    if ((ptr & this.alignMask) !== 0) return false;
    const pool = this.poolOf(ptr);
    if (pool !== 0) return this.liveIn(ptr, pool);
    return this.underLock(() => {
      if (this.large.classify(ptr) !== ChunkState.LIVE) return false;
      const requested = this.large.requestedOf(ptr);
      return requested !== INTERNAL_REQUEST && requested !== CACHED_REQUEST;
    });
  }

  /**
   * Realloc of a non-zero pointer; 0 when out of memory (the old block stays live). The single-
   * threaded heap's rules (a small block stays for its own class or a shrink saving under 25%);
   * a large block grows in place under the lock when it can; otherwise malloc, copy, free (remote
   * when the block is another thread's).
   */
  realloc(ptr: number, size: number): number {
    const pool = (ptr & this.alignMask) === 0 ? this.poolOf(ptr) : 0;
    let old: number;
    if (pool !== 0) {
      if (!this.liveIn(ptr, pool)) throw this.badPointer(ptr, pool);
      old = ((this.mem.u32[(pool >>> 2) + TPool.CLASS] as number) + 1) << this.alignLog2;
      const need = size === 0 ? 1 : size;
      if (need <= old && (need + this.align > old || 4 * need > 3 * old)) return ptr;
    } else {
      this.checkOpen();
      lock(this.mem, this.lockAt, this.canBlock);
      try {
        this.checkLiveLarge(ptr);
        old = this.large.usableSize(ptr);
        if (size <= SMALL_REQUEST_THRESHOLD) {
          if (size <= old && 4 * size > 3 * old) return ptr;
        } else if (size <= this.heap._maxLarge && this.large.resizeInPlace(ptr, size)) {
          const now = this.large.usableSize(ptr);
          this.counts[0] = (this.counts[0] as number) + now - old;
          return ptr;
        }
      } finally {
        unlock(this.mem, this.lockAt);
      }
    }
    const moved = this.malloc(size);
    if (moved === 0) return 0;
    this.mem.reach(ptr + old - 1);
    this.mem.u8.copyWithin(moved, ptr, ptr + Math.min(old, size));
    this.free(ptr);
    return moved;
  }

  private underLock<T>(fn: () => T): T {
    lock(this.mem, this.lockAt, this.canBlock);
    try {
      return fn();
    } finally {
      unlock(this.mem, this.lockAt);
    }
  }

  /** Works out why `ptr` (aligned, in `pool`, not a live block) is refused. */
  private badPointer(ptr: number, pool: number): Error {
    const u32 = this.mem.u32;
    const pw = pool >>> 2;
    const offset = ptr - pool;
    const size = ((u32[pw + TPool.CLASS] as number) + 1) << this.alignLog2;
    if (offset < this.poolHeader) return new InvalidPointerError(`pointer ${ptr} is inside the header of the pool at ${pool}`, ptr);
    const into = (offset - this.poolHeader) % size;
    if (into !== 0) {
      return new InvalidPointerError(`pointer ${ptr} is ${into} bytes inside the ${size}-byte block at ${ptr - into}${RC_HINT}`, ptr);
    }
    if (offset >= (u32[pw + TPool.NEXT_OFFSET] as number)) {
      return new InvalidPointerError(`pointer ${ptr} is a block of the pool at ${pool} that was never allocated`, ptr);
    }
    return new DoubleFreeError(`pointer ${ptr} was already freed`, ptr);
  }

  /** Throws {@link ThreadClosedError} if another thread reclaimed this thread's slot. */
  private checkOpen(): void {
    if (this.mem.u32[this.slotWord + Slot.TOKEN] !== this.token) {
      this.open = false;
      this.heap._hooks = CLOSED;
      throw new ThreadClosedError(`thread ${this.slot}'s place in the heap was reclaimed by another thread; attach again`);
    }
  }

  // ─── close and reclaim ─────────────────────────────────────────────────────────────────────

  /**
   * Under the lock: gives up every pool of `slot`: each one's remote frees taken back, then the
   * empty ones to the free-pool stack, the others to the orphan list of their class. Returns the
   * number of pools orphaned.
   */
  disown(slot: number): number {
    const t = this.table;
    const sw = slotWordOf(this.mem, t, slot);
    let orphaned = 0;
    for (let c = 0; c < this.classes; c++) {
      for (const head of [sw + Slot.USED + c, sw + Slot.FULL + c]) {
        let pool = this.mem.u32[head] as number;
        while (pool !== 0) {
          const u32 = this.mem.u32;
          const pw = pool >>> 2;
          const next = u32[pw + TPool.NEXT] as number;
          this.collect(pool);
          const mem32 = this.mem.u32;
          mem32[pw + TPool.OWNER] = 0;
          if (mem32[pw + TPool.COUNT] === 0) {
            mem32[pw + TPool.LIST] = PoolList.FREE;
            mem32[pw + TPool.NEXT] = mem32[t + Table.FREE_POOLS] as number;
            mem32[t + Table.FREE_POOLS] = pool;
          } else {
            mem32[pw + TPool.LIST] = PoolList.ORPHAN;
            mem32[pw + TPool.NEXT] = mem32[t + Table.ORPHANS + c] as number;
            mem32[pw + TPool.PREV] = 0;
            mem32[t + Table.ORPHANS + c] = pool;
            orphaned++;
          }
          pool = next;
        }
        this.mem.u32[head] = 0;
      }
    }
    // Its empty pools to the free-pool stack, its cached chunks back to TLSF.
    const u32 = this.mem.u32;
    for (let pool = u32[sw + Slot.EMPTY] as number; pool !== 0; ) {
      const pw = pool >>> 2;
      const next = u32[pw + TPool.NEXT] as number;
      u32[pw + TPool.OWNER] = 0;
      u32[pw + TPool.LIST] = PoolList.FREE;
      u32[pw + TPool.NEXT] = u32[t + Table.FREE_POOLS] as number;
      u32[t + Table.FREE_POOLS] = pool;
      pool = next;
    }
    u32[sw + Slot.EMPTY] = 0;
    u32[sw + Slot.EMPTY_COUNT] = 0;
    this.freeCache(sw);
    return orphaned;
  }

  /** Gives this thread's place back (`heap.close()`). */
  close(): void {
    if (!this.open) return;
    this.checkOpen();
    recordPeak(this);
    lock(this.mem, this.lockAt, this.canBlock);
    try {
      this.disown(this.slot);
      const u32 = this.mem.u32;
      u32[this.slotWord + Slot.TOKEN] = 0;
      Atomics.store(this.mem.i32, this.slotWord + Slot.STATE, SlotState.FREE);
      u32[this.table + Table.JOINED] = (u32[this.table + Table.JOINED] as number) - 1;
    } finally {
      unlock(this.mem, this.lockAt);
    }
    this.open = false;
    this.heap._hooks = CLOSED;
  }

  /** Does for the thread in `slot`, which died without closing, what its close() would have done. */
  reclaim(slot: number): number {
    const max = this.mem.u32[this.table + Table.MAX_THREADS] as number;
    if (typeof slot !== 'number' || slot >>> 0 !== slot || slot >= max) {
      throw new InvalidArgumentError(`reclaim: threadId must be an integer from 0 to ${max - 1}, got ${String(slot)}`, 'threadId');
    }
    if (slot === this.slot) throw new InvalidArgumentError('reclaim: a thread cannot reclaim itself; use close()', 'threadId');
    this.checkOpen();
    lock(this.mem, this.lockAt, this.canBlock);
    try {
      const sw = slotWordOf(this.mem, this.table, slot);
      if (Atomics.load(this.mem.i32, sw + Slot.STATE) === SlotState.FREE) return 0;
      const orphaned = this.disown(slot);
      const u32 = this.mem.u32;
      u32[sw + Slot.TOKEN] = 0;
      Atomics.store(this.mem.i32, sw + Slot.STATE, SlotState.FREE);
      u32[this.table + Table.JOINED] = (u32[this.table + Table.JOINED] as number) - 1;
      return orphaned;
    } finally {
      unlock(this.mem, this.lockAt);
    }
  }

  /** Marks this thread parked (`heap.park()`): `check()` in another thread may run. */
  park(): void {
    this.checkOpen();
    this.heap._hooks = PARKED;
    Atomics.store(this.mem.i32, this.slotWord + Slot.STATE, SlotState.PARKED);
  }

  /** Ends a park. */
  unpark(): void {
    Atomics.store(this.mem.i32, this.slotWord + Slot.STATE, SlotState.ACTIVE);
    this.heap._hooks = this;
    this.checkOpen();
  }
}

/** Blocks a malloc that carves puts on the pool's local list beyond the one it returns. */
const CARVE_AHEAD = 15;

/** Reverses the list at `head` (linked through each block's first word), so that it runs up in address. */
function reverseList(u32: Uint32Array, head: number): number {
  let out = 0;
  while (head !== 0) {
    const next = u32[head >>> 2] as number;
    u32[head >>> 2] = out;
    out = head;
    head = next;
  }
  return out;
}

/** Word index of slot `slot` of the thread table at word `table`. */
export function slotWordOf(mem: Memory, table: number, slot: number): number {
  return table + slotsStart(mem.u32[table + Table.ARENA_CAPACITY] as number) + slot * Slot.STRIDE;
}

/** Word offset of the first slot: after the arena list, rounded up to an even word (f64 alignment). */
export function slotsStart(arenaCapacity: number): number {
  const end = Table.ARENA_LIST + arenaCapacity;
  return end + (end & 1);
}

/** Bytes of a threaded pool's header. */
export function poolHeaderBytes(align: number, bitmapWords: number): number {
  return Math.ceil(((remoteFlagWord(bitmapWords) + 1 + bitmapWords) * 4) / align) * align;
}

/** Word offset of a threaded pool's remote flag (the pending bitmap follows): the first cache line after the live bitmap. */
export function remoteFlagWord(bitmapWords: number): number {
  return (TPool.LIVE + bitmapWords + LINE_WORDS - 1) & -LINE_WORDS;
}

/** Sums the live bytes of every slot and raises the recorded peak if the sum is above it. */
export function recordPeak(a: ThreadedAllocator): number {
  const mem = a.mem;
  const max = mem.u32[a.table + Table.MAX_THREADS] as number;
  let live = 0;
  for (let s = 0; s < max; s++) live += mem.f64[(slotWordOf(mem, a.table, s) + Slot.LIVE_BYTES) >>> 1] as number;
  const peak = (a.table + Table.PEAK) >>> 1;
  if (live > (mem.f64[peak] as number)) mem.f64[peak] = live;
  return live;
}

function closedEntry(): never {
  throw new ThreadClosedError('this thread closed its place in the threaded heap (heap.close()); attach the buffer again to join');
}

function parkedEntry(): never {
  throw new ThreadClosedError('this thread is parked (heap.park()); call heap.unpark() first');
}

/** The hooks of a heap object whose thread closed: every entry throws. */
const CLOSED: HeapHooks = {
  malloc: closedEntry,
  alignedAlloc: closedEntry,
  realloc: closedEntry,
  free: closedEntry,
  usableSize: closedEntry,
  isLive: closedEntry,
};

/** The hooks of a parked thread's heap object. */
const PARKED: HeapHooks = {
  malloc: parkedEntry,
  alignedAlloc: parkedEntry,
  realloc: parkedEntry,
  free: parkedEntry,
  usableSize: parkedEntry,
  isLive: parkedEntry,
};

/**
 * Makes a new heap threaded (from `createHeap`, before anyone else can see it): the thread table,
 * the flag, and slot 0 for the creating thread.
 */
export function makeThreaded(heap: Heap, maxThreads: number): ThreadedAllocator {
  const mem = heap._mem;
  const large = heap._large;
  const arenaCapacity = Math.ceil(mem.maxBytes / heap._small.arenaSize) + 1;
  const start = slotsStart(arenaCapacity);
  const words = start + maxThreads * Slot.STRIDE;
  // Placed so that slot 0, and with it every slot (the stride is ten lines), starts 0 or 8 bytes
  // into a cache line: the 32 bytes a slot leaves unused at its end then hold a line boundary, and
  // the words one thread writes never share a line with the next slot's.
  const table = large.alignedAlloc(words * 4, LINE_BYTES, (LINE_BYTES - ((start * 4) & 48)) & 48);
  if (table === 0) throw new InvalidArgumentError(`the store is too small for a thread table of ${maxThreads} threads`);
  large.setRequested(table, INTERNAL_REQUEST);
  const u32 = mem.u32;
  const t = table >>> 2;
  u32.fill(0, t, t + words);
  u32[t + Table.MAX_THREADS] = maxThreads;
  u32[t + Table.ARENA_CAPACITY] = arenaCapacity;
  const header = mem.head;
  header[Word.THREADS_ROOT] = table;
  header[Word.FLAGS] = (header[Word.FLAGS] as number) | Flag.THREADED;
  return joinThreaded(heap);
}

/** Takes a free slot of a threaded heap for this thread (from `Heap.attach`). */
export function joinThreaded(heap: Heap): ThreadedAllocator {
  const mem = heap._mem;
  const t = (mem.head[Word.THREADS_ROOT] as number) >>> 2;
  const at = t + Table.LOCK;
  const canBlock = mayBlock(mem, t + Table.ZERO);
  lock(mem, at, canBlock);
  let slot = -1;
  let token = 0;
  try {
    const u32 = mem.u32;
    const max = u32[t + Table.MAX_THREADS] as number;
    for (let s = 0; s < max; s++) {
      if (Atomics.load(mem.i32, slotWordOf(mem, t, s) + Slot.STATE) === SlotState.FREE) {
        slot = s;
        break;
      }
    }
    if (slot < 0) throw new ThreadLimitError(`all ${max} thread slots of the heap are taken (maxThreads); close() or reclaim() one`, max);
    token = (u32[t + Table.GENERATION] as number) + 1;
    u32[t + Table.GENERATION] = token;
    const sw = slotWordOf(mem, t, slot);
    u32[sw + Slot.TOKEN] = token;
    u32[t + Table.JOINED] = (u32[t + Table.JOINED] as number) + 1;
    Atomics.store(mem.i32, sw + Slot.STATE, SlotState.ACTIVE);
  } finally {
    unlock(mem, at);
  }
  const allocator = new ThreadedAllocator(heap, slot, token);
  heap._hooks = allocator;
  heap._threads = allocator;
  return allocator;
}

export { DEFAULT_MAX_THREADS };
