/**
 * How the heap map draws the arenas of the small-object allocator: each arena (a library chunk of
 * the large-object heap) is cut into its pools, and each pool is coloured by its size class (the
 * hue) and its fill (the darker, the fuller). Read from the buffer: the arena table and the pool
 * headers.
 *
 * ```
 *  arena chunk ─▶ ┌──┬──────────┬──────────┬──────────┬──────────┬─────┐
 *                 │h │ pool 16B │ pool 16B │ pool 96B │  empty   │ ... │
 *                 │  │ 90% full │ 10% full │ 50% full │  pool    │     │
 *                 └──┴──────────┴──────────┴──────────┴──────────┴─────┘
 * ```
 *
 * @internal
 * @module
 */

import type { Heap } from '../heap';
import { CHUNK_HEADER } from '../large/tlsf';
import { SmallState } from '../layout';
import { ArenaEntry, PoolHeader } from '../small/layout';

/** One pool of an arena, as the map draws it. */
export interface PoolSpan {
  start: number;
  end: number;
  /** Size class index, or -1 for an empty (or never used) pool. */
  sizeClass: number;
  blockSize: number;
  blocksInUse: number;
  capacity: number;
}

/** The payload addresses of the live arenas (their chunk payloads), from the arena table. */
export function arenaBases(heap: Heap): Set<number> {
  const small = heap._small;
  const u32 = heap._mem.u32;
  const header = heap._mem.head;
  const bases = new Set<number>();
  const slots = header[SmallState.ARENA_SLOTS] as number;
  for (let arena = 0; arena < slots; arena++) {
    const base = u32[small.entryWord(arena) + ArenaEntry.BASE] as number;
    if (base !== 0) bases.add(base);
  }
  return bases;
}

/** The pools of the arena whose chunk payload is `base`, in address order. */
export function poolsOf(heap: Heap, base: number): PoolSpan[] {
  const small = heap._small;
  const u32 = heap._mem.u32;
  const header = heap._mem.head;
  let watermark = base + small.arenaSize;
  const slots = header[SmallState.ARENA_SLOTS] as number;
  for (let arena = 0; arena < slots; arena++) {
    const w = small.entryWord(arena);
    if (u32[w + ArenaEntry.BASE] === base) watermark = u32[w + ArenaEntry.WATERMARK] as number;
  }
  const pools: PoolSpan[] = [];
  for (let pool = base; pool < base + small.arenaSize; pool += small.poolSize) {
    // The last pool of an arena is short by the chunk header (arenas tile).
    const limit = pool + small.poolSize === base + small.arenaSize ? small.poolSize - CHUNK_HEADER : small.poolSize;
    const count = pool >= watermark ? 0 : (u32[(pool >>> 2) + PoolHeader.COUNT] as number);
    if (count === 0) {
      pools.push({ start: pool, end: pool + limit, sizeClass: -1, blockSize: 0, blocksInUse: 0, capacity: 0 });
      continue;
    }
    const sizeClass = u32[(pool >>> 2) + PoolHeader.CLASS] as number;
    const blockSize = small.classSize(sizeClass);
    pools.push({
      start: pool,
      end: pool + limit,
      sizeClass,
      blockSize,
      blocksInUse: count,
      capacity: Math.floor((limit - small.poolHeader) / blockSize),
    });
  }
  return pools;
}

/** Number of size classes of the small-object allocator. */
export function sizeClassCount(heap: Heap): number {
  return heap._small.classes;
}

/**
 * The fill colour of a pool: hue by size class, lightness by fill (darker is fuller). Hues run
 * from violet through red and yellow to green (270° to 480° = 120°), never near the blue of used
 * large blocks (about 215°), and lightness stays at or under 62%, so that even an almost empty pool
 * is not as pale as a free gap.
 */
export function poolColour(pool: PoolSpan, classes: number): string {
  const hue = Math.round(270 + (pool.sizeClass / Math.max(1, classes - 1)) * 210) % 360;
  const fill = pool.capacity > 0 ? pool.blocksInUse / pool.capacity : 0;
  return `hsl(${hue},70%,${Math.round(62 - 30 * fill)}%)`;
}
