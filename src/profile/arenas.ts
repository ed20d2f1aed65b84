/**
 * How the heap map draws the arenas of the small-object allocator: each arena (a library chunk of
 * the large-object heap) is cut into its pools, and each pool is coloured by its size class (the
 * hue) and its fill (the darker, the fuller).
 *
 * The small-object allocator (`src/small`) is not on this branch yet: until it lands, no chunk is
 * an arena and the map draws library chunks whole. This module is the one place that changes
 * when it does.
 *
 * @internal
 * @module
 */

import type { Heap } from '../heap';

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

/** The payload addresses of the live arenas: none without the small-object allocator. */
export function arenaBases(_heap: Heap): Set<number> {
  return new Set();
}

/** The pools of the arena whose chunk payload is `base`, in address order. */
export function poolsOf(_heap: Heap, _base: number): PoolSpan[] {
  return [];
}

/** Number of size classes of the small-object allocator. */
export function sizeClassCount(_heap: Heap): number {
  return 0;
}

/** The fill colour of a pool: hue by size class, lightness by fill (darker is fuller). */
export function poolColour(pool: PoolSpan, classes: number): string {
  const hue = Math.round((pool.sizeClass / Math.max(1, classes)) * 300);
  const fill = pool.capacity > 0 ? pool.blocksInUse / pool.capacity : 0;
  return `hsl(${hue},70%,${Math.round(82 - 47 * fill)}%)`;
}
