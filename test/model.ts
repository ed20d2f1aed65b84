// A model of a heap for property tests: the live blocks and the bytes each must hold. `runOps`
// applies a sequence of operations to a real heap and to the model, and after every step checks
// the heap against the model: `check()` passes, every live block keeps its bytes, no two live
// blocks overlap, and the counters equal the model.
import fc from 'fast-check';
import { expect } from 'vitest';
import { createHeap, type Heap, OutOfMemoryError, type StoreKind } from '../src/index';
import { rawHooks } from '../src/port';
import { bytesEqual } from './helpers';

/** One step of a property test. `pick` chooses a live block by index (modulo their number). */
export type Op =
  | { op: 'malloc'; size: number }
  | { op: 'calloc'; count: number; size: number }
  | { op: 'realloc'; pick: number; size: number }
  | { op: 'free'; pick: number }
  | { op: 'aligned'; size: number; alignment: number }
  | { op: 'trim' };

/** Sizes from three ranges: small (pool-sized), medium, and large enough to force growth. */
export const sizeArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 4, arbitrary: fc.integer({ min: 500, max: 5000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 * 1024 }) },
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('malloc' as const), size: sizeArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('calloc' as const),
      count: fc.integer({ min: 0, max: 16 }),
      size: fc.integer({ min: 0, max: 400 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('realloc' as const), pick: fc.nat(), size: sizeArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('free' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('trim' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('aligned' as const),
      size: sizeArb,
      alignment: fc.constantFrom(1, 8, 16, 32, 64, 256, 4096, 65536),
    }),
  },
);

/** A fresh heap for a model run: small growable stores (growth happens), a 4 MiB fixed one. */
export function modelHeap(store: StoreKind, align: 8 | 16 = 16): Heap {
  return store === 'fixed'
    ? createHeap({ store, align, initialBytes: 4 << 20 })
    : createHeap({ store, align, initialBytes: 1 << 16, maxBytes: 64 << 20 });
}

interface Block {
  /** What was asked for. */
  size: number;
  /** The bytes the block must hold (its first `size` bytes). */
  content: Uint8Array;
}

/** Bytes derived from an id, so that two blocks' contents differ and a move or overlap shows. */
function pattern(id: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (id * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function view(heap: Heap, ptr: number, length: number): Uint8Array {
  return new Uint8Array(heap.buffer, ptr, length);
}

function write(heap: Heap, ptr: number, content: Uint8Array): void {
  view(heap, ptr, content.length).set(content);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return bytesEqual(a, b);
}

/** Applies `ops` to a fresh heap over `store`, checking it against the model after every step. */
export function runOps(
  store: StoreKind,
  ops: Op[],
  align: 8 | 16 = 16,
  hooked = false,
  make: (store: StoreKind, align: 8 | 16) => Heap = modelHeap,
): void {
  const heap = make(store, align);
  // With hooks installed the public entries take the path the optional layers use.
  if (hooked) heap._hooks = rawHooks(heap);
  const live = new Map<number, Block>();
  const order: number[] = []; // live pointers in allocation order, for `pick`
  let nextId = 1;
  let allocations = 0;
  let frees = 0;

  const adopt = (ptr: number, size: number, alignment: number): void => {
    expect(ptr).toBeGreaterThan(0);
    expect(ptr % alignment).toBe(0);
    expect(live.has(ptr)).toBe(false);
    expect(heap.usableSize(ptr)).toBeGreaterThanOrEqual(size);
    const content = pattern(nextId++, size);
    write(heap, ptr, content);
    live.set(ptr, { size, content });
    order.push(ptr);
    allocations++;
  };
  const forget = (ptr: number): void => {
    live.delete(ptr);
    order.splice(order.indexOf(ptr), 1);
  };
  /** Runs an allocating call; out of memory must throw OutOfMemoryError and change nothing. */
  const orOutOfMemory = (call: () => number): number => {
    const before = heap.stats();
    try {
      return call();
    } catch (e) {
      expect(e).toBeInstanceOf(OutOfMemoryError);
      expect(heap.stats()).toEqual(before);
      return 0;
    }
  };

  for (const step of ops) {
    switch (step.op) {
      case 'malloc': {
        const p = orOutOfMemory(() => heap.malloc(step.size));
        if (p !== 0) adopt(p, step.size, heap.align);
        break;
      }
      case 'calloc': {
        const total = step.count * step.size;
        const p = orOutOfMemory(() => heap.calloc(step.count, step.size));
        if (p !== 0) {
          expect(view(heap, p, total).every((b) => b === 0)).toBe(true);
          adopt(p, total, heap.align);
        }
        break;
      }
      case 'aligned': {
        const p = orOutOfMemory(() => heap.alignedAlloc(step.size, step.alignment));
        if (p !== 0) adopt(p, step.size, Math.max(step.alignment, heap.align));
        break;
      }
      case 'trim': {
        const before = heap.stats();
        const released = heap.trim();
        const after = heap.stats();
        expect(after.backingBytes).toBe(before.backingBytes - released);
        if (store !== 'resizable') expect(released).toBe(0);
        expect({ ...after, backingBytes: 0, freeBytes: 0, large: 0 }).toEqual({ ...before, backingBytes: 0, freeBytes: 0, large: 0 });
        break;
      }
      case 'free': {
        if (order.length === 0) {
          const before = heap.stats();
          heap.free(0);
          expect(heap.stats()).toEqual(before);
          break;
        }
        const p = order[step.pick % order.length] as number;
        heap.free(p);
        expect(heap.isLive(p)).toBe(false);
        forget(p);
        frees++;
        break;
      }
      case 'realloc': {
        if (order.length === 0) {
          const p = orOutOfMemory(() => heap.realloc(0, step.size));
          if (p !== 0) adopt(p, step.size, heap.align);
          break;
        }
        const p = order[step.pick % order.length] as number;
        const block = live.get(p) as Block;
        const before = heap.stats();
        const q = orOutOfMemory(() => heap.realloc(p, step.size));
        if (q === 0) {
          expect(heap.isLive(p)).toBe(true); // a failed realloc leaves the old block alone
          break;
        }
        const kept = Math.min(block.size, step.size);
        expect(same(view(heap, q, kept), block.content.subarray(0, kept))).toBe(true);
        const after = heap.stats();
        if (q === p) {
          expect(after.totalAllocations).toBe(before.totalAllocations);
          expect(after.totalFrees).toBe(before.totalFrees);
        } else {
          // A moving realloc frees the old block: one allocation and one free, no leak.
          expect(after.totalAllocations).toBe(before.totalAllocations + 1);
          expect(after.totalFrees).toBe(before.totalFrees + 1);
          expect(after.liveBlocks).toBe(before.liveBlocks);
          allocations++;
          frees++;
        }
        forget(p);
        allocations--;
        adopt(q, step.size, heap.align);
        break;
      }
    }
    verify(heap, live, allocations, frees);
  }
  for (const p of [...order]) {
    heap.free(p);
    forget(p);
  }
  heap.check();
  expect(heap.stats().liveBlocks).toBe(0);
  expect(heap.stats().liveBytes).toBe(0);
}

function verify(heap: Heap, live: Map<number, Block>, allocations: number, frees: number): void {
  heap.check();
  const stats = heap.stats();
  expect(stats.liveBlocks).toBe(live.size);
  expect(stats.totalAllocations).toBe(allocations);
  expect(stats.totalFrees).toBe(frees);
  let usable = 0;
  const spans: [number, number][] = [];
  for (const [ptr, block] of live) {
    const n = heap.usableSize(ptr);
    usable += n;
    spans.push([ptr, ptr + n]);
    expect(same(view(heap, ptr, block.size), block.content), `block ${ptr} lost its bytes`).toBe(true);
  }
  expect(stats.liveBytes).toBe(usable);
  expect(stats.peakLiveBytes).toBeGreaterThanOrEqual(usable);
  spans.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) {
    expect((spans[i - 1] as [number, number])[1], 'two live blocks overlap').toBeLessThanOrEqual((spans[i] as [number, number])[0]);
  }
  const last = spans[spans.length - 1];
  if (last !== undefined) expect(last[1]).toBeLessThanOrEqual(stats.backingBytes);
}
