// Heap.attach on a copy of the buffer (issue 2, sections 4 and 7): the copy sees the same heap
// (stats, blocks, contents), goes on allocating, and from then on the two diverge independently.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHeap, Heap, type StoreKind } from '../../src/index';
import { checkPattern, fillPattern, firstDifference, STORES, snapshot } from '../support/helpers';

/** A heap with live blocks of several sizes, free holes, and a store that has grown. */
function populated(store: StoreKind) {
  const heap = createHeap({ store, initialBytes: store === 'fixed' ? 1 << 20 : 1 << 16, maxBytes: 1 << 24 });
  const blocks: { ptr: number; size: number; id: number }[] = [];
  const sizes = [0, 24, 100, 512, 600, 3000, 40_000, 100_000, 777, 5000];
  for (const [i, size] of sizes.entries()) {
    const ptr = heap.malloc(size);
    fillPattern(heap, ptr, size, i + 1);
    blocks.push({ ptr, size, id: i + 1 });
  }
  // Holes: free every third block.
  const freed = blocks.filter((_, i) => i % 3 === 1);
  for (const b of freed) heap.free(b.ptr);
  const live = blocks.filter((_, i) => i % 3 !== 1);
  heap.check();
  return { heap, live, freed };
}

type Populated = ReturnType<typeof populated>;

/** The copy holds the same heap: figures, blocks, sizes, bytes; the freed ones are not live. */
function expectSameHeap(original: Heap, copy: Heap, { live, freed }: Populated): void {
  copy.check();
  expect(copy.align).toBe(original.align);
  expect({ ...copy.stats(), store: original.store, backingBytes: original.stats().backingBytes }).toEqual(original.stats());
  for (const b of live) {
    expect(copy.isLive(b.ptr)).toBe(true);
    expect(copy.usableSize(b.ptr)).toBe(original.usableSize(b.ptr));
    expect(checkPattern(copy, b.ptr, b.size, b.id)).toBe(-1);
  }
  for (const b of freed) expect(copy.isLive(b.ptr)).toBe(false);
}

/** Both heaps answer the same requests the same way, then each changes without touching the other. */
function expectDiverge(original: Heap, copy: Heap, { live }: Populated): void {
  // Same state, same allocator: the same requests get the same addresses (holes are reused).
  for (const size of [1000, 60, 3000]) {
    const p = original.malloc(size);
    const q = copy.malloc(size);
    expect(q).toBe(p);
    original.free(p);
    copy.free(q);
  }
  const originalBefore = snapshot(original);
  // The copy goes on: allocates (enough to grow a growable store), frees, reallocates.
  const grown = copy.malloc(2 << 20);
  fillPattern(copy, grown, 4096, 77);
  const first = live[0] as { ptr: number; size: number; id: number };
  copy.free(first.ptr);
  const moved = copy.realloc((live[2] as { ptr: number }).ptr, 200_000);
  copy.check();
  expect(checkPattern(copy, grown, 4096, 77)).toBe(-1);
  // ...and the original has not seen any of it.
  expect(firstDifference(original, originalBefore)).toBe(-1);
  expect(original.stats()).toEqual(originalBefore.stats);
  expect(original.isLive(first.ptr)).toBe(true);
  expect(checkPattern(original, first.ptr, first.size, first.id)).toBe(-1);
  // The original changes in turn; the copy's blocks stay as they are.
  const copyBefore = snapshot(copy);
  original.free(first.ptr);
  original.malloc(9000);
  original.check();
  expect(firstDifference(copy, copyBefore)).toBe(-1);
  copy.free(grown);
  copy.free(moved);
  copy.check();
}

/** A growable copy of a buffer: a resizable ArrayBuffer with room to grow. */
function resizableCopy(buffer: ArrayBufferLike): ArrayBuffer {
  const copy = new ArrayBuffer(buffer.byteLength, { maxByteLength: 1 << 24 });
  new Uint8Array(copy).set(new Uint8Array(buffer));
  return copy;
}

describe.each(STORES)('attach to a copy of a %s heap', (store) => {
  it('an ArrayBuffer slice (a fixed store)', () => {
    const p = populated(store);
    const copy = Heap.attach(new Uint8Array(p.heap.buffer).slice().buffer);
    expect(copy.store).toBe('fixed');
    expectSameHeap(p.heap, copy, p);
    // A fixed copy cannot grow: it goes on within its size and reports running out.
    expect(copy.tryMalloc(8 << 20)).toBe(0);
    const q = copy.malloc(2000);
    expect(p.heap.isLive(q)).toBe(false);
    copy.free(q);
    copy.check();
  });

  it('a resizable ArrayBuffer copy', () => {
    const p = populated(store);
    const copy = Heap.attach(resizableCopy(p.heap.buffer));
    expect(copy.store).toBe('resizable');
    expectSameHeap(p.heap, copy, p);
    expectDiverge(p.heap, copy, p);
  });

  it('a WebAssembly.Memory holding a copy', () => {
    const p = populated(store);
    const pages = p.heap.buffer.byteLength / 65536;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: 256 });
    new Uint8Array(memory.buffer).set(new Uint8Array(p.heap.buffer));
    const copy = Heap.attach(memory);
    expect(copy.store).toBe('wasm');
    expect(copy.memory).toBe(memory);
    expectSameHeap(p.heap, copy, p);
    expectDiverge(p.heap, copy, p);
    expect(memory.buffer.byteLength).toBeGreaterThan(pages * 65536); // it grew the memory it was given
  });

  it('a growable SharedArrayBuffer copy', () => {
    const p = populated(store);
    const sab = new SharedArrayBuffer(p.heap.buffer.byteLength, { maxByteLength: 1 << 24 });
    new Uint8Array(sab).set(new Uint8Array(p.heap.buffer));
    const copy = Heap.attach(sab);
    expect(copy.store).toBe('shared');
    expectSameHeap(p.heap, copy, p);
    expectDiverge(p.heap, copy, p);
  });

  it('a buffer written to disk and read back', () => {
    const p = populated(store);
    const dir = mkdtempSync(join(tmpdir(), 'arenalloc-'));
    try {
      const file = join(dir, 'heap.bin');
      writeFileSync(file, new Uint8Array(p.heap.buffer));
      const data = readFileSync(file);
      expect(data.length).toBe(p.heap.buffer.byteLength);
      // A Buffer may sit inside a larger pool: attach exactly its bytes, into a growable buffer.
      const restored = resizableCopy(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      const copy = Heap.attach(restored);
      expectSameHeap(p.heap, copy, p);
      expectDiverge(p.heap, copy, p);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('attach to the same memory, not a copy', () => {
  it('a second Heap over a shared SharedArrayBuffer sees every change the first makes', () => {
    const p = populated('shared');
    const other = Heap.attach(p.heap.buffer as SharedArrayBuffer);
    expectSameHeap(p.heap, other, p);
    const q = other.malloc(1500);
    fillPattern(other, q, 1500, 50);
    expect(p.heap.isLive(q)).toBe(true);
    expect(checkPattern(p.heap, q, 1500, 50)).toBe(-1);
    p.heap.free(q);
    expect(other.isLive(q)).toBe(false);
    other.check();
    p.heap.check();
    expect(other.stats()).toEqual(p.heap.stats());
  });

  it('a second Heap over a shared SharedArrayBuffer keeps working after the first grew it', () => {
    const p = populated('shared');
    const other = Heap.attach(p.heap.buffer as SharedArrayBuffer);
    const big = p.heap.malloc(4 << 20); // grows the store through the first heap
    fillPattern(p.heap, big, 4096, 60);
    expect(other.isLive(big)).toBe(true);
    expect(checkPattern(other, big, 4096, 60)).toBe(-1);
    other.check();
    expect(other.stats()).toEqual(p.heap.stats());
    const q = other.malloc(100_000);
    other.free(big);
    other.free(q);
    p.heap.check();
  });

  it('a second Heap over the same WebAssembly.Memory keeps working after the first grew it', () => {
    const p = populated('wasm');
    const other = Heap.attach(p.heap.memory as WebAssembly.Memory);
    const big = p.heap.malloc(4 << 20); // grows (and detaches) the memory through the first heap
    fillPattern(p.heap, big, 4096, 61);
    expect(other.isLive(big)).toBe(true);
    expect(checkPattern(other, big, 4096, 61)).toBe(-1);
    other.check();
    const q = other.malloc(100_000);
    other.free(big);
    other.free(q);
    p.heap.check();
  });

  it('two Heaps over the same resizable ArrayBuffer: growth by one and trim by the other', () => {
    const p = populated('resizable');
    const other = Heap.attach(p.heap.buffer as ArrayBuffer);
    const big = p.heap.malloc(4 << 20); // grows the buffer through the first heap
    fillPattern(p.heap, big, 4096, 62);
    expect(checkPattern(other, big, 4096, 62)).toBe(-1);
    other.check();
    other.free(big);
    expect(other.trim()).toBeGreaterThan(1 << 20); // shrinks it through the second
    p.heap.check();
    expect(p.heap.stats()).toEqual(other.stats());
    const q = p.heap.malloc(3000);
    expect(other.isLive(q)).toBe(true);
    other.free(q);
    p.heap.check();
  });
});
