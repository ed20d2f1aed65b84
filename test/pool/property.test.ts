// Seeded model tests of leases: random sequences of lease / retain / release / write / trim, with
// double releases and uses after release mixed in, checked against a model of the live leases
// (their holders, their lengths, the byte each was filled with) after every step, with the pool's
// check() (every segment's heap.check(), the free lists against the counters, debug poison).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenallocError } from '../../src/errors';
import { BufferPool, type BufferPoolOptions, type Lease } from '../../src/pool/index';
import { propertyTest } from '../support/property';

type Op =
  | { kind: 'lease'; size: number }
  | { kind: 'retain'; pick: number }
  | { kind: 'release'; pick: number }
  | { kind: 'write'; pick: number; byte: number }
  | { kind: 'releaseReleased'; pick: number }
  | { kind: 'readReleased'; pick: number }
  | { kind: 'trim' };

const sizeArb = fc.oneof(
  fc.integer({ min: 0, max: 64 }),
  fc.integer({ min: 65, max: 4096 }),
  fc.constantFrom(1024, 16384, 65536, 65537),
  fc.integer({ min: 4097, max: 300_000 }), // past the largest class: uncached large blocks
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: sizeArb.map((size) => ({ kind: 'lease' as const, size })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'retain' as const, pick })) },
  { weight: 5, arbitrary: fc.nat().map((pick) => ({ kind: 'release' as const, pick })) },
  {
    weight: 3,
    arbitrary: fc.record({ pick: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }).map((r) => ({ kind: 'write' as const, ...r })),
  },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'releaseReleased' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'readReleased' as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'trim' as const }) },
);

interface Held {
  refs: number;
  length: number;
  byte: number;
}

/** A pool and the model of its leases: who holds each live one, and the released ones (kept, to misuse). */
interface World {
  pool: BufferPool;
  live: Map<Lease, Held>;
  released: Lease[];
}

const nth = <T>(items: T[], pick: number): T | undefined => (items.length === 0 ? undefined : items[pick % items.length]);

const expectCode = (fn: () => unknown, code: string) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ArenallocError);
    expect((e as ArenallocError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
};

function apply({ pool, live, released }: World, op: Op): void {
  const leases = [...live.keys()];
  switch (op.kind) {
    case 'lease': {
      const lease = pool.lease(op.size);
      expect(live.has(lease)).toBe(false);
      expect(lease.refs).toBe(1);
      expect(lease.bytes.length).toBe(op.size);
      lease.bytes.fill(op.size & 0xff);
      live.set(lease, { refs: 1, length: op.size, byte: op.size & 0xff });
      // Every lease is a handle of its own: the released ones stay stale even when the pool
      // lends their blocks again (the model keeps them all, and uses them below).
      expect(released.includes(lease)).toBe(false);
      break;
    }
    case 'retain': {
      const lease = nth(leases, op.pick);
      if (lease === undefined) break;
      expect(lease.retain() === lease).toBe(true);
      (live.get(lease) as Held).refs++;
      break;
    }
    case 'release': {
      const lease = nth(leases, op.pick);
      if (lease === undefined) break;
      const held = live.get(lease) as Held;
      lease.release();
      held.refs--;
      if (held.refs === 0) {
        live.delete(lease);
        released.push(lease);
      }
      break;
    }
    case 'write': {
      const lease = nth(leases, op.pick);
      if (lease === undefined) break;
      lease.bytes.fill(op.byte);
      (live.get(lease) as Held).byte = op.byte;
      break;
    }
    case 'releaseReleased': {
      const lease = nth(released, op.pick);
      if (lease === undefined) break;
      const before = pool.stats();
      expectCode(() => lease.release(), 'ERR_DOUBLE_FREE');
      expect(pool.stats()).toEqual(before);
      break;
    }
    case 'readReleased': {
      const lease = nth(released, op.pick);
      if (lease === undefined) break;
      expectCode(() => lease.bytes, 'ERR_USE_AFTER_FREE');
      expectCode(() => lease.retain(), 'ERR_USE_AFTER_FREE');
      expectCode(() => lease.length, 'ERR_USE_AFTER_FREE');
      expect(lease.refs).toBe(0);
      break;
    }
    case 'trim':
      pool.trim();
      expect(pool.stats().idleBytes).toBe(0);
      break;
  }
}

/** Every live lease has its holders and its bytes; the pool's figures count exactly the live leases. */
function verify({ pool, live }: World): void {
  const stats = pool.stats();
  let bytes = 0;
  for (const [lease, held] of live) {
    bytes += held.length;
    expect(lease.refs).toBe(held.refs);
    const view = lease.bytes;
    for (let i = 0; i < view.length; i++) if (view[i] !== held.byte) throw new Error(`lease of ${held.length} bytes lost byte ${i}`);
  }
  expect(stats.leases).toBe(live.size);
  expect(stats.bytes).toBe(bytes);
  expect(stats.classes.reduce((n, c) => n + c.leases, 0) + stats.largeLeases).toBe(live.size);
}

function finish({ pool, live }: World): void {
  for (const lease of live.keys()) while (lease.refs > 0) lease.release();
  pool.trim();
  pool.check();
  expect(pool.stats().segments).toBe(1);
  expect(pool.heaps[0]?.stats().liveBlocks).toBe(0);
}

const runs = Number(process.env.POOL_PROPERTY_RUNS ?? 60);

describe('lease model', () => {
  it.each<[string, BufferPoolOptions]>([
    ['default pool', {}],
    ['small segments and idle cap (blocks freed, segments made and dropped)', { segmentBytes: 1 << 17, maxIdleBytes: 8192 }],
    ['debug mode (poison, quarantine)', { debug: true, quarantineBytes: 70_000 }],
    ['Uint8Array views, small largest class', { views: 'uint8array', maxClassBytes: 1024 }],
  ])('%s', (_name, options) => {
    propertyTest<Op, World>(
      {
        step: opArb,
        minSteps: 1,
        maxSteps: 60,
        setup: () => ({ pool: new BufferPool(options), live: new Map(), released: [] }),
        apply,
        // The pool's check(): every segment's heap.check(), the free lists against the counters, debug poison.
        layers: ({ pool }) => ({ others: [pool] }),
        verify,
        finish,
      },
      { seed: 17, numRuns: runs },
    );
  });
});
