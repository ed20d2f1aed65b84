/**
 * Segments: the heaps a buffer pool takes its payloads from.
 *
 * A pool made without a `heap` option keeps its memory in segments: heaps of their own over
 * plain, fixed-size `ArrayBuffer`s. Plain buffers because Node's `Buffer.copy` and
 * `Uint8Array.set` into them run at memcpy speed, where V8 copies into a `SharedArrayBuffer` (the
 * default store of `createHeap`) about four times more slowly (`bench/pool.bench.mjs`, and
 * `docs/guides/buffer-pool.md`); fixed-size because a resizable `ArrayBuffer` can only give back
 * the memory above its last live block, while a whole segment whose blocks are all free is
 * dropped, and its buffer, once collected, returns its memory to the system.
 *
 * ```
 *  segments[0] (kept)     segments[1]          segments[2] (one oversized lease)
 *  ┌────────────────┐     ┌────────────────┐   ┌──────────────────────────────┐
 *  │ heap, N blocks │     │ heap, 0 blocks │──▶ dropped on its last free
 *  └────────────────┘     └────────────────┘   └──────────────────────────────┘
 * ```
 *
 * The first segment is kept even when empty, so that a pool that idles does not make and drop a
 * buffer on every request. A pool made with a `heap` option has that heap as its one segment.
 *
 * @module
 */

import { OutOfMemoryError } from '../errors';
import { createHeap, type Heap } from '../heap';
import { MAX_STORE_BYTES } from '../memory/store';

/**
 * Bytes a segment made for one large block adds for the heap's own header and structures (about
 * 16 KiB), rounded to the 64 KiB of a store's growth step.
 */
const SEGMENT_OVERHEAD = 64 * 1024;

/**
 * A large block's share of extra room in a segment made for it: TLSF serves a request from a free
 * chunk of the next size class up, up to 1/32 larger (measured: a 4 MiB fixed heap serves at most
 * 4 MiB − 65,552 bytes), so a sixteenth is enough.
 */
const LARGE_SLACK_SHIFT = 4;

/** One heap of a pool. @internal */
export interface Segment {
  /** The heap. */
  readonly heap: Heap;
  /** Blocks allocated from it (leased or idle in the pool's free lists). */
  blocks: number;
  /** Whether the pool made it (and may drop it when empty), rather than the user. */
  readonly owned: boolean;
}

/** The segments of one pool, and how blocks are taken from and given back to them. @internal */
export class Segments {
  /** Every segment, the kept one first. */
  readonly list: Segment[];
  /** Bytes of all segments' buffers. */
  bytes: number;
  /** Segments dropped since the pool was made. */
  dropped: number;
  /** The segment the last successful {@link Segments.allocate} took its block from. */
  last: Segment;
  /** Size of a new segment's buffer. */
  readonly segmentBytes: number;
  /** The most all segments together may hold. */
  readonly maxBytes: number;

  constructor(heap: Heap | null, segmentBytes: number, maxBytes: number) {
    this.segmentBytes = segmentBytes;
    this.maxBytes = maxBytes;
    this.dropped = 0;
    const first: Segment =
      heap === null
        ? { heap: createHeap({ store: 'fixed', initialBytes: segmentBytes }), blocks: 0, owned: true }
        : { heap, blocks: 0, owned: false };
    this.list = [first];
    this.bytes = heap === null ? segmentBytes : 0;
    this.last = first;
  }

  /** The heap of the kept segment (the user's heap when the pool was given one). */
  get primary(): Heap {
    return (this.list[0] as Segment).heap;
  }

  /**
   * Allocates `bytes` from the segment that served the last request, any other, or a new one;
   * sets {@link Segments.last} to it.
   * @throws {@link arenalloc!OutOfMemoryError} when no segment has room and no new one may be made;
   *   nothing changes then
   */
  allocate(bytes: number): number {
    let segment = this.last;
    let ptr = segment.heap.tryMalloc(bytes);
    if (ptr === 0) {
      const list = this.list;
      for (let i = 0; i < list.length && ptr === 0; i++) {
        segment = list[i] as Segment;
        if (segment !== this.last) ptr = segment.heap.tryMalloc(bytes);
      }
      if (ptr === 0) {
        segment = this._grow(bytes);
        ptr = segment.heap.tryMalloc(bytes);
        if (ptr === 0) throw new OutOfMemoryError(`the buffer pool cannot allocate ${bytes} bytes`, bytes);
        list.push(segment);
        this.bytes += segment.heap.buffer.byteLength;
      }
    }
    segment.blocks++;
    this.last = segment;
    return ptr;
  }

  /** Frees `ptr` in `heap`; drops the segment if that was its last block and the pool made it. */
  free(heap: Heap, ptr: number): void {
    heap.free(ptr);
    const list = this.list;
    const segment = (this.last.heap === heap ? this.last : list.find((s) => s.heap === heap)) as Segment;
    segment.blocks--;
    if (segment.blocks === 0 && segment !== list[0] && segment.owned) {
      list.splice(list.indexOf(segment), 1);
      this.bytes -= heap.buffer.byteLength;
      this.dropped++;
      if (this.last === segment) this.last = list[0] as Segment;
    }
  }

  /** Checks every segment's heap (`Heap.check`). */
  check(): void {
    for (const s of this.list) s.heap.check();
  }

  /** A new segment big enough for a block of `bytes`; not yet in the list. */
  _grow(bytes: number): Segment {
    if (!this.list[0]?.owned) {
      throw new OutOfMemoryError(`the pool's heap cannot allocate ${bytes} bytes`, bytes);
    }
    const size = Math.max(
      this.segmentBytes,
      roundUp(bytes + Math.floor(bytes / (1 << LARGE_SLACK_SHIFT)) + SEGMENT_OVERHEAD, SEGMENT_OVERHEAD),
    );
    if (size > MAX_STORE_BYTES) throw new OutOfMemoryError(`no heap can hold a block of ${bytes} bytes`, bytes);
    if (this.bytes + size > this.maxBytes) {
      throw new OutOfMemoryError(
        `the buffer pool holds ${this.bytes} bytes; a segment of ${size} more for ${bytes} bytes would pass its maxBytes (${this.maxBytes})`,
        bytes,
      );
    }
    return { heap: createHeap({ store: 'fixed', initialBytes: size }), blocks: 0, owned: true };
  }
}

function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}
