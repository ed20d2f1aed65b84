/**
 * Looking at the small-object allocator from outside the hot paths: the integrity walk behind
 * `heap.check()`, the per-class figures of `heap.stats()`, and the `sys._debugmallocstats()`-style
 * report of `heap.debugMallocStats()`. All O(pools); none of it runs on malloc or free.
 *
 * @internal
 * @module
 */

import { CORRUPTION_HINT, HeapCorruptedError } from '../errors';
import type { SmallHeapStats } from '../heap';
import { CHUNK_HEADER } from '../large/tlsf';
import { Counter, INTERNAL_REQUEST, Region, SmallState } from '../layout';
import { ArenaEntry, NO_ARENA, NONE, PoolHeader } from './layout';
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
  return pool + small.poolSize === base + small.arenaSize ? small.poolSize - CHUNK_HEADER : small.poolSize;
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
    const chunkBytes = small.large.sizeOf(base - CHUNK_HEADER);
    c.arenaBytes += chunkBytes;
    c.alignment += chunkBytes - (small.arenaSize - CHUNK_HEADER);
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

/**
 * The integrity walk of the small allocator, for `heap.check()`. Throws
 * {@link HeapCorruptedError} on the first broken invariant; returns the live blocks and their
 * bytes so that the heap can compare them with its counters.
 */
export function smallCheck(small: SmallHeap): { blocks: number; bytes: number } {
  const u32 = small.mem.u32;
  const header = small.mem.head;
  const large = small.large;
  const slots = header[SmallState.ARENA_SLOTS] as number;
  const capacity = header[SmallState.ARENA_CAPACITY] as number;
  const table = header[SmallState.ARENA_TABLE] as number;
  const fail = (message: string, at?: number): never => {
    throw new HeapCorruptedError(`small: ${message}${CORRUPTION_HINT}`, at);
  };
  if (slots > capacity) fail(`${slots} arena slots in a table of ${capacity}`);
  if (capacity !== 0 && (large.classify(table) !== 0 || large.requestedOf(table) !== INTERNAL_REQUEST)) {
    fail(`the arena table at ${table} is not an internal chunk`, table);
  }
  // The pool map: where it says, as long as it says, and (below) a bit exactly for every pool
  // handed out, counted here and compared with the bits set.
  const map = header[SmallState.POOL_MAP] as number;
  const pages = header[SmallState.POOL_MAP_PAGES] as number;
  const mapWords = Math.ceil(pages / 32);
  const inHeader = small.mem.base + (SmallState.END << 2);
  if (map !== inHeader && pages !== 0) {
    if (large.classify(map) !== 0 || large.requestedOf(map) !== INTERNAL_REQUEST || large.usableSize(map) < mapWords * 4) {
      fail(`the pool map at ${map} is not an internal chunk large enough for ${pages} pages`, map);
    }
  } else if (map === inHeader && SmallState.END + mapWords > Region.END) {
    fail(`the pool map of ${pages} pages overruns the heap header`);
  }
  const mapped = (pool: number): boolean =>
    (((u32[(map >>> 2) + ((pool >>> small.poolLog2) >>> 5)] as number) >>> ((pool >>> small.poolLog2) & 31)) & 1) === 1;
  let handedOut = 0;
  const total = small.poolsPerArena;
  let blocks = 0;
  let bytes = 0;
  let arenas = 0;
  let wholeFree = 0;
  let usable = 0;
  let unusedSlots = 0;
  // Pools that must appear on some usedPools list: used (count > 0) and not full.
  let usedNotFull = 0;
  for (let arena = 0; arena < slots; arena++) {
    const aw = small.entryWord(arena);
    const base = u32[aw + ArenaEntry.BASE] as number;
    if (base === 0) {
      unusedSlots++;
      continue;
    }
    arenas++;
    if ((base & small.poolMask) !== 0) fail(`arena ${arena} at ${base} is not pool-aligned`, base);
    if (large.classify(base) !== 0 || large.requestedOf(base) !== INTERNAL_REQUEST) {
      fail(`arena ${arena} at ${base} is not an internal chunk of the large-object heap`, base);
    }
    if (large.sizeOf(base - CHUNK_HEADER) < small.arenaSize) fail(`arena ${arena} chunk is smaller than an arena`, base);
    const watermark = u32[aw + ArenaEntry.WATERMARK] as number;
    const end = base + small.arenaSize;
    if (watermark < base || watermark > end || (watermark & small.poolMask) !== 0) fail(`arena ${arena}: bad watermark ${watermark}`, base);
    let emptyPools = 0;
    let keptPools = 0;
    for (let pool = base; pool < end; pool += small.poolSize) {
      const pw = pool >>> 2;
      if (pool >= watermark) {
        if (u32[pw + PoolHeader.ARENA] !== NO_ARENA) fail(`untouched pool ${pool} does not say so`, pool);
        if (mapped(pool)) fail(`untouched pool ${pool} is in the pool map`, pool);
        continue;
      }
      if (!mapped(pool)) fail(`pool ${pool} is missing from the pool map`, pool);
      handedOut++;
      if (u32[pw + PoolHeader.ARENA] !== arena) fail(`pool ${pool} names arena ${u32[pw + PoolHeader.ARENA]}, not ${arena}`, pool);
      const k = u32[pw + PoolHeader.CLASS] as number;
      if (k >= small.classes) fail(`pool ${pool}: class ${k}`, pool);
      const size = small.classSize(k);
      const limit = poolLimit(small, pool, base);
      const nextOffset = u32[pw + PoolHeader.NEXT_OFFSET] as number;
      const maxNext = u32[pw + PoolHeader.MAX_NEXT_OFFSET] as number;
      if (maxNext !== limit - size) fail(`pool ${pool}: maxNextOffset ${maxNext}, expected ${limit - size}`, pool);
      if (nextOffset < small.poolHeader || nextOffset > maxNext + size || (nextOffset - small.poolHeader) % size !== 0) {
        fail(`pool ${pool}: bad nextOffset ${nextOffset}`, pool);
      }
      const carved = (nextOffset - small.poolHeader) / size;
      // The live bitmap: bits only at carved block starts; their number is the count.
      let live = 0;
      for (let i = 0; i < small.bitmapWords; i++) {
        let word = u32[pw + PoolHeader.BITMAP + i] as number;
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          word = (word & ~(1 << bit)) >>> 0;
          const offset = ((i << 5) + bit) << small.alignLog2;
          if (offset < small.poolHeader || offset >= nextOffset || (offset - small.poolHeader) % size !== 0) {
            fail(`pool ${pool}: live bit at offset ${offset} is no carved block start`, pool + offset);
          }
          live++;
        }
      }
      const count = u32[pw + PoolHeader.COUNT] as number;
      if (live !== count) fail(`pool ${pool}: count ${count} but ${live} live bits`, pool);
      // The free list: no cycle, inside the pool, on a block boundary, carved, not allocated.
      let free = 0;
      let block = u32[pw + PoolHeader.FREE_BLOCK] as number;
      while (block !== 0) {
        if (++free > carved) fail(`pool ${pool}: free list longer than the ${carved} carved blocks (a cycle?)`, pool);
        const offset = block - pool;
        if (offset < small.poolHeader || offset >= nextOffset || (offset - small.poolHeader) % size !== 0) {
          fail(`pool ${pool}: free-list entry ${block} is not a carved block`, block);
        }
        if (small.isLive(block, pool)) fail(`pool ${pool}: free-list entry ${block} is allocated`, block);
        block = u32[block >>> 2] as number;
      }
      if (free + count !== carved) fail(`pool ${pool}: ${count} live + ${free} free ≠ ${carved} carved blocks`, pool);
      if (count === 0) {
        if (header[SmallState.USED_POOLS + k] !== pool) {
          emptyPools++;
          continue;
        }
        // Kept (see "Kept pools" in ./layout.ts): on its class list, so not on the arena's list.
        keptPools++;
        usedNotFull++;
        continue;
      }
      blocks += count;
      bytes += count * size;
      // Carving ahead: a pool's free list is empty only when no whole block is left to carve.
      if (free === 0 && nextOffset <= maxNext) fail(`pool ${pool}: empty free list but room to carve at ${nextOffset}`, pool);
      if (free !== 0) usedNotFull++;
    }
    // The arena's free-pool list: its empty pools, each once.
    let listed = 0;
    let pool = u32[aw + ArenaEntry.FREE_POOL_LIST] as number;
    while (pool !== 0) {
      if (++listed > emptyPools) fail(`arena ${arena}: free-pool list longer than its ${emptyPools} empty pools`, base);
      if (pool < base || pool >= watermark || (pool & small.poolMask) !== 0 || u32[(pool >>> 2) + PoolHeader.COUNT] !== 0) {
        fail(`arena ${arena}: free-pool list entry ${pool} is not an empty pool of it`, pool);
      }
      pool = u32[(pool >>> 2) + PoolHeader.NEXT] as number;
    }
    if (listed !== emptyPools) fail(`arena ${arena}: ${emptyPools} empty pools but ${listed} on its list`, base);
    const freePools = emptyPools + (end - watermark) / small.poolSize;
    if (u32[aw + ArenaEntry.FREE_POOLS] !== freePools)
      fail(`arena ${arena}: says ${u32[aw + ArenaEntry.FREE_POOLS]} free pools, has ${freePools}`, base);
    if ((u32[aw + ArenaEntry.KEPT] as number) < keptPools)
      fail(`arena ${arena}: holds ${keptPools} kept pools, its bound says ${u32[aw + ArenaEntry.KEPT]}`, base);
    if (keptPools > 0 && freePools + keptPools === total && (header[SmallState.ARENAS] as number) > 1) {
      fail(`arena ${arena} holds only kept and free pools while other arenas exist`, base);
    }
    if (freePools > 0) usable++;
    if (freePools === total) wholeFree++;
  }
  if (header[SmallState.ARENAS] !== arenas) fail(`${header[SmallState.ARENAS]} arenas counted, ${arenas} in the table`);
  if (wholeFree > 1 || header[SmallState.EMPTY_ARENAS] !== wholeFree)
    fail(`${wholeFree} wholly free arenas, ${header[SmallState.EMPTY_ARENAS]} counted`);

  // The unused slots list: exactly the slots without an arena.
  let unused = 0;
  for (let slot = header[SmallState.UNUSED_SLOTS] as number; slot !== NONE; slot = u32[small.entryWord(slot) + ArenaEntry.NEXT] as number) {
    if (++unused > unusedSlots || slot >= slots || u32[small.entryWord(slot) + ArenaEntry.BASE] !== 0)
      fail(`bad unused arena slot ${slot}`);
  }
  if (unused !== unusedSlots) fail(`${unusedSlots} unused arena slots, ${unused} on the list`);
  let bits = 0;
  for (let i = 0; i < mapWords; i++) {
    let word = u32[(map >>> 2) + i] as number;
    if (i === mapWords - 1 && (pages & 31) !== 0 && word >>> (pages & 31) !== 0) fail('the pool map has bits past its last page');
    for (; word !== 0; word &= word - 1) bits++;
  }
  if (bits !== handedOut) fail(`the pool map has ${bits} pools, the arenas have handed out ${handedOut}`);

  // The usable list: every arena with a free pool, fewest free pools first, back links, lastWith.
  const lastWith = new Array<number>(total + 1).fill(NONE);
  let onList = 0;
  let prev = NONE;
  let prevFree = 0;
  for (
    let arena = header[SmallState.USABLE_HEAD] as number;
    arena !== NONE;
    arena = u32[small.entryWord(arena) + ArenaEntry.NEXT] as number
  ) {
    if (++onList > usable || arena >= slots) fail(`usable list: bad or repeated arena ${arena}`);
    const aw = small.entryWord(arena);
    const free = u32[aw + ArenaEntry.FREE_POOLS] as number;
    if (u32[aw + ArenaEntry.BASE] === 0 || free === 0) fail(`usable list: arena ${arena} has no free pool`);
    if (free < prevFree) fail(`usable list: arena ${arena} (${free} free pools) after one with ${prevFree}`);
    if (u32[aw + ArenaEntry.PREV] !== prev) fail(`usable list: broken back link at arena ${arena}`);
    lastWith[free] = arena;
    prev = arena;
    prevFree = free;
  }
  if (onList !== usable) fail(`${usable} arenas with free pools, ${onList} on the usable list`);
  for (let k = 1; k <= total; k++) {
    if (header[SmallState.LAST_WITH + k] !== lastWith[k])
      fail(`lastWith[${k}] is ${header[SmallState.LAST_WITH + k]}, expected ${lastWith[k]}`);
  }

  // The class lists: used, not full pools of the class, linked both ways, each pool once.
  let listedPools = 0;
  for (let k = 0; k < small.classes; k++) {
    let back = 0;
    for (let pool = header[SmallState.USED_POOLS + k] as number; pool !== 0; pool = u32[(pool >>> 2) + PoolHeader.NEXT] as number) {
      if (++listedPools > usedNotFull) fail(`usedPools lists hold more than the ${usedNotFull} used pools (a cycle?)`);
      const pw = pool >>> 2;
      if (small.poolOf(pool) !== pool || u32[pw + PoolHeader.CLASS] !== k) fail(`usedPools[${k}]: ${pool} is no pool of class ${k}`, pool);
      if (u32[pw + PoolHeader.COUNT] === 0 && (back !== 0 || u32[pw + PoolHeader.NEXT] !== 0)) {
        fail(`usedPools[${k}]: pool ${pool} is empty but not the only pool of its list`, pool);
      }
      if (u32[pw + PoolHeader.FREE_BLOCK] === 0) fail(`usedPools[${k}]: pool ${pool} is full (its free list is empty)`, pool);
      if (u32[pw + PoolHeader.PREV] !== back) fail(`usedPools[${k}]: broken back link at ${pool}`, pool);
      back = pool;
    }
  }
  if (listedPools !== usedNotFull) fail(`${usedNotFull} used pools, ${listedPools} on the usedPools lists`);
  return { blocks, bytes };
}
