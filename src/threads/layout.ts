/**
 * The threaded heap: one heap in a growable `SharedArrayBuffer` that many threads (the main
 * thread and `worker_threads` workers, or a page and its Web Workers) allocate in at once, with
 * pointers that mean the same thing in every thread. `createHeap({ threads: true })` makes one;
 * `Heap.attach(buffer)` in another thread joins it and returns that thread's heap object. The
 * code is the `arenalloc/threads` entry (`./index.ts`), which the core does not import: loading
 * it fills in the core's threads port (`ThreadsPort` in `src/heap.ts`), the only way the core
 * reaches this folder, so that a program without threads bundles none of it.
 *
 * The design is mimalloc's (Leijen, Zorn and de Moura, "Mimalloc: Free List Sharding in Action",
 * 2019) and snmalloc's (Liétar et al., "snmalloc: a message passing allocator", 2019): the cost of
 * sharing is paid by the thread that frees someone else's block, never by a thread on its own
 * blocks. Measured on the machine this was written on (2 cores, Node 20): a contended
 * compare-and-swap costs about 78 ns per operation per thread, an uncontended `Atomics.add` about
 * 10 ns, a whole malloc/free pair of the single-threaded heap about 15 ns. One atomic per
 * operation would double the cost of every operation; a lock around the heap made two threads
 * slower than one (0.46×).
 *
 * ## The layers
 *
 * ```
 *   thread 1 (slot 0)                 thread 2 (slot 1)                   any thread
 *   usedPools[c] ─▶ pool ─▶ pool     usedPools[c] ─▶ pool                 ┌──────────────────────┐
 *     │ no atomics: its own            │                                  │ the heap lock        │
 *     │ free list, counters, bitmap    │ free(p) of slot 0's block:       │ (Atomics, spin then  │
 *     ▼                                │ one Atomics.or of p's bit in     │  Atomics.wait)       │
 *   pool: localFree │ pending ◀────────┘ its pool's pending bitmap        │  arenas, pools       │
 *         (owner)    (bitmap; the owner scans it                          │  large blocks (TLSF) │
 *                     when its local list runs dry)                       │  growth, join, close │
 *                                                                         └──────────────────────┘
 * ```
 *
 * - A **thread slot** is a record in the thread table (an internal chunk named by the header word
 *   `Word.THREADS_ROOT`): whether it is free, active or parked, a token that changes on every join
 *   and reclaim, the thread's class lists (`usedPools[c]` and `fullPools[c]`), and its counters.
 * - A **pool** (same size and alignment as the single-threaded heap's, so the pool map finds it
 *   from any pointer in O(1)) is **owned** by one slot. Only the owner reads or writes the pool's
 *   local free list, count, carving offset, list links and live bitmap, with plain loads and
 *   stores. Its malloc fast path is the single-threaded one: class list head, free-list pop, count,
 *   one bitmap word; its free of its own block: the owner test (one load), the bitmap words, a
 *   push. Not one atomic instruction on either.
 * - A free by any other thread is a **remote free**: it checks the block is live (the live bit, a
 *   plain load; a block's bit does not change while it is live), sets the block's bit in the
 *   pool's **pending bitmap** with `Atomics.or` (whose old value catches a second remote free of
 *   the same block). That bit is the whole message: the block itself is not written, so its
 *   cache line stays where it was. It then raises the pool's **remote flag** if it is down (a
 *   load, and a store only on the first remote free since the owner last looked). No lock, no
 *   compare-and-swap loop, no write to a line the owner writes.
 * - The owner takes the remote frees back when its local list of that pool runs dry and the flag
 *   is up: it lowers the flag, then for each word of the pending bitmap that has bits set
 *   (`Atomics.load`) clears those blocks' live bits and then their pending bits (one
 *   `Atomics.and` of just those bits per word, so a bit set meanwhile stays), and puts the blocks
 *   on its local list in address order. A remote free whose bit the scan missed raises the flag
 *   after the owner lowered it, so none is lost. The first design pushed each block onto a
 *   lock-free list in the pool with a compare-and-swap (writing a link into the block, which the
 *   owner then read back): two more cache-line transfers per remote free.
 * - **Everything shared is under the heap lock**: arenas (taken from TLSF, as pymalloc takes them
 *   from `mmap`), untouched and empty pools, pools whose owner closed (orphans, one list per
 *   class), every large block (TLSF), and growth of the store. The lock is a word of the thread
 *   table (Drepper's three-state mutex: 0 free, 1 held, 2 held with waiters): a compare-and-swap
 *   to take it, a thousand spins (a critical section is one TLSF call or a pool hand-over: well
 *   under a microsecond), then `Atomics.wait` where the thread may block (a browser's main thread
 *   may not: it keeps spinning); release is one `Atomics.exchange`, with `Atomics.notify` only
 *   when someone waits.
 * - **What a thread keeps to stay off the lock**: up to 64 of its own empty pools (reused for any
 *   class before it asks the heap for one), and a cache of up to 8 large chunks of at most 1 MiB
 *   that it freed (TLSF still counts them as used, marked `CACHED_REQUEST`; the next malloc of
 *   that size in the same thread takes one back). A program that churns 64 KiB frames in each
 *   thread then takes the lock only when a thread's cache misses. Both go back to the heap on
 *   `close()` and `reclaim()`. A chunk the cache may keep is laid on cache lines: it starts on
 *   one (`LINE_BYTES`) and fills whole ones, header included, so that no line holds bytes
 *   of two chunks; and the free that puts it in the cache checks it by its own header alone
 *   (tag, size, flags), not by TLSF's `classify`, which also reads the next chunk's header. Two
 *   threads' frames that TLSF placed side by side otherwise shared the line of one frame's last
 *   word and the next frame's header, and two threads churning frames ran at 1.0× of one.
 * - **The hand-back list**, for pipelines (one thread allocates frames, another frees them): a
 *   free that finds its thread's cache full pushes the chunk, still marked cached, onto one list
 *   in the thread table with a compare-and-swap (the link is the chunk's first payload word); a
 *   malloc whose cache has nothing that fits takes the whole list with one exchange, keeps a
 *   chunk that fits and fills its own cache from the rest, and pushes back what is left. No one
 *   pops a single entry, so there is no ABA. At most `HAND_BACK_MAX` chunks wait there; past
 *   that a free takes the lock and gives the chunk to TLSF. When TLSF has no room for a large
 *   block or an arena, the list and the thread's own cache go back to it first. Before it, each frame of such a
 *   pipeline took the lock twice (a TLSF malloc in one thread, a TLSF free in the other).
 * - **Growth** happens under the lock, by whichever thread needs the room; the store's new
 *   length and the heap end in the header are published by the lock's release (an atomic
 *   store). Every thread re-binds its views when it takes the lock, and when a pointer it is
 *   given lies past its views; its own pools always lie inside them (it took them under the lock,
 *   after re-binding), so its fast paths never test.
 * - **Counters** are per slot (live bytes, allocations, frees) and written by their thread alone,
 *   through a fixed view of those three words (a growable `SharedArrayBuffer` never detaches, so
 *   the view never goes stale) indexed by constants: 32 instructions less per malloc/free pair
 *   than indexing the whole store at the slot's offset. A thread that frees another's block
 *   counts the free in its own slot. `stats()` sums them.
 *   The peak of live bytes is the largest sum `stats()` and `close()` saw, not an exact peak.
 *
 * ## A threaded pool
 *
 * ```
 *           ┌───────┬───────────┬──────┬──────┬───────┬───────┬────────────┬───────────────┬──────┬───────┐
 *  pool ─▶  │ count │ freeBlock │ next │ prev │ owner │ class │ nextOffset │ maxNextOffset │ list │ limit │ line 0: the owner's
 *           ├───────┴───────────┴──────┴──────┴───────┴───────┴────────────┴───────────────┴──────┴───────┤
 *           │ live bitmap (owner only): one bit per A-byte unit, set at the start of each block handed out │ line 1 on: P/A/8 bytes
 *           ├──────────────┬──────────────────────────────────────────────────────────────────────────────┤
 *           │ remote flag  │ pending bitmap (Atomics.or by remote frees, cleared by the owner when it      │ from the next line:
 *           │ (Atomics)    │ takes them back): P/A/8 bytes                                                │ the remote freers'
 *           ├──────────────┴──────────────────────────────────────────────────────────────────────────────┤
 *           │ blocks ...                                                                                   │
 *           └──────────────────────────────────────────────────────────────────────────────────────────────┘
 * ```
 *
 * - `count`: blocks handed out and not yet back on the local list (a block pending a remote free
 *   still counts). A block is the user's exactly when its live bit is set and its pending
 *   bit clear.
 * - `owner`: the slot index + 1; 0 for a pool on the free-pool stack or an orphan list.
 * - `list`: where the pool is linked: the free-pool stack, its owner's `usedPools[class]` (it
 *   has, or may get, a free block), its owner's `fullPools[class]` (no free block, nothing left
 *   to carve; remote frees may be waiting), its owner's empty pools, or the orphan list of its
 *   class.
 * - Blocks are carved lazily (`nextOffset`), as in the single-threaded heap.
 * - The split by cache line: on the first layout the thread-free list head and the pending
 *   bitmap shared lines with the owner's count, free-list head and live bitmap, so that every
 *   remote free took a line the owner's next malloc or free took back. With 16 KiB pools and
 *   16-byte alignment the header is now 336 bytes instead of 304 (2.1% of the pool, not 1.9%).
 *
 * ## Pool states and every transition
 *
 * ```
 *   untouched ──(lock) carve──▶ used ──local list empty, nothing to carve, no remote frees──▶ full
 *   (arena past the cursor)      ▲ │ ◀──── a local free, or remote frees found by a malloc ───── │
 *                                │ │                                                           │
 *     (lock) adopt by a malloc   │ │ count 0 and not the head of its class list: (lock) ──▶ free-pool stack
 *     of the same class          │ │                                                  (re-initialised for
 *                                │ ▼ close() or reclaim() of the owner, count > 0            any class)
 *                              orphan ◀───────────────────────────────────────────────────────
 *   (remote frees keep arriving in an orphan's pending bitmap; its adopter takes them)
 * ```
 *
 * The owner's head pool of a class stays even when empty, so that a thread churning one block
 * does not take and give back a pool on every pair; other pools that empty go to the owner's
 * empty pools (`Slot.EMPTY`, state "empty", reused for any class without the lock) and past 64 of
 * those to the free-pool stack. Arenas of a threaded heap are not given back to TLSF (empty pools
 * are reused by every thread and class instead).
 *
 * ## Closing, dying, checking
 *
 * `close()` takes the thread's remote frees back, gives its empty pools to the free-pool stack
 * and the others to the orphan lists, and frees the slot; a pointer into an orphan is freed
 * remotely as before and its pool passes to the next thread that allocates that class. A worker
 * that died without closing leaves an active slot: `reclaim(threadId)` from another thread does
 * what its `close()` would have done, and changes the slot's token so that the dead thread's heap
 * object, should it run after all, fails its next slow path with a typed error.
 * `check()` walks structures that other threads write without locks, so it runs only while every
 * other joined thread is parked (`park()`), and says so with a typed error otherwise.
 *
 * ## History
 *
 * - Issue 16 measured the alternatives first: a global spin lock around a free list scaled 0.23×
 *   from 1 to 2 threads, the single-threaded heap behind one lock 0.46×, a prototype of this
 *   design 2.06×.
 * - The first remote free pushed each block onto a lock-free list in its pool (a compare-and-swap,
 *   a link written into the block): five to six line transfers per remote free. The pending
 *   bitmap replaced it.
 * - Measured on a quiet 2-core machine (two spinning workers got 1,240 ms of CPU in 624 ms), the
 *   `threads` suite's B-like churn with half the frees handed to the other thread reaches
 *   1.05–1.3× of one thread, while the same two threads with every free local reach 1.6–1.95×
 *   and the suite's hand-off ring alone (no heap) costs about 7 ns per pair. Two designs that give up the
 *   synchronous double-free check of a remote free were tried as measurement-only patches
 *   (`bench/experiments/`, with their base commits):
 *   snmalloc-style batches (each freer links 32 blocks through their first words and pushes the
 *   batch onto the owner's inbox with one compare-and-swap) came out about 5% faster; a
 *   single-producer ring of pointers per pair of threads, with the owner and class words on a
 *   line the owner never writes, no check and no atomic per free, about 15% faster in the best
 *   runs. Neither is worth losing the typed error of a cross-thread double free, so the pending
 *   bitmap stays. Where the rest of the cost goes was not found: the ring variant writes no line
 *   the owner writes, and still runs well above the all-local figure.
 *
 * @internal
 * @module
 */

/** Word offsets of the thread table, from its first word. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths
export const enum Table {
  /** The heap lock (an Int32 word): 0 free, 1 held, 2 held and someone waits. */
  LOCK = 0,
  /** Slots in the table. */
  MAX_THREADS = 1,
  /** Slots active or parked. */
  JOINED = 2,
  /** Head of the free-pool stack (linked through TPool.NEXT), 0 if empty. */
  FREE_POOLS = 3,
  /** Next untouched pool of the newest arena. */
  CURSOR = 4,
  /** One past the newest arena's pools. */
  CURSOR_END = 5,
  /** Arenas made. */
  ARENAS = 6,
  /** Room in the arena list. */
  ARENA_CAPACITY = 7,
  /** Bumped on every join and reclaim: the tokens of the slots. */
  GENERATION = 8,
  /** A word that stays 0, for probing whether this thread may block (Atomics.wait). */
  ZERO = 9,
  /** f64 at words 10-11: the largest sum of live bytes seen. */
  PEAK = 10,
  /**
   * Head of the hand-back list (an Int32 word, Atomics only): cached large chunks that a thread
   * whose own cache was full freed for any thread to take, linked through their first payload
   * word; 0 if empty. Pushed with a compare-and-swap, taken whole with one exchange.
   */
  HANDED_BACK = 12,
  /** Chunks on the hand-back list (Atomics), at most {@link HAND_BACK_MAX}. */
  HANDED_BACK_COUNT = 13,
  /** orphans[c]: first orphaned pool of class c (linked through TPool.NEXT), 0 if none. 64 words. */
  ORPHANS = 16,
  /** The arena list: the address of each arena's first pool. ARENA_CAPACITY words. */
  ARENA_LIST = 80,
}

/** Word offsets of a thread slot, from its first word; the slot's size in words. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths
export const enum Slot {
  /** SlotState of the slot (an Int32 word, read and written with Atomics). */
  STATE = 0,
  /** The occupant's token (Table.GENERATION when it joined); changed by reclaim. */
  TOKEN = 1,
  /** Head of the slot's empty pools kept for reuse without the lock (linked through TPool.NEXT). */
  EMPTY = 2,
  /** How many pools are on that list. */
  EMPTY_COUNT = 3,
  /** How many large chunks the slot keeps in its cache (the CACHE words). */
  CACHE_COUNT = 4,
  /** usedPools[c]: the slot's pools of class c with (possibly) a free block. 64 words. */
  USED = 8,
  /** fullPools[c]: the slot's full pools of class c. 64 words. */
  FULL = 72,
  /** f64 (words 136-137): live bytes allocated minus freed by this slot. */
  LIVE_BYTES = 136,
  /** f64 (words 138-139): allocations by this slot. */
  ALLOCATIONS = 138,
  /** f64 (words 140-141): frees by this slot. */
  FREES = 140,
  /** The large-chunk cache: payload addresses of chunks this thread freed, kept for its next malloc. */
  CACHE = 144,
  /** Words per slot (even, so the f64 counters stay 8-byte aligned). */
  STRIDE = 160,
}

/** States of a thread slot. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler
export const enum SlotState {
  FREE = 0,
  ACTIVE = 1,
  PARKED = 2,
}

/**
 * Word offsets of a threaded pool's header, from the pool's first word (a pool starts on a cache
 * line: pools are aligned to their size). The header is split by who writes it: the owner's
 * fields (line 0) and its live bitmap (line 1 on), then, from the next cache line (64 bytes,
 * {@link LINE_WORDS}), the remote flag and the pending bitmap, which remote frees write. A remote
 * free thus never takes a line the owner writes on every operation (it reads two: the owner and
 * class words, and one live bitmap word), and the owner's fast paths use constant offsets only.
 */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths
export const enum TPool {
  /** Blocks handed out and not yet back on the local list. */
  COUNT = 0,
  /** Head of the owner's local free list (0 ends it). */
  FREE_BLOCK = 1,
  /** Next pool on the pool's list. */
  NEXT = 2,
  /** Previous pool on an owner's class list (0 for the head). */
  PREV = 3,
  /** Byte offset of the next block never carved. */
  NEXT_OFFSET = 6,
  /** Largest offset at which a whole block fits. */
  MAX_NEXT_OFFSET = 7,
  /** PoolList of the pool. */
  LIST = 9,
  /** Owner slot + 1; 0 for none. */
  OWNER = 4,
  /** Size-class index. */
  CLASS = 5,
  /** Bytes of the pool blocks may use: the pool size, or 16 less for an arena's last pool. */
  LIMIT = 10,
  /**
   * First word of the live bitmap (line 1 on). The remote flag (an Int32 word, Atomics only:
   * non-zero when a remote free may have set a pending bit since the owner last took them back)
   * starts the first line after it, and the pending bitmap follows the flag
   * (`remoteFlagWord` in `./threaded.ts`).
   */
  LIVE = 16,
}

/** Words in a cache line (64 bytes), the unit the pool header is split in. */
export const LINE_WORDS = 16;

/** Bytes in a cache line: a chunk the large-chunk cache keeps starts on one and fills whole ones. */
export const LINE_BYTES = 64;

/** The lists a threaded pool can be on (TPool.LIST). */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler
export const enum PoolList {
  FREE = 0,
  USED = 1,
  FULL = 2,
  ORPHAN = 3,
  /** On its owner's list of empty pools (Slot.EMPTY), for any class. */
  EMPTY = 4,
}

/** Empty pools a thread keeps before it gives one back to the heap (under the lock). */
export const KEEP_EMPTY_POOLS = 64;

/** Large chunks a thread's cache holds. */
export const CACHE_ENTRIES = 8;

/** Chunks the hand-back list holds at most; past it a free goes back to TLSF under the lock. */
export const HAND_BACK_MAX = 64;

/** Largest chunk (header included) the large-chunk cache keeps. */
export const CACHE_MAX_CHUNK = 1 << 20;

/** The `requested` word of a large chunk that sits in a thread's cache: free for the user, used for TLSF. */
export const CACHED_REQUEST = 0xffff_fffe;

/** Spins on a held lock before waiting (a critical section is a TLSF call: a few hundred ns at most). */
export const LOCK_SPINS = 1000;

/** Default number of thread slots. */
export const DEFAULT_MAX_THREADS = 64;
