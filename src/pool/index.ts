/**
 * arenalloc/pool: byte buffers for Node services. A {@link BufferPool} lends {@link Lease}s of heap
 * memory whose `bytes` are `Buffer`s; the blocks, their views and their states are reused per
 * size class, so a server that churns request bodies or frames allocates no heap block and no view
 * in steady state, only a short-lived handle per lease (which lets a stale reference throw).
 * Helpers release leases when Node's I/O is done with them, and read sockets into pool memory.
 *
 * For many small values kept a long time, {@link KeptBytes} keeps them by number, at no cost to the
 * garbage collector. For typed objects reused through free lists (game loops), see `arenalloc/rc`.
 *
 * @example
 * ```ts
 * import { BufferPool, writeLease } from 'arenalloc/pool';
 * const pool = new BufferPool();
 * const lease = pool.lease(1024);
 * lease.bytes.fill(0);
 * lease.release();
 * ```
 *
 * @module arenalloc/pool
 */

export { LeaseWrittenAfterReleaseError } from './errors';
export {
  type CorkableLike,
  type EndableLike,
  endWithLease,
  type PooledRead,
  readIntoPool,
  type WritableLike,
  writeLease,
  writeLeases,
} from './io';
export { KeptBytes, type KeptBytesOptions } from './kept';
export { Lease, type LeaseBytes } from './lease';
export type { BufferPoolOptions, LeakedLease, PoolClassStats, PoolStats } from './options';
export { BufferPool } from './pool';
