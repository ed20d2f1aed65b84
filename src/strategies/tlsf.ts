/**
 * TLSF alone: arenalloc's own large-object allocator (two-level segregated fit, see
 * `src/large/tlsf.ts`) serving every size, without the small-object allocator in front of it.
 * O(1) malloc and free, immediate coalescing through boundary tags, a 16-byte header per block
 * and a 32-byte smallest chunk: what it costs small requests is what the `heap` row saves.
 *
 * @module
 */

import { DoubleFreeError } from '../errors';
import { checkStandaloneTlsf, createStandaloneTlsf, freeChunkBytes, standalonePointer, type Tlsf } from '../port';
import { type Allocator, checkPointerType, checkSize, notABlock, outOfMemory, type StrategyOptions } from './allocator';

const NAME = 'tlsf';

/** The TLSF allocator on its own, for every size. Create one with {@link createTlsf}. */
export class TlsfAllocator implements Allocator {
  readonly name: string = NAME;
  /** @internal */
  readonly _tlsf: Tlsf;
  /** @internal */
  readonly _maxRequest: number;

  /** @internal Use {@link createTlsf}. */
  constructor(tlsf: Tlsf) {
    this._tlsf = tlsf;
    this._maxRequest = tlsf.maxRequest;
  }

  malloc(size: number): number {
    checkSize(size);
    const ptr = size > this._maxRequest ? 0 : this._tlsf.malloc(size);
    if (ptr === 0) throw outOfMemory(NAME, size);
    return ptr;
  }

  free(ptr: number): void {
    if (ptr === 0) return;
    this.checkLive(ptr);
    this._tlsf.free(ptr);
  }

  realloc(ptr: number, size: number): number {
    if (ptr === 0) return this.malloc(size);
    checkSize(size);
    this.checkLive(ptr);
    const tlsf = this._tlsf;
    if (size <= this._maxRequest && tlsf.resizeInPlace(ptr, size)) return ptr;
    const old = tlsf.usableSize(ptr);
    const moved = this.malloc(size);
    tlsf.mem.u8.copyWithin(moved, ptr, ptr + Math.min(old, size));
    tlsf.free(ptr);
    return moved;
  }

  usableSize(ptr: number): number {
    this.checkLive(ptr);
    return this._tlsf.usableSize(ptr);
  }

  footprint(): number {
    return this._tlsf.mem.byteLength;
  }

  freeBytes(): number {
    return freeChunkBytes(this._tlsf);
  }

  bytes(ptr: number, length: number): Uint8Array {
    return this._tlsf.mem.u8.subarray(ptr, ptr + length);
  }

  check(): void {
    checkStandaloneTlsf(this._tlsf);
  }

  private checkLive(ptr: number): void {
    checkPointerType(ptr);
    const kind = standalonePointer(this._tlsf, ptr);
    if (kind === 'freed') throw new DoubleFreeError(`tlsf: ${ptr} was already freed`, ptr);
    if (kind !== 'live') throw notABlock(NAME, ptr);
  }
}

/**
 * Creates the TLSF allocator alone over a buffer of its own (16-byte alignment).
 *
 * @param options - the buffer's initial and largest size
 */
/* @__NO_SIDE_EFFECTS__ */
export function createTlsf(options: StrategyOptions = {}): TlsfAllocator {
  return new TlsfAllocator(
    createStandaloneTlsf({ initialBytes: options.initialBytes ?? 1 << 20, maxBytes: options.maxBytes ?? 1 << 28 }, 16),
  );
}
