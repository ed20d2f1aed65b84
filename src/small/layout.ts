/**
 * The small-object allocator: pymalloc (CPython's `Objects/obmalloc.c`) inside the heap's buffer.
 *
 * Requests of 1 to 512 bytes are served here; everything larger goes to the large-object heap
 * (TLSF, `src/large`). Most objects a program makes are small and short-lived, and a general
 * allocator pays for its generality on every one of them: a chunk header, a search, a merge.
 * pymalloc pays almost nothing per block: no header, no search (one list pop), no merge.
 *
 * ## The layers
 *
 * ```
 *   heap.malloc(n) ───── n ≤ 512 ─────▶ small: usedPools[class] → pool → block   (this folder)
 *        │                                  │  an arena (R bytes) when no pool is left
 *        └──────────── n > 512 ─────▶ large: TLSF chunks  ◀────┘ (alignedAlloc, INTERNAL)
 *                                          │
 *                                     memory: the backing store grows
 * ```
 *
 * - An **arena** is one internal chunk of the large-object heap, `R` bytes (the `arenaSize`
 *   tunable) with its payload aligned to the pool size. It is what pymalloc gets from `mmap`.
 * - An arena is cut into **pools** of `P` bytes (`poolSize`), each aligned to `P`, so that the pool
 *   of any block is `ptr & ~(P - 1)`: that is how `free` finds its way in O(1).
 * - A pool holds **blocks** of one size class. Blocks have no header at all.
 *
 * ## Size classes
 *
 * A request of `n` bytes gets a block of `n` rounded up to the alignment `A` (16 by default, 8 as a
 * tunable for 32-bit WASM layouts). Class index `(n - 1) >> log2(A)`; `malloc(0)` is served as 1.
 *
 * ```
 *   request bytes   block size   class      (A = 16: 32 classes;  A = 8: 64 classes of 8 bytes)
 *      1 –  16          16          0
 *     17 –  32          32          1
 *     33 –  48          48          2
 *      ...             ...        ...
 *    481 – 496         496         30
 *    497 – 512         512         31
 * ```
 *
 * ## Tunables and their invariants
 *
 * - `A` (heap `align`): 8 or 16. `A ≤ SMALL_REQUEST_THRESHOLD = 512`; every block size and the
 *   pool header size are multiples of `A`, so every block is `A`-aligned.
 * - `P` (`poolSize`): a power of two, 4 KiB ≤ P ≤ 64 KiB. CPython: 4 KiB until 3.9, 16 KiB on
 *   64-bit since its radix tree (3.10). Default 16 KiB: the pool header (below) costs 1% of it,
 *   and the 512-byte class loses 352 bytes to quantization (2%), against 11% with 4 KiB pools.
 * - `R` (`arenaSize`): a power of two, 4·P ≤ R ≤ 16 MiB and R / P ≤ 256 (the `lastWith` table
 *   below has one word per possible free-pool count). CPython: 256 KiB until 3.9, 1 MiB on
 *   64-bit since. Default 256 KiB: it is the unit that goes back to the large-object heap when it
 *   empties, and a quarter of the default 1 MiB store, so a small heap is not all one arena.
 * - Measured for the defaults (one run, Node 20, fixed store): a million live 32-byte blocks
 *   cost 32.51 bytes each with 16 KiB pools (32.77 with 4 KiB, 32.51 with 64 KiB); 10,000 live
 *   blocks of random sizes up to 512 held 1.17× their bytes in arenas with 4 or 16 KiB pools and
 *   1.56× with 64 KiB pools; allocating and freeing them took the same time within noise (39 to
 *   44 ns a block) for every pool and arena size tried, 256 KiB and 1 MiB arenas alike.
 *
 * Arenas tile: each is requested as `R - 16` payload bytes aligned to `P`, so its TLSF chunk
 * (16-byte header in front) is exactly `R` bytes and the next arena's payload, right after it, is
 * again `P`-aligned. The price is the last pool of each arena, which is 16 bytes short (its
 * `maxNextOffset` knows). These 16 bytes per arena are "lost to arena alignment" in the report.
 *
 * ## A pool
 *
 * ```
 *  pool ─▶ ┌──────────┬───────────┬──────────┬──────────┬─────────┬─────────┬────────────┬───────────────┐
 *          │ count    │ freeBlock │ nextPool │ prevPool │ arena   │ class   │ nextOffset │ maxNextOffset │ 32 bytes
 *          ├──────────┴───────────┴──────────┴──────────┴─────────┴─────────┴────────────┴───────────────┤
 *          │ live bitmap: one bit per A-byte unit of the pool, set at the start of each allocated block │ P/A/8 bytes
 *          ├─────────────────────────────────────────────────────────────────────────────────────────────┤
 *          │ block │ block │ block │ ... carved blocks ... │ not yet carved (nextOffset ..)   │ tail    │
 *          └─────────────────────────────────────────────────────────────────────────────────────────────┘
 * ```
 *
 * - `count`: blocks in use. `freeBlock`: head of the LIFO list of freed blocks, threaded through
 *   their first word (0 ends it). `nextOffset`: where the next never-used block would start;
 *   blocks are carved lazily ("never touch a piece of memory until it's actually needed"), but
 *   always ahead, as in CPython: a used pool's free list is never empty, so an empty free list
 *   means a full pool and neither fast path tests `nextOffset`. When malloc takes the last listed
 *   block, the next `CARVE_BYTES` (4 KiB) of never-used blocks are carved at once and linked in
 *   address order (CPython carves one; mimalloc extends a page's free list by up to 4 KiB): a
 *   pool that is refilled after changing class then leaves the inlined fast path once per 4 KiB
 *   of blocks rather than once per block. `maxNextOffset`: the last offset at which a whole
 *   block still fits.
 * - `arena`: the index of the pool's arena in the arena table (CPython's `arenaindex`), which
 *   the pool-state transitions use. Pools not yet handed out carry `NO_ARENA` from the moment
 *   their arena is made, which `check()` verifies.
 * - The **pool map** has one bit per pool-sized page of the store's address range, set while the
 *   page is a pool that malloc has handed out (from its first use until its arena goes back).
 *   `free` tests it first: one load from a small, hot table says whether `ptr` is a small block,
 *   where reading the would-be pool header below a large block's payload would touch a cold
 *   line of user data on every large free. The map sits in the header after the small state when
 *   it fits there (2,364 bytes: a 295 MiB store with 16 KiB pools, the default 256 MiB one among
 *   them), else in an internal chunk; arenas are only made below the end of the map.
 * - The **live bitmap** is what makes `free` checked in O(1): a block is allocated exactly when
 *   its start bit is set. Interior, header and double-freed pointers all find a clear bit, and
 *   only then (off the fast path) does `free` work out which of those it was.
 *
 * ## Pool states and every transition
 *
 * ```
 *                  malloc takes the last available block
 *        ┌──────────┐ ────────────────────────────────▶ ┌──────────┐
 *        │  used    │                                   │  full    │   (on no list)
 *        │ (on      │ ◀──────────────────────────────── │          │
 *        │ usedPools│   free of one block: relinked at  └──────────┘
 *        │ [class]) │   the FRONT of usedPools[class]
 *        └──────────┘
 *          ▲      │ free of its last block (count 0)
 *   malloc │      ▼
 *   finds  │   ┌──────────┐   on its arena's free-pool list. Reused by a malloc of the SAME
 *   no used│   │  empty   │   class as it is (its free list still holds every block: no
 *   pool   │   │          │   re-initialisation); of another class, re-initialised.
 *          │   └──────────┘
 *          │
 *        ┌──────────┐  an arena's pools past its `watermark` have never been touched; a malloc
 *        │ untouched│  that finds neither a used nor an empty pool carves the next one.
 *        └──────────┘
 * ```
 *
 * A full pool whose one block is freed goes straight back to used (relinked at the front); a used
 * pool whose last block is freed leaves its class list and becomes empty. (With one-block pools,
 * full → empty happens in one free.)
 *
 * ## Kept pools
 *
 * One exception to "used → empty": when the pool that empties is the *only* pool on its class
 * list, it stays there, used with a count of 0 (kept), instead of going to its arena's free-pool
 * list. A program that allocates and frees one block of a class at a time (benchmark A) then
 * pops and pushes on the same pool, where it would otherwise hand the pool to its arena and take
 * it back on every pair; keeping it measured 724 → about 300 instructions per pair (callgrind,
 * `bench/instructions/count.sh heap A`). Bounded: at most one kept pool per class, and a kept pool
 * goes back as soon as it would cost memory:
 * - when another pool of its class comes back from full (the list would hold two), it becomes
 *   empty first;
 * - it is not kept, or is made empty, when its arena would otherwise hold only kept and free
 *   pools while other arenas exist, so that kept pools never hold on to an arena that could go
 *   back (the one arena of a small heap stays anyway, as the spare);
 * - before malloc makes a new arena, the kept pools of an arena that holds nothing else go back,
 *   so that it serves instead. Other kept pools stay, and cost at most one pool per class: giving
 *   every kept pool back there made a real C workload (the wasm suite's, through
 *   `arenalloc/wasm`) give pools back and take them again in turn, about 1,600 times per unit,
 *   each time through JavaScript.
 * Telling whether an arena holds only kept and free pools means counting the class heads in it;
 * each arena entry carries a bound (`KEPT`, at least its number of kept pools, made exact by
 * each count), so that the count is only made when the bound says it could matter.
 * So kept pools can add arenas, bounded by one pool per class (32 pools of 16 KiB by default).
 * `check()` verifies that an empty pool on a class list is its only pool, is on no free-pool
 * list, that each arena's bound holds, and that no arena holds only kept and free pools while
 * there are others (invariants S8 and S9 below). Statistics count a kept pool's blocks as available.
 *
 * ## Arenas
 *
 * The arena table (CPython's `arenas` array) is itself an internal chunk of the large-object heap,
 * re-allocated (doubled) as it grows. Its slots of arenas that went back are kept on an unused
 * list and reused. The arenas that have a free pool are on the `usable` list, sorted by their
 * number of free pools, fewest first: pools are taken from the head, the fullest arena, so that
 * the emptiest arenas get a chance to empty out entirely. `lastWith[k]` names the last arena of
 * the list with `k` free pools (CPython's `nfp2lasta`), so moving an arena after a free is O(1).
 * When an arena's last pool empties it goes back to the large-object heap, unless it would be the
 * only wholly free arena: one spare is kept so that a program that frees and allocates around a
 * boundary does not make and unmake an arena each time (CPython keeps one for the same reason).
 * Of two wholly free arenas the one at the lower address stays, so that free space gathers at the
 * top of the heap, where `trim()` can give it back to the store.
 *
 * ## Invariants
 *
 * What `smallCheck` (`./check.ts`, behind `heap.check()`) verifies, one named check each:
 *
 * - **S1 (arena table)**: the table is an internal chunk of the large-object heap with room for
 *   its slots, and the unused-slot list holds exactly the slots without an arena.
 * - **S2 (arenas)**: every arena is an internal chunk of at least `R` bytes whose payload is
 *   aligned to `P`; its `watermark` is a pool boundary inside it.
 * - **S3 (pool map)**: the map lies in the header after the small state, or in an internal chunk
 *   large enough for its pages; its bit is set exactly for the pools handed out (those below
 *   their arena's watermark), and no bit lies past its last page.
 * - **S4 (pool header)**: a pool handed out names its arena and a valid class; `maxNextOffset` is
 *   the last offset at which a block of its class fits; `nextOffset` is a block boundary from the
 *   first block to one block past `maxNextOffset`. An untouched pool carries `NO_ARENA`.
 * - **S5 (live bitmap)**: a bit is set only at the start of a carved block, and `count` is the
 *   number of bits set.
 * - **S6 (free list)**: a pool's free list has no cycle and holds carved blocks of the pool that
 *   are not allocated; with the live ones they are all the carved blocks.
 * - **S7 (carving ahead)**: a pool in use whose free list is empty has no whole block left to
 *   carve: it is full.
 * - **S8 (free pools)**: an arena's free-pool list holds exactly its empty pools (a kept pool
 *   aside), its `FREE_POOLS` counts them and its untouched pools, and the arenas, and the wholly
 *   free ones (at most one, the spare), are counted in the header.
 * - **S9 (kept pools)**: an empty pool on a class list is the only pool of that list; an arena's
 *   `KEPT` bound is at least its number of kept pools; no arena holds only kept and free pools
 *   while other arenas exist.
 * - **S10 (usable list)**: it holds every arena with a free pool, fewest free pools first, linked
 *   both ways, and `lastWith[k]` is its last arena with `k` free pools.
 * - **S11 (class lists)**: `usedPools[k]` holds exactly the pools of class `k` in use and not full
 *   (and a kept pool), linked both ways, each once.
 *
 * ## History
 *
 * - The first version carved lazily without carving ahead; a pool's free list could then be
 *   empty while the pool was not full, so free had to take its "was the pool full?" branch on
 *   every alloc/free pair. Carving one block ahead, as CPython does, removed that.
 * - The word offsets became `const enum`s after a measurement: a malloc+free pair straight on
 *   this allocator went from about 14 ns to 9 ns (Node 20, fixed store), the whole difference
 *   being module-level constants read from the module context on every access.
 * - `free` first told a small pointer from a large one as CPython's `address_in_range` does: it
 *   read the arena index from the would-be pool header at `ptr & ~(P - 1)` and trusted it only
 *   if that arena's range held the pool. Sound, but for a large block that header is user data
 *   somewhere below the payload, a cache line no other part of the free touches; the pool map
 *   replaced it (layout version 2).
 * - Of two wholly free arenas the lower one is kept (at first: whichever emptied first), so that
 *   `trim()` finds the free space at the top, and a heap whose blocks are all freed comes back to
 *   the large-heap layout it started from (a property test checks this).
 *
 * @internal
 * @module
 */

/** Largest request served by the small-object allocator. */
export const SMALL_REQUEST_THRESHOLD = 512;

// The word offsets below are `const enum`s, not `const`s, for speed: the bundler writes their
// values into the code that uses them, where a module-level constant would cost a context load on
// every access of the malloc/free fast paths (measured: about a third of their time in V8 11).

/** Word offsets of a pool header, from the pool's first word. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see above)
export const enum PoolHeader {
  /** Blocks in use. */
  COUNT = 0,
  /** Head of the pool's free list (an address, 0 ends it). */
  FREE_BLOCK = 1,
  /** Next pool: in usedPools[class], or in the arena's free-pool list. */
  NEXT = 2,
  /** Previous pool in usedPools[class] (0 for the head). */
  PREV = 3,
  /** Index of the pool's arena in the arena table; NO_ARENA for a pool never handed out. */
  ARENA = 4,
  /** Size-class index of the pool's blocks. */
  CLASS = 5,
  /** Byte offset of the next block never carved. */
  NEXT_OFFSET = 6,
  /** Largest offset at which a whole block fits. */
  MAX_NEXT_OFFSET = 7,
  /** First word of the live bitmap. */
  BITMAP = 8,
}
/** Bytes of the fixed header fields. */
export const POOL_FIELDS_BYTES = 32;

/**
 * Bytes of never-used blocks carved at once when a pool's free list runs dry (at least one
 * block): see "A pool" above.
 */
export const CARVE_BYTES = 4096;
/** PoolHeader.ARENA of a pool no malloc has used yet. */
export const NO_ARENA = 0xffff_ffff;

/** Word offsets of an arena table entry, and the entry's size in words. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see above)
export const enum ArenaEntry {
  /** Address of the arena's first pool (its chunk's payload); 0 for an unused slot. */
  BASE = 0,
  /** Free pools: empty ones plus those never touched. */
  FREE_POOLS = 1,
  /** Head of the arena's list of empty pools (linked through PoolHeader.NEXT). */
  FREE_POOL_LIST = 2,
  /** Address of the first pool never touched (CPython's `pool_address`). */
  WATERMARK = 3,
  /** Next arena index on the usable list (or next unused slot); NONE ends it. */
  NEXT = 4,
  /** Previous arena index on the usable list; NONE for the head. */
  PREV = 5,
  /**
   * At least the number of the arena's kept pools (see "Kept pools"): raised when one is kept,
   * made exact whenever they are counted. malloc's fast path reuses a kept pool without lowering
   * it, so it may be high; it only decides when the class heads need counting.
   */
  KEPT = 6,
  /** Words per entry. */
  STRIDE = 8,
}
/** Ends every arena-index list. */
export const NONE = 0xffff_ffff;

// This layer's header words (`SmallState`) and counters (`Counter.ARENAS_*`) are laid out in
// `src/layout.ts`, with every other layer's.

/** Default pool size: 16 KiB. */
export const DEFAULT_POOL_SIZE = 16 << 10;
/** Default arena size: 256 KiB. */
export const DEFAULT_ARENA_SIZE = 256 << 10;
