/**
 * `check()`, `stats()` and the text report of a threaded heap: walks of the thread table, the
 * arenas and every pool, described in `./layout.ts`.
 *
 * @internal
 * @module
 */

import { HeapCorruptedError, ThreadsActiveError } from '../errors';
import type { SmallClassStats, SmallHeapStats } from '../heap';
import { checkTlsf } from '../large/check';
import { Chunk, ChunkState } from '../large/tlsf';
import { INTERNAL_REQUEST } from '../layout';
import { CACHE_ENTRIES, CACHED_REQUEST, HAND_BACK_MAX, PoolList, Slot, SlotState, Table, TPool } from './layout';
import { lock, unlock } from './lock';
import { recordPeak, slotWordOf, type ThreadedAllocator } from './threaded';

/** Every pool carved so far, in address order (arena by arena). */
function carvedPools(a: ThreadedAllocator): number[] {
  const u32 = a.mem.u32;
  const t = a.table;
  const arenas = u32[t + Table.ARENAS] as number;
  const pools: number[] = [];
  for (let i = 0; i < arenas; i++) {
    const base = u32[t + Table.ARENA_LIST + i] as number;
    const end = i === arenas - 1 ? (u32[t + Table.CURSOR] as number) : base + a.arenaSize;
    for (let pool = base; pool < end; pool += a.poolSize) pools.push(pool);
  }
  return pools;
}

function corrupt(message: string, at?: number): never {
  throw new HeapCorruptedError(`threaded heap: ${message}`, at);
}

/**
 * The threaded heap's check (after `Heap.check` has checked the header): every other joined
 * thread must be parked; then the large-object heap, every arena, every pool on exactly one list
 * that agrees with its fields, every pool's bitmaps, local list and remote flag, and the
 * summed counters against what the walk found. Throws {@link ThreadsActiveError} when a thread is
 * active, {@link HeapCorruptedError} naming the first broken invariant.
 */
export function threadedCheck(a: ThreadedAllocator): void {
  const mem = a.mem;
  lock(mem, a.lockAt, a.canBlock);
  try {
    const u32 = mem.u32;
    const t = a.table;
    const max = u32[t + Table.MAX_THREADS] as number;
    let joined = 0;
    for (let s = 0; s < max; s++) {
      const state = Atomics.load(mem.i32, slotWordOf(mem, t, s) + Slot.STATE);
      if (state !== SlotState.FREE) joined++;
      if (s !== a.slot && state === SlotState.ACTIVE) {
        throw new ThreadsActiveError(`check() needs every other thread parked (heap.park()) or closed; thread ${s} is active`, s);
      }
    }
    if (joined !== u32[t + Table.JOINED]) corrupt(`the table counts ${u32[t + Table.JOINED]} joined threads, the slots ${joined}`);
    // The large-object heap, and the user blocks in it.
    let blocks = 0;
    let bytes = 0;
    const large = a.large;
    let cachedChunks = 0;
    checkTlsf(large, (payload, chunkSize) => {
      const requested = large.requestedOf(payload);
      if (requested === INTERNAL_REQUEST) return;
      if (requested === CACHED_REQUEST) {
        cachedChunks++;
        return;
      }
      blocks++;
      bytes += chunkSize - Chunk.HEADER;
    });
    const pools = carvedPools(a);
    const arenas = u32[t + Table.ARENAS] as number;
    for (let i = 0; i < arenas; i++) {
      const base = u32[t + Table.ARENA_LIST + i] as number;
      if (
        large.classify(base) !== ChunkState.LIVE ||
        large.requestedOf(base) !== INTERNAL_REQUEST ||
        large.usableSize(base) !== a.arenaSize - Chunk.HEADER
      ) {
        corrupt(`arena ${i} at ${base} is not an internal chunk of the arena size`, base);
      }
    }
    const cursor = u32[t + Table.CURSOR] as number;
    if (
      arenas > 0 &&
      (cursor > (u32[t + Table.CURSOR_END] as number) || ((u32[t + Table.CURSOR_END] as number) - cursor) % a.poolSize !== 0)
    ) {
      corrupt(`the pool cursor ${cursor} is outside the newest arena`);
    }
    const carved = new Set(pools);
    const listed = new Map<number, string>();
    const visit = (pool: number, where: string, list: PoolList, owner: number, c: number): void => {
      if (!carved.has(pool)) corrupt(`${where} names ${pool}, which is no pool of an arena`, pool);
      const before = listed.get(pool);
      if (before !== undefined) corrupt(`pool ${pool} is on ${before} and on ${where}`, pool);
      listed.set(pool, where);
      const pw = pool >>> 2;
      if (u32[pw + TPool.LIST] !== list) corrupt(`pool ${pool} on ${where} says it is on list ${u32[pw + TPool.LIST]}`, pool);
      if (u32[pw + TPool.OWNER] !== owner) corrupt(`pool ${pool} on ${where} names owner ${u32[pw + TPool.OWNER]}`, pool);
      if (c >= 0 && u32[pw + TPool.CLASS] !== c) corrupt(`pool ${pool} on ${where} holds class ${u32[pw + TPool.CLASS]}`, pool);
    };
    const walk = (head: number, where: string, each: (pool: number, prev: number) => void): void => {
      let prev = 0;
      let steps = 0;
      for (let pool = head; pool !== 0; pool = u32[(pool >>> 2) + TPool.NEXT] as number) {
        if (++steps > pools.length) corrupt(`${where} loops`);
        each(pool, prev);
        prev = pool;
      }
    };
    walk(u32[t + Table.FREE_POOLS] as number, 'the free-pool stack', (pool) => {
      visit(pool, 'the free-pool stack', PoolList.FREE, 0, -1);
      if (u32[(pool >>> 2) + TPool.COUNT] !== 0) corrupt(`pool ${pool} on the free-pool stack has blocks in use`, pool);
    });
    for (let c = 0; c < a.classes; c++) {
      walk(u32[t + Table.ORPHANS + c] as number, `the orphan list of class ${c}`, (pool) =>
        visit(pool, `the orphan list of class ${c}`, PoolList.ORPHAN, 0, c),
      );
    }
    for (let s = 0; s < max; s++) {
      const sw = slotWordOf(mem, t, s);
      const free = Atomics.load(mem.i32, sw + Slot.STATE) === SlotState.FREE;
      const cacheCount = u32[sw + Slot.CACHE_COUNT] as number;
      if (cacheCount > CACHE_ENTRIES) corrupt(`thread ${s} caches ${cacheCount} large chunks`);
      for (let i = 0; i < cacheCount; i++) {
        const ptr = u32[sw + Slot.CACHE + i] as number;
        if (large.classify(ptr) !== ChunkState.LIVE || large.requestedOf(ptr) !== CACHED_REQUEST)
          corrupt(`thread ${s}'s large-chunk cache holds ${ptr}, which is no cached chunk`, ptr);
        cachedChunks--;
      }
      const emptyCount = u32[sw + Slot.EMPTY_COUNT] as number;
      let emptySeen = 0;
      walk(u32[sw + Slot.EMPTY] as number, `the empty pools of thread ${s}`, (pool) => {
        visit(pool, `the empty pools of thread ${s}`, PoolList.EMPTY, s + 1, -1);
        if (u32[(pool >>> 2) + TPool.COUNT] !== 0) corrupt(`empty pool ${pool} of thread ${s} has blocks in use`, pool);
        emptySeen++;
      });
      if (emptySeen !== emptyCount) corrupt(`thread ${s} counts ${emptyCount} empty pools, its list holds ${emptySeen}`);
      if (free && (emptyCount !== 0 || cacheCount !== 0)) corrupt(`free thread slot ${s} still keeps pools or chunks`);
      for (let c = 0; c < a.classes; c++) {
        for (const [word, list, name] of [
          [sw + Slot.USED + c, PoolList.USED, 'usedPools'],
          [sw + Slot.FULL + c, PoolList.FULL, 'fullPools'],
        ] as const) {
          const head = u32[word] as number;
          if (free && head !== 0) corrupt(`free thread slot ${s} still lists pools`);
          const where = `${name}[${c}] of thread ${s}`;
          walk(head, where, (pool, prev) => {
            visit(pool, where, list, s + 1, c);
            if (u32[(pool >>> 2) + TPool.PREV] !== prev) corrupt(`pool ${pool} on ${where} has a broken back link`, pool);
          });
        }
      }
    }
    // The hand-back list: cached chunks in no thread's cache, as many as its count says.
    let handed = 0;
    for (let ptr = Atomics.load(mem.i32, t + Table.HANDED_BACK) >>> 0; ptr !== 0; ptr = u32[ptr >>> 2] as number) {
      if (++handed > HAND_BACK_MAX + max) corrupt('the hand-back list loops');
      if (large.classify(ptr) !== ChunkState.LIVE || large.requestedOf(ptr) !== CACHED_REQUEST)
        corrupt(`the hand-back list holds ${ptr}, which is no cached chunk`, ptr);
      cachedChunks--;
    }
    const handedCount = Atomics.load(mem.i32, t + Table.HANDED_BACK_COUNT);
    if (handed !== handedCount) corrupt(`the hand-back list holds ${handed} chunks, its count says ${handedCount}`);
    if (cachedChunks !== 0) corrupt(`${cachedChunks} large chunks are marked cached but in no thread's cache`);
    for (const pool of pools) {
      if (!listed.has(pool)) corrupt(`pool ${pool} is on no list: lost`, pool);
      if (u32[(pool >>> 2) + TPool.LIST] === PoolList.FREE) continue;
      const found = checkPool(a, pool);
      blocks += found;
      bytes += found * (((u32[(pool >>> 2) + TPool.CLASS] as number) + 1) << a.alignLog2);
    }
    // The counters, summed over the slots (a closed slot's counts stay in the sums).
    let allocations = 0;
    let frees = 0;
    let live = 0;
    for (let s = 0; s < max; s++) {
      const f = (slotWordOf(mem, t, s) + Slot.LIVE_BYTES) >>> 1;
      live += mem.f64[f] as number;
      allocations += mem.f64[f + 1] as number;
      frees += mem.f64[f + 2] as number;
    }
    if (allocations - frees !== blocks || live !== bytes) {
      corrupt(`the counters say ${allocations - frees} live blocks of ${live} bytes; the walk found ${blocks} of ${bytes}`);
    }
  } finally {
    unlock(mem, a.lockAt);
  }
}

/** Checks one pool in use (not on the free-pool stack); returns its blocks that are the user's. */
function checkPool(a: ThreadedAllocator, pool: number): number {
  const u32 = a.mem.u32;
  const pw = pool >>> 2;
  const c = u32[pw + TPool.CLASS] as number;
  if (c >= a.classes) corrupt(`pool ${pool} holds class ${c}`, pool);
  const size = (c + 1) << a.alignLog2;
  const limit = u32[pw + TPool.LIMIT] as number;
  const next = u32[pw + TPool.NEXT_OFFSET] as number;
  if (limit !== a.poolSize && limit !== a.poolSize - Chunk.HEADER) corrupt(`pool ${pool} has a limit of ${limit}`, pool);
  if (u32[pw + TPool.MAX_NEXT_OFFSET] !== limit - size) corrupt(`pool ${pool} has a bad maxNextOffset`, pool);
  if (next < a.poolHeader || next > limit || (next - a.poolHeader) % size !== 0) corrupt(`pool ${pool} has a bad nextOffset ${next}`, pool);
  const carvedBlocks = (next - a.poolHeader) / size;
  const bit = (block: number, pending: boolean): boolean => {
    const unit = (block - pool) >>> a.alignLog2;
    return (((u32[pw + (pending ? a.pending : TPool.LIVE) + (unit >>> 5)] as number) >>> (unit & 31)) & 1) === 1;
  };
  let live = 0;
  let pending = 0;
  for (let unit = 0, units = a.poolSize >>> a.alignLog2; unit < units; unit++) {
    const offset = unit << a.alignLog2;
    const isLive = bit(pool + offset, false);
    const isPending = bit(pool + offset, true);
    const start = offset >= a.poolHeader && offset < next && (offset - a.poolHeader) % size === 0;
    if ((isLive || isPending) && !start) corrupt(`pool ${pool} marks ${pool + offset}, which is no block it carved`, pool + offset);
    if (isPending && !isLive) corrupt(`block ${pool + offset} is pending a remote free but not live`, pool + offset);
    if (isLive) live++;
    if (isPending) pending++;
  }
  const seen = new Set<number>();
  const walkBlocks = (head: number, name: string, expectLive: boolean): number => {
    let n = 0;
    for (let block = head; block !== 0; block = u32[block >>> 2] as number) {
      const offset = block - pool;
      if (offset < a.poolHeader || offset >= next || (offset - a.poolHeader) % size !== 0) {
        corrupt(`the ${name} of pool ${pool} holds ${block}, which is no block it carved`, block);
      }
      if (seen.has(block)) corrupt(`block ${block} is twice on the lists of pool ${pool}`, block);
      seen.add(block);
      if (bit(block, false) !== expectLive || bit(block, true) !== expectLive) {
        corrupt(`block ${block} on the ${name} of pool ${pool} has ${expectLive ? 'lost its bits' : 'a bit set'}`, block);
      }
      if (++n > carvedBlocks) corrupt(`the ${name} of pool ${pool} loops`, pool);
    }
    return n;
  };
  const local = walkBlocks(u32[pw + TPool.FREE_BLOCK] as number, 'local free list', false);
  if (pending !== 0 && Atomics.load(a.mem.i32, pw + a.remote) === 0) {
    corrupt(`pool ${pool} has ${pending} blocks pending a remote free but its remote flag is down`, pool);
  }
  if (u32[pw + TPool.COUNT] !== live) corrupt(`pool ${pool} counts ${u32[pw + TPool.COUNT]} blocks in use, its bitmap ${live}`, pool);
  if (local + live !== carvedBlocks) corrupt(`pool ${pool} carved ${carvedBlocks} blocks; ${local} are free and ${live} in use`, pool);
  return live - pending;
}

/** The summed counters and a (racy, while other threads run) walk of the pools. */
export function threadedCounts(a: ThreadedAllocator): { allocations: number; frees: number; live: number; peak: number } {
  const mem = a.mem;
  const max = mem.u32[a.table + Table.MAX_THREADS] as number;
  let allocations = 0;
  let frees = 0;
  for (let s = 0; s < max; s++) {
    const f = (slotWordOf(mem, a.table, s) + Slot.LIVE_BYTES) >>> 1;
    allocations += mem.f64[f + 1] as number;
    frees += mem.f64[f + 2] as number;
  }
  const live = recordPeak(a);
  return { allocations, frees, live, peak: mem.f64[(a.table + Table.PEAK) >>> 1] as number };
}

/**
 * The small-object figures of a threaded heap. While other threads run, the per-class figures
 * are read without the lock from pools that their owners are changing: a snapshot that may be off
 * by the blocks in flight.
 */
export function threadedSmallStats(a: ThreadedAllocator): SmallHeapStats {
  const classes: SmallClassStats[] = [];
  for (let c = 0; c < a.classes; c++) classes.push({ size: (c + 1) << a.alignLog2, pools: 0, blocksInUse: 0, blocksAvailable: 0 });
  // The arena list under the lock (a thread may be adding an arena); the pools' fields without it.
  lock(a.mem, a.lockAt, a.canBlock);
  let pools: number[];
  try {
    pools = carvedPools(a);
  } finally {
    unlock(a.mem, a.lockAt);
  }
  const u32 = a.mem.u32;
  let used = 0;
  for (const pool of pools) {
    const pw = pool >>> 2;
    if (u32[pw + TPool.LIST] === PoolList.FREE || u32[pw + TPool.LIST] === PoolList.EMPTY) continue;
    const entry = classes[u32[pw + TPool.CLASS] as number];
    if (entry === undefined) continue;
    used++;
    entry.pools++;
    const count = u32[pw + TPool.COUNT] as number;
    entry.blocksInUse += count;
    entry.blocksAvailable += Math.max(0, Math.floor(((u32[pw + TPool.LIMIT] as number) - a.poolHeader) / entry.size) - count);
  }
  const arenas = u32[a.table + Table.ARENAS] as number;
  const perArena = a.arenaSize / a.poolSize;
  return {
    arenas,
    arenasAllocated: arenas,
    arenasReclaimed: 0,
    peakArenas: arenas,
    pools: used,
    freePools: arenas * perArena - used,
    classes,
  };
}

/** A text report of a threaded heap: threads, arenas, and per class its pools and blocks. */
export function threadedReport(a: ThreadedAllocator): string {
  const stats = threadedSmallStats(a);
  const u32 = a.mem.u32;
  const lines = [
    `threaded heap: ${u32[a.table + Table.JOINED]} of ${u32[a.table + Table.MAX_THREADS]} thread slots joined`,
    `arenas: ${stats.arenas} of ${a.arenaSize} bytes; pools in use: ${stats.pools}, free: ${stats.freePools}`,
    'class   size   pools   blocks in use   available',
  ];
  stats.classes.forEach((k, c) => {
    if (k.pools === 0) return;
    lines.push(
      `${String(c).padStart(5)} ${String(k.size).padStart(6)} ${String(k.pools).padStart(7)} ${String(k.blocksInUse).padStart(15)} ${String(k.blocksAvailable).padStart(11)}`,
    );
  });
  return lines.join('\n');
}
