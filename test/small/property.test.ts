import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenallocError, type Heap, type HeapStats } from '../../src/index';
import { heapOf, STORES } from '../support/helpers';
import { expectHeapAgrees, HeapModel, heapBytes } from '../support/model';
import { propertyTest } from '../support/property';

// Small pools and arenas, so that a few hundred steps make, fill, drain and give back arenas.
const TUNABLES = { poolSize: 4096, arenaSize: 16384 } as const;

type Op =
  | { kind: 'malloc'; size: number }
  | { kind: 'free'; pick: number }
  | { kind: 'realloc'; pick: number; size: number }
  | { kind: 'freeAgain'; pick: number }
  | { kind: 'interior'; pick: number; offset: number };

const sizeArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 512 }) },
  { weight: 1, arbitrary: fc.integer({ min: 480, max: 560 }) },
  { weight: 1, arbitrary: fc.integer({ min: 513, max: 6000 }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: sizeArb.map((size) => ({ kind: 'malloc' as const, size })) },
  { weight: 4, arbitrary: fc.nat().map((pick) => ({ kind: 'free' as const, pick })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(), sizeArb).map(([pick, size]) => ({ kind: 'realloc' as const, pick, size })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'freeAgain' as const, pick })) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat(), fc.integer({ min: 1, max: 600 })).map(([pick, offset]) => ({ kind: 'interior' as const, pick, offset })),
  },
);

/** A heap with small tunables, its model, and the blocks still as malloc gave them. */
interface World {
  heap: Heap;
  model: HeapModel;
  /** Still the block malloc gave (realloc may keep a larger one in place). */
  fresh: Set<number>;
  /** The figures after the warm-up, which must come back once everything is freed. */
  start: unknown;
}

/** Applies one op to the heap and the model; bad frees must be refused and change nothing. */
function apply({ heap, model, fresh }: World, op: Op): void {
  if (op.kind === 'malloc') {
    const ptr = heap.malloc(op.size);
    model.allocated(ptr, op.size);
    fresh.add(ptr);
  } else if (op.kind === 'free' && model.size > 0) {
    const ptr = model.pick(op.pick) as number;
    heap.free(ptr);
    model.released(ptr);
    fresh.delete(ptr);
  } else if (op.kind === 'realloc' && model.size > 0) {
    const ptr = model.pick(op.pick) as number;
    const moved = heap.realloc(ptr, op.size);
    fresh.delete(ptr);
    model.reallocated(ptr, moved, op.size, true);
  } else if (op.kind === 'freeAgain' && model.freed.length > 0) {
    const ptr = model.freed[op.pick % model.freed.length] as number;
    if (model.blocks.has(ptr)) return; // handed out again since
    const before = heap.stats();
    expect(() => heap.free(ptr)).toThrow(ArenallocError);
    expect(heap.stats()).toEqual(before);
  } else if (op.kind === 'interior' && model.size > 0) {
    // A pointer inside a live block (or just past a small one): refused, nothing changes.
    const ptr = (model.pick(op.pick) as number) + op.offset;
    if (model.blocks.has(ptr)) return;
    const before = heap.stats();
    expect(() => heap.free(ptr)).toThrow(ArenallocError);
    expect(() => heap.realloc(ptr, 8)).toThrow(ArenallocError);
    expect(heap.stats()).toEqual(before);
  }
}

/** The heap against the model (counters, contents, no overlap); a fresh small block has exactly its class's size. */
function verify({ heap, model, fresh }: World): void {
  expectHeapAgrees(heap, model, { totals: true });
  const align = heap.align;
  for (const [ptr, block] of model.blocks) {
    if (fresh.has(ptr) && block.size <= 512)
      expect(heap.usableSize(ptr)).toBe(block.size === 0 ? align : Math.ceil(block.size / align) * align);
  }
}

/** The figures that must come back once everything is freed (totals and peaks only grow). */
function settled(stats: HeapStats): unknown {
  const { arenasAllocated: _a, arenasReclaimed: _r, peakArenas: _p, ...small } = stats.small;
  return {
    liveBlocks: stats.liveBlocks,
    liveBytes: stats.liveBytes,
    // Growth adds to the free top; what is free besides that must be as before.
    freeBeyondGrowth: stats.large.freeBytes - stats.backingBytes,
    large: { usedChunks: stats.large.usedChunks, usedBytes: stats.large.usedBytes, freeChunks: stats.large.freeChunks },
    small,
  };
}

describe.each([...STORES.map((store) => ({ store, align: 16 as const })), { store: 'fixed' as const, align: 8 as const }])(
  'small + large against a model over a $store store, align $align',
  ({ store, align }) => {
    it('mixed malloc / free / realloc / double free / interior pointers, check() after every step', () => {
      propertyTest<Op, World>(
        {
          step: opArb,
          minSteps: 1,
          maxSteps: 200,
          setup: () => {
            const heap = heapOf(store, { ...TUNABLES, align });
            // Warm up: the first small block makes the first arena, which then stays as the spare.
            heap.free(heap.malloc(1));
            const model = new HeapModel(heapBytes(heap));
            model.allocations = 1;
            model.frees = 1;
            return { heap, model, fresh: new Set(), start: settled(heap.stats()) };
          },
          apply,
          layers: ({ heap }) => ({ heaps: [heap] }),
          verify,
          finish: (world) => {
            const { heap, model, start } = world;
            for (const ptr of [...model.order]) {
              heap.free(ptr);
              model.released(ptr);
            }
            heap.check();
            verify(world);
            expect(heap.stats().small.arenas).toBe(1);
            expect(settled(heap.stats())).toEqual(start);
          },
        },
        { seed: 42, numRuns: 100 },
      );
    });

    it('fills, drains and refills whole arenas', () => {
      const heap = heapOf(store, { ...TUNABLES, align });
      heap.free(heap.malloc(1));
      const start = settled(heap.stats());
      const rng = mulberry32(7);
      for (let round = 0; round < 3; round++) {
        const ptrs: number[] = [];
        // 12 arenas' worth of blocks (4 pools of 4 KiB each) in every class.
        while (heap.stats().small.arenas < 12) ptrs.push(heap.malloc(1 + Math.floor(rng() * 512)));
        heap.check();
        expect(heap.stats().small.freePools).toBeLessThan(4);
        shuffle(ptrs, rng);
        for (const [i, p] of ptrs.entries()) {
          heap.free(p);
          if (i % 97 === 0) heap.check();
        }
        heap.check();
        expect(heap.stats().small).toMatchObject({ arenas: 1, pools: 0 });
        expect(settled(heap.stats())).toEqual(start);
      }
      expect(heap.stats().small.arenasReclaimed).toBe(3 * 11);
    });
  },
);

/** A small seeded PRNG (mulberry32), so the drain order is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], rng: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
