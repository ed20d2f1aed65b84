// Every strategy against the same model the heap's property tests use (test/support/model.ts): the
// live blocks and the bytes each must hold. After every step: the strategy's check() passes, every
// live block keeps its bytes, no two live blocks overlap, and a bad free or an out-of-memory
// request changes nothing (the same typed errors as the heap).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenallocError, DoubleFreeError, InvalidPointerError, OutOfMemoryError } from '../../src/errors';
import { type Allocator, type BumpAllocator, createStrategy, STRATEGY_NAMES, type StrategyName } from '../../src/strategies/index';
import { HeapModel, sizeArb } from '../support/model';
import { propertyTest } from '../support/property';

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

/** A strategy, its model, and the bump allocator's last mark (the id of the first block after it). */
interface World {
  name: StrategyName;
  a: Allocator;
  model: HeapModel;
  mark: { at: number; nextId: number } | null;
}

/** A new block from the strategy: somewhere, not live already, with room for what was asked. */
function adopt({ a, model }: World, ptr: number, size: number): void {
  expect(a.usableSize(ptr)).toBeGreaterThanOrEqual(size);
  model.allocated(ptr, size);
}

/** A refused call: the typed error, and the footprint and free bytes as they were. */
function unchanged(a: Allocator, call: () => void, error: new (...args: never[]) => ArenallocError): void {
  const footprint = a.footprint();
  const free = a.freeBytes();
  expect(call).toThrow(error);
  expect(a.footprint()).toBe(footprint);
  expect(a.freeBytes()).toBe(free);
}

function apply(w: World, step: Step): void {
  const { name, a, model } = w;
  switch (step.op) {
    case 'malloc': {
      let p: number;
      try {
        p = a.malloc(step.size);
      } catch (e) {
        expect(e).toBeInstanceOf(OutOfMemoryError);
        break;
      }
      adopt(w, p, step.size);
      break;
    }
    case 'realloc': {
      const p = model.pick(step.pick);
      if (p === undefined) break;
      let q: number;
      try {
        q = a.realloc(p, step.size);
      } catch (e) {
        expect(e).toBeInstanceOf(OutOfMemoryError);
        break; // the old block keeps its bytes: verify() says so
      }
      expect(q).toBeGreaterThan(0);
      expect(a.usableSize(q)).toBeGreaterThanOrEqual(step.size);
      model.reallocated(p, q, step.size);
      break;
    }
    case 'free': {
      const p = model.pick(step.pick);
      if (p === undefined) {
        a.free(0);
        break;
      }
      a.free(p);
      model.released(p);
      break;
    }
    case 'freeAgain': {
      // A freed address that no live block reuses: a double free, or no block at all (merged away).
      const p = model.freed.find((f) => !model.blocks.has(f));
      // Strategies that never merge blocks know every freed block as such.
      const exact = name === 'bump' || name === 'segregated' || name === 'uint8array';
      if (p !== undefined) unchanged(a, () => a.free(p), exact ? DoubleFreeError : ArenallocError);
      break;
    }
    case 'freeInterior': {
      const p = model.pick(step.pick);
      if (p === undefined || name === 'uint8array') break;
      const q = p + step.offset;
      if (!model.blocks.has(q)) unchanged(a, () => a.free(q), name === 'bump' ? InvalidPointerError : ArenallocError);
      break;
    }
    case 'mark': {
      if (name === 'bump') w.mark = { at: (a as BumpAllocator).mark(), nextId: model.nextBlockId };
      break;
    }
    case 'release': {
      if (name !== 'bump' || w.mark === null) break;
      (a as BumpAllocator).release(w.mark.at);
      const since = w.mark.nextId;
      for (const [ptr, block] of [...model.blocks]) if (block.id >= since) model.forget(ptr);
      // Released addresses are reused: they are no longer a double free to test.
      model.freed.length = 0;
      w.mark = null;
      break;
    }
  }
}

/** Every live block keeps its bytes; no two overlap (the uint8array strategy's blocks are separate buffers). */
function verify({ name, a, model }: World): void {
  model.expectBytes();
  if (name !== 'uint8array') model.expectDisjoint((ptr) => a.usableSize(ptr));
}

describe.each(STRATEGY_NAMES)('strategy %s against the model', (name) => {
  it('keeps every block and its bytes, and refuses bad frees without changing anything', () => {
    propertyTest<Step, World>(
      {
        step: stepArb,
        maxSteps: 120,
        // A small buffer, so that growth and out-of-memory both happen.
        setup: () => {
          const a = createStrategy(name, { initialBytes: 1 << 16, maxBytes: 4 << 20 });
          return { name, a, model: new HeapModel((ptr, length) => a.bytes(ptr, length)), mark: null };
        },
        apply,
        layers: ({ a }) => ({ others: [a] }),
        verify,
        finish: (w) => {
          for (const ptr of [...w.model.order]) {
            w.a.free(ptr);
            w.model.released(ptr);
            w.a.check();
            verify(w);
          }
        },
      },
      { seed: 18, numRuns: RUNS },
    );
  });

  // Not for uint8array: its limit is the engine's, far above a test's means (it was a test that
  // returned before asserting anything; now it says it is skipped).
  it.skipIf(name === 'uint8array')('runs out of memory with a typed error and keeps every block', () => {
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
