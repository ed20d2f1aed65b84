/**
 * The reference row: every block is a `new Uint8Array(size)`, and the JS garbage collector does
 * the rest. A "pointer" is an index into a table of arrays. What the GC spends on headers and
 * when it collects is invisible from here, so the footprint is the bytes of the live arrays,
 * a lower bound of what the engine holds.
 *
 * @module
 */

import { DoubleFreeError, HeapCorruptedError } from '../errors';
import { type Allocator, checkPointerType, checkSize, notABlock, outOfMemory } from './allocator';

const NAME = 'uint8array';

/** A new array, or OutOfMemoryError where the engine refuses one that large (a RangeError). */
function newArray(size: number): Uint8Array {
  try {
    return new Uint8Array(size);
  } catch {
    throw outOfMemory(NAME, size);
  }
}

/** `new Uint8Array` behind the {@link Allocator} interface. Create one with {@link createUint8ArrayStrategy}. */
export class Uint8ArrayAllocator implements Allocator {
  readonly name: string = NAME;
  /** @internal Index = pointer; null for a freed slot (and slot 0, which is the null pointer). */
  _blocks: (Uint8Array | null)[];
  /** @internal 1 for a live slot, 2 for a freed one. */
  _state: Uint8Array;
  /** @internal Freed slots, reused last in, first out. */
  _freeSlots: number[];
  /** @internal */
  _liveBytes: number;

  /** @internal Use {@link createUint8ArrayStrategy}. */
  constructor() {
    this._blocks = [null];
    this._state = new Uint8Array(1024);
    this._freeSlots = [];
    this._liveBytes = 0;
  }

  malloc(size: number): number {
    checkSize(size);
    const block = newArray(size);
    const slot = this._freeSlots.length > 0 ? (this._freeSlots.pop() as number) : this._blocks.length;
    if (slot === this._blocks.length) this._blocks.push(block);
    else this._blocks[slot] = block;
    if (slot >= this._state.length) {
      const grown = new Uint8Array(this._state.length * 2);
      grown.set(this._state);
      this._state = grown;
    }
    this._state[slot] = 1;
    this._liveBytes += size;
    return slot;
  }

  free(ptr: number): void {
    if (ptr === 0) return;
    const block = this.live(ptr);
    this._liveBytes -= block.length;
    this._blocks[ptr] = null;
    this._state[ptr] = 2;
    this._freeSlots.push(ptr);
  }

  realloc(ptr: number, size: number): number {
    if (ptr === 0) return this.malloc(size);
    checkSize(size);
    const old = this.live(ptr);
    const block = newArray(size);
    block.set(size < old.length ? old.subarray(0, size) : old);
    this._blocks[ptr] = block;
    this._liveBytes += size - old.length;
    return ptr;
  }

  usableSize(ptr: number): number {
    return this.live(ptr).length;
  }

  footprint(): number {
    return this._liveBytes;
  }

  freeBytes(): number {
    return 0;
  }

  bytes(ptr: number, length: number): Uint8Array {
    return (this._blocks[ptr] as Uint8Array).subarray(0, length);
  }

  check(): void {
    let bytes = 0;
    for (let slot = 1; slot < this._blocks.length; slot++) {
      const state = this._state[slot];
      if (state === 1) bytes += (this._blocks[slot] as Uint8Array).length;
      else if (state !== 2 || this._blocks[slot] !== null) throw new HeapCorruptedError(`uint8array: slot ${slot} is in a bad state`);
    }
    if (bytes !== this._liveBytes) throw new HeapCorruptedError(`uint8array: ${bytes} live bytes, counter says ${this._liveBytes}`);
  }

  private live(ptr: number): Uint8Array {
    checkPointerType(ptr);
    const state = ptr < this._blocks.length ? this._state[ptr] : 0;
    if (state === 2) throw new DoubleFreeError(`uint8array: ${ptr} was already freed`, ptr);
    if (state !== 1) throw notABlock(NAME, ptr);
    return this._blocks[ptr] as Uint8Array;
  }
}

/** Creates the `new Uint8Array` reference strategy. */
/* @__NO_SIDE_EFFECTS__ */
export function createUint8ArrayStrategy(): Uint8ArrayAllocator {
  return new Uint8ArrayAllocator();
}
