/**
 * The checked references of the benchmarks (bench/baselines/checked-*.mjs, issue 14 §2). A
 * reference that skipped a check would set a limit no checked allocator has to meet, so these
 * prove that each one refuses every bad free arenalloc refuses — double, interior, misaligned,
 * foreign — with the same error code and the store byte for byte unchanged, and that it hands out
 * disjoint blocks against a model. No timing here: speed is shown by `npm run bench`.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain .mjs modules of the bench folder, without types
import { CheckedPymalloc } from '../../bench/baselines/checked-pymalloc.mjs';
// @ts-expect-error: plain .mjs modules of the bench folder, without types
import { CheckedTlsf } from '../../bench/baselines/checked-tlsf.mjs';
import { createRng } from '../../bench/lib/prng.mjs';

interface Reference {
  malloc(size: number): number;
  free(ptr: number): void;
  readonly mem: Int32Array;
  readonly liveBlocks: number;
  readonly backingBytes: number;
  readonly buffer: SharedArrayBuffer;
}

const round16 = (size: number) => (size === 0 ? 16 : (((size - 1) >> 4) + 1) << 4);

/**
 * A seeded random mix of malloc and free against a model (live blocks and their sizes): each
 * block's words hold its id, checked on free and at the end; alignment, bounds, no overlap, and
 * the live counter in the buffer after every step.
 */
function exercise(ref: Reference, minSize: number, maxSize: number, steps: number, seed: number): number {
  const rng = createRng(seed);
  const live = new Map<number, { words: number; id: number }>();
  const order: number[] = [];
  let nextId = 1;
  let reused = 0;
  const seen = new Set<number>();
  const verify = (ptr: number, block: { words: number; id: number }) => {
    for (let w = ptr >> 2; w < (ptr >> 2) + block.words; w++)
      if (ref.mem[w] !== block.id) throw new Error(`block ${block.id} at ${ptr} was overwritten at byte ${w * 4}`);
  };
  for (let step = 0; step < steps; step++) {
    if (order.length > 0 && rng.int(0, 2) === 0) {
      const at = rng.int(0, order.length - 1);
      const ptr = order[at]!;
      order[at] = order[order.length - 1]!;
      order.pop();
      verify(ptr, live.get(ptr)!);
      ref.free(ptr);
      live.delete(ptr);
    } else {
      const size = rng.int(minSize, maxSize);
      const ptr = ref.malloc(size);
      expect(ptr % 16).toBe(0);
      expect(live.has(ptr)).toBe(false);
      if (seen.has(ptr)) reused++;
      seen.add(ptr);
      const block = { words: round16(size) >> 2, id: nextId++ };
      expect(ptr + block.words * 4).toBeLessThanOrEqual(ref.backingBytes);
      ref.mem.fill(block.id, ptr >> 2, (ptr >> 2) + block.words);
      live.set(ptr, block);
      order.push(ptr);
    }
    expect(ref.liveBlocks).toBe(live.size);
  }
  for (const [ptr, block] of live) verify(ptr, block);
  for (const ptr of order) ref.free(ptr);
  expect(ref.liveBlocks).toBe(0);
  return reused;
}

/** Expects `fn` to throw an error with `code`, leaving every byte of the store as it was. */
function refused(ref: Reference, code: string, fn: () => void): void {
  const before = new Uint8Array(ref.buffer).slice();
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect((error as { code?: string } | undefined)?.code).toBe(code);
  expect(new Uint8Array(ref.buffer).slice().every((b, i) => b === before[i])).toBe(true);
}

function badFrees(make: () => Reference, size: number): void {
  const ref = make();
  const other = make();
  const a = ref.malloc(size);
  const b = ref.malloc(size);
  const c = ref.malloc(size);
  ref.free(b);
  refused(ref, 'ERR_DOUBLE_FREE', () => ref.free(b));
  refused(ref, 'ERR_INVALID_POINTER', () => ref.free(a + 16)); // interior, aligned
  refused(ref, 'ERR_INVALID_POINTER', () => ref.free(a + 4)); // misaligned
  refused(ref, 'ERR_INVALID_POINTER', () => ref.free(ref.backingBytes + 16)); // past the store
  refused(ref, 'ERR_INVALID_POINTER', () => ref.free(16)); // the state area
  refused(ref, 'ERR_INVALID_POINTER', () => ref.free(-16));
  refused(ref, 'ERR_INVALID_POINTER', () => ref.free(a + 0.5));
  refused(ref, 'ERR_INVALID_POINTER', () => ref.free(Number.NaN));
  refused(ref, 'ERR_INVALID_POINTER', () => ref.free('64' as unknown as number));
  // Foreign: a pointer another heap of the same shape handed out, at an address where this one
  // has no block start (its third block's address is this heap's c + size, inside c's block).
  const o1 = other.malloc(size);
  other.malloc(size);
  expect(o1).toBe(a);
  refused(ref, 'ERR_INVALID_POINTER', () => ref.free(c + 16));
  refused(ref, 'ERR_INVALID_SIZE', () => ref.malloc(-1));
  refused(ref, 'ERR_INVALID_SIZE', () => ref.malloc(1.5));
  ref.free(a);
  ref.free(c);
  expect(ref.liveBlocks).toBe(0);
}

describe('CheckedPymalloc (the checked small-object reference)', () => {
  it('hands out disjoint blocks of 0..512 bytes against a model, across growth and pool reuse', () => {
    const ref = new CheckedPymalloc(1 << 17, 1 << 26);
    const reused = exercise(ref, 0, 512, 20_000, 11);
    expect(reused).toBeGreaterThan(1000);
    expect(ref.backingBytes).toBeGreaterThan(1 << 17);
  });

  it('refuses double, interior, misaligned and foreign frees and bad sizes, changing nothing', () => {
    badFrees(() => new CheckedPymalloc(), 48);
    refused(new CheckedPymalloc(), 'ERR_INVALID_SIZE', () => new CheckedPymalloc().malloc(513));
  });

  it('keeps an emptied pool for any class: a block freed back empties it, the next class re-initialises it', () => {
    const ref = new CheckedPymalloc();
    const p = ref.malloc(16);
    ref.free(p);
    const q = ref.malloc(16);
    expect(q).toBe(p); // same class, the pool's list kept
    ref.free(q);
    const r = ref.malloc(500);
    expect(r).toBe(p); // another class takes the emptied pool from its start
    refused(ref, 'ERR_INVALID_POINTER', () => ref.free(r + 16));
    ref.free(r);
  });

  it('refuses a free once the pool was given to another class', () => {
    const ref = new CheckedPymalloc();
    const p = ref.malloc(16);
    const q = ref.malloc(16);
    ref.free(p);
    ref.free(q);
    ref.malloc(512); // takes the pool, whose first block starts where p did
    refused(ref, 'ERR_INVALID_POINTER', () => ref.free(q));
  });
});

describe('CheckedTlsf (the checked large-block reference)', () => {
  it('hands out disjoint blocks of 1..64 KiB against a model, merging and growing', () => {
    const ref = new CheckedTlsf(1 << 16, 1 << 28);
    const reused = exercise(ref, 1, 65536, 6000, 12);
    expect(reused).toBeGreaterThan(100);
    expect(ref.backingBytes).toBeGreaterThan(1 << 16);
    // Everything merged back: one free chunk from the first chunk to the sentinel.
    const whole = ref.backingBytes - 4096 - 32;
    const p = ref.malloc(whole);
    expect(p).toBe(4096 + 16);
    ref.free(p);
  });

  it('refuses double, interior, misaligned and foreign frees and bad sizes, changing nothing', () => {
    badFrees(() => new CheckedTlsf(), 2000);
    badFrees(() => new CheckedTlsf(), 1);
  });

  it('reports a pointer into a chunk its predecessor swallowed as a double free', () => {
    const ref = new CheckedTlsf();
    const a = ref.malloc(1000);
    const b = ref.malloc(1000);
    const keep = ref.malloc(1000);
    ref.free(a);
    ref.free(b); // merges into a
    refused(ref, 'ERR_DOUBLE_FREE', () => ref.free(b));
    ref.free(keep);
  });
});
