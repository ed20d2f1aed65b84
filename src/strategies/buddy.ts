/**
 * The binary buddy allocator (Knowlton, 1965): an arena of 2^A bytes split in halves on demand.
 * A block of order k is 2^k bytes (header included) at an offset that is a multiple of 2^k; its
 * buddy is the other half of the block of order k + 1 it came from, at `offset ^ 2^k`. A freed
 * block merges with its buddy while the buddy is free and whole, so free blocks never have a free
 * buddy. Fast and simple; rounding every request up to a power of two wastes up to half a block.
 *
 * ```
 *  0      256 = BASE                           BASE + 2^A        byteLength
 *  ┌──────┬──────────┬─────┬─────┬──────────────┬────────────────┐
 *  │state │ order 7  │ o 6 │ o 6 │  order 8     │ (growth slack) │
 *  └──────┴──────────┴─────┴─────┴──────────────┴────────────────┘
 * ```
 *
 * State words: the arena's order, counters, and one free-list head per order. A block header
 * (16 bytes): tag (address mixed with a key), order and the FREE bit, then the size asked for
 * (live) or the two links of its free list (free). When no free block is large enough the arena
 * doubles: the new upper half is a free block of order A, which merges with the lower half if
 * that is free.
 *
 * @module
 */

import { DoubleFreeError, HeapCorruptedError } from '../errors';
import { createMemory, type Memory } from '../memory/store';
import { type Allocator, checkPointerType, checkSize, notABlock, outOfMemory, type StrategyOptions, tagOf } from './allocator';

const W_ARENA_ORDER = 0;
const W_LIVE_BLOCKS = 1;
/** f64 index: bytes of live blocks, headers included. */
const F_LIVE_BLOCK_BYTES = 1;
/** Word index of the free-list head of order 0; order k's head is at W_HEADS + k. */
const W_HEADS = 16;
const BASE = 256;

const H_TAG = 0;
const H_ORDER = 1;
const H_REQUESTED = 2;
const H_NEXT = 2;
const H_PREV = 3;
const HEADER = 16;
const FREE = 0x100;
const ORDER_MASK = 0xff;
/** Smallest block: 32 bytes, a header and 16 bytes of payload. */
const MIN_ORDER = 5;
/** Largest arena: 2 GiB, so that every offset fits a word. */
const MAX_ORDER = 31;
const TAG_KEY = 0x62756464;
const NAME = 'buddy';

/** The order of the smallest block that holds `size` payload bytes. */
function orderFor(size: number): number {
  const need = size + HEADER;
  return need <= 1 << MIN_ORDER ? MIN_ORDER : 32 - Math.clz32(need - 1);
}

/**
 * A binary buddy allocator over a buffer of its own. Create one with {@link createBuddy}.
 */
export class BuddyAllocator implements Allocator {
  readonly name: string = NAME;
  /** @internal */
  readonly _mem: Memory;

  /** @internal Use {@link createBuddy}. */
  constructor(mem: Memory) {
    this._mem = mem;
    mem.u32.fill(0, 0, BASE >>> 2);
    const order = 31 - Math.clz32(mem.byteLength - BASE);
    mem.u32[W_ARENA_ORDER] = order;
    this.pushFree(BASE, order);
  }

  malloc(size: number): number {
    checkSize(size);
    const want = orderFor(size);
    if (want > MAX_ORDER) throw outOfMemory(NAME, size);
    let block = this.takeFree(want);
    if (block === 0) {
      if (!this.growFor(want)) throw outOfMemory(NAME, size);
      block = this.takeFree(want);
    }
    const u32 = this._mem.u32;
    u32[(block >>> 2) + H_REQUESTED] = size;
    u32[W_LIVE_BLOCKS] = (u32[W_LIVE_BLOCKS] as number) + 1;
    this._mem.f64[F_LIVE_BLOCK_BYTES] = (this._mem.f64[F_LIVE_BLOCK_BYTES] as number) + 2 ** want;
    return block + HEADER;
  }

  free(ptr: number): void {
    if (ptr === 0) return;
    let block = this.liveBlock(ptr);
    const u32 = this._mem.u32;
    let order = (u32[(block >>> 2) + H_ORDER] as number) & ORDER_MASK;
    u32[W_LIVE_BLOCKS] = (u32[W_LIVE_BLOCKS] as number) - 1;
    this._mem.f64[F_LIVE_BLOCK_BYTES] = (this._mem.f64[F_LIVE_BLOCK_BYTES] as number) - 2 ** order;
    const arenaOrder = u32[W_ARENA_ORDER] as number;
    while (order < arenaOrder) {
      const buddy = BASE + ((block - BASE) ^ (2 ** order));
      if (u32[(buddy >>> 2) + H_ORDER] !== (order | FREE) || u32[(buddy >>> 2) + H_TAG] !== tagOf(buddy, TAG_KEY)) break;
      this.unlink(buddy, order);
      const upper = Math.max(block, buddy);
      // The upper half's header is now payload: clear its tag, so that a stale pointer to it fails.
      u32[(upper >>> 2) + H_TAG] = 0;
      block = Math.min(block, buddy);
      order++;
    }
    this.pushFree(block, order);
  }

  realloc(ptr: number, size: number): number {
    if (ptr === 0) return this.malloc(size);
    checkSize(size);
    const block = this.liveBlock(ptr);
    const u32 = this._mem.u32;
    const order = (u32[(block >>> 2) + H_ORDER] as number) & ORDER_MASK;
    const want = orderFor(size);
    if (want <= order) {
      // Shrink in place: the upper halves go back to their free lists.
      for (let k = order - 1; k >= want; k--) this.pushFree(block + 2 ** k, k);
      u32[(block >>> 2) + H_ORDER] = want;
      u32[(block >>> 2) + H_REQUESTED] = size;
      this._mem.f64[F_LIVE_BLOCK_BYTES] = (this._mem.f64[F_LIVE_BLOCK_BYTES] as number) - 2 ** order + 2 ** want;
      return ptr;
    }
    const moved = this.malloc(size);
    this._mem.u8.copyWithin(moved, ptr, ptr + 2 ** order - HEADER);
    this.free(ptr);
    return moved;
  }

  usableSize(ptr: number): number {
    const block = this.liveBlock(ptr);
    return 2 ** ((this._mem.u32[(block >>> 2) + H_ORDER] as number) & ORDER_MASK) - HEADER;
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
    const arenaOrder = u32[W_ARENA_ORDER] as number;
    const end = BASE + 2 ** arenaOrder;
    if (arenaOrder > MAX_ORDER || end > this._mem.byteLength)
      throw new HeapCorruptedError(`buddy: arena of order ${arenaOrder} outside the buffer`);
    const freeCounts = new Array<number>(MAX_ORDER + 1).fill(0);
    let live = 0;
    let liveBytes = 0;
    for (let block = BASE; block < end; ) {
      const w = block >>> 2;
      const order = (u32[w + H_ORDER] as number) & ORDER_MASK;
      if (u32[w + H_TAG] !== tagOf(block, TAG_KEY) || order < MIN_ORDER || order > arenaOrder || (block - BASE) % 2 ** order !== 0) {
        throw new HeapCorruptedError(`buddy: bad block header at ${block}`, block);
      }
      if (((u32[w + H_ORDER] as number) & FREE) !== 0) {
        freeCounts[order] = (freeCounts[order] as number) + 1;
        const buddy = BASE + ((block - BASE) ^ (2 ** order));
        if (order < arenaOrder && buddy > block && u32[(buddy >>> 2) + H_ORDER] === (order | FREE)) {
          throw new HeapCorruptedError(`buddy: free blocks ${block} and ${buddy} of order ${order} were not merged`, block);
        }
      } else {
        live++;
        liveBytes += 2 ** order;
      }
      block += 2 ** order;
    }
    for (let order = MIN_ORDER; order <= MAX_ORDER; order++) {
      let n = 0;
      let prev = 0;
      for (let b = u32[W_HEADS + order] as number; b !== 0; b = u32[(b >>> 2) + H_NEXT] as number) {
        if (u32[(b >>> 2) + H_ORDER] !== (order | FREE) || u32[(b >>> 2) + H_PREV] !== prev || ++n > (freeCounts[order] as number)) {
          throw new HeapCorruptedError(`buddy: free list of order ${order} is broken at ${b}`, b);
        }
        prev = b;
      }
      if (n !== freeCounts[order])
        throw new HeapCorruptedError(`buddy: ${freeCounts[order]} free blocks of order ${order}, ${n} on its list`);
    }
    if (live !== u32[W_LIVE_BLOCKS] || liveBytes !== this._mem.f64[F_LIVE_BLOCK_BYTES]) {
      throw new HeapCorruptedError(`buddy: counters disagree with the walk (${live} live blocks of ${liveBytes} bytes)`);
    }
  }

  /** A free block of order `want`, split from the smallest larger one if need be; 0 if none. */
  private takeFree(want: number): number {
    const u32 = this._mem.u32;
    const arenaOrder = u32[W_ARENA_ORDER] as number;
    let order = want;
    while (order <= arenaOrder && u32[W_HEADS + order] === 0) order++;
    if (order > arenaOrder) return 0;
    const block = u32[W_HEADS + order] as number;
    this.unlink(block, order);
    while (order > want) {
      order--;
      this.pushFree(block + 2 ** order, order);
    }
    u32[(block >>> 2) + H_ORDER] = want;
    return block;
  }

  /**
   * Doubles the arena until a free block of order `want` exists; false (nothing changed) if the
   * buffer cannot grow that far. The doublings add free blocks of orders A, A + 1, ... up to the
   * new order − 1; only a wholly free arena merges into one block of the new order.
   */
  private growFor(want: number): boolean {
    const u32 = this._mem.u32;
    let arenaOrder = u32[W_ARENA_ORDER] as number;
    const wholeArenaFree = u32[W_HEADS + arenaOrder] !== 0;
    const target = Math.max(arenaOrder + 1, wholeArenaFree ? want : want + 1);
    if (target > MAX_ORDER || !this._mem.grow(BASE + 2 ** target)) return false;
    while (arenaOrder < target) {
      // The new upper half is a free block of the old arena's order; freeing it merges halves.
      const upper = BASE + 2 ** arenaOrder;
      const view = this._mem.u32;
      view[(upper >>> 2) + H_TAG] = tagOf(upper, TAG_KEY);
      view[(upper >>> 2) + H_ORDER] = arenaOrder;
      view[W_LIVE_BLOCKS] = (view[W_LIVE_BLOCKS] as number) + 1;
      this._mem.f64[F_LIVE_BLOCK_BYTES] = (this._mem.f64[F_LIVE_BLOCK_BYTES] as number) + 2 ** arenaOrder;
      arenaOrder++;
      view[W_ARENA_ORDER] = arenaOrder;
      this.free(upper + HEADER);
    }
    return true;
  }

  private pushFree(block: number, order: number): void {
    const u32 = this._mem.u32;
    const head = u32[W_HEADS + order] as number;
    const w = block >>> 2;
    u32[w + H_TAG] = tagOf(block, TAG_KEY);
    u32[w + H_ORDER] = order | FREE;
    u32[w + H_NEXT] = head;
    u32[w + H_PREV] = 0;
    if (head !== 0) u32[(head >>> 2) + H_PREV] = block;
    u32[W_HEADS + order] = block;
  }

  private unlink(block: number, order: number): void {
    const u32 = this._mem.u32;
    const w = block >>> 2;
    const next = u32[w + H_NEXT] as number;
    const prev = u32[w + H_PREV] as number;
    if (prev === 0) u32[W_HEADS + order] = next;
    else u32[(prev >>> 2) + H_NEXT] = next;
    if (next !== 0) u32[(next >>> 2) + H_PREV] = prev;
    u32[w + H_ORDER] = order;
  }

  private liveBlock(ptr: number): number {
    checkPointerType(ptr);
    const block = ptr - HEADER;
    const u32 = this._mem.u32;
    const end = BASE + 2 ** (u32[W_ARENA_ORDER] as number);
    if (
      block < BASE ||
      block >= end ||
      ((block - BASE) & ((1 << MIN_ORDER) - 1)) !== 0 ||
      u32[(block >>> 2) + H_TAG] !== tagOf(block, TAG_KEY)
    ) {
      throw notABlock(NAME, ptr);
    }
    const orderWord = u32[(block >>> 2) + H_ORDER] as number;
    if ((orderWord & FREE) !== 0) throw new DoubleFreeError(`buddy: ${ptr} was already freed`, ptr);
    if (orderWord < MIN_ORDER || orderWord > MAX_ORDER) throw notABlock(NAME, ptr);
    return block;
  }
}

/**
 * Creates a binary buddy allocator over a buffer of its own.
 *
 * @param options - the buffer's initial and largest size
 */
/* @__NO_SIDE_EFFECTS__ */
export function createBuddy(options: StrategyOptions = {}): BuddyAllocator {
  return new BuddyAllocator(createMemory({ initialBytes: options.initialBytes ?? 1 << 20, maxBytes: options.maxBytes ?? 1 << 28 }));
}
