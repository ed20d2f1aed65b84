/**
 * Looking at the small-object allocator from outside the hot paths: the per-class figures of
 * `heap.stats()` and the `sys._debugmallocstats()`-style report of `heap.debugMallocStats()`. All
 * O(pools); none of it runs on malloc or free. The integrity walk behind `heap.check()` is
 * `./check.ts`.
 *
 * @internal
 * @module
 */

import type { SmallHeapStats } from '../heap';
import { Chunk } from '../large/tlsf';
import { Counter, SmallState } from '../layout';
import { ArenaEntry, PoolHeader } from './layout';
import type { SmallHeap } from './pymalloc';

/** What one walk over every touched pool finds. */
interface Census {
  arenas: number;
  /** Sum of the arenas' TLSF chunk sizes. */
  arenaBytes: number;
  /** Per class: pools in use, blocks in use, blocks available, bytes lost to quantization. */
  pools: number[];
  inUse: number[];
  available: number[];
  quantization: number[];
  /** Empty and never-touched pools, and their bytes. */
  freePools: number;
  freePoolBytes: number;
  usedPools: number;
  /** Bytes of arena chunks not in any pool (the chunk header, and any slack). */
  alignment: number;
}

/** Bytes of the pool at `pool` in an arena whose chunk payload starts at `base`. */
function poolLimit(small: SmallHeap, pool: number, base: number): number {
  return pool + small.poolSize === base + small.arenaSize ? small.poolSize - Chunk.HEADER : small.poolSize;
}

function census(small: SmallHeap): Census {
  const u32 = small.mem.u32;
  const header = small.mem.head;
  const n = small.classes;
  const c: Census = {
    arenas: 0,
    arenaBytes: 0,
    pools: new Array<number>(n).fill(0),
    inUse: new Array<number>(n).fill(0),
    available: new Array<number>(n).fill(0),
    quantization: new Array<number>(n).fill(0),
    freePools: 0,
    freePoolBytes: 0,
    usedPools: 0,
    alignment: 0,
  };
  const slots = header[SmallState.ARENA_SLOTS] as number;
  for (let arena = 0; arena < slots; arena++) {
    const aw = small.entryWord(arena);
    const base = u32[aw + ArenaEntry.BASE] as number;
    if (base === 0) continue;
    c.arenas++;
    const chunkBytes = small.large.sizeOf(base - Chunk.HEADER);
    c.arenaBytes += chunkBytes;
    c.alignment += chunkBytes - (small.arenaSize - Chunk.HEADER);
    const watermark = u32[aw + ArenaEntry.WATERMARK] as number;
    for (let pool = base; pool < base + small.arenaSize; pool += small.poolSize) {
      const limit = poolLimit(small, pool, base);
      const pw = pool >>> 2;
      if (pool >= watermark || u32[pw + PoolHeader.COUNT] === 0) {
        c.freePools++;
        c.freePoolBytes += limit;
        continue;
      }
      const k = u32[pw + PoolHeader.CLASS] as number;
      const size = small.classSize(k);
      const blocks = Math.floor((limit - small.poolHeader) / size);
      c.usedPools++;
      c.pools[k]!++;
      c.inUse[k]! += u32[pw + PoolHeader.COUNT] as number;
      c.available[k]! += blocks - (u32[pw + PoolHeader.COUNT] as number);
      c.quantization[k]! += limit - small.poolHeader - blocks * size;
    }
  }
  return c;
}

/** The small allocator's part of `heap.stats()`. */
export function smallStats(small: SmallHeap): SmallHeapStats {
  const counters = small.mem.counters;
  const c = census(small);
  return {
    arenas: c.arenas,
    arenasAllocated: counters[Counter.ARENAS_ALLOCATED] as number,
    arenasReclaimed: counters[Counter.ARENAS_RECLAIMED] as number,
    peakArenas: counters[Counter.ARENAS_PEAK] as number,
    pools: c.usedPools,
    freePools: c.freePools,
    classes: c.pools.map((pools, k) => ({
      size: small.classSize(k),
      pools,
      blocksInUse: c.inUse[k] as number,
      blocksAvailable: c.available[k] as number,
    })),
  };
}

/**
 * A text report in the manner of CPython's `sys._debugmallocstats()`. Every byte of every arena
 * chunk is in exactly one of the lines that make up the total.
 */
export function debugMallocStats(small: SmallHeap): string {
  const counters = small.mem.counters;
  const c = census(small);
  const lines: string[] = [];
  const row = (label: string, value: number): void => {
    lines.push(`${`${label} `.padEnd(48, '.')} ${value.toLocaleString('en-US').padStart(15)}`);
  };
  lines.push(`Small block threshold = 512, in ${small.classes} size classes.`);
  lines.push('');
  lines.push('class   size   num pools   blocks in use  avail blocks');
  lines.push('-----   ----   ---------   -------------  ------------');
  let allocated = 0;
  let available = 0;
  let quantization = 0;
  for (let k = 0; k < small.classes; k++) {
    const pools = c.pools[k] as number;
    if (pools === 0) continue;
    const size = small.classSize(k);
    const inUse = c.inUse[k] as number;
    const avail = c.available[k] as number;
    allocated += inUse * size;
    available += avail * size;
    quantization += c.quantization[k] as number;
    lines.push(
      `${String(k).padStart(5)} ${String(size).padStart(6)} ${String(pools).padStart(11)} ${String(inUse).padStart(15)} ${String(avail).padStart(13)}`,
    );
  }
  lines.push('');
  row('# arenas allocated total', counters[Counter.ARENAS_ALLOCATED] as number);
  row('# arenas reclaimed', counters[Counter.ARENAS_RECLAIMED] as number);
  row('# arenas highwater mark', counters[Counter.ARENAS_PEAK] as number);
  row('# arenas allocated current', c.arenas);
  row(`${c.arenas} arenas * ${small.arenaSize} bytes/arena`, c.arenaBytes);
  lines.push('');
  const headers = c.usedPools * small.poolHeader;
  row('# bytes in allocated blocks', allocated);
  row('# bytes in available blocks', available);
  row(`${c.freePools} unused pools * ${small.poolSize} bytes`, c.freePoolBytes);
  row('# bytes lost to pool headers', headers);
  row('# bytes lost to quantization', quantization);
  row('# bytes lost to arena alignment', c.alignment);
  row('Total', allocated + available + c.freePoolBytes + headers + quantization + c.alignment);
  return `${lines.join('\n')}\n`;
}
