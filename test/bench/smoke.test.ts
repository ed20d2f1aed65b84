/**
 * Correctness of the benchmark baselines (bench/baselines): a baseline that hands out overlapping
 * blocks would make every ratio in bench/RESULTS.md meaningless. No timing here: speed is shown by
 * `npm run bench`, never by a test.
 */
import { describe, expect, it } from 'vitest';
import { LifoFreeList, PAGE_BYTES, SizeClassFreeList } from '../../bench/baselines/lifo-free-list.mjs';
import { Pow2FreeList } from '../../bench/baselines/pow2-free-list.mjs';
import { createRng, permutation, randomInts } from '../../bench/lib/prng.mjs';

interface Baseline {
  malloc(size: number): number;
  free(ptr: number): void;
  readonly mem: Int32Array;
}

/**
 * Drives an allocator with a seeded random mix of malloc and free against a model (the live
 * blocks and their sizes), writing a block's id into every word of its block and checking, on
 * free, that no other block overwrote it; also checks alignment and bounds on every malloc.
 */
function exercise(allocator: Baseline, sizeOf: () => number, steps: number, seed: number, usable: (size: number) => number): number {
  const rng = createRng(seed);
  const live = new Map<number, { size: number; id: number }>();
  let nextId = 1;
  let reused = 0;
  const seen = new Set<number>();
  const verify = (ptr: number, block: { size: number; id: number }) => {
    const mem = allocator.mem;
    for (let w = ptr >> 2; w < (ptr + block.size) >> 2; w++) {
      if (mem[w] !== block.id) throw new Error(`block ${block.id} at ${ptr} was overwritten at byte ${w * 4}`);
    }
  };
  for (let step = 0; step < steps; step++) {
    if (live.size > 0 && rng.int(0, 2) === 0) {
      const ptrs = [...live.keys()];
      const ptr = ptrs[rng.int(0, ptrs.length - 1)]!;
      verify(ptr, live.get(ptr)!);
      allocator.free(ptr);
      live.delete(ptr);
    } else {
      const size = sizeOf();
      const ptr = allocator.malloc(size);
      expect(ptr % 16).toBe(0);
      expect(ptr).toBeGreaterThan(0);
      expect(live.has(ptr)).toBe(false);
      if (seen.has(ptr)) reused++;
      seen.add(ptr);
      const block = { size: usable(size), id: nextId++ };
      expect(ptr + block.size).toBeLessThanOrEqual(allocator.mem.byteLength);
      allocator.mem.fill(block.id, ptr >> 2, (ptr + block.size) >> 2);
      live.set(ptr, block);
    }
  }
  for (const [ptr, block] of live) verify(ptr, block);
  return reused;
}

describe('bench baselines', () => {
  it('Pow2FreeList hands out disjoint 16-aligned blocks, reuses freed ones, and survives growth', () => {
    const list = new Pow2FreeList(1 << 16);
    const rng = createRng(1);
    const reused = exercise(
      list,
      () => rng.int(1024, 65536),
      3000,
      7,
      (size) => Pow2FreeList.usableSize(size),
    );
    expect(reused).toBeGreaterThan(100);
    expect(list.backingBytes).toBeGreaterThan(1 << 16);
    expect(Pow2FreeList.usableSize(1025)).toBe(2048);
    expect(Pow2FreeList.usableSize(1024)).toBe(1024);
    expect(Pow2FreeList.usableSize(1)).toBe(16);
  });

  it('LifoFreeList hands out disjoint blocks of its class, LIFO, and survives growth', () => {
    const list = new LifoFreeList(24, 1 << 12);
    expect(list.blockSize).toBe(32);
    const reused = exercise(
      list,
      () => 24,
      5000,
      8,
      () => 32,
    );
    expect(reused).toBeGreaterThan(100);
    const a = list.malloc();
    const b = list.malloc();
    list.free(a);
    list.free(b);
    expect(list.malloc()).toBe(b);
    expect(list.malloc()).toBe(a);
  });

  it('SizeClassFreeList hands out disjoint blocks from pages of one class and frees by address alone', () => {
    const list = new SizeClassFreeList(2 * PAGE_BYTES);
    const rng = createRng(2);
    const reused = exercise(
      list,
      () => rng.int(1, 512),
      6000,
      9,
      (size) => (((size - 1) >> 4) + 1) << 4,
    );
    expect(reused).toBeGreaterThan(100);
    // A freed block goes back to its own class only.
    const small = list.malloc(16);
    list.free(small);
    expect(list.malloc(32)).not.toBe(small);
    expect(list.malloc(10)).toBe(small);
  });
});

describe('bench PRNG', () => {
  it('is deterministic per seed, stays in range, and permutes', () => {
    const a = randomInts(createRng(5), 1000, 8, 512);
    const b = randomInts(createRng(5), 1000, 8, 512);
    expect(a).toEqual(b);
    expect(Math.min(...a)).toBe(8);
    expect(Math.max(...a)).toBe(512);
    expect(randomInts(createRng(6), 1000, 8, 512)).not.toEqual(a);
    const p = permutation(createRng(5), 500);
    expect([...p].sort((x, y) => x - y)).toEqual([...Array(500).keys()]);
  });
});
