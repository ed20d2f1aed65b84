// @browser-skip: checks that leases are Node Buffers and names source files in traced sites
// Example tests of the buffer pool: exact figures after each step, reuse of blocks, views and
// lease objects, segments made and dropped, debug mode's poison, tracing's sites, and bad input
// (typed errors that leave the pool as it was).
import { describe, expect, it } from 'vitest';
import { ArenallocError } from '../../src/errors';
import { createHeap } from '../../src/heap';
import {
  BufferPool,
  endWithLease,
  type Lease,
  Lease as LeaseClass,
  LeaseWrittenAfterReleaseError,
  readIntoPool,
  writeLease,
  writeLeases,
} from '../../src/pool/index';
import { markLeaks, start, stop, takeSnapshot } from '../../src/profile/index';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ArenallocError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('BufferPool', () => {
  it('lends Buffers of exactly the size asked, and reuses block and view under a new lease', () => {
    const pool = new BufferPool();
    const a = pool.lease(65536);
    expect(Buffer.isBuffer(a.bytes)).toBe(true);
    expect(a.bytes.length).toBe(65536);
    expect(a.bytes.buffer).toBe(pool.heaps[0]?.buffer);
    const view = a.bytes;
    a.release();
    expect(pool.stats()).toMatchObject({ leases: 0, bytes: 0, peakBytes: 65536, idleBytes: 65536 });
    const b = pool.lease(65536);
    expect(b === a).toBe(false); // a handle of its own: `a` is stale, `b` is live
    expect(codeOf(() => a.bytes)).toBe('ERR_USE_AFTER_FREE');
    expect(b.bytes === view).toBe(true); // the block's view is reused
    const c = pool.lease(40000); // same class (64 KiB), another length: a new view over the same block
    expect(c.bytes.byteOffset).not.toBe(b.bytes.byteOffset);
    expect(c.bytes.length).toBe(40000);
    expect(pool.stats().classes.find((k) => k.size === 65536)).toEqual({ size: 65536, leases: 2, free: 0 });
    b.release();
    c.release();
    const d = pool.lease(33000);
    expect(d.bytes.length).toBe(33000);
    d.release();
    pool.check();
  });

  it('lease(0) is empty bytes, retain/release count holders, the last release frees', () => {
    const pool = new BufferPool();
    const empty = pool.lease(0);
    expect(empty.bytes.length).toBe(0);
    empty.release();
    const lease = pool.lease(100);
    expect(lease.retain().retain().refs).toBe(3);
    lease.release();
    lease.release();
    expect(pool.stats().leases).toBe(1);
    lease.release();
    expect(lease.refs).toBe(0);
    expect(pool.stats().leases).toBe(0);
    expect(codeOf(() => lease.bytes)).toBe('ERR_USE_AFTER_FREE');
    expect(codeOf(() => lease.retain())).toBe('ERR_USE_AFTER_FREE');
    expect(codeOf(() => lease.release())).toBe('ERR_DOUBLE_FREE');
    expect(codeOf(() => lease.length)).toBe('ERR_USE_AFTER_FREE'); // any use of a released lease throws
  });

  it('[Symbol.dispose] releases once, and does nothing on a released lease', () => {
    const pool = new BufferPool();
    const lease = pool.lease(64).retain();
    lease[Symbol.dispose]();
    expect(lease.refs).toBe(1);
    lease[Symbol.dispose]();
    expect(lease.refs).toBe(0);
    lease[Symbol.dispose]();
    expect(pool.stats().leases).toBe(0);
  });

  it('serves leases above the largest class from large blocks, uncached', () => {
    const pool = new BufferPool({ maxClassBytes: 4096 });
    const big = pool.lease(1 << 20);
    expect(big.bytes.length).toBe(1 << 20);
    expect(pool.stats()).toMatchObject({ largeLeases: 1, bytes: 1 << 20 });
    big.release();
    expect(pool.stats()).toMatchObject({ largeLeases: 0, idleBytes: 0 });
    expect(pool.lease(1 << 20)).not.toBe(big);
  });

  it('makes segments as it needs them and drops them when their blocks are all free', () => {
    const pool = new BufferPool({ segmentBytes: 1 << 18, maxIdleBytes: 0 });
    const leases = Array.from({ length: 10 }, () => pool.lease(65536));
    const { segments, segmentBytes } = pool.stats();
    expect(segments).toBeGreaterThan(2);
    expect(segmentBytes).toBe(segments * (1 << 18));
    for (const l of leases) l.release();
    expect(pool.stats()).toMatchObject({ segments: 1, segmentBytes: 1 << 18, segmentsDropped: segments - 1, idleBytes: 0 });
    const huge = pool.lease(3 << 20); // bigger than a segment: one of its own
    expect(pool.stats().segments).toBe(2);
    huge.release();
    expect(pool.stats().segments).toBe(1);
    pool.check();
  });

  it('keeps at most maxIdleBytes idle; trim() gives the rest back', () => {
    const pool = new BufferPool({ maxIdleBytes: 3 * 65536 });
    const leases = Array.from({ length: 5 }, () => pool.lease(65536));
    for (const l of leases) l.release();
    expect(pool.stats().idleBytes).toBe(3 * 65536);
    expect(pool.trim()).toBe(3 * 65536);
    expect(pool.stats().idleBytes).toBe(0);
    expect(pool.heaps[0]?.stats().liveBlocks).toBe(0);
  });

  it("takes Uint8Arrays where asked, and a given heap's memory", () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const pool = new BufferPool({ heap, views: 'uint8array' });
    const lease = pool.lease(10);
    expect(Buffer.isBuffer(lease.bytes)).toBe(false);
    expect(lease.bytes.buffer).toBe(heap.buffer);
    expect(heap.stats().liveBlocks).toBe(1);
    lease.release();
    pool.trim();
    expect(heap.stats().liveBlocks).toBe(0);
    expect(pool.stats().segmentBytes).toBe(0);
    heap.check();
  });
});

describe('bad input is typed and changes nothing', () => {
  it('sizes', () => {
    const pool = new BufferPool();
    const before = pool.stats();
    for (const size of [-1, 1.5, Number.NaN, 2 ** 32, '8', 8n, null, undefined, {}]) {
      expect(codeOf(() => pool.lease(size as number))).toBe('ERR_INVALID_SIZE');
    }
    expect(pool.stats()).toEqual(before);
    const small = new BufferPool({ segmentBytes: 1 << 16, maxBytes: 1 << 17 });
    const kept = small.lease(1000);
    const state = small.stats();
    expect(codeOf(() => small.lease(1 << 20))).toBe('ERR_OUT_OF_MEMORY');
    expect(small.stats()).toEqual(state);
    kept.release();
    small.check();
  });

  it('options', () => {
    const bad: unknown[] = [
      null,
      7,
      { segmentBytes: 1000 },
      { segmentBytes: 65536, maxBytes: 1000 },
      { maxClassBytes: 3000 },
      { maxClassBytes: 8 },
      { maxIdleBytes: -1 },
      { quarantineBytes: 0.5 },
      { views: 'string' },
      { debug: 'yes' },
      { onLeak: 3 },
      { heap: {} },
      { heap: createHeap({ store: 'wasm' }) },
    ];
    for (const options of bad)
      expect(
        codeOf(() => new BufferPool(options as never)),
        JSON.stringify(options),
      ).toBe('ERR_INVALID_ARGUMENT');
  });

  it('foreign and released leases given to the I/O helpers', () => {
    const pool = new BufferPool();
    const writes: Uint8Array[] = [];
    const stream = {
      write: (chunk: Uint8Array, cb: () => void) => {
        writes.push(chunk);
        cb();
        return true;
      },
      cork() {},
      uncork() {},
      end: (chunk: Uint8Array) => writes.push(chunk),
      once() {},
    };
    const fake = { bytes: new Uint8Array(4), refs: 1, release() {} } as unknown as Lease;
    const released = pool.lease(8);
    released.release();
    const live = pool.lease(8); // the released lease's block, lent again: the released handle stays released
    const forged = Object.create(LeaseClass.prototype) as Lease; // passes instanceof, has no block
    expect(codeOf(() => writeLease(stream, forged))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => endWithLease(stream, forged))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => writeLease(stream, fake))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => writeLease(stream, released))).toBe('ERR_USE_AFTER_FREE');
    expect(codeOf(() => writeLeases(stream, [live, fake]))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => writeLeases(stream, [live, released]))).toBe('ERR_USE_AFTER_FREE');
    expect(codeOf(() => writeLeases(stream, live as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => endWithLease(stream, fake))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => readIntoPool(pool, 0, () => {}))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => readIntoPool(pool, -5, () => {}))).toBe('ERR_INVALID_SIZE');
    expect(codeOf(() => readIntoPool(pool, 16, 'x' as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(writes).toEqual([]);
    expect(live.refs).toBe(1);
    expect(pool.stats().leases).toBe(1);
    pool.check();
  });
});

describe('debug mode', () => {
  it('poisons released payloads and catches a write through a released lease', () => {
    const pool = new BufferPool({ debug: true, quarantineBytes: 4096, traceLeases: true });
    const lease = pool.lease(1000);
    const kept = lease.bytes; // a reference kept past the release: the bug debug mode is for
    lease.release();
    expect(kept[0]).toBe(0xdd);
    expect(pool.lease(1000) === lease).toBe(false);
    expect(codeOf(() => lease.bytes)).toBe('ERR_USE_AFTER_FREE');
    kept[10] = 1;
    let error: unknown;
    try {
      pool.check();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LeaseWrittenAfterReleaseError);
    expect((error as LeaseWrittenAfterReleaseError).offset).toBe(10);
    expect((error as LeaseWrittenAfterReleaseError).code).toBe('ERR_USE_AFTER_FREE');
    expect((error as LeaseWrittenAfterReleaseError).site).toContain('pool.test.ts');
  });

  it('the release that evicts a written payload throws and does nothing itself', () => {
    const pool = new BufferPool({ debug: true, quarantineBytes: 1024 });
    const first = pool.lease(1024);
    const kept = first.bytes;
    first.release();
    kept[0] = 7;
    const second = pool.lease(1024);
    expect(() => second.release()).toThrow(LeaseWrittenAfterReleaseError);
    expect(second.refs).toBe(1);
    expect(pool.stats()).toMatchObject({ leases: 1, quarantined: 0 });
    second.release(); // the damaged payload was evicted and freed: this one goes through
    expect(pool.stats()).toMatchObject({ leases: 0, quarantined: 1 });
    pool.check();
  });
});

describe('tracing (arenalloc/profile)', () => {
  it('each lease of a traced heap is a traced allocation at its own site, tagged Lease', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 22 });
    const pool = new BufferPool({ heap });
    const warm = pool.lease(512);
    warm.release(); // cached before tracing starts
    start(heap, 4);
    const mark = markLeaks(heap);
    const leaked = pool.lease(512);
    const freed = pool.lease(2048);
    freed.release();
    const report = mark.report();
    expect(report.count).toBe(1);
    expect(report.groups[0]?.types).toEqual(['Lease']);
    expect(report.groups[0]?.traceback.frames[0]?.filename).toContain('pool.test.ts');
    expect(
      takeSnapshot(heap)
        .statistics('type')
        .some((s) => s.type === 'Lease'),
    ).toBe(true);
    leaked.release();
    expect(mark.report().count).toBe(0);
    stop(heap);
    pool.trim();
    heap.check();
  });
});
