/**
 * Segregated fit without pools: one LIFO free list per size class, blocks carved from the top of
 * the buffer at their class's size, never split and never merged. A freed block waits on its
 * class's list for the next request of that class. Every call is O(1) and cheap; memory freed in
 * one class is never reused by another, which is where its footprint comes from.
 *
 * Classes: payloads of 16 to 512 bytes in steps of 16 (classes 1 to 32), then four steps per
 * power of two (640, 768, 896, 1024, 1280, ...), so rounding wastes at most a quarter.
 *
 * ```
 *  heads[class] ─▶ free ─▶ free ─▶ 0          (LIFO, threaded through the blocks)
 *
 *  0     1024 = BASE                              top                byteLength
 *  ┌──────┬──────┬────┬──────────┬──────┬─────────┬───────────────────┐
 *  │state │ c 2  │ c1 │  c 40    │ c 2  │ ...     │ not carved yet    │
 *  └──────┴──────┴────┴──────────┴──────┴─────────┴───────────────────┘
 * ```
 *
 * A block header (16 bytes): class index and the FREE bit, a tag (address mixed with a key), the
 * size asked for (live) or the next free block of its class (free).
 *
 * @module
 */

import { DoubleFreeError, HeapCorruptedError } from '../errors';
import { createMemory, type Memory } from '../memory/store';
import { type Allocator, checkPointerType, checkSize, notABlock, outOfMemory, type StrategyOptions, tagOf } from './allocator';

const W_TOP = 0;
const W_LIVE_BLOCKS = 1;
/** f64 index: bytes of live blocks, headers included. */
const F_LIVE_BLOCK_BYTES = 1;
/** Word index of the free-list head of class 0 (unused: the smallest class is 1). */
const W_HEADS = 4;
const CLASS_COUNT = 125;
const BASE = 1024;

const H_CLASS = 0;
const H_TAG = 1;
const H_REQUESTED = 2;
const H_NEXT = 2;
const HEADER = 16;
const FREE = 0x100;
const CLASS_MASK = 0xff;
const SMALL_LIMIT = 512;
const TAG_KEY = 0x73656772;
const NAME = 'segregated';

/** The class index of a request of `size` payload bytes. */
function classOf(size: number): number {
  if (size <= SMALL_LIMIT) return size === 0 ? 1 : (size + 15) >>> 4;
  const log2 = 31 - Math.clz32(size - 1);
  const step = 2 ** (log2 - 2);
  return 33 + (log2 - 9) * 4 + (Math.ceil(size / step) - 5);
}

/** The payload bytes of class `index`. */
function classSize(index: number): number {
  if (index <= 32) return index * 16;
  const log2 = 9 + ((index - 33) >> 2);
  return 2 ** (log2 - 2) * (5 + ((index - 33) & 3));
}

/**
 * A segregated-fit allocator (size-class free lists, no pools). Create one with
 * {@link createSegregated}.
 */
export class SegregatedAllocator implements Allocator {
  readonly name: string = NAME;
  /** @internal */
  readonly _mem: Memory;

  /** @internal Use {@link createSegregated}. */
  constructor(mem: Memory) {
    this._mem = mem;
    mem.u32.fill(0, 0, BASE >>> 2);
    mem.u32[W_TOP] = BASE;
  }

  malloc(size: number): number {
    checkSize(size);
    const index = classOf(size);
    const u32 = this._mem.u32;
    let block = u32[W_HEADS + index] as number;
    if (block !== 0) {
      u32[W_HEADS + index] = u32[(block >>> 2) + H_NEXT] as number;
      u32[(block >>> 2) + H_CLASS] = index;
    } else {
      block = this.carve(index);
      if (block === 0) throw outOfMemory(NAME, size);
    }
    const view = this._mem.u32;
    view[(block >>> 2) + H_REQUESTED] = size;
    view[W_LIVE_BLOCKS] = (view[W_LIVE_BLOCKS] as number) + 1;
    this._mem.f64[F_LIVE_BLOCK_BYTES] = (this._mem.f64[F_LIVE_BLOCK_BYTES] as number) + classSize(index) + HEADER;
    return block + HEADER;
  }

  free(ptr: number): void {
    if (ptr === 0) return;
    const block = this.liveBlock(ptr);
    const u32 = this._mem.u32;
    const w = block >>> 2;
    const index = u32[w + H_CLASS] as number;
    u32[w + H_CLASS] = index | FREE;
    u32[w + H_NEXT] = u32[W_HEADS + index] as number;
    u32[W_HEADS + index] = block;
    u32[W_LIVE_BLOCKS] = (u32[W_LIVE_BLOCKS] as number) - 1;
    this._mem.f64[F_LIVE_BLOCK_BYTES] = (this._mem.f64[F_LIVE_BLOCK_BYTES] as number) - classSize(index) - HEADER;
  }

  realloc(ptr: number, size: number): number {
    if (ptr === 0) return this.malloc(size);
    checkSize(size);
    const block = this.liveBlock(ptr);
    const index = this._mem.u32[(block >>> 2) + H_CLASS] as number;
    if (classOf(size) === index) {
      this._mem.u32[(block >>> 2) + H_REQUESTED] = size;
      return ptr;
    }
    const moved = this.malloc(size);
    this._mem.u8.copyWithin(moved, ptr, ptr + Math.min(size, classSize(index)));
    this.free(ptr);
    return moved;
  }

  usableSize(ptr: number): number {
    return classSize(this._mem.u32[(this.liveBlock(ptr) >>> 2) + H_CLASS] as number);
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
    const top = u32[W_TOP] as number;
    if (top < BASE || top > this._mem.byteLength) throw new HeapCorruptedError(`segregated: top ${top} outside the buffer`);
    const freeCounts = new Array<number>(CLASS_COUNT).fill(0);
    let live = 0;
    let liveBytes = 0;
    for (let block = BASE; block < top; ) {
      const w = block >>> 2;
      const index = (u32[w + H_CLASS] as number) & CLASS_MASK;
      if (u32[w + H_TAG] !== tagOf(block, TAG_KEY) || index < 1 || index >= CLASS_COUNT) {
        throw new HeapCorruptedError(`segregated: bad block header at ${block}`, block);
      }
      if (((u32[w + H_CLASS] as number) & FREE) !== 0) freeCounts[index] = (freeCounts[index] as number) + 1;
      else {
        live++;
        liveBytes += classSize(index) + HEADER;
      }
      block += classSize(index) + HEADER;
    }
    for (let index = 1; index < CLASS_COUNT; index++) {
      let n = 0;
      for (let b = u32[W_HEADS + index] as number; b !== 0; b = u32[(b >>> 2) + H_NEXT] as number) {
        if (u32[(b >>> 2) + H_CLASS] !== (index | FREE) || ++n > (freeCounts[index] as number)) {
          throw new HeapCorruptedError(`segregated: free list of class ${index} is broken at ${b}`, b);
        }
      }
      if (n !== freeCounts[index])
        throw new HeapCorruptedError(`segregated: ${freeCounts[index]} free blocks of class ${index}, ${n} on its list`);
    }
    if (live !== u32[W_LIVE_BLOCKS] || liveBytes !== this._mem.f64[F_LIVE_BLOCK_BYTES]) {
      throw new HeapCorruptedError(`segregated: counters disagree with the walk (${live} live blocks of ${liveBytes} bytes)`);
    }
  }

  /** A new block of class `index` from the top of the buffer; 0 if the buffer cannot grow. */
  private carve(index: number): number {
    const mem = this._mem;
    const top = mem.u32[W_TOP] as number;
    const size = classSize(index) + HEADER;
    if (top + size > mem.byteLength && !mem.grow(top + size)) return 0;
    const u32 = mem.u32;
    u32[(top >>> 2) + H_CLASS] = index;
    u32[(top >>> 2) + H_TAG] = tagOf(top, TAG_KEY);
    u32[W_TOP] = top + size;
    return top;
  }

  private liveBlock(ptr: number): number {
    checkPointerType(ptr);
    const block = ptr - HEADER;
    const u32 = this._mem.u32;
    if (
      block < BASE ||
      block >= (u32[W_TOP] as number) ||
      (ptr & (HEADER - 1)) !== 0 ||
      u32[(block >>> 2) + H_TAG] !== tagOf(block, TAG_KEY)
    ) {
      throw notABlock(NAME, ptr);
    }
    const word = u32[(block >>> 2) + H_CLASS] as number;
    if ((word & FREE) !== 0) throw new DoubleFreeError(`segregated: ${ptr} was already freed`, ptr);
    if (word < 1 || word >= CLASS_COUNT) throw notABlock(NAME, ptr);
    return block;
  }
}

/**
 * Creates a segregated-fit allocator over a buffer of its own.
 *
 * @param options - the buffer's initial and largest size
 */
/* @__NO_SIDE_EFFECTS__ */
export function createSegregated(options: StrategyOptions = {}): SegregatedAllocator {
  return new SegregatedAllocator(createMemory({ initialBytes: options.initialBytes ?? 1 << 20, maxBytes: options.maxBytes ?? 1 << 28 }));
}
