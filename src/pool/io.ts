/**
 * Helpers that hand leases to Node's I/O and give them back when the I/O is done with them.
 *
 * A lease's bytes must stay untouched until the kernel has taken them: a `socket.write` that
 * cannot finish at once keeps the `Buffer` queued in libuv. So a lease is released in the write's
 * completion callback (which Node calls with an error if the stream is destroyed first), or on
 * the stream's `'close'`, never when `write` returns.
 *
 * The helpers take the structural types below, not Node's classes, so that this module imports
 * nothing from Node and the pool's bundle stays platform-neutral.
 *
 * @module
 */

import { InvalidArgumentError } from '../errors';
import { Lease } from './lease';
import type { BufferPool } from './pool';

/** What {@link writeLease} needs of a stream: a `net.Socket`, an `http.ServerResponse`, any `Writable`. */
export interface WritableLike {
  /** Node's `Writable.write(chunk, callback)`: the callback runs once the chunk is written or failed. */
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
}

/** What {@link writeLeases} needs: a stream that can batch writes (`net.Socket`, `Writable`). */
export interface CorkableLike extends WritableLike {
  /** Buffers writes until {@link CorkableLike.uncork}. */
  cork(): void;
  /** Flushes the buffered writes, as one `writev` where the stream supports it. */
  uncork(): void;
}

/** What {@link endWithLease} needs: an `http.ServerResponse`, a `net.Socket`, any `Writable`. */
export interface EndableLike {
  /** Node's `Writable.end(chunk)`. */
  end(chunk: Uint8Array): unknown;
  /** Node's `EventEmitter.once`; `'close'` runs after the last write completed or the stream died. */
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Writes a lease's bytes to `stream` and releases the lease when the write completes (or fails),
 * then calls `callback` with the write's error, if any. Returns what `stream.write` returned
 * (false: wait for `'drain'` before writing more).
 *
 * @throws {@link arenalloc!InvalidArgumentError} when `lease` is not a lease, `UseAfterFreeError` when it
 *   was released; nothing is written
 * @example
 * ```js
 * const lease = pool.lease(frame.length);
 * frame.copy(lease.bytes);
 * writeLease(socket, lease);
 * ```
 */
export function writeLease(stream: WritableLike, lease: Lease, callback?: (error: Error | null) => void): boolean {
  const bytes = liveBytes(lease, 'lease');
  return stream.write(bytes, (error) => {
    lease.release();
    if (callback !== undefined) callback(error ?? null);
  });
}

/**
 * Writes several leases to `stream` as one batch (corked, so that a `net.Socket` sends them with
 * one `writev`) and releases each when the batch completes (or fails), then calls `callback`.
 * Use it for a header lease and a body lease, or a run of frames.
 *
 * @throws {@link arenalloc!InvalidArgumentError} when `leases` is not an array of live leases; nothing
 *   is written then
 */
export function writeLeases(stream: CorkableLike, leases: readonly Lease[], callback?: (error: Error | null) => void): boolean {
  if (!Array.isArray(leases)) throw new InvalidArgumentError('leases must be an array of leases');
  for (let i = 0; i < leases.length; i++) liveBytes(leases[i], `leases[${i}]`);
  if (leases.length === 0) {
    if (callback !== undefined) callback(null);
    return true;
  }
  const batch = leases.slice();
  let ok = true;
  stream.cork();
  try {
    for (let i = 0; i < batch.length - 1; i++) ok = stream.write((batch[i] as Lease).bytes, ignore) && ok;
    // Write callbacks run in order, and after a writev all at once: the last one means the batch is done.
    ok =
      stream.write((batch[batch.length - 1] as Lease).bytes, (error) => {
        for (const lease of batch) lease.release();
        if (callback !== undefined) callback(error ?? null);
      }) && ok;
  } finally {
    stream.uncork();
  }
  return ok;
}

/**
 * Ends `stream` (an `http.ServerResponse`, a socket) with a lease's bytes as the last chunk, and
 * releases the lease on the stream's `'close'`, which Node emits after the last write completed or
 * after the connection died.
 *
 * @throws {@link arenalloc!InvalidArgumentError} when `lease` is not a live lease; nothing is written
 * @example
 * ```js
 * http.createServer((req, res) => {
 *   const lease = pool.lease(answer.length);
 *   answer.copy(lease.bytes);
 *   endWithLease(res, lease);
 * });
 * ```
 */
export function endWithLease(stream: EndableLike, lease: Lease): void {
  const bytes = liveBytes(lease, 'lease');
  stream.once('close', () => lease.release());
  stream.end(bytes);
}

/**
 * The `onread` option of `net.connect` / `new net.Socket` that reads into one leased chunk of pool
 * memory: Node reads each chunk straight into it and calls `onData(bytes, length)` with the chunk's
 * bytes at `bytes[0..length)`, with no `Buffer` made per chunk. The bytes are overwritten by the
 * next read: copy what must outlive the call. Release it with {@link PooledRead.release} when the
 * socket has closed.
 */
export interface PooledRead {
  /** The leased chunk Node reads into (what `onread.buffer` wants). */
  readonly buffer: Uint8Array;
  /** What `onread.callback` wants; returns false to pause the socket, as `onData` does. */
  readonly callback: (length: number, bytes: Uint8Array) => boolean;
  /** The lease of the chunk. */
  readonly lease: Lease;
  /** Releases the chunk; call it once the socket is closed. */
  release(): void;
}

/**
 * Makes an `onread` option that reads a socket into a chunk of `chunkBytes` leased from `pool`.
 *
 * @param onData - called per read with the chunk and the number of bytes read into it; return
 *   `false` to pause the socket (as Node's `onread.callback` does), anything else to go on
 * @throws {@link arenalloc!InvalidSizeError} for a bad `chunkBytes` (as {@link BufferPool.lease})
 * @throws {@link arenalloc!InvalidArgumentError} when `onData` is not a function
 * @example
 * ```js
 * const read = readIntoPool(pool, 64 * 1024, (bytes, length) => { received += length; });
 * const socket = net.connect({ host: '127.0.0.1', port, onread: read });
 * socket.on('close', () => read.release());
 * ```
 */
export function readIntoPool(pool: BufferPool, chunkBytes: number, onData: (bytes: Uint8Array, length: number) => unknown): PooledRead {
  if (typeof onData !== 'function') throw new InvalidArgumentError('onData must be a function');
  if (typeof pool !== 'object' || pool === null || typeof pool.lease !== 'function')
    throw new InvalidArgumentError('pool must be a BufferPool');
  if (chunkBytes === 0) throw new InvalidArgumentError('chunkBytes must be at least 1: Node cannot read into an empty buffer');
  const lease = pool.lease(chunkBytes);
  const buffer = lease.bytes;
  return {
    buffer,
    callback: (length) => onData(buffer, length) !== false,
    lease,
    release: () => {
      if (lease.refs > 0) lease.release();
    },
  };
}

function liveBytes(lease: unknown, name: string): Uint8Array {
  // `_s` is checked too: an object made from Lease.prototype without the pool passes instanceof.
  if (!(lease instanceof Lease) || typeof lease._s !== 'object') throw new InvalidArgumentError(`${name} is not a Lease`);
  return lease.bytes; // throws UseAfterFreeError for a released lease
}

function ignore(): void {}
