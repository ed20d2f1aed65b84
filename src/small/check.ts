/**
 * The integrity walk of the small-object allocator, behind `heap.check()`: one named check per
 * invariant of the essay in `./layout.ts` (S1 to S11), run in one pass over the arena table and
 * the pools, then over the lists. O(pools + blocks); none of it runs on malloc or free.
 *
 * @internal
 * @module
 */

import { CORRUPTION_HINT, HeapCorruptedError } from '../errors';
import { Chunk, ChunkState, type Tlsf } from '../large/tlsf';
import { INTERNAL_REQUEST, Region, SmallState } from '../layout';
import { ArenaEntry, NO_ARENA, NONE, PoolHeader } from './layout';
import type { SmallHeap } from './pymalloc';

function fail(message: string, at?: number): never {
  throw new HeapCorruptedError(`small: ${message}${CORRUPTION_HINT}`, at);
}

/** Where the pool map is, and its size (S3). */
interface PoolMap {
  /** Byte address of its first word. */
  readonly map: number;
  /** Pool-sized pages it covers. */
  readonly pages: number;
  readonly words: number;
}

/** What the walk over the arenas counts, for the checks of the counters and the lists that follow it. */
interface Tally {
  /** Live blocks and their bytes, for the heap's own counters. */
  blocks: number;
  bytes: number;
  arenas: number;
  /** Arenas whose every pool is free. */
  wholeFree: number;
  /** Arenas with a free pool: those that must be on the usable list. */
  usable: number;
  unusedSlots: number;
  /** Pools that must be on some usedPools list: used and not full, or kept. */
  usedNotFull: number;
  /** Pools below their arena's watermark: those the pool map must have. */
  handedOut: number;
}

/** What one pool holds, from {@link checkPool}. */
interface PoolCensus {
  count: number;
  free: number;
}

/**
 * The integrity walk of the small allocator, for `heap.check()`. Throws
 * {@link HeapCorruptedError} on the first broken invariant; returns the live blocks and their
 * bytes so that the heap can compare them with its counters.
 */
export function smallCheck(small: SmallHeap): { blocks: number; bytes: number } {
  checkArenaTable(small);
  const map = checkPoolMapPlace(small);
  const tally: Tally = { blocks: 0, bytes: 0, arenas: 0, wholeFree: 0, usable: 0, unusedSlots: 0, usedNotFull: 0, handedOut: 0 };
  const slots = small.mem.head[SmallState.ARENA_SLOTS] as number;
  for (let arena = 0; arena < slots; arena++) checkArena(small, arena, map, tally);
  checkArenaCounts(small, tally);
  checkUnusedSlots(small, tally.unusedSlots);
  checkPoolMapBits(small, map, tally.handedOut);
  checkUsableList(small, tally.usable);
  checkClassLists(small, tally.usedNotFull);
  return { blocks: tally.blocks, bytes: tally.bytes };
}

/** Whether `ptr` is the live payload of an internal chunk of the large-object heap. */
function isInternalChunk(large: Tlsf, ptr: number): boolean {
  return large.classify(ptr) === ChunkState.LIVE && large.requestedOf(ptr) === INTERNAL_REQUEST;
}

/** S1, first half: the table has room for its slots and is an internal chunk. */
function checkArenaTable(small: SmallHeap): void {
  const header = small.mem.head;
  const slots = header[SmallState.ARENA_SLOTS] as number;
  const capacity = header[SmallState.ARENA_CAPACITY] as number;
  const table = header[SmallState.ARENA_TABLE] as number;
  if (slots > capacity) fail(`${slots} arena slots in a table of ${capacity}`);
  if (capacity !== 0 && !isInternalChunk(small.large, table)) fail(`the arena table at ${table} is not an internal chunk`, table);
}

/** S3, first half: the pool map lies where it says, as long as it says (in the header, or an internal chunk). */
function checkPoolMapPlace(small: SmallHeap): PoolMap {
  const header = small.mem.head;
  const large = small.large;
  const map = header[SmallState.POOL_MAP] as number;
  const pages = header[SmallState.POOL_MAP_PAGES] as number;
  const words = Math.ceil(pages / 32);
  const inHeader = small.mem.base + (SmallState.END << 2);
  if (map !== inHeader && pages !== 0) {
    if (!isInternalChunk(large, map) || large.usableSize(map) < words * 4) {
      fail(`the pool map at ${map} is not an internal chunk large enough for ${pages} pages`, map);
    }
  } else if (map === inHeader && SmallState.END + words > Region.END) {
    fail(`the pool map of ${pages} pages overruns the heap header`);
  }
  return { map, pages, words };
}

/** Whether the pool map has the bit of the page at `pool`. */
function mapped(small: SmallHeap, map: PoolMap, pool: number): boolean {
  const page = pool >>> small.poolLog2;
  return (((small.mem.u32[(map.map >>> 2) + (page >>> 5)] as number) >>> (page & 31)) & 1) === 1;
}

/** One arena: S2 (its chunk), then each of its pools (S3 to S7), its free-pool list (S8) and its kept pools (S9). */
function checkArena(small: SmallHeap, arena: number, map: PoolMap, tally: Tally): void {
  const u32 = small.mem.u32;
  const header = small.mem.head;
  const aw = small.entryWord(arena);
  const base = u32[aw + ArenaEntry.BASE] as number;
  if (base === 0) {
    tally.unusedSlots++;
    return;
  }
  tally.arenas++;
  const watermark = checkArenaChunk(small, arena, base);
  const end = base + small.arenaSize;
  let emptyPools = 0;
  let keptPools = 0;
  for (let pool = base; pool < end; pool += small.poolSize) {
    const pw = pool >>> 2;
    if (pool >= watermark) {
      if (u32[pw + PoolHeader.ARENA] !== NO_ARENA) fail(`untouched pool ${pool} does not say so`, pool);
      if (mapped(small, map, pool)) fail(`untouched pool ${pool} is in the pool map`, pool);
      continue;
    }
    if (!mapped(small, map, pool)) fail(`pool ${pool} is missing from the pool map`, pool);
    tally.handedOut++;
    const { count, free } = checkPool(small, arena, base, pool);
    const k = u32[pw + PoolHeader.CLASS] as number;
    if (count === 0) {
      if (header[SmallState.USED_POOLS + k] !== pool) {
        emptyPools++;
        continue;
      }
      // Kept (S9): on its class list, so not on the arena's list.
      keptPools++;
      tally.usedNotFull++;
      continue;
    }
    tally.blocks += count;
    tally.bytes += count * small.classSize(k);
    if (free !== 0) tally.usedNotFull++;
  }
  checkFreePoolList(small, arena, base, watermark, emptyPools);
  const freePools = emptyPools + (end - watermark) / small.poolSize;
  if (u32[aw + ArenaEntry.FREE_POOLS] !== freePools)
    fail(`arena ${arena}: says ${u32[aw + ArenaEntry.FREE_POOLS]} free pools, has ${freePools}`, base);
  checkKeptPools(small, arena, base, keptPools, freePools);
  if (freePools > 0) tally.usable++;
  if (freePools === small.poolsPerArena) tally.wholeFree++;
}

/** S2: the arena is a pool-aligned internal chunk of at least an arena's bytes; its watermark a pool boundary in it. Returns the watermark. */
function checkArenaChunk(small: SmallHeap, arena: number, base: number): number {
  const large = small.large;
  if ((base & small.poolMask) !== 0) fail(`arena ${arena} at ${base} is not pool-aligned`, base);
  if (!isInternalChunk(large, base)) fail(`arena ${arena} at ${base} is not an internal chunk of the large-object heap`, base);
  if (large.sizeOf(base - Chunk.HEADER) < small.arenaSize) fail(`arena ${arena} chunk is smaller than an arena`, base);
  const watermark = small.mem.u32[small.entryWord(arena) + ArenaEntry.WATERMARK] as number;
  const end = base + small.arenaSize;
  if (watermark < base || watermark > end || (watermark & small.poolMask) !== 0) fail(`arena ${arena}: bad watermark ${watermark}`, base);
  return watermark;
}

/** A pool handed out: S4 (its header), S5 (its live bitmap), S6 (its free list), S7 (carving ahead). */
function checkPool(small: SmallHeap, arena: number, base: number, pool: number): PoolCensus {
  const u32 = small.mem.u32;
  const pw = pool >>> 2;
  if (u32[pw + PoolHeader.ARENA] !== arena) fail(`pool ${pool} names arena ${u32[pw + PoolHeader.ARENA]}, not ${arena}`, pool);
  const k = u32[pw + PoolHeader.CLASS] as number;
  if (k >= small.classes) fail(`pool ${pool}: class ${k}`, pool);
  const size = small.classSize(k);
  // The last pool of an arena is a chunk header short (arenas tile: see "Tunables" in ./layout.ts).
  const limit = pool + small.poolSize === base + small.arenaSize ? small.poolSize - Chunk.HEADER : small.poolSize;
  const nextOffset = u32[pw + PoolHeader.NEXT_OFFSET] as number;
  const maxNext = u32[pw + PoolHeader.MAX_NEXT_OFFSET] as number;
  if (maxNext !== limit - size) fail(`pool ${pool}: maxNextOffset ${maxNext}, expected ${limit - size}`, pool);
  if (nextOffset < small.poolHeader || nextOffset > maxNext + size || (nextOffset - small.poolHeader) % size !== 0) {
    fail(`pool ${pool}: bad nextOffset ${nextOffset}`, pool);
  }
  const carved = (nextOffset - small.poolHeader) / size;
  const live = checkLiveBits(small, pool, size, nextOffset);
  const count = u32[pw + PoolHeader.COUNT] as number;
  if (live !== count) fail(`pool ${pool}: count ${count} but ${live} live bits`, pool);
  const free = checkFreeBlocks(small, pool, size, nextOffset, carved);
  if (free + count !== carved) fail(`pool ${pool}: ${count} live + ${free} free ≠ ${carved} carved blocks`, pool);
  if (count !== 0 && free === 0 && nextOffset <= maxNext) fail(`pool ${pool}: empty free list but room to carve at ${nextOffset}`, pool);
  return { count, free };
}

/** S5: live bits only at carved block starts. Returns how many are set. */
function checkLiveBits(small: SmallHeap, pool: number, size: number, nextOffset: number): number {
  const u32 = small.mem.u32;
  const pw = pool >>> 2;
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
  return live;
}

/** S6: the free list has no cycle and holds carved, unallocated blocks of the pool. Returns its length. */
function checkFreeBlocks(small: SmallHeap, pool: number, size: number, nextOffset: number, carved: number): number {
  const u32 = small.mem.u32;
  let free = 0;
  let block = u32[(pool >>> 2) + PoolHeader.FREE_BLOCK] as number;
  while (block !== 0) {
    if (++free > carved) fail(`pool ${pool}: free list longer than the ${carved} carved blocks (a cycle?)`, pool);
    const offset = block - pool;
    if (offset < small.poolHeader || offset >= nextOffset || (offset - small.poolHeader) % size !== 0) {
      fail(`pool ${pool}: free-list entry ${block} is not a carved block`, block);
    }
    if (small.isLive(block, pool)) fail(`pool ${pool}: free-list entry ${block} is allocated`, block);
    block = u32[block >>> 2] as number;
  }
  return free;
}

/** S8, per arena: its free-pool list holds its empty pools (kept ones aside), each once. */
function checkFreePoolList(small: SmallHeap, arena: number, base: number, watermark: number, emptyPools: number): void {
  const u32 = small.mem.u32;
  let listed = 0;
  let pool = u32[small.entryWord(arena) + ArenaEntry.FREE_POOL_LIST] as number;
  while (pool !== 0) {
    if (++listed > emptyPools) fail(`arena ${arena}: free-pool list longer than its ${emptyPools} empty pools`, base);
    if (pool < base || pool >= watermark || (pool & small.poolMask) !== 0 || u32[(pool >>> 2) + PoolHeader.COUNT] !== 0) {
      fail(`arena ${arena}: free-pool list entry ${pool} is not an empty pool of it`, pool);
    }
    pool = u32[(pool >>> 2) + PoolHeader.NEXT] as number;
  }
  if (listed !== emptyPools) fail(`arena ${arena}: ${emptyPools} empty pools but ${listed} on its list`, base);
}

/** S9, per arena: its bound covers its kept pools, and kept pools hold on to no arena that could go back. */
function checkKeptPools(small: SmallHeap, arena: number, base: number, keptPools: number, freePools: number): void {
  const u32 = small.mem.u32;
  const aw = small.entryWord(arena);
  if ((u32[aw + ArenaEntry.KEPT] as number) < keptPools)
    fail(`arena ${arena}: holds ${keptPools} kept pools, its bound says ${u32[aw + ArenaEntry.KEPT]}`, base);
  if (keptPools > 0 && freePools + keptPools === small.poolsPerArena && (small.mem.head[SmallState.ARENAS] as number) > 1) {
    fail(`arena ${arena} holds only kept and free pools while other arenas exist`, base);
  }
}

/** S8, overall: the arena count, and at most one wholly free arena (the spare), counted. */
function checkArenaCounts(small: SmallHeap, tally: Tally): void {
  const header = small.mem.head;
  if (header[SmallState.ARENAS] !== tally.arenas) fail(`${header[SmallState.ARENAS]} arenas counted, ${tally.arenas} in the table`);
  if (tally.wholeFree > 1 || header[SmallState.EMPTY_ARENAS] !== tally.wholeFree)
    fail(`${tally.wholeFree} wholly free arenas, ${header[SmallState.EMPTY_ARENAS]} counted`);
}

/** S1, second half: the unused-slot list holds exactly the slots without an arena. */
function checkUnusedSlots(small: SmallHeap, unusedSlots: number): void {
  const u32 = small.mem.u32;
  const slots = small.mem.head[SmallState.ARENA_SLOTS] as number;
  let unused = 0;
  for (
    let slot = small.mem.head[SmallState.UNUSED_SLOTS] as number;
    slot !== NONE;
    slot = u32[small.entryWord(slot) + ArenaEntry.NEXT] as number
  ) {
    if (++unused > unusedSlots || slot >= slots || u32[small.entryWord(slot) + ArenaEntry.BASE] !== 0)
      fail(`bad unused arena slot ${slot}`);
  }
  if (unused !== unusedSlots) fail(`${unusedSlots} unused arena slots, ${unused} on the list`);
}

/** S3, second half: the pool map has a bit for every pool handed out and no other. */
function checkPoolMapBits(small: SmallHeap, map: PoolMap, handedOut: number): void {
  const u32 = small.mem.u32;
  let bits = 0;
  for (let i = 0; i < map.words; i++) {
    let word = u32[(map.map >>> 2) + i] as number;
    if (i === map.words - 1 && (map.pages & 31) !== 0 && word >>> (map.pages & 31) !== 0) fail('the pool map has bits past its last page');
    for (; word !== 0; word &= word - 1) bits++;
  }
  if (bits !== handedOut) fail(`the pool map has ${bits} pools, the arenas have handed out ${handedOut}`);
}

/** S10: the usable list holds every arena with a free pool, fewest free pools first, linked both ways; `lastWith` agrees. */
function checkUsableList(small: SmallHeap, usable: number): void {
  const u32 = small.mem.u32;
  const header = small.mem.head;
  const slots = header[SmallState.ARENA_SLOTS] as number;
  const total = small.poolsPerArena;
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
}

/** S11 (and S9 for the class lists): usedPools[k] holds the used, not full pools of class k, linked both ways, each once. */
function checkClassLists(small: SmallHeap, usedNotFull: number): void {
  const u32 = small.mem.u32;
  const header = small.mem.head;
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
}
