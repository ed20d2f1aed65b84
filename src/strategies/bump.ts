/**
 * The bump (linear) allocator: the frame allocator of game loops. `malloc` moves a top pointer
 * up; `free` only marks a block dead (its bytes are not reused); `mark()` / `release(mark)` drop
 * every block above a mark at once, `reset()` drops all of them. Cheapest of all per call, and the
 * one that runs out of memory on a long trace, since nothing freed is ever reused.
 *
 * ```
 *  0     64                                                   top          byteLength
 *  ┌─────┬───────────┬─────────┬──────────┬────────────┬───────┬──────────────┐
 *  │state│ hdr│ blk  │ hdr│dead│ hdr│ blk │ ...        │       │  never used  │
 *  └─────┴───────────┴─────────┴──────────┴────────────┴───────┴──────────────┘
 * ```
 *
 * A block header (16 bytes) holds the block's size (header included), a tag (its address mixed
 * with a key, so that a free of an interior or foreign pointer is caught), the size asked for, and
 * its state (live or dead, so that a double free is caught).
 *
 * @module
 */

import { DoubleFreeError, HeapCorruptedError, InvalidArgumentError } from '../errors';
import { createMemory, type Memory } from '../memory/store';
import { type Allocator, checkPointerType, checkSize, notABlock, outOfMemory, roundUp, type StrategyOptions, tagOf } from './allocator';

// Words of the state at the start of the buffer.
const W_TOP = 0;
const W_LIVE_BLOCKS = 1;
/** Bumped by every reset and mixed into the tags, so that no header of an earlier epoch passes. */
const W_EPOCH = 2;
/**
 * The highest mark that may still be released: a block below it must not resize in place, or
 * the mark would fall inside it.
 */
const W_FLOOR = 3;
/** f64 index: usable bytes of live blocks. */
const F_LIVE_BYTES = 2;
/** f64 index: bytes of dead blocks below the top (headers included). */
const F_DEAD_BYTES = 3;
/** Where the first block starts. */
const BASE = 64;

// Words of a block header, relative to the block's first word.
const H_SIZE = 0;
const H_TAG = 1;
const H_REQUESTED = 2;
const H_STATE = 3;
const HEADER = 16;
const LIVE = 1;
const DEAD = 2;
const TAG_KEY = 0x6b756d70;
const NAME = 'bump';

/** A position of a {@link BumpAllocator}'s top, from {@link BumpAllocator.mark}. */
export type BumpMark = number;

/**
 * A linear allocator with marks. Create one with {@link createBump}.
 *
 * @example
 * ```ts
 * import { createBump } from 'arenalloc/strategies';
 * const frame = createBump();
 * const start = frame.mark();
 * frame.malloc(256); // scratch memory for one frame
 * frame.release(start); // everything since the mark is gone
 * ```
 */
export class BumpAllocator implements Allocator {
  readonly name: string = NAME;
  /** @internal */
  readonly _mem: Memory;

  /** @internal Use {@link createBump}. */
  constructor(mem: Memory) {
    this._mem = mem;
    this.reset();
  }

  malloc(size: number): number {
    checkSize(size);
    const block = roundUp(size, HEADER) + HEADER + (size === 0 ? HEADER : 0);
    const mem = this._mem;
    const top = mem.u32[W_TOP] as number;
    if (top + block > mem.byteLength && !mem.grow(top + block)) throw outOfMemory(NAME, size);
    const u32 = mem.u32;
    const w = top >>> 2;
    u32[w + H_SIZE] = block;
    u32[w + H_TAG] = this.tag(top);
    u32[w + H_REQUESTED] = size;
    u32[w + H_STATE] = LIVE;
    u32[W_TOP] = top + block;
    u32[W_LIVE_BLOCKS] = (u32[W_LIVE_BLOCKS] as number) + 1;
    mem.f64[F_LIVE_BYTES] = (mem.f64[F_LIVE_BYTES] as number) + block - HEADER;
    return top + HEADER;
  }

  free(ptr: number): void {
    if (ptr === 0) return;
    const block = this.liveBlock(ptr);
    const u32 = this._mem.u32;
    const size = u32[(block >>> 2) + H_SIZE] as number;
    u32[(block >>> 2) + H_STATE] = DEAD;
    u32[W_LIVE_BLOCKS] = (u32[W_LIVE_BLOCKS] as number) - 1;
    const f64 = this._mem.f64;
    f64[F_LIVE_BYTES] = (f64[F_LIVE_BYTES] as number) - (size - HEADER);
    f64[F_DEAD_BYTES] = (f64[F_DEAD_BYTES] as number) + size;
  }

  realloc(ptr: number, size: number): number {
    if (ptr === 0) return this.malloc(size);
    checkSize(size);
    const block = this.liveBlock(ptr);
    const mem = this._mem;
    const old = mem.u32[(block >>> 2) + H_SIZE] as number;
    if (block + old === (mem.u32[W_TOP] as number) && block >= (mem.u32[W_FLOOR] as number)) {
      // The last block grows or shrinks in place: only the top moves.
      const want = roundUp(size, HEADER) + HEADER + (size === 0 ? HEADER : 0);
      if (block + want > mem.byteLength && !mem.grow(block + want)) throw outOfMemory(NAME, size);
      const u32 = mem.u32;
      u32[(block >>> 2) + H_SIZE] = want;
      u32[(block >>> 2) + H_REQUESTED] = size;
      u32[W_TOP] = block + want;
      mem.f64[F_LIVE_BYTES] = (mem.f64[F_LIVE_BYTES] as number) + want - old;
      return ptr;
    }
    const moved = this.malloc(size);
    this._mem.u8.copyWithin(moved, ptr, ptr + Math.min(size, old - HEADER));
    this.free(ptr);
    return moved;
  }

  usableSize(ptr: number): number {
    const block = this.liveBlock(ptr);
    return (this._mem.u32[(block >>> 2) + H_SIZE] as number) - HEADER;
  }

  /** The current top: pass it to {@link BumpAllocator.release} to drop every block allocated since. */
  mark(): BumpMark {
    const u32 = this._mem.u32;
    u32[W_FLOOR] = u32[W_TOP] as number;
    return u32[W_TOP] as number;
  }

  /**
   * Drops every block allocated since `mark` was taken, live or not. O(blocks dropped).
   * @throws InvalidArgumentError for a mark that is not a block boundary below the top
   */
  release(mark: BumpMark): void {
    const u32 = this._mem.u32;
    const top = u32[W_TOP] as number;
    const boundary =
      mark === top || (mark >= BASE && mark < top && (mark & (HEADER - 1)) === 0 && u32[(mark >>> 2) + H_TAG] === this.tag(mark));
    if (typeof mark !== 'number' || !boundary) throw new InvalidArgumentError(`bump: ${String(mark)} is not a mark of this allocator`);
    const f64 = this._mem.f64;
    for (let block = mark; block < top; block += u32[(block >>> 2) + H_SIZE] as number) {
      const size = u32[(block >>> 2) + H_SIZE] as number;
      if (u32[(block >>> 2) + H_STATE] === LIVE) {
        u32[W_LIVE_BLOCKS] = (u32[W_LIVE_BLOCKS] as number) - 1;
        f64[F_LIVE_BYTES] = (f64[F_LIVE_BYTES] as number) - (size - HEADER);
      } else f64[F_DEAD_BYTES] = (f64[F_DEAD_BYTES] as number) - size;
      u32[(block >>> 2) + H_TAG] = 0;
    }
    u32[W_TOP] = mark;
    // Marks below this one stay valid; blocks from here up are above all of them.
    u32[W_FLOOR] = mark;
  }

  /** Drops every block at once. O(1). */
  reset(): void {
    const u32 = this._mem.u32;
    const epoch = ((u32[W_EPOCH] as number) + 1) >>> 0;
    u32.fill(0, 0, BASE >>> 2);
    u32[W_TOP] = BASE;
    u32[W_FLOOR] = BASE;
    u32[W_EPOCH] = epoch;
  }

  footprint(): number {
    return this._mem.byteLength;
  }

  freeBytes(): number {
    return this._mem.byteLength - (this._mem.u32[W_TOP] as number) + (this._mem.f64[F_DEAD_BYTES] as number);
  }

  bytes(ptr: number, length: number): Uint8Array {
    return this._mem.u8.subarray(ptr, ptr + length);
  }

  check(): void {
    const u32 = this._mem.u32;
    const top = u32[W_TOP] as number;
    if (top < BASE || top > this._mem.byteLength) throw new HeapCorruptedError(`bump: top ${top} outside the buffer`);
    let live = 0;
    let liveBytes = 0;
    let dead = 0;
    for (let block = BASE; block < top; ) {
      const w = block >>> 2;
      const size = u32[w + H_SIZE] as number;
      const state = u32[w + H_STATE];
      if (u32[w + H_TAG] !== this.tag(block) || size < 2 * HEADER || (size & (HEADER - 1)) !== 0 || block + size > top) {
        throw new HeapCorruptedError(`bump: bad block header at ${block}`, block);
      }
      if (state === LIVE) {
        live++;
        liveBytes += size - HEADER;
      } else if (state === DEAD) dead += size;
      else throw new HeapCorruptedError(`bump: block ${block} has state ${String(state)}`, block);
      block += size;
    }
    if (live !== u32[W_LIVE_BLOCKS] || liveBytes !== this._mem.f64[F_LIVE_BYTES] || dead !== this._mem.f64[F_DEAD_BYTES]) {
      throw new HeapCorruptedError(`bump: counters disagree with the walk (${live} live blocks of ${liveBytes} bytes, ${dead} dead bytes)`);
    }
  }

  /** The tag of a block header at `block` in the current epoch. */
  private tag(block: number): number {
    return tagOf(block, TAG_KEY ^ Math.imul(this._mem.u32[W_EPOCH] as number, 0x9e3779b1));
  }

  /** The block header of the live block at `ptr`, or a typed error. */
  private liveBlock(ptr: number): number {
    checkPointerType(ptr);
    const block = ptr - HEADER;
    const u32 = this._mem.u32;
    if (block < BASE || block >= (u32[W_TOP] as number) || (ptr & (HEADER - 1)) !== 0 || u32[(block >>> 2) + H_TAG] !== this.tag(block)) {
      throw notABlock(NAME, ptr);
    }
    const state = u32[(block >>> 2) + H_STATE];
    if (state === DEAD) throw new DoubleFreeError(`bump: ${ptr} was already freed`, ptr);
    if (state !== LIVE) throw notABlock(NAME, ptr);
    return block;
  }
}

/**
 * Creates a bump allocator over a buffer of its own.
 *
 * @param options - the buffer's initial and largest size
 */
/* @__NO_SIDE_EFFECTS__ */
export function createBump(options: StrategyOptions = {}): BumpAllocator {
  return new BumpAllocator(createMemory({ initialBytes: options.initialBytes ?? 1 << 20, maxBytes: options.maxBytes ?? 1 << 28 }));
}
