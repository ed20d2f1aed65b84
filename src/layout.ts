/**
 * The heap header: the one module that lays out every word of it, for every layer.
 *
 * Invariant 1 of the design: all heap state lives inside the buffer. The header holds the magic,
 * the layout version and the tunables, the counters, and the roots of every layer's structures;
 * JS objects only cache views over it. `Heap.attach` re-opens a heap from this header alone.
 *
 * Offsets are from the heap's `base` (0 by default; a WASM module's `__heap_base` when the heap
 * shares a module's memory): the layers read these words through `Memory.head` (u32 indexes) and
 * `Memory.counters` (f64 indexes), views that begin at `base`, and chunk addresses through views
 * from 0. Each region below is one `const enum` here; no other module names a header word by
 * number, and every offset that depends on another is derived from it, so a region can move by
 * changing one line. `src/wasm/core/layout.h` repeats the numbers for the C fast path, and a
 * test compares the two.
 *
 * ```
 *  u32 word  f64 index
 *  0         ┌──────────────────────────────────────────────────────────────┐
 *            │ Word: magic, version, header bytes, alignment, pool and      │ core
 *            │ arena size, flags, heap end, TLSF first-level bitmap, roots  │
 *            │ of rc, gc and the thread table, base, null-pointer guard     │
 *  16        ├─ 8 ──────────────────────────────────────────────────────────┤
 *            │ Counter: facade 8..11, large heap 12..16, small heap 17..19, │ counters
 *            │ refcounted objects 25..28; 20..24 and 29..31 unused          │
 *  64        ├─ 32 ─────────────────────────────────────────────────────────┤
 *            │ Region.TLSF_SL_BITMAPS: TLSF second-level bitmaps, 32 words   │ large heap
 *  96        ├──────────────────────────────────────────────────────────────┤
 *            │ Region.TLSF_HEADS: TLSF free-list heads, 32 × 32 words        │ large heap
 *  1120      ├──────────────────────────────────────────────────────────────┤
 *            │ SmallState: arena table, usable-arena list, class lists, and │ small heap
 *            │ the pool map when it fits (up to Region.END)                 │
 *  2048      ├──────────────────────────────────────────────────────────────┤
 *  (8192 B)  │ the first chunk of the large-object heap ...                 │
 *            │ sentinel chunk at Word.HEAP_END                              │
 *            └──────────────────────────────────────────────────────────────┘
 * ```
 *
 * Words 11 and 12 once named roots for tracing and debug mode that never used them: they are
 * unused and zero, as are the unnamed counters.
 *
 * @internal
 * @module
 */

/** "ARNA" read as a little-endian word. */
export const MAGIC = 0x414e5241;
/** Bumped whenever the meaning of any word in the buffer changes. */
export const LAYOUT_VERSION = 3;
/** Marks a large chunk that the library itself owns (an arena, a table): `free` refuses it. */
export const INTERNAL_REQUEST = 0xffff_ffff;
/** Bytes reserved for the header; the first chunk starts here. */
export const HEADER_BYTES = 8192;

/**
 * Where each region of the header begins, in u32 words. A `const enum`, not `const`s, so that
 * the bundler writes the numbers into the hot paths: an imported `const` stays a variable that
 * each access loads, and its bytes count against V8's inlining budget of the caller.
 */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see above)
export const enum Region {
  /** The f64 counters: f64 index 8 is u32 word 16. */
  COUNTERS = 16,
  /** TLSF's second-level bitmaps, one word per first level. */
  TLSF_SL_BITMAPS = 64,
  /** TLSF's free-list heads, first level × 32 + second level. */
  TLSF_HEADS = 96,
  /** The small-object allocator's state ({@link SmallState}). */
  SMALL_STATE = 1120,
  /** One past the header's last word: `HEADER_BYTES / 4` (a literal, so that the bundler folds it). */
  END = 2048,
}

/** The core's words (u32 indexes of `Memory.head`), words 0..15. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see Region)
export const enum Word {
  MAGIC = 0,
  VERSION = 1,
  HEADER_BYTES = 2,
  ALIGN = 3,
  POOL_SIZE = 4,
  ARENA_SIZE = 5,
  /** {@link Flag} bits. */
  FLAGS = 6,
  /** Address of the sentinel chunk that ends the heap. */
  HEAP_END = 7,
  /** TLSF's first-level bitmap. */
  TLSF_FL_BITMAP = 8,
  /** Root of refcounted objects: the address of their registry (`src/rc/layout.ts`), or 0. */
  RC_ROOT = 9,
  /** Root of the cycle detector: the address of its table (`src/gc`), or 0. */
  GC_ROOT = 10,
  /**
   * Byte address of this header: the heap's `base` (0 unless the heap was made above a WASM
   * module's data). `Heap.attach` compares it with the `base` it was given.
   */
  BASE = 13,
  /**
   * Bytes from address 0 that the heap keeps zero and `check()` verifies (the null-pointer guard,
   * `guardLow`); 0 for none. Below `base`, so the only bytes below the heap it ever reads.
   */
  GUARD_LOW = 14,
  /** Address of the thread table of a threaded heap (`src/threads/layout.ts`), else 0. */
  THREADS_ROOT = 15,
}

/** Bits of {@link Word.FLAGS}. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler (see Region)
export const enum Flag {
  /** The heap is threaded: `Heap.attach` joins it (a thread slot) instead of opening it alone. */
  THREADED = 1 << 1,
}

/** The f64 counters (indexes of `Memory.counters`) of every layer. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see Region)
export const enum Counter {
  // The facade's, updated by every malloc and free.
  /** Usable bytes of all live blocks. */
  LIVE_BYTES = Region.COUNTERS >>> 1,
  /** High-water mark of LIVE_BYTES. */
  PEAK_BYTES = LIVE_BYTES + 1,
  /** Successful allocations since the heap was created (malloc, calloc, moving realloc). */
  ALLOCATIONS = LIVE_BYTES + 2,
  /** Frees since the heap was created (free, moving realloc). */
  FREES = LIVE_BYTES + 3,
  // The large-object heap's (TLSF).
  /** Chunks of the large-object heap in use (including small arenas). */
  LARGE_USED_CHUNKS = LIVE_BYTES + 4,
  /** Bytes of those chunks, headers included. */
  LARGE_USED_BYTES = LIVE_BYTES + 5,
  /** Free chunks on the TLSF lists. */
  LARGE_FREE_CHUNKS = LIVE_BYTES + 6,
  /** Bytes of those chunks, headers included. */
  LARGE_FREE_BYTES = LIVE_BYTES + 7,
  /** High-water mark of the backing store's byte length. */
  PEAK_BACKING = LIVE_BYTES + 8,
  // The small-object allocator's.
  /** Arenas obtained from the large-object heap since the heap was created. */
  ARENAS_ALLOCATED = LIVE_BYTES + 9,
  /** Arenas given back to it. */
  ARENAS_RECLAIMED = LIVE_BYTES + 10,
  /** Most arenas held at once. */
  ARENAS_PEAK = LIVE_BYTES + 11,
  // Refcounted objects' (`src/rc`).
  /** Objects created. */
  RC_CREATED = LIVE_BYTES + 17,
  /** Objects destroyed. */
  RC_FREED = LIVE_BYTES + 18,
  /** Creations served from a type's free list. */
  RC_FREELIST_HITS = LIVE_BYTES + 19,
  /** Creations that found the type's free list empty. */
  RC_FREELIST_MISSES = LIVE_BYTES + 20,
  /** One past the last counter (f64 index 32 is u32 word 64, {@link Region.TLSF_SL_BITMAPS}). */
  END = Region.TLSF_SL_BITMAPS >>> 1,
}

/**
 * The small-object allocator's words (u32 indexes of `Memory.head`), from
 * {@link Region.SMALL_STATE}; what they hold is explained in `src/small/layout.ts`. The pool map
 * follows them when it fits before {@link Region.END}.
 */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see Region)
export const enum SmallState {
  /** Address of the arena table chunk (0 before the first arena). */
  ARENA_TABLE = Region.SMALL_STATE + 0,
  /** Slots the table has room for. */
  ARENA_CAPACITY = Region.SMALL_STATE + 1,
  /** Slots ever used (indexes below this are valid). */
  ARENA_SLOTS = Region.SMALL_STATE + 2,
  /** Head of the list of unused slots (linked through ArenaEntry.NEXT), NONE if none. */
  UNUSED_SLOTS = Region.SMALL_STATE + 3,
  /** Head of the usable-arena list (sorted by free pools, fewest first), NONE if none. */
  USABLE_HEAD = Region.SMALL_STATE + 4,
  /** Wholly free arenas kept (0 or 1: the spare). */
  EMPTY_ARENAS = Region.SMALL_STATE + 5,
  /** Arenas currently allocated. */
  ARENAS = Region.SMALL_STATE + 6,
  /** Byte address of the pool map (see below): in this header after END, or an internal chunk. */
  POOL_MAP = Region.SMALL_STATE + 7,
  /** Pool-sized pages the pool map covers: pages from 0 to this, of the store's maximum size. */
  POOL_MAP_PAGES = Region.SMALL_STATE + 8,
  /** usedPools[class]: first pool of the class's list of partly used pools, 0 if none. 64 words. */
  USED_POOLS = Region.SMALL_STATE + 16,
  /** lastWith[k]: last arena on the usable list with k free pools, NONE if none. 257 words. */
  LAST_WITH = Region.SMALL_STATE + 80,
  /** One past the small allocator's header words. */
  END = Region.SMALL_STATE + 337,
}
