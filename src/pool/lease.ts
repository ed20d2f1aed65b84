/**
 * Leases: a payload of heap memory lent to the program, with a count of its holders.
 *
 * ```
 *  Lease (one per lease() call) ──▶ LeaseState { pool, heap, ptr, length, refs, gen, view, ... }
 *    │  _g: the generation it was lent at       ▲ held value
 *    └──▶ LeaseAnchor (one per block) ──────────┘ ◀── FinalizationRegistry (target)
 *           ▲
 *           └── the pool's free list of its class, while the block is released (cached mode)
 * ```
 *
 * The block, its `Buffer` view, its state and its anchor are made once and reused by every lease
 * of the block; each `lease()` makes only the `Lease` handle, a three-field object. The state's
 * `gen` is bumped at the last release, so a handle kept past it no longer matches its block, and
 * every use throws, even once the block is lent again: the stale handle and the new lease are
 * different objects. One comparison of two small integers guards every access.
 *
 * The handle costs a young-generation allocation; V8 removes it where the lease does not escape
 * (a `lease(...).release()` in one optimised function), and elsewhere it dies young and costs a
 * scavenge that finds nothing alive to copy (bench/pool.bench.mjs measures both).
 *
 * The registry watches the anchor, never the state, so that a block whose handles the program
 * dropped can be collected; if it still had holders then, the pool reports it (as `arenalloc/rc`
 * reports a dropped `Ref`). A released block's anchor is held by the pool and never collected. A
 * stale handle kept by the program keeps its block's anchor alive, and so delays the report of a
 * later lease of that block dropped without release until the stale handle goes too.
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
 * What the leases of one block and the leak safety net share. One per block in cached mode (it
 * lives as long as the block does, across many leases), one per lease otherwise.
 * @internal
 */
export interface LeaseState {
  /** The pool of the block. */
  pool: BufferPool;
  /** The heap (segment) the payload lives in. */
  heap: Heap;
  /** The payload's address in that heap. */
  ptr: number;
  /** Bytes of the block: the class size, or the request for a lease above the largest class. */
  capacity: number;
  /** Size class index, or -1 for a lease above the largest class. */
  cls: number;
  /** Whether the block, its view and state go back to the class's free list on release. */
  cached: boolean;
  /** The length of the current lease (the length of `view`). */
  length: number;
  /** Holders; 0 when released. */
  refs: number;
  /**
   * Generation of the current lease of the block: a {@link Lease} is live while its `_g` equals
   * it. Bumped (modulo 2^32) at each last release.
   */
  gen: number;
  /** The bytes of the current lease, reused while leases of the block keep the same length. */
  view: Uint8Array;
  /** Where the lease was taken (tracing or `traceLeases`), else undefined. */
  site: string | undefined;
  /** False once the pool has given the block back to the heap: the state is dead then. */
  live: boolean;
}

/**
 * What the leak safety net watches: one per block, referenced by every lease of the block and,
 * while the block is released, by the pool's free list. @internal
 */
export class LeaseAnchor {
  /** The block's state. */
  readonly _s: LeaseState;
  constructor(state: LeaseState) {
    this._s = state;
  }
}

/**
 * Bytes of pool memory lent to the program, shared by one or more holders. Take one with
 * {@link BufferPool.lease}; hand it to another consumer with {@link Lease.retain}; each holder
 * calls {@link Lease.release} when done, and the last release gives the payload back to the pool.
 *
 * After the last release every use of the lease throws `ERR_USE_AFTER_FREE`, reading
 * {@link Lease.bytes} or {@link Lease.length} included (only {@link Lease.refs} answers: 0), and a further release throws `ERR_DOUBLE_FREE`: also once the
 * pool has lent the same memory to a later lease, which gets a `Lease` object of its own. What the
 * pool cannot revoke is a reference to the `bytes` themselves kept past the release: it sees the
 * next lease's data. Debug mode poisons released payloads and holds them back, and so catches a
 * write through such a reference.
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
  /** @internal The block's state, shared with the block's other (earlier, stale) leases. */
  readonly _s: LeaseState;
  /** @internal Keeps the block's anchor alive while the program holds this lease. */
  readonly _k: LeaseAnchor;
  /** @internal The generation of the block this lease was lent at. */
  readonly _g: number;

  /** @internal Use {@link BufferPool.lease}. */
  constructor(anchor: LeaseAnchor, gen: number) {
    this._s = anchor._s;
    this._k = anchor;
    this._g = gen;
  }

  /** The pool the lease came from. */
  get pool(): BufferPool {
    return this._s.pool;
  }

  /**
   * The leased bytes: a `Buffer` in Node (a `Uint8Array` elsewhere) of exactly the requested
   * length, over the pool's memory. Do not keep it past the last release: the pool lends the same
   * memory to a later lease.
   * @throws `UseAfterFreeError` when the lease has been released
   */
  get bytes(): LeaseBytes {
    const s = this._s;
    if (this._g !== s.gen) throw released(s);
    return s.view as LeaseBytes;
  }

  /**
   * The length in bytes (of {@link Lease.bytes}).
   * @throws `UseAfterFreeError` when the lease has been released
   */
  get length(): number {
    const s = this._s;
    if (this._g !== s.gen) throw released(s);
    return s.length;
  }

  /** Holders of the lease: 1 when taken, +1 per {@link Lease.retain}, 0 once released. */
  get refs(): number {
    const s = this._s;
    return this._g === s.gen ? s.refs : 0;
  }

  /**
   * Adds a holder: for a second consumer of the same bytes (a write queued on a socket while the
   * handler goes on reading them). Each holder releases once.
   * @throws `UseAfterFreeError` when the lease has been released
   */
  retain(): this {
    const s = this._s;
    if (this._g !== s.gen) throw released(s);
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
    if (this._g !== s.gen) throw releasedTwice(s);
    if (s.refs === 1) s.pool._return(this._k);
    else s.refs--;
  }

  /** Releases once if the lease is still held, for `using`; does nothing on a released lease. */
  [Symbol.dispose](): void {
    if (this._g === this._s.gen) this.release();
  }
}

function releasedTwice(s: LeaseState): DoubleFreeError {
  return new DoubleFreeError(`lease at ${s.ptr} released more often than it was retained`, s.ptr);
}

function released(s: LeaseState): UseAfterFreeError {
  return new UseAfterFreeError(`lease at ${s.ptr} used after its last release`, s.ptr);
}
