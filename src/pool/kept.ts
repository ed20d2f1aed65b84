/**
 * `KeptBytes`: many small byte values kept for a long time (a cache of keys, session ids, small
 * records), addressed by number rather than by object.
 *
 * A lease is two small JS objects and a view, about 300 bytes of JS heap each, which the garbage
 * collector walks on every full collection: right for a request's body, wrong for 200,000 values
 * that live for minutes. Here a value is a heap block and the program holds its handle, a plain
 * number, so a kept value costs the collector nothing:
 *
 * ```
 *  handle ──▶ ┌──────────────┬───────────────────────────┐
 *             │ length (u32) │ the value's bytes          │   one heap block per value
 *             └──────────────┴───────────────────────────┘
 * ```
 *
 * Views are made only when a value is read with {@link KeptBytes.bytes}; {@link KeptBytes.copyTo}
 * reads without making one.
 *
 * @module
 */

import { HeapCorruptedError, InvalidArgumentError, InvalidPointerError } from '../errors';
import { createHeap, type Heap, MAX_REQUEST } from '../heap';
import { installInspect } from '../inspect/install';
import type { LeaseBytes } from './lease';

/** Bytes in front of each value: its length. */
const LENGTH_PREFIX = 4;

/** Values up to this length are copied out byte by byte, which beats making a view for `set`. */
const SHORT_COPY = 64;

/** Options of {@link KeptBytes}. */
export interface KeptBytesOptions {
  /**
   * The heap to keep values in. Every live block of it is taken for a kept value, so give it one
   * of its own.
   * @defaultValue a new heap over a resizable `ArrayBuffer` (1 MiB, growing to 1 GiB), which
   *   copies at `memcpy` speed and can give memory back with `trim()`
   */
  heap?: Heap;
}

/** What `Buffer` offers that is used to make views. */
interface BufferMaker {
  from(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, length: number): Uint8Array;
}

/**
 * A store of small byte values kept by number. `keep(bytes)` copies a value in and returns its
 * handle; `bytes(handle)` reads it back (a `Buffer` in Node); `drop(handle)` frees it.
 *
 * @example
 * ```ts
 * import { KeptBytes } from 'arenalloc/pool';
 * const kept = new KeptBytes();
 * const id = kept.keep(new TextEncoder().encode('session-42'));
 * new TextDecoder().decode(kept.bytes(id)); // 'session-42'
 * kept.drop(id);
 * ```
 */
export class KeptBytes {
  /** The heap the values live in. */
  readonly heap: Heap;
  /** @internal */
  _count: number;
  /** @internal Bytes of the values (not counting their length prefixes). */
  _bytes: number;
  /** @internal Views over the heap's buffer, and the heap epoch they were made at. */
  _u8: Uint8Array;
  /** @internal */
  _u32: Uint32Array;
  /** @internal */
  _epoch: number;
  /** @internal */
  readonly _maker: BufferMaker | null;

  /**
   * @param options - see {@link KeptBytesOptions}
   * @throws {@link arenalloc!InvalidArgumentError} for options that are not an object or a heap that is not a Heap
   */
  constructor(options: KeptBytesOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    const heap = options.heap ?? createHeap({ store: 'resizable', initialBytes: 1 << 20, maxBytes: 1 << 30 });
    if (typeof heap !== 'object' || heap === null || typeof heap.tryMalloc !== 'function') {
      throw new InvalidArgumentError('heap must be a Heap made by createHeap or Heap.attach');
    }
    this.heap = heap;
    installInspect(); // heap.check() of this heap's users runs the walk of arenalloc/inspect
    this._count = 0;
    this._bytes = 0;
    this._epoch = -1;
    this._u8 = new Uint8Array(0);
    this._u32 = new Uint32Array(0);
    const nodeBuffer = (globalThis as { Buffer?: BufferMaker }).Buffer;
    this._maker = typeof nodeBuffer?.from === 'function' ? nodeBuffer : null;
  }

  /** Values kept now. */
  get count(): number {
    return this._count;
  }

  /** Bytes of the values kept now (their lengths, summed). */
  get bytesKept(): number {
    return this._bytes;
  }

  /**
   * Copies `value` into the store and returns its handle.
   * @throws {@link arenalloc!InvalidArgumentError} when `value` is not a `Uint8Array` (a `Buffer` is one)
   * @throws {@link arenalloc!OutOfMemoryError} when the heap cannot grow enough; nothing changes
   */
  keep(value: Uint8Array): number {
    if (!(value instanceof Uint8Array)) throw new InvalidArgumentError('value must be a Uint8Array');
    const length = value.length;
    if (length > MAX_REQUEST - LENGTH_PREFIX) throw new InvalidArgumentError(`a value of ${length} bytes is too long to keep`);
    const handle = this.heap.malloc(LENGTH_PREFIX + length);
    this._views();
    this._u32[handle >>> 2] = length;
    if (length <= SHORT_COPY) {
      const u8 = this._u8;
      const start = handle + LENGTH_PREFIX;
      for (let i = 0; i < length; i++) u8[start + i] = value[i] as number;
    } else {
      this._u8.set(value, handle + LENGTH_PREFIX);
    }
    this._count++;
    this._bytes += length;
    return handle;
  }

  /**
   * The length of the value at `handle`.
   * @throws {@link arenalloc!InvalidPointerError} for a handle that is not a kept value (dropped, or foreign)
   */
  lengthOf(handle: number): number {
    this._check(handle);
    return this._u32[handle >>> 2] as number;
  }

  /**
   * The value at `handle`, as a new view over the store (a `Buffer` in Node): valid until the
   * value is dropped. Makes one object per call; {@link KeptBytes.copyTo} makes none.
   * @throws {@link arenalloc!InvalidPointerError} as {@link KeptBytes.lengthOf}
   */
  bytes(handle: number): LeaseBytes {
    const length = this.lengthOf(handle);
    const buffer = this.heap.buffer;
    const start = handle + LENGTH_PREFIX;
    return (this._maker !== null ? this._maker.from(buffer, start, length) : new Uint8Array(buffer, start, length)) as LeaseBytes;
  }

  /**
   * Copies the value at `handle` into `target` at `offset`; returns its length.
   * @throws {@link arenalloc!InvalidPointerError} as {@link KeptBytes.lengthOf}
   * @throws {@link arenalloc!InvalidArgumentError} when the value does not fit in `target` at `offset`; nothing is written
   */
  copyTo(handle: number, target: Uint8Array, offset = 0): number {
    const length = this.lengthOf(handle);
    if (!(target instanceof Uint8Array) || typeof offset !== 'number' || offset >>> 0 !== offset || offset + length > target.length) {
      throw new InvalidArgumentError(`a value of ${length} bytes does not fit in the target at offset ${String(offset)}`);
    }
    const u8 = this._u8;
    const start = handle + LENGTH_PREFIX;
    if (length <= SHORT_COPY) for (let i = 0; i < length; i++) target[offset + i] = u8[start + i] as number;
    else target.set(u8.subarray(start, start + length), offset);
    return length;
  }

  /**
   * Frees the value at `handle`.
   * @throws {@link arenalloc!InvalidPointerError} or {@link arenalloc!DoubleFreeError} for a handle that is
   *   not a kept value; nothing changes
   */
  drop(handle: number): void {
    const length = this.lengthOf(handle);
    this.heap.free(handle);
    this._count--;
    this._bytes -= length;
  }

  /**
   * Checks the heap (`Heap.check`) and that it holds exactly the values counted.
   * @throws {@link arenalloc!HeapCorruptedError} when it does not
   */
  check(): void {
    this.heap.check();
    const live = this.heap.stats().liveBlocks;
    if (live !== this._count) throw new HeapCorruptedError(`the heap holds ${live} blocks but ${this._count} values are kept`);
  }

  /** @internal Throws unless `handle` is a live block of the heap; re-binds the views if the heap grew. */
  _check(handle: number): void {
    if (!this.heap.isLive(handle)) {
      throw new InvalidPointerError(
        `not a kept value: ${typeof handle === 'number' ? handle : String(handle)} (dropped, or from elsewhere)`,
        typeof handle === 'number' ? handle : undefined,
      );
    }
    this._views();
  }

  /** @internal */
  _views(): void {
    const heap = this.heap;
    if (heap.epoch !== this._epoch || this._u8.buffer !== heap.buffer) {
      const buffer = heap.buffer;
      this._u8 = new Uint8Array(buffer, 0, buffer.byteLength);
      this._u32 = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
      this._epoch = heap.epoch;
    }
  }
}
