/**
 * The integrity walk of the large-object heap (behind `heap.check()`), and the chunk walk behind
 * the pictures. Both live outside the {@link Tlsf} class so that a bundle of `createHeap`,
 * `malloc` and `free` need not carry them. Each check is named after the invariant of the
 * essay in `./tlsf.ts` that it verifies (T1 to T8); all are O(heap size), none runs on malloc or
 * free.
 *
 * @internal
 * @module
 */

import { CORRUPTION_HINT, HeapCorruptedError } from '../errors';
import { Counter, Region, Word } from '../layout';
import { Bits, Chunk, FL_COUNT, H, type Tlsf, tagOf } from './tlsf';

/** What the walk over the chunks found, for the checks of the lists and counters. */
interface ChunkWalk {
  freeChunks: number;
  freeBytes: number;
  usedChunks: number;
  usedBytes: number;
  /** Whether the last chunk before the sentinel is free, and its size. */
  lastFree: boolean;
  lastSize: number;
}

/**
 * Walks every chunk and every free list of `large`, throwing {@link HeapCorruptedError} on the
 * first broken invariant. Calls `onUsed(payload, chunkSize)` for every used chunk. O(heap size).
 */
export function checkTlsf(large: Tlsf, onUsed: (payload: number, chunkSize: number) => void): void {
  const end = checkEnd(large);
  const walk = checkChunks(large, end, onUsed);
  checkSentinel(large, end, walk);
  checkLists(large, end, walk.freeChunks);
  checkCounters(large, walk);
}

/** T1, first half: the sentinel lies inside the store, aligned, at or after the first chunk. */
function checkEnd(large: Tlsf): number {
  const end = large.mem.head[Word.HEAP_END] as number;
  if (end + Chunk.HEADER > large.mem.byteLength || end < large.first || (end & (large.align - 1)) !== 0) {
    throw new HeapCorruptedError(`heap end ${end} lies outside the store of ${large.mem.byteLength} bytes`);
  }
  return end;
}

/** T2 (tags), T3 (tiling), T4 (boundary tags) and T5 (immediate merging), chunk by chunk. */
function checkChunks(large: Tlsf, end: number, onUsed: (payload: number, chunkSize: number) => void): ChunkWalk {
  const u32 = large.mem.u32;
  const walk: ChunkWalk = { freeChunks: 0, freeBytes: 0, usedChunks: 0, usedBytes: 0, lastFree: false, lastSize: 0 };
  let chunk = large.first;
  while (chunk < end) {
    const w = chunk >>> 2;
    if (u32[w + H.TAG] !== tagOf(chunk)) throw new HeapCorruptedError(`chunk ${chunk}: bad tag${CORRUPTION_HINT}`, chunk);
    const flags = u32[w + H.SIZE] as number;
    const size = (flags & Bits.SIZE_MASK) >>> 0;
    if (size < Chunk.MIN || (size & (large.align - 1)) !== 0 || chunk + size > end) {
      throw new HeapCorruptedError(`chunk ${chunk}: bad size ${size}${CORRUPTION_HINT}`, chunk);
    }
    if (((flags & Bits.PREV_FREE) !== 0) !== walk.lastFree) {
      throw new HeapCorruptedError(`chunk ${chunk}: PREV_FREE bit disagrees with the chunk before it`, chunk);
    }
    if (walk.lastFree && u32[w + H.PREV_SIZE] !== walk.lastSize) {
      throw new HeapCorruptedError(`chunk ${chunk}: prevSize ${u32[w + H.PREV_SIZE]} but previous chunk is ${walk.lastSize}`, chunk);
    }
    const isFree = (flags & Bits.FREE) !== 0;
    if (isFree) {
      if (walk.lastFree) throw new HeapCorruptedError(`chunk ${chunk}: two free chunks side by side`, chunk);
      walk.freeChunks++;
      walk.freeBytes += size;
    } else {
      walk.usedChunks++;
      walk.usedBytes += size;
      onUsed(chunk + Chunk.HEADER, size);
    }
    walk.lastFree = isFree;
    walk.lastSize = size;
    chunk += size;
  }
  if (chunk !== end) throw new HeapCorruptedError(`chunks overrun the sentinel at ${end}`, end);
  return walk;
}

/** T1, second half (the sentinel's tag and size), and T4 for the sentinel. */
function checkSentinel(large: Tlsf, end: number, walk: ChunkWalk): void {
  const u32 = large.mem.u32;
  if (u32[(end >>> 2) + H.TAG] !== tagOf(end)) throw new HeapCorruptedError('sentinel: bad tag', end);
  const endFlags = u32[(end >>> 2) + H.SIZE] as number;
  if ((endFlags & Bits.SIZE_MASK) !== 0 || ((endFlags & Bits.PREV_FREE) !== 0) !== walk.lastFree) {
    throw new HeapCorruptedError('sentinel: bad size or PREV_FREE bit', end);
  }
  if (walk.lastFree && u32[(end >>> 2) + H.PREV_SIZE] !== walk.lastSize) throw new HeapCorruptedError('sentinel: bad prevSize', end);
}

/** T6 (every free chunk on its class's list, linked both ways) and T7 (bitmaps agree with the lists). */
function checkLists(large: Tlsf, end: number, freeChunks: number): void {
  const u32 = large.mem.u32;
  const header = large.mem.head;
  let listed = 0;
  let flMap = 0;
  for (let list = 0; list < FL_COUNT * Bits.SL_COUNT; list++) {
    const fl = list >>> Bits.SL_LOG2;
    let member = header[Region.TLSF_HEADS + list] as number;
    const bit = ((header[Region.TLSF_SL_BITMAPS + fl] as number) >>> (list & (Bits.SL_COUNT - 1))) & 1;
    if ((member !== 0) !== (bit === 1)) throw new HeapCorruptedError(`list ${list}: bitmap bit ${bit} disagrees with its head`);
    if (member !== 0) flMap |= 1 << fl;
    let prev = 0;
    while (member !== 0) {
      if (++listed > freeChunks) throw new HeapCorruptedError(`list ${list}: more members than free chunks (a cycle?)${CORRUPTION_HINT}`);
      checkListMember(large, end, list, member, prev);
      prev = member;
      member = u32[(member >>> 2) + H.NEXT_LINK] as number;
    }
  }
  if (listed !== freeChunks) throw new HeapCorruptedError(`${freeChunks} free chunks but ${listed} on the lists`);
  if (flMap >>> 0 !== header[Word.TLSF_FL_BITMAP]) throw new HeapCorruptedError('first-level bitmap disagrees with the lists');
}

/** T6 for one member of `list`: a free chunk of the list's class whose back link is `prev`. */
function checkListMember(large: Tlsf, end: number, list: number, member: number, prev: number): void {
  const u32 = large.mem.u32;
  if (member < large.first || member >= end || u32[(member >>> 2) + H.TAG] !== tagOf(member)) {
    throw new HeapCorruptedError(`list ${list}: member ${member} is not a chunk${CORRUPTION_HINT}`, member);
  }
  const flags = u32[(member >>> 2) + H.SIZE] as number;
  if ((flags & Bits.FREE) === 0) throw new HeapCorruptedError(`list ${list}: member ${member} is not free`, member);
  if (large.listFor((flags & Bits.SIZE_MASK) >>> 0) !== list) {
    throw new HeapCorruptedError(`list ${list}: member ${member} belongs to another class`, member);
  }
  if (u32[(member >>> 2) + H.PREV_LINK] !== prev) {
    throw new HeapCorruptedError(`list ${list}: broken back link at ${member}${CORRUPTION_HINT}`, member);
  }
}

/** T8: the header's counters agree with the walk. */
function checkCounters(large: Tlsf, walk: ChunkWalk): void {
  const counters = large.mem.counters;
  if (counters[Counter.LARGE_FREE_CHUNKS] !== walk.freeChunks || counters[Counter.LARGE_FREE_BYTES] !== walk.freeBytes) {
    throw new HeapCorruptedError(
      `free counters (${counters[Counter.LARGE_FREE_CHUNKS]} chunks, ${counters[Counter.LARGE_FREE_BYTES]} bytes) disagree with the walk (${walk.freeChunks}, ${walk.freeBytes})`,
    );
  }
  if (counters[Counter.LARGE_USED_CHUNKS] !== walk.usedChunks || counters[Counter.LARGE_USED_BYTES] !== walk.usedBytes) {
    throw new HeapCorruptedError(
      `used counters (${counters[Counter.LARGE_USED_CHUNKS]} chunks, ${counters[Counter.LARGE_USED_BYTES]} bytes) disagree with the walk (${walk.usedChunks}, ${walk.usedBytes})`,
    );
  }
}

/** Visits every chunk of `large` in address order, the sentinel excluded: `visit(payload, chunkSize, isFree)`. For stats and heap maps. */
export function forEachChunk(large: Tlsf, visit: (payload: number, chunkSize: number, isFree: boolean) => void): void {
  const u32 = large.mem.u32;
  const end = large.mem.head[Word.HEAP_END] as number;
  let chunk = large.first;
  while (chunk < end) {
    const flags = u32[(chunk >>> 2) + H.SIZE] as number;
    const size = (flags & Bits.SIZE_MASK) >>> 0;
    visit(chunk + Chunk.HEADER, size, (flags & Bits.FREE) !== 0);
    chunk += size;
  }
}
