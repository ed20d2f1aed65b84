/**
 * Debug mode's quarantine: released payloads, filled with 0xDD, held back from reuse so that a
 * write through the bytes of a released lease lands in poison rather than in another lease, and
 * is found when the payload leaves the quarantine (or when the pool's `check()` runs).
 *
 * ```
 *   release ──▶ fill 0xDD ──▶ [ oldest ... newest ] ──▶ verify 0xDD ──▶ free to the heap
 *                              held while their bytes add up to at most quarantineBytes
 * ```
 *
 * A found write is reported once: the payload is freed and the error thrown, before the release
 * that made room has changed anything.
 *
 * @module
 */

import { firstUnpoisoned, LeaseWrittenAfterReleaseError, RELEASED_FILL } from './errors';
import type { LeaseState } from './lease';
import type { BufferPool } from './pool';

/** The held-back payloads of a pool in debug mode, oldest first. @internal */
export class Quarantine {
  /** The payloads, oldest first, from index `head` on. */
  readonly held: LeaseState[];
  /** Index of the oldest payload in `held`. */
  head: number;
  /** Bytes of the payloads held. */
  bytes: number;
  /** The most bytes held at once. */
  readonly limit: number;

  constructor(limit: number) {
    this.held = [];
    this.head = 0;
    this.bytes = 0;
    this.limit = limit;
  }

  /** Payloads held. */
  get count(): number {
    return this.held.length - this.head;
  }

  /**
   * Evicts, oldest first, until a payload of `capacity` bytes fits within the limit, verifying
   * each evicted payload's poison.
   * @throws {@link LeaseWrittenAfterReleaseError} for an evicted payload that was written
   */
  makeRoom(pool: BufferPool, capacity: number): void {
    while (this.count > 0 && this.bytes + capacity > this.limit) this.evict(pool);
  }

  /** Poisons a released payload and holds it. */
  hold(s: LeaseState): void {
    const u8 = new Uint8Array(s.heap.buffer, s.ptr, s.capacity);
    u8.fill(RELEASED_FILL);
    this.held.push(s);
    this.bytes += s.capacity;
  }

  /** Evicts everything (the pool's `trim`), verifying each payload. */
  drain(pool: BufferPool): void {
    while (this.count > 0) this.evict(pool);
  }

  /** Verifies every payload held, without evicting any. */
  verifyAll(): void {
    for (let i = this.head; i < this.held.length; i++) verify(this.held[i] as LeaseState);
  }

  /** Frees the oldest payload, then throws if it had been written. */
  evict(pool: BufferPool): void {
    const s = this.held[this.head] as LeaseState;
    this.head++;
    this.bytes -= s.capacity;
    if (this.head > 64 && this.head * 2 > this.held.length) {
      this.held.splice(0, this.head);
      this.head = 0;
    }
    const error = damage(s);
    pool._discard(s);
    if (error !== null) throw error;
  }
}

function verify(s: LeaseState): void {
  const error = damage(s);
  if (error !== null) throw error;
}

function damage(s: LeaseState): LeaseWrittenAfterReleaseError | null {
  const offset = firstUnpoisoned(new Uint8Array(s.heap.buffer), s.ptr, s.capacity);
  return offset < 0 ? null : new LeaseWrittenAfterReleaseError(s.ptr, offset, s.length, s.site);
}
