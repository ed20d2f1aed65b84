/**
 * The heap header: the words at the start of the heap that say what the buffer holds.
 *
 * Invariant 1 of the design: all heap state lives inside the buffer. The header holds the magic,
 * the layout version and the tunables, the counters, and the roots of every layer's structures;
 * JS objects only cache views over it. `Heap.attach` re-opens a heap from this header alone.
 *
 * Offsets are from the heap's `base` (0 by default; a WASM module's `__heap_base` when the heap
 * shares a module's memory): the core reads these words through `Memory.head` and
 * `Memory.counters`, views that begin at `base`, and chunk addresses through views from 0.
 *
 * ```
 *  byte 0      ┌──────────────────────────────────────────────────────────────┐
 *              │ words 0..15: magic, version, header bytes, alignment, pool   │
 *              │ and arena size, flags, heap end, TLSF first-level bitmap,    │
 *              │ roots of the optional layers                                 │
 *  byte 64     ├──────────────────────────────────────────────────────────────┤
 *              │ f64 counters of the facade and of TLSF (indexes 8..31)       │
 *  byte 256    ├──────────────────────────────────────────────────────────────┤
 *              │ TLSF second-level bitmaps, 32 words                          │
 *  byte 384    ├──────────────────────────────────────────────────────────────┤
 *              │ TLSF free-list heads, 32 × 32 words                          │
 *  byte 4480   ├──────────────────────────────────────────────────────────────┤
 *              │ small-object allocator state (class lists, arena bookkeeping) │
 *  byte 8192   ├──────────────────────────────────────────────────────────────┤
 *              │ the first chunk of the large-object heap                     │
 *              │ ...                                                          │
 *              │ sentinel chunk at W_HEAP_END                                 │
 *              └──────────────────────────────────────────────────────────────┘
 * ```
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

// Word indexes (u32[...]) of the header.
export const W_MAGIC = 0;
export const W_VERSION = 1;
export const W_HEADER_BYTES = 2;
export const W_ALIGN = 3;
export const W_POOL_SIZE = 4;
export const W_ARENA_SIZE = 5;
export const W_FLAGS = 6;
/** Address of the sentinel chunk that ends the heap. */
export const W_HEAP_END = 7;
export const W_TLSF_FL_BITMAP = 8;
/** Roots of optional layers: a pointer to the layer's own table in the heap, or 0. */
export const W_RC_ROOT = 9;
export const W_GC_ROOT = 10;
export const W_PROFILE_ROOT = 11;
export const W_DEBUG_ROOT = 12;
/**
 * Byte address of this header: the heap's `base` (0 unless the heap was made above a WASM
 * module's data). `Heap.attach` compares it with the `base` it was given. Heaps written before
 * it existed hold 0 here, which is their base.
 */
export const W_BASE = 13;
/**
 * Bytes from address 0 that the heap keeps zero and `check()` verifies (the null-pointer guard,
 * `guardLow`); 0 for none. Below `base`, so the only bytes below the heap it ever reads.
 */
export const W_GUARD_LOW = 14;
/**
 * Address of the thread table of a threaded heap (`createHeap({ threads: true })`, laid out in
 * `src/threads/layout.ts`), else 0. Heaps written before it existed hold 0 here.
 */
export const W_THREADS_ROOT = 15;

// Float64 indexes (f64[...]) of the counters.
/**
 * The facade's counters, updated by every malloc and free. A `const enum`, not `const`s, so that
 * the bundler writes the numbers into the hot paths: an imported `const` stays a variable that
 * each access loads, and its bytes count against V8's inlining budget of the caller.
 */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler on the hot paths (see above)
export const enum Counter {
  /** Usable bytes of all live blocks. */
  LIVE_BYTES = 8,
  /** High-water mark of LIVE_BYTES. */
  PEAK_BYTES = 9,
  /** Successful allocations since the heap was created (malloc, calloc, moving realloc). */
  ALLOCATIONS = 10,
  /** Frees since the heap was created (free, moving realloc). */
  FREES = 11,
}
/** Chunks of the large-object heap in use (including small arenas). */
export const F_LARGE_USED_CHUNKS = 12;
/** Bytes of those chunks, headers included. */
export const F_LARGE_USED_BYTES = 13;
/** Free chunks on the TLSF lists. */
export const F_LARGE_FREE_CHUNKS = 14;
/** Bytes of those chunks, headers included. */
export const F_LARGE_FREE_BYTES = 15;
/** High-water mark of the backing store's byte length. */
export const F_PEAK_BACKING = 16;
// f64 indexes 17..31 are free for the layers above.

/** Word index of the TLSF second-level bitmaps. */
export const W_TLSF_SL_BITMAPS = 64;
/** Word index of the TLSF free-list heads (first level × 32 + second level). */
export const W_TLSF_HEADS = 96;
/** Word index where the small allocator's state begins. */
export const W_SMALL_STATE = 1120;
/** Word index one past the small allocator's state. */
export const W_SMALL_STATE_END = HEADER_BYTES >>> 2;

/** Flag bits of W_FLAGS. */
export const FLAG_DEBUG = 1 << 0;
/** The heap is threaded: `Heap.attach` joins it (a thread slot) instead of opening it alone. */
export const FLAG_THREADED = 1 << 1;
