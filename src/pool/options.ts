/**
 * The options of a `BufferPool`, its figures, and its leak report.
 *
 * @module
 */

import { InvalidArgumentError } from '../errors';
import type { Heap } from '../heap';
import { isHeap } from '../port';
import { DEFAULT_MAX_CLASS_BYTES, MAX_CLASS_BYTES_LIMIT, MIN_CLASS_BYTES } from './classes';

/** A lease dropped while it still had holders, passed to {@link BufferPoolOptions.onLeak}. */
export interface LeakedLease {
  /** The payload's address in its heap. */
  ptr: number;
  /** The lease's length in bytes. */
  length: number;
  /** Holders it still had when its last handle was garbage-collected. */
  refs: number;
  /**
   * Where the lease was taken: its allocation site when the pool's heap is traced
   * (`arenalloc/profile`), the stack when {@link BufferPoolOptions.traceLeases} is on, else
   * undefined.
   */
  site: string | undefined;
  /** Whether the payload was given back to the pool ({@link BufferPoolOptions.releaseLeaked}). */
  released: boolean;
}

/** Options of a `BufferPool`. */
export interface BufferPoolOptions {
  /**
   * A heap to take every payload from, instead of the pool's own segments. Use it to trace the
   * pool with `arenalloc/profile` (`start(heap)`: each lease is then a traced allocation with its
   * own site, and leak reports list leases) or to share one heap with other code. MUST NOT live
   * in a `'wasm'` store, whose growth would detach the bytes of live leases. Prefer a `'fixed'` or
   * `'resizable'` store: copies into a `'shared'` one (the `createHeap` default) are several
   * times slower.
   * @defaultValue the pool's own segments: fixed-size plain `ArrayBuffer` heaps
   */
  heap?: Heap;
  /**
   * Size of each of the pool's own segments, in bytes. MUST be a multiple of 65536, from 65536 to
   * 1 GiB. A lease too large for a segment gets a segment of its own, dropped on its release.
   * @defaultValue `4194304` (4 MiB)
   */
  segmentBytes?: number;
  /**
   * The most the pool's segments may hold together, in bytes; a lease that would need more throws
   * `OutOfMemoryError`. At least `segmentBytes`, at most 2^53 − 1.
   * @defaultValue `1073741824` (1 GiB)
   */
  maxBytes?: number;
  /**
   * The largest size class, in bytes. MUST be a power of two from 16 to 16 MiB. Leases up to it
   * are cached (their blocks and views reused); larger ones are allocated and
   * freed each time.
   * @defaultValue `262144` (256 KiB)
   */
  maxClassBytes?: number;
  /**
   * Bytes of released blocks the free lists may hold, all classes together; above it a release
   * gives its block back to the heap, so that a burst does not keep its peak forever. A
   * non-negative integer.
   * @defaultValue `16777216` (16 MiB)
   */
  maxIdleBytes?: number;
  /**
   * Debug mode: every lease gets a new block (nothing is cached, so that each released payload
   * can be held back), released payloads are filled with 0xDD and held in a quarantine, and a
   * payload that leaves it (or that `check()` looks at) no longer all 0xDD throws
   * `LeaseWrittenAfterReleaseError`: a write through the bytes of a released lease. Slower.
   * @defaultValue `false`
   */
  debug?: boolean;
  /**
   * Bytes of released payloads debug mode holds back before reusing their memory. A
   * non-negative integer.
   * @defaultValue `1048576` (1 MiB)
   */
  quarantineBytes?: number;
  /**
   * The kind of {@link Lease.bytes}: `'buffer'` for Node `Buffer`s where the runtime has
   * `Buffer`, `'uint8array'` for plain `Uint8Array`s.
   * @defaultValue `'buffer'` (a `Uint8Array` where there is no `Buffer`)
   */
  views?: 'buffer' | 'uint8array';
  /**
   * Called when a lease is garbage-collected (every handle of its block) while it still has holders.
   * @defaultValue a `console.warn` of the report
   */
  onLeak?: (report: LeakedLease) => void;
  /**
   * Whether the safety net gives a leaked lease's payload back to the pool (after reporting it).
   * Off by default: bytes of a dropped lease may still be queued on a socket.
   * @defaultValue `false`
   */
  releaseLeaked?: boolean;
  /**
   * Record the stack where each lease is taken, for leak reports and debug errors, when the heap
   * is not traced. Costs a stack capture per lease and makes every lease uncached.
   * @defaultValue `false`
   */
  traceLeases?: boolean;
}

/** Figures of one size class, in {@link PoolStats}. */
export interface PoolClassStats {
  /** Block size of the class in bytes (it serves leases up to this size). */
  size: number;
  /** Live leases of the class. */
  leases: number;
  /** Released leases held ready for reuse. */
  free: number;
}

/** A snapshot of a pool's figures, from `BufferPool.stats()`. */
export interface PoolStats {
  /** Live leases. */
  leases: number;
  /** Bytes of live leases (their lengths). */
  bytes: number;
  /** Largest `bytes` seen since the pool was made. */
  peakBytes: number;
  /** Bytes of the released blocks held for reuse. */
  idleBytes: number;
  /** Live leases above the largest class. */
  largeLeases: number;
  /** Released payloads in debug mode's quarantine. */
  quarantined: number;
  /** Heaps the pool holds now. */
  segments: number;
  /** Bytes of the pool's own segments (0 for a pool over a given heap). */
  segmentBytes: number;
  /** Segments dropped because all their blocks were free. */
  segmentsDropped: number;
  /** Per size class, smallest first. */
  classes: PoolClassStats[];
}

/** The options with their defaults, validated. @internal */
export interface ResolvedOptions {
  heap: Heap | null;
  segmentBytes: number;
  maxBytes: number;
  maxClassBytes: number;
  maxIdleBytes: number;
  debug: boolean;
  /** Debug mode or `traceLeases`: every lease is new. */
  uncached: boolean;
  quarantineBytes: number;
  views: 'buffer' | 'uint8array';
}

/** Checks every option before the pool changes anything. @internal */
export function validateOptions(options: BufferPoolOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  const heap = options.heap ?? null;
  if (heap !== null) {
    if (!isHeap(heap)) {
      throw new InvalidArgumentError('heap must be a Heap made by createHeap or Heap.attach');
    }
    if (heap.store === 'wasm')
      throw new InvalidArgumentError("heap must not be a 'wasm' store: its growth would detach the bytes of live leases");
  }
  const segmentBytes = options.segmentBytes ?? 4 << 20;
  if (!isInteger(segmentBytes) || segmentBytes < 65536 || segmentBytes > 1 << 30 || segmentBytes % 65536 !== 0) {
    throw new InvalidArgumentError(`segmentBytes must be a multiple of 65536 from 65536 to 1 GiB, got ${String(segmentBytes)}`);
  }
  const maxBytes = options.maxBytes ?? 1 << 30;
  if (!isInteger(maxBytes) || maxBytes < segmentBytes) {
    throw new InvalidArgumentError(`maxBytes must be an integer of at least segmentBytes (${segmentBytes}), got ${String(maxBytes)}`);
  }
  const maxClassBytes = options.maxClassBytes ?? DEFAULT_MAX_CLASS_BYTES;
  if (
    !isInteger(maxClassBytes) ||
    maxClassBytes < MIN_CLASS_BYTES ||
    maxClassBytes > MAX_CLASS_BYTES_LIMIT ||
    (maxClassBytes & (maxClassBytes - 1)) !== 0
  ) {
    throw new InvalidArgumentError(`maxClassBytes must be a power of two from 16 to 16 MiB, got ${String(maxClassBytes)}`);
  }
  const maxIdleBytes = options.maxIdleBytes ?? 16 << 20;
  if (!isInteger(maxIdleBytes)) throw new InvalidArgumentError(`maxIdleBytes must be a non-negative integer, got ${String(maxIdleBytes)}`);
  const quarantineBytes = options.quarantineBytes ?? 1 << 20;
  if (!isInteger(quarantineBytes))
    throw new InvalidArgumentError(`quarantineBytes must be a non-negative integer, got ${String(quarantineBytes)}`);
  const views = options.views ?? 'buffer';
  if (views !== 'buffer' && views !== 'uint8array')
    throw new InvalidArgumentError(`views must be 'buffer' or 'uint8array', got ${String(views)}`);
  for (const name of ['debug', 'releaseLeaked', 'traceLeases'] as const) {
    const v = options[name];
    if (v !== undefined && typeof v !== 'boolean') throw new InvalidArgumentError(`${name} must be a boolean, got ${String(v)}`);
  }
  if (options.onLeak !== undefined && typeof options.onLeak !== 'function') throw new InvalidArgumentError('onLeak must be a function');
  const debug = options.debug === true;
  const uncached = debug || options.traceLeases === true;
  return { heap, segmentBytes, maxBytes, maxClassBytes, maxIdleBytes, debug, uncached, quarantineBytes, views };
}

function isInteger(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
