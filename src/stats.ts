/**
 * The heap's figures: the types of {@link Heap.stats} and the one function that fills them in,
 * for a heap used by one thread and (through the threads port) for a threaded heap.
 *
 * Where each figure comes from: the block counts and live bytes are the facade's f64 counters
 * (or, for a threaded heap, the sum of every thread's slot); the large-object figures are TLSF's
 * counters; the per-class figures come from a walk over the pools (`smallStats` of
 * `src/small/inspect.ts`), so `stats()` costs O(pools).
 *
 * @module
 */

import type { Heap } from './heap';
import { Counter } from './layout';
import type { StoreKind } from './memory/store';

/** Figures of one size class of the small-object allocator, in {@link HeapStats}. */
export interface SmallClassStats {
  /** Block size of the class in bytes (it serves requests up to this size). */
  size: number;
  /** Pools in use by the class (used or full; empty pools belong to no class). */
  pools: number;
  /** Blocks allocated. */
  blocksInUse: number;
  /** Blocks the class's pools can still hand out without a new pool (freed or never carved). */
  blocksAvailable: number;
}

/** Figures of the small-object allocator, in {@link HeapStats}. */
export interface SmallHeapStats {
  /** Arenas held now (including the one spare kept when all its pools are free). */
  arenas: number;
  /** Arenas taken from the large-object heap since the heap was created. */
  arenasAllocated: number;
  /** Arenas given back to it. */
  arenasReclaimed: number;
  /** Most arenas held at once. */
  peakArenas: number;
  /** Pools in use by some class (used or full). */
  pools: number;
  /** Pools free in the arenas held (empty, or never touched). */
  freePools: number;
  /** Per size class, smallest first: index `(n - 1) >> log2(align)` for a request of n bytes. */
  classes: SmallClassStats[];
}

/** A snapshot of a heap's figures, from {@link Heap.stats}. */
export interface HeapStats {
  /** Kind of backing store. */
  store: StoreKind;
  /** Current byte length of the backing store. */
  backingBytes: number;
  /** Largest byte length the backing store has had. */
  peakBackingBytes: number;
  /** Blocks currently allocated by users. */
  liveBlocks: number;
  /** Usable bytes of those blocks (what {@link Heap.usableSize} reports, summed). */
  liveBytes: number;
  /** Largest `liveBytes` seen since the heap was created. */
  peakLiveBytes: number;
  /** Bytes in free chunks of the large-object heap, headers included. */
  freeBytes: number;
  /** Successful allocations since the heap was created (a moving realloc counts one). */
  totalAllocations: number;
  /** Frees since the heap was created (a moving realloc counts one). */
  totalFrees: number;
  /** The large-object heap (TLSF). */
  large: {
    /** Chunks in use, including the library's own (arenas, tables). */
    usedChunks: number;
    /** Bytes of chunks in use, headers included. */
    usedBytes: number;
    /** Free chunks. */
    freeChunks: number;
    /** Bytes of free chunks, headers included. */
    freeBytes: number;
  };
  /** The small-object allocator (requests of up to 512 bytes). */
  small: SmallHeapStats;
}

/**
 * {@link Heap.stats} from its block counts and the small allocator's figures; the rest is the
 * header's. @internal
 */
export function statsOf(heap: Heap, allocations: number, frees: number, live: number, peak: number, small: SmallHeapStats): HeapStats {
  const mem = heap._mem;
  const counters = mem.counters;
  return {
    store: mem.kind,
    backingBytes: mem.byteLength,
    peakBackingBytes: counters[Counter.PEAK_BACKING] as number,
    liveBlocks: allocations - frees,
    liveBytes: live,
    peakLiveBytes: peak,
    freeBytes: counters[Counter.LARGE_FREE_BYTES] as number,
    totalAllocations: allocations,
    totalFrees: frees,
    large: {
      usedChunks: counters[Counter.LARGE_USED_CHUNKS] as number,
      usedBytes: counters[Counter.LARGE_USED_BYTES] as number,
      freeChunks: counters[Counter.LARGE_FREE_CHUNKS] as number,
      freeBytes: counters[Counter.LARGE_FREE_BYTES] as number,
    },
    small,
  };
}
