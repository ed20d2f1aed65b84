// The model every property test checks a heap against (test/support/property.ts runs them).
//
// - HeapModel: the live blocks, the bytes each must hold, the pointers freed since, and how many
//   allocations and frees the heap must have counted. It works through a `bytes(ptr, length)`
//   view, so the same model checks a Heap, a debug heap, a strategy or a memory shared with WASM.
// - ObjectModel: refcounted objects, their external holds and their two ref fields; it says what
//   refcounting frees (`settle`) and what the cycle detector must leave alive (`reachable`).
// - runOps: the core model test (malloc, calloc, realloc, free, alignedAlloc, trim over any
//   store), used by test/core/property.test.ts, test/wasm/base.property.test.ts and the soak.
import fc from 'fast-check';
import { expect } from 'vitest';
import { createHeap, type Heap, OutOfMemoryError, type StoreKind } from '../../src/index';
import { rawHooks } from '../../src/port';
import { bytesEqual } from './helpers';
import { type PropertySpec, runSteps } from './property';

/** Bytes derived from an id, so that two blocks' contents differ and a move or overlap shows. */
export function pattern(id: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (id * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** What the model knows of one live block. */
export interface ModelBlock {
  /** What was asked for. */
  size: number;
  /** The bytes the block must hold (its first `size` bytes). */
  content: Uint8Array;
  /** Issued in allocation order, from 1. */
  id: number;
}

/** A live view of `length` bytes at `ptr` in the allocator under test. */
export type BytesAt = (ptr: number, length: number) => Uint8Array;

/** The bytes at `ptr` of a heap's current buffer (re-read on every call, so growth is followed). */
export function heapBytes(heap: Heap): BytesAt {
  return (ptr, length) => new Uint8Array(heap.buffer, ptr, length);
}

/** The model of the blocks an allocator has handed out. */
export class HeapModel {
  /** Live blocks by pointer. */
  readonly blocks = new Map<number, ModelBlock>();
  /** Live pointers in the order `pick` chooses from: allocation order, unless a realloc kept its place. */
  readonly order: number[] = [];
  /** Pointers given back (by free or by a realloc that moved), oldest first; some may be live again. */
  readonly freed: number[] = [];
  /** Allocations and frees the allocator must have counted (a moving realloc is one of each). */
  allocations = 0;
  frees = 0;
  private nextId = 1;

  constructor(readonly bytes: BytesAt) {}

  get size(): number {
    return this.blocks.size;
  }

  /** The id the next block will get: every block with a larger or equal id came after this moment. */
  get nextBlockId(): number {
    return this.nextId;
  }

  /** The live block `n` chooses (modulo their number), or undefined when none is live. */
  pick(n: number): number | undefined {
    return this.order.length === 0 ? undefined : this.order[n % this.order.length];
  }

  /** The sum of the sizes asked for. */
  requestedBytes(): number {
    let n = 0;
    for (const block of this.blocks.values()) n += block.size;
    return n;
  }

  /** A new block at `ptr`: it must not be live already; fills it with bytes of its own. */
  allocated(ptr: number, size: number): ModelBlock {
    expect(ptr).toBeGreaterThan(0);
    expect(this.blocks.has(ptr), `${ptr} handed out while live`).toBe(false);
    const block = { size, content: pattern(this.nextId, size), id: this.nextId++ };
    this.bytes(ptr, size).set(block.content);
    this.blocks.set(ptr, block);
    this.order.push(ptr);
    this.allocations++;
    return block;
  }

  /** The live block at `ptr` was freed. */
  released(ptr: number): void {
    this.forget(ptr);
    this.freed.push(ptr);
    this.frees++;
  }

  /**
   * A realloc of the live block `from` to `size` returned `to`: the first min(old, new) bytes came
   * along, and the block gets fresh bytes. A block that moved counts one allocation and one free;
   * it takes the last place in `order`, or keeps its place with `keepPlace`.
   */
  reallocated(from: number, to: number, size: number, keepPlace = false): ModelBlock {
    const old = this.blocks.get(from) as ModelBlock;
    expect(to === from || !this.blocks.has(to), `realloc moved ${from} onto the live block ${to}`).toBe(true);
    const kept = Math.min(old.size, size);
    this.expectBlockBytes(to, old.content.subarray(0, kept), `realloc(${from}, ${size}) to ${to} lost bytes it keeps`);
    const place = this.order.indexOf(from);
    this.forget(from);
    if (to !== from) {
      this.freed.push(from);
      this.allocations++;
      this.frees++;
    }
    const block = { size, content: pattern(this.nextId, size), id: this.nextId++ };
    this.bytes(to, size).set(block.content);
    this.blocks.set(to, block);
    if (keepPlace) this.order.splice(place, 0, to);
    else this.order.push(to);
    return block;
  }

  /** Drops a live block without a free (a bump allocator's release of everything after a mark). */
  forget(ptr: number): void {
    this.blocks.delete(ptr);
    this.order.splice(this.order.indexOf(ptr), 1);
  }

  /** Every live block holds its bytes. */
  expectBytes(): void {
    for (const [ptr, block] of this.blocks) this.expectBlockBytes(ptr, block.content, `block ${ptr} lost its bytes`);
  }

  /** No two live blocks overlap, by their usable extents (at least one byte each); the last ends by `end`. */
  expectDisjoint(usable: (ptr: number) => number, end = Number.POSITIVE_INFINITY): void {
    const spans: [number, number][] = [];
    for (const ptr of this.blocks.keys()) spans.push([ptr, ptr + Math.max(1, usable(ptr))]);
    spans.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) {
      expect((spans[i - 1] as [number, number])[1], 'two live blocks overlap').toBeLessThanOrEqual((spans[i] as [number, number])[0]);
    }
    const last = spans[spans.length - 1];
    if (last !== undefined) expect(last[1]).toBeLessThanOrEqual(end);
  }

  private expectBlockBytes(ptr: number, content: Uint8Array, message: string): void {
    const now = this.bytes(ptr, content.length);
    const same = bytesEqual(now, content);
    let i = 0;
    if (!same) while (now[i] === content[i]) i++;
    expect(same, same ? message : `${message}: byte ${i} is ${now[i]}, expected ${content[i]}`).toBe(true);
  }
}

/** What a plain heap must agree with after every step (see {@link expectHeapAgrees}). */
export interface HeapAgreement {
  /** Compare the allocation and free totals with the model's (they count from the heap's creation). */
  totals?: boolean;
}

/**
 * The heap against the model: as many live blocks as the model, each live, with room for what was
 * asked and its bytes; live bytes the sum of usable sizes (and no more than the peak); no two
 * blocks overlap, all inside the store; and, with `totals`, the allocation and free counts.
 */
export function expectHeapAgrees(heap: Heap, model: HeapModel, options: HeapAgreement = {}): void {
  const stats = heap.stats();
  expect(stats.liveBlocks).toBe(model.size);
  if (options.totals) {
    expect(stats.totalAllocations).toBe(model.allocations);
    expect(stats.totalFrees).toBe(model.frees);
  }
  let usable = 0;
  for (const [ptr, block] of model.blocks) {
    expect(heap.isLive(ptr)).toBe(true);
    const n = heap.usableSize(ptr);
    expect(n).toBeGreaterThanOrEqual(block.size);
    usable += n;
  }
  model.expectBytes();
  expect(stats.liveBytes).toBe(usable);
  expect(stats.peakLiveBytes).toBeGreaterThanOrEqual(usable);
  model.expectDisjoint((ptr) => heap.usableSize(ptr), stats.backingBytes);
}

/** What the model knows of one refcounted object. */
export interface ModelObject {
  node: boolean;
  /** References held from outside the heap. */
  holds: number;
  /** What its two ref fields point at (0 for none). */
  refs: [number, number];
}

/**
 * The object graph: each object's external holds and ref fields. Refcounting destroys an object
 * when its holds plus the ref fields of live objects that point at it reach zero (`settle`), so an
 * unreachable cycle stays alive; the cycle detector leaves exactly what `reachable` returns.
 */
export class ObjectModel {
  readonly objects = new Map<number, ModelObject>();

  get size(): number {
    return this.objects.size;
  }

  /** A new object at `ptr`, held once; a pointer freed earlier may come back. */
  created(ptr: number, node: boolean): ModelObject {
    const object: ModelObject = { node, holds: 1, refs: [0, 0] };
    this.objects.set(ptr, object); // over whatever the model still knew under that pointer, in its place
    return object;
  }

  get(ptr: number): ModelObject {
    return this.objects.get(ptr) as ModelObject;
  }

  pointers(): number[] {
    return [...this.objects.keys()];
  }

  /** The objects with external holds. */
  holders(): number[] {
    return [...this.objects].filter(([, o]) => o.holds > 0).map(([p]) => p);
  }

  /** Refcounting's verdict: removes the objects nothing holds and no live object points at, until none is left. */
  settle(): void {
    for (;;) {
      const incoming = new Map<number, number>();
      for (const o of this.objects.values()) for (const t of o.refs) if (t !== 0) incoming.set(t, (incoming.get(t) ?? 0) + 1);
      const dead = [...this.objects].filter(([p, o]) => o.holds + (incoming.get(p) ?? 0) === 0).map(([p]) => p);
      if (dead.length === 0) return;
      for (const p of dead) this.objects.delete(p);
    }
  }

  /** The objects reachable from those with external holds. */
  reachable(): Set<number> {
    const seen = new Set<number>();
    const stack = this.holders();
    while (stack.length > 0) {
      const p = stack.pop() as number;
      if (seen.has(p)) continue;
      seen.add(p);
      for (const t of this.get(p).refs) if (t !== 0 && !seen.has(t)) stack.push(t);
    }
    return seen;
  }

  /** The cycle detector's verdict after a full collection: removes every object not reachable. */
  prune(): Set<number> {
    const keep = this.reachable();
    for (const p of this.pointers()) if (!keep.has(p)) this.objects.delete(p);
    return keep;
  }

  /** Each object's external holds, as `rc.checkObjects` takes them. */
  holds(): Map<number, number> {
    return new Map([...this.objects].map(([p, o]) => [p, o.holds] as [number, number]));
  }
}

/** One step of the core model test. `pick` chooses a live block by index (modulo their number). */
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

/** The world of the core model test: one heap and its model. */
export interface CoreWorld {
  heap: Heap;
  model: HeapModel;
  store: StoreKind;
}

/** The core model test as a spec: any store, either alignment, the raw or the hooks path. */
export function coreSpec(
  store: StoreKind,
  align: 8 | 16 = 16,
  hooked = false,
  make: (store: StoreKind, align: 8 | 16) => Heap = modelHeap,
): PropertySpec<Op, CoreWorld> {
  return {
    step: opArb,
    minSteps: 1,
    maxSteps: 80,
    setup: () => {
      const heap = make(store, align);
      // With hooks installed the public entries take the path the optional layers use.
      if (hooked) heap._hooks = rawHooks(heap);
      return { heap, model: new HeapModel(heapBytes(heap)), store };
    },
    apply: applyCoreOp,
    layers: ({ heap }) => ({ heaps: [heap] }),
    verify: ({ heap, model }) => expectHeapAgrees(heap, model, { totals: true }),
    finish: ({ heap, model }) => {
      for (const p of [...model.order]) {
        heap.free(p);
        model.released(p);
      }
      heap.check();
      expect(heap.stats().liveBlocks).toBe(0);
      expect(heap.stats().liveBytes).toBe(0);
    },
  };
}

/** Applies `ops` to a fresh heap over `store`, checking it against the model after every step. */
export function runOps(
  store: StoreKind,
  ops: Op[],
  align: 8 | 16 = 16,
  hooked = false,
  make: (store: StoreKind, align: 8 | 16) => Heap = modelHeap,
): void {
  runSteps(coreSpec(store, align, hooked, make), ops);
}

/** A new block from the heap: aligned, with room for what was asked, then in the model. */
function adopt({ heap, model }: CoreWorld, ptr: number, size: number, alignment: number): void {
  expect(ptr % alignment).toBe(0);
  expect(heap.usableSize(ptr)).toBeGreaterThanOrEqual(size);
  model.allocated(ptr, size);
}

/** Runs an allocating call; out of memory must throw OutOfMemoryError and change nothing. */
function orOutOfMemory(heap: Heap, call: () => number): number {
  const before = heap.stats();
  try {
    return call();
  } catch (e) {
    expect(e).toBeInstanceOf(OutOfMemoryError);
    expect(heap.stats()).toEqual(before);
    return 0;
  }
}

function applyCoreOp(world: CoreWorld, step: Op): void {
  const { heap, model, store } = world;
  switch (step.op) {
    case 'malloc': {
      const p = orOutOfMemory(heap, () => heap.malloc(step.size));
      if (p !== 0) adopt(world, p, step.size, heap.align);
      break;
    }
    case 'calloc': {
      const total = step.count * step.size;
      const p = orOutOfMemory(heap, () => heap.calloc(step.count, step.size));
      if (p !== 0) {
        expect(model.bytes(p, total).every((b) => b === 0)).toBe(true);
        adopt(world, p, total, heap.align);
      }
      break;
    }
    case 'aligned': {
      const p = orOutOfMemory(heap, () => heap.alignedAlloc(step.size, step.alignment));
      if (p !== 0) adopt(world, p, step.size, Math.max(step.alignment, heap.align));
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
      const p = model.pick(step.pick);
      if (p === undefined) {
        const before = heap.stats();
        heap.free(0);
        expect(heap.stats()).toEqual(before);
        break;
      }
      heap.free(p);
      expect(heap.isLive(p)).toBe(false);
      model.released(p);
      break;
    }
    case 'realloc': {
      const p = model.pick(step.pick);
      if (p === undefined) {
        const q = orOutOfMemory(heap, () => heap.realloc(0, step.size));
        if (q !== 0) adopt(world, q, step.size, heap.align);
        break;
      }
      const before = heap.stats();
      const q = orOutOfMemory(heap, () => heap.realloc(p, step.size));
      if (q === 0) {
        expect(heap.isLive(p)).toBe(true); // a failed realloc leaves the old block alone
        break;
      }
      const after = heap.stats();
      if (q === p) {
        expect(after.totalAllocations).toBe(before.totalAllocations);
        expect(after.totalFrees).toBe(before.totalFrees);
      } else {
        // A moving realloc frees the old block: one allocation and one free, no leak.
        expect(after.totalAllocations).toBe(before.totalAllocations + 1);
        expect(after.totalFrees).toBe(before.totalFrees + 1);
        expect(after.liveBlocks).toBe(before.liveBlocks);
      }
      expect(q % heap.align).toBe(0);
      expect(heap.usableSize(q)).toBeGreaterThanOrEqual(step.size);
      model.reallocated(p, q, step.size);
      break;
    }
  }
}
