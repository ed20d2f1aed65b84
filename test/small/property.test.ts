import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArenallocError, type Heap, type HeapStats } from '../../src/index';
import { checkPattern, fillPattern, heapOf, STORES } from '../support/helpers';

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

interface Live {
  ptr: number;
  size: number;
  id: number;
  /** Still the block malloc gave (realloc may keep a larger one in place). */
  fresh: boolean;
}

/** Checks the heap against the model: counters, contents, no overlap, then the full walk. */
function verify(heap: Heap, live: Live[]): void {
  heap.check();
  const stats = heap.stats();
  expect(stats.liveBlocks).toBe(live.length);
  let bytes = 0;
  const spans: [number, number][] = [];
  for (const block of live) {
    expect(heap.isLive(block.ptr)).toBe(true);
    const usable = heap.usableSize(block.ptr);
    expect(usable).toBeGreaterThanOrEqual(block.size);
    const align = heap.align;
    if (block.fresh && block.size <= 512) expect(usable).toBe(block.size === 0 ? align : Math.ceil(block.size / align) * align);
    bytes += usable;
    spans.push([block.ptr, block.ptr + usable]);
    expect(checkPattern(heap, block.ptr, block.size, block.id)).toBe(-1);
  }
  expect(stats.liveBytes).toBe(bytes);
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
}

/** Runs one sequence of ops against a fresh heap and the model. */
function run(heap: Heap, ops: Op[]): Live[] {
  const live: Live[] = [];
  const dead: number[] = [];
  let nextId = 1;
  for (const op of ops) {
    if (op.kind === 'malloc') {
      const ptr = heap.malloc(op.size);
      const id = nextId++;
      fillPattern(heap, ptr, op.size, id);
      live.push({ ptr, size: op.size, id, fresh: true });
    } else if (op.kind === 'free' && live.length > 0) {
      const [block] = live.splice(op.pick % live.length, 1);
      heap.free(block!.ptr);
      dead.push(block!.ptr);
    } else if (op.kind === 'realloc' && live.length > 0) {
      const block = live[op.pick % live.length]!;
      const moved = heap.realloc(block.ptr, op.size);
      expect(checkPattern(heap, moved, Math.min(block.size, op.size), block.id)).toBe(-1);
      if (moved !== block.ptr) dead.push(block.ptr);
      block.ptr = moved;
      block.size = op.size;
      block.fresh = false;
      fillPattern(heap, moved, op.size, block.id);
    } else if (op.kind === 'freeAgain' && dead.length > 0) {
      const ptr = dead[op.pick % dead.length]!;
      if (live.some((b) => b.ptr === ptr)) continue; // handed out again since
      const before = heap.stats();
      expect(() => heap.free(ptr)).toThrow(ArenallocError);
      expect(heap.stats()).toEqual(before);
    } else if (op.kind === 'interior' && live.length > 0) {
      // A pointer inside a live block (or just past a small one): refused, nothing changes.
      const block = live[op.pick % live.length]!;
      const ptr = block.ptr + op.offset;
      if (live.some((b) => b.ptr === ptr)) continue;
      const before = heap.stats();
      expect(() => heap.free(ptr)).toThrow(ArenallocError);
      expect(() => heap.realloc(ptr, 8)).toThrow(ArenallocError);
      expect(heap.stats()).toEqual(before);
    }
    verify(heap, live);
  }
  return live;
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
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 200 }), (ops) => {
          const heap = heapOf(store, { ...TUNABLES, align });
          // Warm up: the first small block makes the first arena, which then stays as the spare.
          heap.free(heap.malloc(1));
          const start = settled(heap.stats());
          const live = run(heap, ops);
          for (const block of live) heap.free(block.ptr);
          verify(heap, []);
          expect(heap.stats().small.arenas).toBe(1);
          expect(settled(heap.stats())).toEqual(start);
        }),
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
