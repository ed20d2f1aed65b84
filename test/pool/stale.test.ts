// A reference to a lease kept past its last release must throw on every use, also after the pool
// has lent the same block (and view) to a later lease, and in the default (cached) mode: each
// lease() returns a handle of its own whose generation no longer matches once it is released.
import { describe, expect, it } from 'vitest';
import { ArenallocError } from '../../src/errors';
import { BufferPool, type Lease } from '../../src/pool/index';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ArenallocError) return e.code;
    throw e;
  }
  return 'no error';
}

function expectStale(stale: Lease): void {
  expect(codeOf(() => stale.bytes)).toBe('ERR_USE_AFTER_FREE');
  expect(codeOf(() => stale.retain())).toBe('ERR_USE_AFTER_FREE');
  expect(codeOf(() => stale.length)).toBe('ERR_USE_AFTER_FREE');
  expect(codeOf(() => stale.release())).toBe('ERR_DOUBLE_FREE');
  expect(stale.refs).toBe(0);
  stale[Symbol.dispose](); // does nothing on a released lease, as before
}

describe('a stale lease after its block is lent again (cached mode)', () => {
  it('throws on bytes, retain and release, and leaves the new lease alone', () => {
    const pool = new BufferPool();
    const first = pool.lease(65536);
    const view = first.bytes;
    first.release();
    const second = pool.lease(65536);
    expect(second.bytes === view).toBe(true); // same block, same cached view: the reuse is real
    expectStale(first);
    // The failed calls changed nothing: the new lease still has its one holder and its bytes.
    expect(second.refs).toBe(1);
    expect(second.bytes.length).toBe(65536);
    expect(pool.stats()).toMatchObject({ leases: 1, bytes: 65536 });
    second.release();
    expect(pool.stats()).toMatchObject({ leases: 0, bytes: 0 });
    pool.check();
  });

  it('a handle stays stale through many later leases of its block', () => {
    const pool = new BufferPool();
    const stale = pool.lease(100);
    stale.retain();
    stale.release();
    stale.release();
    for (let i = 0; i < 1000; i++) {
      const next = pool.lease(100 + (i % 3)); // same class, lengths that remake the view
      expect(next === stale).toBe(false);
      expect(next.refs).toBe(1);
      expectStale(stale);
      next.release();
    }
    pool.check();
  });

  it('retained copies of a handle are one lease: all go stale at the last release', () => {
    const pool = new BufferPool();
    const lease = pool.lease(4096);
    const alias = lease.retain();
    expect(alias === lease).toBe(true);
    lease.release();
    expect(alias.refs).toBe(1);
    alias.release();
    const next = pool.lease(4096);
    expectStale(lease);
    next.release();
    pool.check();
  });
});
