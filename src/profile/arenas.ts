/**
 * How the heap map draws the arenas of the small-object allocator: each arena (a library chunk of
 * the large-object heap) is cut into its pools, and each pool is coloured by its size class (the
 * hue) and its fill (the darker, the fuller). The pools come from the port (`visitArenas`), which
 * reads them from the buffer: the arena table and the pool headers.
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
import { type PoolSpan, visitArenas } from '../port';

/** The live arenas of a heap: each arena's chunk payload address, with its pools in address order. */
export function arenaPools(heap: Heap): Map<number, PoolSpan[]> {
  const arenas = new Map<number, PoolSpan[]>();
  visitArenas(heap, (base, pools) => arenas.set(base, pools));
  return arenas;
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
