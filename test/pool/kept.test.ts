// KeptBytes: values kept by number. A seeded model test (keep / read / copy out / drop, with
// dropped and foreign handles mixed in) with check() after every step, and bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenallocError } from '../../src/errors';
import { createHeap } from '../../src/heap';
import { KeptBytes } from '../../src/pool/index';
import { propertyTest } from '../support/property';

type Op =
  | { kind: 'keep'; length: number; seed: number }
  | { kind: 'read' | 'drop' | 'dropped' | 'copy'; pick: number }
  | { kind: 'foreign'; handle: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ length: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 81, max: 5000 })), seed: fc.nat(255) })
      .map((r) => ({ kind: 'keep' as const, ...r })),
  },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'read' as const, pick })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'copy' as const, pick })) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ kind: 'drop' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'dropped' as const, pick })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.integer({ min: -5, max: 1 << 22 }), fc.constant(Number.NaN))
      .map((handle) => ({ kind: 'foreign' as const, handle })),
  },
);

const makeValue = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (seed + i * 31) & 0xff);

/** Byte-wise equality (no Buffer: this file runs in the browser too). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ArenallocError) return e.code;
    throw e;
  }
  return 'no error';
}

/** A store of kept values and the model: each live handle's value, and the dropped handles. */
interface World {
  kept: KeptBytes;
  live: Map<number, Uint8Array>;
  dropped: number[];
}

function apply({ kept, live, dropped }: World, op: Op): void {
  const handles = [...live.keys()];
  const pick = (list: number[], n: number) => (list.length === 0 ? undefined : list[n % list.length]);
  if (op.kind === 'keep') {
    const value = makeValue(op.length, op.seed);
    const handle = kept.keep(value);
    expect(live.has(handle)).toBe(false);
    live.set(handle, value);
    const i = dropped.indexOf(handle);
    if (i >= 0) dropped.splice(i, 1);
  } else if (op.kind === 'read' || op.kind === 'copy' || op.kind === 'drop') {
    const handle = pick(handles, op.pick);
    if (handle === undefined) return;
    const value = live.get(handle) as Uint8Array;
    if (op.kind === 'read') expect(sameBytes(kept.bytes(handle), value)).toBe(true);
    else if (op.kind === 'copy') {
      const target = new Uint8Array(value.length + 3).fill(9);
      expect(kept.copyTo(handle, target, 3)).toBe(value.length);
      expect(sameBytes(target.subarray(3), value)).toBe(true);
      expect(target[0]).toBe(9);
    } else {
      kept.drop(handle);
      live.delete(handle);
      dropped.push(handle);
    }
  } else {
    const handle = op.kind === 'foreign' ? op.handle : pick(dropped, op.pick);
    if (handle === undefined || live.has(handle)) return;
    const before = kept.heap.stats();
    expect(codeOf(() => kept.bytes(handle))).toBe('ERR_INVALID_POINTER');
    expect(codeOf(() => kept.drop(handle))).toBe('ERR_INVALID_POINTER');
    expect(kept.heap.stats()).toEqual(before);
  }
}

/** The counts and every live value's length agree with the model. */
function verify({ kept, live }: World): void {
  expect(kept.count).toBe(live.size);
  expect(kept.bytesKept).toBe([...live.values()].reduce((n, v) => n + v.length, 0));
  for (const [handle, value] of live) expect(kept.lengthOf(handle)).toBe(value.length);
}

describe('KeptBytes', () => {
  it('model: every kept value reads back as kept; dropped and foreign handles are refused', () => {
    propertyTest<Op, World>(
      {
        step: opArb,
        minSteps: 1,
        maxSteps: 80,
        // A small heap, so that the model test also sees the store grow.
        setup: () => ({
          kept: new KeptBytes({ heap: createHeap({ store: 'resizable', initialBytes: 65536, maxBytes: 1 << 24 }) }),
          live: new Map(),
          dropped: [],
        }),
        apply,
        layers: ({ kept }) => ({ heaps: [kept.heap], others: [kept] }),
        verify,
      },
      { seed: 17, numRuns: Number(process.env.POOL_PROPERTY_RUNS ?? 60) },
    );
  });

  it('bad input is typed and changes nothing', () => {
    const kept = new KeptBytes();
    const id = kept.keep(new Uint8Array([1, 2, 3]));
    const before = kept.heap.stats();
    expect(codeOf(() => kept.keep([1, 2] as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => kept.keep('ab' as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => kept.copyTo(id, new Uint8Array(2)))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => kept.copyTo(id, new Uint8Array(8), 6))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => kept.copyTo(id, new Uint8Array(8), -1))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => kept.lengthOf(id + 16))).toBe('ERR_INVALID_POINTER');
    expect(codeOf(() => kept.lengthOf('1' as never))).toBe('ERR_INVALID_POINTER');
    expect(kept.heap.stats()).toEqual(before);
    expect(codeOf(() => new KeptBytes(null as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => new KeptBytes({ heap: {} as never }))).toBe('ERR_INVALID_ARGUMENT');
    kept.drop(id);
    expect(codeOf(() => kept.drop(id))).toBe('ERR_INVALID_POINTER');
    kept.check();
  });
});
