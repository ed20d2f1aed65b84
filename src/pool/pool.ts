/**
 * `BufferPool`: leases of heap memory for Node services, with the blocks, their views and their
 * states cached per size class, so that a steady stream of requests allocates nothing in the heap
 * and, per lease, one short-lived `Lease` handle in the JS heap (`lease.ts` says why).
 *
 * Two modes:
 *
 * - **cached** (the default): a released block goes, with its `Buffer` view and its state, onto
 *   the free list of its size class ({@link classIndex}); `lease()` pops one and hands it out
 *   under a new `Lease` handle of the next generation (`lease.ts`). The view is remade only when
 *   the block is leased at another length than the last time. Above `maxIdleBytes` of idle
 *   blocks, a release gives its block back to the heap instead.
 * - **uncached**: every lease gets a new block, view and state, and a release frees the
 *   block. Used above the largest class, in debug mode (which poisons and quarantines released
 *   payloads, see `quarantine.ts`), and while the pool's heap is traced by `arenalloc/profile`,
 *   so that each lease is a traced allocation with its own site, tagged `Lease`.
 *
 * @module
 */

import { HeapCorruptedError, InvalidSizeError } from '../errors';
import { type Heap, MAX_REQUEST } from '../heap';
import { installInspect } from '../inspect/install';
import { tracerOf } from '../port';
import { classBytes, classIndex, MIN_CLASS_BYTES } from './classes';
import { Lease, LeaseAnchor, type LeaseState } from './lease';
import { type BufferPoolOptions, type LeakedLease, type PoolStats, validateOptions } from './options';
import { Quarantine } from './quarantine';
import { Segments } from './segments';

/** What `Buffer` offers that the pool uses to make views. */
interface BufferMaker {
  from(buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, length: number): Uint8Array;
}

/**
 * A pool of byte buffers over arenalloc heaps, for servers that move binary data (HTTP bodies,
 * WebSocket frames, protocol buffers): `lease(size)` lends `size` bytes, the last
 * `release()` gives them back, and the next lease of the same size class reuses them without
 * allocating. Helpers hand leases to Node's I/O (`writeLease`, `writeLeases`, `endWithLease`,
 * `readIntoPool`).
 *
 * Not thread-safe; one pool per thread.
 *
 * @example
 * ```ts
 * import { BufferPool } from 'arenalloc/pool';
 * const pool = new BufferPool();
 * const lease = pool.lease(64 * 1024);
 * lease.bytes.fill(0x2a);
 * lease.release();
 * ```
 */
export class BufferPool {
  /** Whether released payloads are poisoned and quarantined ({@link BufferPoolOptions.debug}). */
  readonly debug: boolean;
  /** Size of the largest class, in bytes. */
  readonly maxClassBytes: number;
  /** @internal */
  readonly _segments: Segments;
  /** @internal Released blocks of each class, ready for reuse (cached mode). */
  readonly _free: LeaseAnchor[][];
  /** @internal Leases live per class (index `classes.length` counts leases above the largest). */
  readonly _leasedPerClass: Float64Array;
  /** @internal */
  _leases: number;
  /** @internal Bytes of live leases (their lengths). */
  _bytes: number;
  /** @internal */
  _peakBytes: number;
  /** @internal Bytes of the blocks in the free lists. */
  _idleBytes: number;
  /** @internal */
  readonly _maxIdleBytes: number;
  /** @internal */
  readonly _maker: BufferMaker | null;
  /** @internal */
  readonly _options: BufferPoolOptions;
  /** @internal Debug mode or `traceLeases`: every lease is new. */
  readonly _uncached: boolean;
  /** @internal Debug mode's held-back payloads, or null. */
  readonly _quarantine: Quarantine | null;
  /** @internal */
  readonly _registry: FinalizationRegistry<LeaseState>;

  /**
   * @param options - see {@link BufferPoolOptions}
   * @throws {@link arenalloc!InvalidArgumentError} for an option of the wrong type or out of range
   */
  constructor(options: BufferPoolOptions = {}) {
    const o = validateOptions(options);
    installInspect(); // heap.check() of this heap's users runs the walk of arenalloc/inspect
    this.debug = o.debug;
    this.maxClassBytes = o.maxClassBytes;
    this._segments = new Segments(o.heap, o.segmentBytes, o.maxBytes);
    const classes = classIndex(o.maxClassBytes) + 1;
    this._free = Array.from({ length: classes }, () => []);
    this._leasedPerClass = new Float64Array(classes + 1);
    this._leases = 0;
    this._bytes = 0;
    this._peakBytes = 0;
    this._idleBytes = 0;
    this._maxIdleBytes = o.maxIdleBytes;
    const nodeBuffer = (globalThis as { Buffer?: BufferMaker }).Buffer;
    this._maker = o.views === 'buffer' && typeof nodeBuffer?.from === 'function' ? nodeBuffer : null;
    this._options = options;
    this._uncached = o.uncached;
    this._quarantine = o.debug ? new Quarantine(o.quarantineBytes) : null;
    this._registry = new FinalizationRegistry((state) => this._leaked(state));
  }

  /**
   * Lends `size` bytes. The bytes are not cleared: they hold what the last lease of the block
   * left (0xDD in debug mode); write before you read. Sizes above the largest class are served
   * from large blocks, uncached.
   *
   * Cost in cached mode, for a size class that has released blocks: a list pop, a few counters,
   * and one small `Lease` handle (no view, no block) when the block's last lease had the same
   * length.
   *
   * @param size - bytes, an integer from 0 to {@link arenalloc!MAX_REQUEST}; 0 gives empty bytes
   * @throws {@link arenalloc!InvalidSizeError} for any other size; nothing changes
   * @throws {@link arenalloc!OutOfMemoryError} when no segment has room and `maxBytes` forbids a new one
   */
  lease(size: number): Lease {
    if (typeof size !== 'number' || size >>> 0 !== size || size > MAX_REQUEST) throw invalidSize(size);
    if (size > this.maxClassBytes || this._uncached || tracerOf(this._segments.primary) !== null) {
      return this._leaseUncached(size);
    }
    const cls = classIndex(size);
    let anchor = (this._free[cls] as LeaseAnchor[]).pop();
    if (anchor === undefined) anchor = this._newCached(cls);
    else this._idleBytes -= anchor._s.capacity;
    const s = anchor._s;
    if (s.length !== size) {
      s.view = this._view(s.heap, s.ptr, size);
      s.length = size;
    }
    s.refs = 1;
    this._count(cls, size);
    return new Lease(anchor, s.gen);
  }

  /**
   * Gives every idle block in the free lists back to its heap and drops the segments left empty
   * (but the first), so that their memory can return to the system once collected.
   * @returns the bytes of the blocks given back
   */
  trim(): number {
    let bytes = 0;
    for (const list of this._free) {
      for (let anchor = list.pop(); anchor !== undefined; anchor = list.pop()) {
        bytes += anchor._s.capacity;
        this._discard(anchor._s);
      }
    }
    this._idleBytes = 0;
    this._quarantine?.drain(this);
    return bytes;
  }

  /** The pool's figures: live leases and their bytes, per class its live and idle leases, segments. */
  stats(): PoolStats {
    const classes = this._free.map((list, i) => ({ size: classBytes(i), leases: this._leasedPerClass[i] as number, free: list.length }));
    return {
      leases: this._leases,
      bytes: this._bytes,
      peakBytes: this._peakBytes,
      idleBytes: this._idleBytes,
      largeLeases: this._leasedPerClass[this._free.length] as number,
      quarantined: this._quarantine?.count ?? 0,
      segments: this._segments.list.length,
      segmentBytes: this._segments.bytes,
      segmentsDropped: this._segments.dropped,
      classes,
    };
  }

  /**
   * The heaps the pool takes its memory from (the kept segment first). For inspection, pictures
   * and `heap.check()`; allocating in them directly is allowed but counts against the pool's room.
   */
  get heaps(): readonly Heap[] {
    return this._segments.list.map((s) => s.heap);
  }

  /**
   * Checks the pool: every segment's heap (`Heap.check`), the free lists against the counters,
   * and in debug mode that every quarantined payload still holds its poison.
   * @throws {@link arenalloc!HeapCorruptedError} for broken structures
   * @throws `LeaseWrittenAfterReleaseError` for a released payload written after release
   */
  check(): void {
    this._segments.check();
    this._quarantine?.verifyAll();
    let idle = 0;
    for (const list of this._free) for (const anchor of list) idle += anchor._s.refs === 0 ? anchor._s.capacity : Number.NaN;
    let leases = 0;
    for (const n of this._leasedPerClass) leases += n;
    if (idle !== this._idleBytes || leases !== this._leases) {
      throw new HeapCorruptedError(
        `pool counters disagree: ${this._idleBytes} idle bytes counted, ${idle} found; ${this._leases} leases, ${leases} per class`,
      );
    }
  }

  /** @internal Cached mode: a block, its view, state and anchor for class `cls`, released. */
  _newCached(cls: number): LeaseAnchor {
    const capacity = classBytes(cls);
    const ptr = this._segments.allocate(capacity);
    const heap = this._segments.last.heap;
    const state: LeaseState = {
      pool: this,
      heap,
      ptr,
      capacity,
      cls,
      cached: true,
      length: capacity,
      refs: 0,
      gen: 0,
      view: this._view(heap, ptr, capacity),
      site: undefined,
      live: true,
    };
    const anchor = new LeaseAnchor(state);
    this._registry.register(anchor, state, state);
    return anchor;
  }

  /** @internal Uncached mode: a fresh block, view, state and lease. */
  _leaseUncached(size: number): Lease {
    const cls = size > this.maxClassBytes ? -1 : classIndex(size);
    const capacity = cls < 0 ? Math.max(size, MIN_CLASS_BYTES) : classBytes(cls);
    const ptr = this._segments.allocate(capacity);
    const heap = this._segments.last.heap;
    const tracer = tracerOf(heap);
    let site: string | undefined;
    if (tracer !== null) {
      tracer.tagType(ptr, 'Lease');
      site = tracer.tracebackOf(ptr);
    } else if (this._options.traceLeases === true) {
      site = new Error('lease taken here').stack;
    }
    const state: LeaseState = {
      pool: this,
      heap,
      ptr,
      capacity,
      cls,
      cached: false,
      length: size,
      refs: 1,
      gen: 0,
      view: this._view(heap, ptr, size),
      site,
      live: true,
    };
    const anchor = new LeaseAnchor(state);
    this._registry.register(anchor, state, state);
    this._count(cls < 0 ? this._free.length : cls, size);
    return new Lease(anchor, 0);
  }

  /**
   * @internal The last holder released the lease of `anchor`'s block (`refs` is still 1 here).
   * Takes the anchor, not the `Lease`, so that the handle does not escape `release()`.
   */
  _return(anchor: LeaseAnchor): void {
    const s = anchor._s;
    // Debug mode checks the payload it evicts before this release changes anything, so that a
    // release that throws has done nothing.
    if (this._quarantine !== null) this._quarantine.makeRoom(this, s.capacity);
    s.refs = 0;
    s.gen = (s.gen + 1) | 0; // every handle of the lease just released is stale from now on
    this._leases--;
    this._bytes -= s.length;
    this._leasedPerClass[s.cls < 0 ? this._free.length : s.cls]--;
    if (!s.cached) {
      this._registry.unregister(s);
      if (this._quarantine !== null) this._quarantine.hold(s);
      else this._discard(s);
    } else if (this._idleBytes + s.capacity <= this._maxIdleBytes) {
      this._idleBytes += s.capacity;
      (this._free[s.cls] as LeaseAnchor[]).push(anchor);
    } else {
      this._discard(s);
    }
  }

  /** @internal Gives a state's block back to its heap; the state is dead after. */
  _discard(s: LeaseState): void {
    s.live = false;
    if (s.cached) this._registry.unregister(s);
    this._segments.free(s.heap, s.ptr);
  }

  /** @internal The safety net: a block's anchor (so every lease of it) was collected while it still had holders. */
  _leaked(s: LeaseState): void {
    if (!s.live || s.refs === 0) return;
    const refs = s.refs;
    const released = this._options.releaseLeaked === true;
    if (released) {
      s.refs = 0;
      this._leases--;
      this._bytes -= s.length;
      this._leasedPerClass[s.cls < 0 ? this._free.length : s.cls]--;
      this._discard(s);
    }
    const report: LeakedLease = { ptr: s.ptr, length: s.length, refs, site: s.site, released };
    const onLeak = this._options.onLeak;
    if (onLeak !== undefined) onLeak(report);
    else console.warn(`arenalloc/pool: a lease of ${s.length} bytes was dropped with ${refs} holder(s) left`, report);
  }

  /** @internal */
  _count(slot: number, size: number): void {
    this._leases++;
    this._leasedPerClass[slot]++;
    const bytes = this._bytes + size;
    this._bytes = bytes;
    if (bytes > this._peakBytes) this._peakBytes = bytes;
  }

  /** @internal A view of `length` bytes at `ptr`: a `Buffer` where there is one, else a `Uint8Array`. */
  _view(heap: Heap, ptr: number, length: number): Uint8Array {
    const buffer = heap.buffer;
    return this._maker !== null ? this._maker.from(buffer, ptr, length) : new Uint8Array(buffer, ptr, length);
  }
}

// Kept out of `lease`: a template literal counts against V8's budget for inlining the function.
function invalidSize(size: unknown): InvalidSizeError {
  const shown = typeof size === 'bigint' ? `${size}n` : typeof size === 'string' ? JSON.stringify(size) : String(size);
  return new InvalidSizeError(`lease size must be an integer from 0 to ${MAX_REQUEST}, got ${shown}`);
}
