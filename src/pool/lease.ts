/**
 * Leases: a payload of heap memory lent to the program, with a count of its holders.
 *
 * ```
 *  Lease ──▶ LeaseState { heap, ptr, length, refs, view, site, ... } ◀── FinalizationRegistry
 *    ▲                                                                    (held value)
 *    └── the pool's free list of its class, while the lease is released (cached mode)
 * ```
 *
 * The registry holds the state, never the lease, so a lease the program drops can be collected;
 * if it still had holders then, the pool reports it (as `arenalloc/rc` reports a dropped `Ref`).
 * A released lease in the pool's free list is held by the pool and is never collected.
 *
 * @module
 */

import { DoubleFreeError, UseAfterFreeError } from '../errors';
import type { Heap } from '../heap';
import type { BufferPool } from './pool';

declare global {
  interface SymbolConstructor {
    /**
     * The well-known symbol of explicit resource management (`using`), declared as the
     * `esnext.disposable` lib declares it, so that {@link Lease}'s types compile for programs whose
     * libs predate it. Node 20 and current browsers define it at run time.
     */
    readonly dispose: unique symbol;
  }
}

/**
 * The type of {@link Lease.bytes}: Node's `Buffer` where the program's types declare it
 * (`@types/node`), else `Uint8Array`. At run time the bytes are a `Buffer` when the runtime has
 * one (unless the pool was made with `views: 'uint8array'`); a `Buffer` is a `Uint8Array`.
 */
export type LeaseBytes = typeof globalThis extends {
  /** Node's `Buffer` constructor, where the libs declare it. */
  Buffer: {
    /** `Buffer.alloc`, whose result type is the `Buffer` type. */
    alloc(size: number): infer B;
  };
}
  ? B
  : Uint8Array;

/**
 * What a {@link Lease} and the leak safety net share. One per lease object in cached mode (it
 * lives as long as the object does, across many leases), one per lease otherwise.
 * @internal
 */
export interface LeaseState {
  /** The heap (segment) the payload lives in. */
  heap: Heap;
  /** The payload's address in that heap. */
  ptr: number;
  /** Bytes of the block: the class size, or the request for a lease above the largest class. */
  capacity: number;
  /** Size class index, or -1 for a lease above the largest class. */
  cls: number;
  /** Whether the lease object and its block go back to the class's free list on release. */
  cached: boolean;
  /** The length of the current lease (the length of `view`). */
  length: number;
  /** Holders; 0 when released. */
  refs: number;
  /** The bytes of the current lease, reused while leases of the block keep the same length. */
  view: Uint8Array;
  /** Where the lease was taken (tracing or `traceLeases`), else undefined. */
  site: string | undefined;
  /** False once the pool has given the block back to the heap: the state is dead then. */
  live: boolean;
}

/**
 * Bytes of pool memory lent to the program, shared by one or more holders. Take one with
 * {@link BufferPool.lease}; hand it to another consumer with {@link Lease.retain}; each holder
 * calls {@link Lease.release} when done, and the last release gives the payload back to the pool.
 *
 * After the last release every use of the lease throws `ERR_USE_AFTER_FREE`, reading
 * {@link Lease.bytes} included, and a further release throws `ERR_DOUBLE_FREE`. In the default
 * (cached) mode the pool reuses the lease object for a later `lease()` of the same size class, so
 * a reference kept past the release sees the new lease; debug mode never reuses lease objects, so
 * every use after release throws there.
 *
 * @example
 * ```ts
 * const lease = pool.lease(1024);
 * lease.bytes.fill(1);
 * lease.retain();   // a second consumer
 * lease.release();  // the first is done
 * lease.release();  // the last: the payload goes back to the pool
 * ```
 */
export class Lease {
  /** The pool the lease came from. */
  readonly pool: BufferPool;
  /** @internal */
  readonly _s: LeaseState;

  /** @internal Use {@link BufferPool.lease}. */
  constructor(pool: BufferPool, state: LeaseState) {
    this.pool = pool;
    this._s = state;
  }

  /**
   * The leased bytes: a `Buffer` in Node (a `Uint8Array` elsewhere) of exactly the requested
   * length, over the pool's memory. Do not keep it past the last release: the pool lends the same
   * memory to a later lease.
   * @throws `UseAfterFreeError` when the lease has been released
   */
  get bytes(): LeaseBytes {
    const s = this._s;
    if (s.refs === 0) throw released(s);
    return s.view as LeaseBytes;
  }

  /** The length in bytes (readable after release too). */
  get length(): number {
    return this._s.length;
  }

  /** Holders of the lease: 1 when taken, +1 per {@link Lease.retain}, 0 once released. */
  get refs(): number {
    return this._s.refs;
  }

  /**
   * Adds a holder: for a second consumer of the same bytes (a write queued on a socket while the
   * handler goes on reading them). Each holder releases once.
   * @throws `UseAfterFreeError` when the lease has been released
   */
  retain(): this {
    const s = this._s;
    if (s.refs === 0) throw released(s);
    s.refs++;
    return this;
  }

  /**
   * Drops a holder; the last one gives the payload back to the pool.
   * @throws `DoubleFreeError` (`ERR_DOUBLE_FREE`) when the lease has no holder left
   * @throws `LeaseWrittenAfterReleaseError` in debug mode, when releasing evicts from the
   *   quarantine a payload that was written after its own release; this release then did nothing
   */
  release(): void {
    const s = this._s;
    if (s.refs === 0) throw new DoubleFreeError(`lease of ${s.length} bytes at ${s.ptr} released more often than it was retained`, s.ptr);
    if (s.refs === 1) this.pool._return(this);
    else s.refs--;
  }

  /** Releases once if the lease is still held, for `using`; does nothing on a released lease. */
  [Symbol.dispose](): void {
    if (this._s.refs > 0) this.release();
  }
}

function released(s: LeaseState): UseAfterFreeError {
  return new UseAfterFreeError(`lease of ${s.length} bytes at ${s.ptr} used after its last release`, s.ptr);
}
