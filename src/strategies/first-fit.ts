/**
 * The textbook baseline (Knuth, TAOCP vol. 1, §2.5): one free list in address order, first fit,
 * coalescing on free. Blocks tile the buffer from BASE to its end; a free block is on the list,
 * which is kept sorted by address, so a freed block finds its neighbours by walking the list and
 * merges with them when they touch it. Every call is O(free blocks): this is what segregated
 * lists and TLSF were invented to avoid, and it keeps fragmentation low.
 *
 * ```
 *  head ─▶ free@200 ─▶ free@4096 ─▶ free@9000 ─▶ 0      (ascending addresses)
 *
 *  64    200         4096          9000                       byteLength
 *  ┌─────┬───────────┬─────────────┬──────────────────────────┐
 *  │ used│ free      │ used        │ free (the top)           │
 *  └─────┴───────────┴─────────────┴──────────────────────────┘
 * ```
 *
 * A block header (16 bytes): the block's size (header included), a tag (address mixed with a
 * key), the size asked for (live) or the next free block (free), and the state (live or free).
 *
 * @module
 */

import { DoubleFreeError, HeapCorruptedError } from '../errors';
import { createMemory, type Memory } from '../memory/store';
import { type Allocator, checkPointerType, checkSize, notABlock, outOfMemory, roundUp, type StrategyOptions, tagOf } from './allocator';

const W_FREE_HEAD = 0;
/** End of the tiled area: the buffer's length when it was last extended. */
const W_END = 1;
const W_LIVE_BLOCKS = 2;
/** f64 index: bytes of live blocks, headers included. */
const F_LIVE_BLOCK_BYTES = 2;
const BASE = 64;

const H_SIZE = 0;
const H_TAG = 1;
const H_REQUESTED = 2;
const H_NEXT = 2;
const H_STATE = 3;
const HEADER = 16;
const MIN_BLOCK = 32;
const LIVE = 1;
const FREE = 2;
const TAG_KEY = 0x66697273;
const NAME = 'first-fit';

function blockSizeFor(size: number): number {
  return Math.max(MIN_BLOCK, roundUp(size, HEADER) + HEADER);
}

/**
 * An address-ordered first-fit allocator with coalescing. Create one with {@link createFirstFit}.
 */
export class FirstFitAllocator implements Allocator {
  readonly name: string = NAME;
  /** @internal */
  readonly _mem: Memory;

  /** @internal Use {@link createFirstFit}. */
  constructor(mem: Memory) {
    this._mem = mem;
    const u32 = mem.u32;
    u32.fill(0, 0, BASE >>> 2);
    u32[W_END] = mem.byteLength;
    this.writeFree(BASE, mem.byteLength - BASE, 0);
    u32[W_FREE_HEAD] = BASE;
  }

  malloc(size: number): number {
    checkSize(size);
    const need = blockSizeFor(size);
    const u32 = this._mem.u32;
    let prev = 0;
    let block = u32[W_FREE_HEAD] as number;
    while (block !== 0 && (u32[(block >>> 2) + H_SIZE] as number) < need) {
      prev = block;
      block = u32[(block >>> 2) + H_NEXT] as number;
    }
    if (block === 0) {
      block = this.growFor(need, prev);
      if (block === 0) throw outOfMemory(NAME, size);
      prev = this.predecessor(block);
    }
    this.take(block, prev, need, size);
    return block + HEADER;
  }

  free(ptr: number): void {
    if (ptr === 0) return;
    const block = this.liveBlock(ptr);
    const u32 = this._mem.u32;
    const size = u32[(block >>> 2) + H_SIZE] as number;
    u32[W_LIVE_BLOCKS] = (u32[W_LIVE_BLOCKS] as number) - 1;
    this._mem.f64[F_LIVE_BLOCK_BYTES] = (this._mem.f64[F_LIVE_BLOCK_BYTES] as number) - size;
    this.insertFree(block, size);
  }

  realloc(ptr: number, size: number): number {
    if (ptr === 0) return this.malloc(size);
    checkSize(size);
    const block = this.liveBlock(ptr);
    const u32 = this._mem.u32;
    const old = u32[(block >>> 2) + H_SIZE] as number;
    const need = blockSizeFor(size);
    const next = block + old;
    const nextFree = next < (u32[W_END] as number) && u32[(next >>> 2) + H_STATE] === FREE ? (u32[(next >>> 2) + H_SIZE] as number) : 0;
    if (need <= old || need <= old + nextFree) {
      // In place: absorb the free right neighbour if needed, then give back what is left over.
      let size2 = old;
      if (need > old) {
        const prev = this.predecessor(next);
        this.unlinkAfter(prev, next);
        u32[(next >>> 2) + H_TAG] = 0;
        size2 = old + nextFree;
      }
      const f64 = this._mem.f64;
      f64[F_LIVE_BLOCK_BYTES] = (f64[F_LIVE_BLOCK_BYTES] as number) - old;
      if (size2 - need >= MIN_BLOCK) {
        u32[(block >>> 2) + H_SIZE] = need;
        this.insertFree(block + need, size2 - need);
        size2 = need;
      } else u32[(block >>> 2) + H_SIZE] = size2;
      u32[(block >>> 2) + H_REQUESTED] = size;
      f64[F_LIVE_BLOCK_BYTES] = (f64[F_LIVE_BLOCK_BYTES] as number) + size2;
      return ptr;
    }
    const moved = this.malloc(size);
    this._mem.u8.copyWithin(moved, ptr, ptr + old - HEADER);
    this.free(ptr);
    return moved;
  }

  usableSize(ptr: number): number {
    const block = this.liveBlock(ptr);
    return (this._mem.u32[(block >>> 2) + H_SIZE] as number) - HEADER;
  }

  footprint(): number {
    return this._mem.byteLength;
  }

  freeBytes(): number {
    return this._mem.byteLength - BASE - (this._mem.f64[F_LIVE_BLOCK_BYTES] as number);
  }

  bytes(ptr: number, length: number): Uint8Array {
    return this._mem.u8.subarray(ptr, ptr + length);
  }

  check(): void {
    const u32 = this._mem.u32;
    const end = u32[W_END] as number;
    if (end > this._mem.byteLength) throw new HeapCorruptedError(`first-fit: end ${end} outside the buffer`);
    let live = 0;
    let liveBytes = 0;
    let expectedFree = u32[W_FREE_HEAD] as number;
    let previousWasFree = false;
    for (let block = BASE; block < end; ) {
      const w = block >>> 2;
      const size = u32[w + H_SIZE] as number;
      if (u32[w + H_TAG] !== tagOf(block, TAG_KEY) || size < MIN_BLOCK || (size & (HEADER - 1)) !== 0 || block + size > end) {
        throw new HeapCorruptedError(`first-fit: bad block header at ${block}`, block);
      }
      if (u32[w + H_STATE] === FREE) {
        if (previousWasFree) throw new HeapCorruptedError(`first-fit: free block ${block} was not merged with the one before`, block);
        if (block !== expectedFree)
          throw new HeapCorruptedError(`first-fit: free block ${block} is not next on the address-ordered list`, block);
        expectedFree = u32[w + H_NEXT] as number;
        previousWasFree = true;
      } else if (u32[w + H_STATE] === LIVE) {
        live++;
        liveBytes += size;
        previousWasFree = false;
      } else throw new HeapCorruptedError(`first-fit: block ${block} has a bad state`, block);
      block += size;
    }
    if (expectedFree !== 0) throw new HeapCorruptedError(`first-fit: the free list names ${expectedFree}, which the walk did not find`);
    if (live !== u32[W_LIVE_BLOCKS] || liveBytes !== this._mem.f64[F_LIVE_BLOCK_BYTES]) {
      throw new HeapCorruptedError(`first-fit: counters disagree with the walk (${live} live blocks of ${liveBytes} bytes)`);
    }
  }

  /** Allocates `need` bytes from the front of free block `block` (whose list predecessor is `prev`). */
  private take(block: number, prev: number, need: number, size: number): void {
    const u32 = this._mem.u32;
    const w = block >>> 2;
    const have = u32[w + H_SIZE] as number;
    const next = u32[w + H_NEXT] as number;
    let used = have;
    if (have - need >= MIN_BLOCK) {
      // The tail stays free, in the same place on the list: address order holds.
      this.writeFree(block + need, have - need, next);
      this.linkAfter(prev, block + need);
      used = need;
    } else this.linkAfter(prev, next);
    u32[w + H_SIZE] = used;
    u32[w + H_REQUESTED] = size;
    u32[w + H_STATE] = LIVE;
    u32[W_LIVE_BLOCKS] = (u32[W_LIVE_BLOCKS] as number) + 1;
    this._mem.f64[F_LIVE_BLOCK_BYTES] = (this._mem.f64[F_LIVE_BLOCK_BYTES] as number) + used;
  }

  /** Puts the block at `block` on the list in address order, merging it with free neighbours that touch it. */
  private insertFree(block: number, size: number): void {
    const u32 = this._mem.u32;
    const prev = this.predecessor(block);
    const next = prev === 0 ? (u32[W_FREE_HEAD] as number) : (u32[(prev >>> 2) + H_NEXT] as number);
    let start = block;
    let length = size;
    let after = next;
    if (next !== 0 && block + size === next) {
      length += u32[(next >>> 2) + H_SIZE] as number;
      after = u32[(next >>> 2) + H_NEXT] as number;
      u32[(next >>> 2) + H_TAG] = 0;
    }
    if (prev !== 0 && prev + (u32[(prev >>> 2) + H_SIZE] as number) === block) {
      u32[(block >>> 2) + H_TAG] = 0;
      start = prev;
      length += u32[(prev >>> 2) + H_SIZE] as number;
      this.writeFree(start, length, after);
      return;
    }
    this.writeFree(start, length, after);
    this.linkAfter(prev, start);
  }

  /** Extends the buffer so that the last free block holds `need`; returns that block, or 0. */
  private growFor(need: number, last: number): number {
    const u32 = this._mem.u32;
    const end = u32[W_END] as number;
    const topFree = last !== 0 && last + (u32[(last >>> 2) + H_SIZE] as number) === end ? (u32[(last >>> 2) + H_SIZE] as number) : 0;
    if (!this._mem.grow(end + need - topFree)) return 0;
    const newEnd = this._mem.byteLength;
    this._mem.u32[W_END] = newEnd;
    // The new space is freed like a block: it merges with a free block at the old top.
    this.insertFree(end, newEnd - end);
    return topFree !== 0 ? last : end;
  }

  /** The free block just before address `block` on the list (0: the list head). O(free blocks). */
  private predecessor(block: number): number {
    const u32 = this._mem.u32;
    let prev = 0;
    for (let b = u32[W_FREE_HEAD] as number; b !== 0 && b < block; b = u32[(b >>> 2) + H_NEXT] as number) prev = b;
    return prev;
  }

  private linkAfter(prev: number, block: number): void {
    if (prev === 0) this._mem.u32[W_FREE_HEAD] = block;
    else this._mem.u32[(prev >>> 2) + H_NEXT] = block;
  }

  private unlinkAfter(prev: number, block: number): void {
    this.linkAfter(prev, this._mem.u32[(block >>> 2) + H_NEXT] as number);
  }

  private writeFree(block: number, size: number, next: number): void {
    const u32 = this._mem.u32;
    const w = block >>> 2;
    u32[w + H_SIZE] = size;
    u32[w + H_TAG] = tagOf(block, TAG_KEY);
    u32[w + H_NEXT] = next;
    u32[w + H_STATE] = FREE;
  }

  private liveBlock(ptr: number): number {
    checkPointerType(ptr);
    const block = ptr - HEADER;
    const u32 = this._mem.u32;
    if (
      block < BASE ||
      block >= (u32[W_END] as number) ||
      (ptr & (HEADER - 1)) !== 0 ||
      u32[(block >>> 2) + H_TAG] !== tagOf(block, TAG_KEY)
    ) {
      throw notABlock(NAME, ptr);
    }
    const state = u32[(block >>> 2) + H_STATE];
    if (state === FREE) throw new DoubleFreeError(`first-fit: ${ptr} was already freed`, ptr);
    if (state !== LIVE) throw notABlock(NAME, ptr);
    return block;
  }
}

/**
 * Creates an address-ordered first-fit allocator over a buffer of its own.
 *
 * @param options - the buffer's initial and largest size
 */
/* @__NO_SIDE_EFFECTS__ */
export function createFirstFit(options: StrategyOptions = {}): FirstFitAllocator {
  return new FirstFitAllocator(createMemory({ initialBytes: options.initialBytes ?? 1 << 20, maxBytes: options.maxBytes ?? 1 << 28 }));
}
