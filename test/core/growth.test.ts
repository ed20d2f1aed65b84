// Growth and staleness over the four stores: the heap's own views are re-bound after growth, and a
// view handed to a user says when it no longer reads the heap's memory.
import { describe, expect, it } from 'vitest';
import { createHeap, Heap, StaleViewError } from '../../src/index';
import { checkPattern, expectError, fillPattern, STORES } from '../support/helpers';

describe.each(STORES.filter((s) => s !== 'fixed'))('growth of a %s store', (store) => {
  it('re-binds the views: blocks keep their bytes, new blocks live in the new space', () => {
    const heap = createHeap({ store, initialBytes: 1 << 16, maxBytes: 1 << 24 });
    const a = heap.malloc(3000);
    fillPattern(heap, a, 3000, 1);
    const epoch = heap.epoch;
    const before = heap.stats().backingBytes;
    const big = heap.malloc(1 << 20);
    const after = heap.stats().backingBytes;
    expect(after).toBeGreaterThan(before);
    expect(heap.epoch).toBeGreaterThan(epoch);
    expect(heap.buffer.byteLength).toBe(after);
    expect(heap.stats().peakBackingBytes).toBe(after);
    expect(big + (1 << 20)).toBeLessThanOrEqual(after);
    fillPattern(heap, big, 1 << 20, 2);
    expect(checkPattern(heap, a, 3000, 1)).toBe(-1);
    expect(checkPattern(heap, big, 1 << 20, 2)).toBe(-1);
    heap.check();
    heap.free(big);
    heap.free(a);
    heap.check();
  });

  it('a user view taken before growth is stale exactly when the buffer was replaced', () => {
    const heap = createHeap({ store, initialBytes: 1 << 16, maxBytes: 1 << 24 });
    const a = heap.malloc(1000);
    const view = heap.bytes(a);
    const words = new Int32Array(heap.buffer, a, 250);
    expect(heap.isStale(view)).toBe(false);
    expect(heap.assertFresh(view)).toBe(view);
    heap.malloc(1 << 20); // grows the store
    const replaced = store === 'wasm'; // WebAssembly.Memory.grow detaches the old buffer
    expect(heap.isStale(view)).toBe(replaced);
    expect(heap.isStale(words)).toBe(replaced);
    if (replaced) {
      expect(view.length).toBe(0); // detached: it reads nothing any more
      const e = expectError(() => heap.assertFresh(view), StaleViewError, 'ERR_STALE_VIEW');
      expect(e.message).toMatch(/new one/);
      expectError(() => heap.assertFresh(words), StaleViewError, 'ERR_STALE_VIEW');
    } else {
      // Grown in place: the old view still reads and writes the block.
      view[0] = 42;
      expect(heap.bytes(a)[0]).toBe(42);
      expect(heap.assertFresh(view)).toBe(view);
    }
    const fresh = heap.bytes(a);
    expect(heap.isStale(fresh)).toBe(false);
    expect(heap.assertFresh(fresh)).toBe(fresh);
    heap.check();
  });

  it('grows step by step, each time re-binding, up to maxBytes and no further', () => {
    const heap = createHeap({ store, initialBytes: 1 << 16, maxBytes: 1 << 21 });
    const blocks: number[] = [];
    let epochs = heap.epoch;
    let lastBytes = heap.stats().backingBytes;
    for (;;) {
      const p = heap.tryMalloc(50_000);
      if (p === 0) break;
      fillPattern(heap, p, 64, blocks.length);
      blocks.push(p);
      const bytes = heap.stats().backingBytes;
      if (bytes !== lastBytes) {
        expect(heap.epoch).toBe(epochs + 1);
        epochs = heap.epoch;
        lastBytes = bytes;
      }
      heap.check();
    }
    expect(heap.stats().backingBytes).toBeLessThanOrEqual(1 << 21);
    expect(blocks.length).toBeGreaterThan(35);
    for (const [i, p] of blocks.entries()) expect(checkPattern(heap, p, 64, i)).toBe(-1);
    for (const p of blocks) heap.free(p);
    heap.check();
    expect(heap.stats().large.freeChunks).toBe(1);
  });

  it('grows by a sixteenth at a time, so the store stays close to what the blocks need', () => {
    const heap = createHeap({ store, initialBytes: 1 << 20, maxBytes: 1 << 28 });
    let live = 0;
    let growths = 0;
    let last = heap.stats().backingBytes;
    for (let i = 0; i < 1000; i++) {
      const size = 40_000 + ((i * 7919) % 30_000);
      heap.malloc(size);
      live += size;
      const bytes = heap.stats().backingBytes;
      if (bytes !== last) {
        growths++;
        // Each growth adds max(a sixteenth, one page) beyond what was missing, never a doubling.
        expect(bytes - last).toBeLessThanOrEqual(Math.max(last >>> 4, 65536) + 70_000 + 65536);
        last = bytes;
      }
    }
    expect(live).toBeGreaterThan(50 << 20);
    expect(heap.stats().backingBytes / live).toBeLessThan(1.1);
    expect(growths).toBeLessThan(80); // amortised: logarithmic in the growth, not linear
    heap.check();
  });
});

describe('staleness without growth', () => {
  it('a fixed store never goes stale and its views stay valid', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const a = heap.malloc(1000);
    const view = heap.bytes(a);
    for (let i = 0; i < 100; i++) heap.free(heap.malloc(5000));
    expect(heap.epoch).toBe(0);
    expect(heap.isStale(view)).toBe(false);
  });

  it('a view over another buffer is stale', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    expect(heap.isStale(new Uint8Array(16))).toBe(true);
    expectError(() => heap.assertFresh(new Uint8Array(16)), StaleViewError, 'ERR_STALE_VIEW');
  });

  it('trim: a view over the released top is stale, one below it is not', () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
    const low = heap.malloc(1000);
    const big = heap.malloc(2 << 20);
    const lowView = heap.bytes(low);
    const topView = heap.bytes(big); // 2 MiB: its end lies far above what trim keeps
    const topWords = new Float64Array(heap.buffer, big + (1 << 20), 16);
    const topData = new DataView(heap.buffer, big + (1 << 20) + 65536, 64);
    heap.free(big);
    expect(heap.trim()).toBeGreaterThan(1 << 20);
    expect(heap.isStale(lowView)).toBe(false);
    expect(heap.isStale(topView)).toBe(true);
    expect(heap.isStale(topWords)).toBe(true);
    expect(heap.isStale(topData)).toBe(true);
    expectError(() => heap.assertFresh(topView), StaleViewError, 'ERR_STALE_VIEW');
    // The heap goes on: the released space comes back on demand.
    const again = heap.malloc(3 << 20);
    expect(heap.isStale(heap.bytes(again))).toBe(false);
    heap.free(again);
    heap.free(low);
    heap.check();
  });
});

describe('a heap restored into a buffer of another length', () => {
  it('grows to a maxByteLength that is not a multiple of the page size and stays consistent', () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 20 });
    const a = heap.malloc(2000);
    fillPattern(heap, a, 2000, 4);
    // A user restores the heap into a resizable buffer whose limit is not page-aligned.
    for (const maxByteLength of [(1 << 18) + 8, (1 << 18) + 24, (1 << 18) + 1000, (1 << 18) + 65535]) {
      const restored = new ArrayBuffer(heap.buffer.byteLength, { maxByteLength });
      new Uint8Array(restored).set(new Uint8Array(heap.buffer));
      const copy = Heap.attach(restored);
      copy.check();
      const blocks: number[] = [];
      for (;;) {
        const p = copy.tryMalloc(10_000);
        if (p === 0) break;
        blocks.push(p);
        copy.check();
      }
      expect(copy.stats().backingBytes).toBeLessThanOrEqual(maxByteLength);
      expect(blocks.length).toBeGreaterThan(15);
      expect(checkPattern(copy, a, 2000, 4)).toBe(-1);
      for (const p of blocks) copy.free(p);
      copy.check();
    }
  });

  it('a fixed buffer longer than the heap by a few bytes: the extra space is used and the heap stays aligned', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 16 });
    const a = heap.malloc(2000);
    fillPattern(heap, a, 2000, 5);
    for (const extra of [8, 24, 4100, 65535]) {
      const restored = new ArrayBuffer(heap.buffer.byteLength + extra);
      new Uint8Array(restored).set(new Uint8Array(heap.buffer));
      const copy = Heap.attach(restored);
      copy.check();
      const blocks: number[] = [];
      for (;;) {
        const p = copy.tryMalloc(5_000);
        if (p === 0) break;
        blocks.push(p);
        copy.check();
      }
      expect(blocks.length).toBeGreaterThan(5);
      expect(checkPattern(copy, a, 2000, 5)).toBe(-1);
      for (const p of blocks) copy.free(p);
      copy.check();
    }
  });
});
