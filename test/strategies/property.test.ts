// Every strategy against the same model the heap's property test uses (test/support/model.ts): the live
// blocks and the bytes each must hold. After every step: the strategy's check() passes, every
// live block keeps its bytes, no two live blocks overlap, and a bad free or an out-of-memory
// request changes nothing (the same typed errors as the heap).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenallocError, DoubleFreeError, InvalidPointerError, OutOfMemoryError } from '../../src/errors';
import { type Allocator, type BumpAllocator, createStrategy, STRATEGY_NAMES, type StrategyName } from '../../src/strategies/index';
import { sizeArb } from '../support/model';

type Step =
  | { op: 'malloc'; size: number }
  | { op: 'realloc'; pick: number; size: number }
  | { op: 'free'; pick: number }
  | { op: 'freeAgain' }
  | { op: 'freeInterior'; pick: number; offset: number }
  | { op: 'mark' }
  | { op: 'release' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('malloc' as const), size: sizeArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('realloc' as const), pick: fc.nat(), size: sizeArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('free' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('freeAgain' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('freeInterior' as const), pick: fc.nat(), offset: fc.integer({ min: 1, max: 40 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('mark' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const) }) },
);

const RUNS = Number(process.env.STRATEGY_PROPERTY_RUNS ?? 60);

function pattern(id: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (id * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Block {
  content: Uint8Array;
  /** Order of allocation, for bump's release. */
  serial: number;
}

function run(name: StrategyName, steps: Step[]): void {
  // A small buffer, so that growth and out-of-memory both happen.
  const a: Allocator = createStrategy(name, { initialBytes: 1 << 16, maxBytes: 4 << 20 });
  const live = new Map<number, Block>();
  const order: number[] = [];
  const freed: number[] = [];
  let serial = 0;
  let mark: { at: number; serial: number } | null = null;

  const adopt = (ptr: number, size: number, content?: Uint8Array): void => {
    expect(ptr).toBeGreaterThan(0);
    expect(live.has(ptr)).toBe(false);
    expect(a.usableSize(ptr)).toBeGreaterThanOrEqual(size);
    const bytes = content ?? pattern(serial + 1, size);
    a.bytes(ptr, size).set(bytes);
    live.set(ptr, { content: bytes, serial: ++serial });
    order.push(ptr);
  };
  const forget = (ptr: number): void => {
    live.delete(ptr);
    order.splice(order.indexOf(ptr), 1);
  };
  const unchanged = (call: () => void, error: new (...args: never[]) => ArenallocError): void => {
    const footprint = a.footprint();
    const free = a.freeBytes();
    expect(call).toThrow(error);
    expect(a.footprint()).toBe(footprint);
    expect(a.freeBytes()).toBe(free);
  };
  const verify = (): void => {
    a.check();
    const spans: [number, number][] = [];
    for (const [ptr, block] of live) {
      expect(sameBytes(a.bytes(ptr, block.content.length), block.content)).toBe(true);
      spans.push([ptr, ptr + Math.max(1, a.usableSize(ptr))]);
    }
    if (name !== 'uint8array') {
      spans.sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < spans.length; i++)
        expect((spans[i] as [number, number])[0]).toBeGreaterThanOrEqual((spans[i - 1] as [number, number])[1]);
    }
  };

  for (const step of steps) {
    switch (step.op) {
      case 'malloc': {
        try {
          adopt(a.malloc(step.size), step.size);
        } catch (e) {
          expect(e).toBeInstanceOf(OutOfMemoryError);
        }
        break;
      }
      case 'realloc': {
        if (order.length === 0) break;
        const p = order[step.pick % order.length] as number;
        const block = live.get(p) as Block;
        let q: number;
        try {
          q = a.realloc(p, step.size);
        } catch (e) {
          expect(e).toBeInstanceOf(OutOfMemoryError);
          break; // the old block keeps its bytes: verify() says so
        }
        const kept = Math.min(block.content.length, step.size);
        expect(sameBytes(a.bytes(q, kept), block.content.subarray(0, kept))).toBe(true);
        forget(p);
        if (q !== p) freed.push(p);
        const content = new Uint8Array(step.size);
        content.set(block.content.subarray(0, kept));
        content.set(pattern(serial + 7, step.size - kept), kept);
        adopt(q, step.size, content);
        break;
      }
      case 'free': {
        if (order.length === 0) {
          a.free(0);
          break;
        }
        const p = order[step.pick % order.length] as number;
        a.free(p);
        forget(p);
        freed.push(p);
        break;
      }
      case 'freeAgain': {
        // A freed address that no live block reuses: a double free, or no block at all (merged away).
        const p = freed.find((f) => !live.has(f));
        // Strategies that never merge blocks know every freed block as such.
        const exact = name === 'bump' || name === 'segregated' || name === 'uint8array';
        if (p !== undefined) unchanged(() => a.free(p), exact ? DoubleFreeError : ArenallocError);
        break;
      }
      case 'freeInterior': {
        if (order.length === 0 || name === 'uint8array') break;
        const p = order[step.pick % order.length] as number;
        const q = p + step.offset;
        if (!live.has(q)) unchanged(() => a.free(q), name === 'bump' ? InvalidPointerError : ArenallocError);
        break;
      }
      case 'mark': {
        if (name === 'bump') mark = { at: (a as BumpAllocator).mark(), serial };
        break;
      }
      case 'release': {
        if (name !== 'bump' || mark === null) break;
        (a as BumpAllocator).release(mark.at);
        const since = mark.serial;
        for (const [ptr, block] of [...live]) if (block.serial > since) forget(ptr);
        // Released addresses are reused: they are no longer a double free to test.
        freed.length = 0;
        mark = null;
        break;
      }
    }
    verify();
  }
  for (const ptr of [...order]) {
    a.free(ptr);
    forget(ptr);
    verify();
  }
}

describe.each(STRATEGY_NAMES)('strategy %s against the model', (name) => {
  it('keeps every block and its bytes, and refuses bad frees without changing anything', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 120 }), (steps) => run(name, steps)),
      { seed: 18, numRuns: RUNS },
    );
  });

  it('runs out of memory with a typed error and keeps every block', () => {
    if (name === 'uint8array') return; // the engine's own limit, far above a test's means
    const a = createStrategy(name, { initialBytes: 1 << 16, maxBytes: 1 << 20 });
    const p = a.malloc(100);
    a.bytes(p, 100).fill(7);
    expect(() => a.malloc(2 << 20)).toThrow(OutOfMemoryError);
    expect(() => a.realloc(p, 2 << 20)).toThrow(OutOfMemoryError);
    a.check();
    expect(a.bytes(p, 100).every((b) => b === 7)).toBe(true);
    a.free(p);
    a.check();
  });
});
