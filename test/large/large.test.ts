import { describe, expect, it } from 'vitest';
import { createHeap, Heap } from '../../src/index';
import { checkTlsf, forEachChunk } from '../../src/large/check';
import { checkPattern, fillPattern, heapOf, STORES } from '../support/helpers';

// Layout facts the exact-address tests rely on: the header takes 8192 bytes, each chunk a 16-byte
// header, so the first payload is at 8208 and a request of n bytes takes roundUp(n + 16, 16).
const FIRST = 8192 + 16;

describe('large-object heap: exact addresses', () => {
  it('carves chunks in address order and reuses a freed one', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const a = heap.malloc(1000);
    expect(a).toBe(FIRST);
    const b = heap.malloc(1000);
    expect(b).toBe(FIRST + 1024);
    const c = heap.malloc(2000);
    expect(c).toBe(FIRST + 2048);
    expect(heap.usableSize(a)).toBe(1008);
    expect(heap.stats()).toMatchObject({ liveBlocks: 3, liveBytes: 1008 + 1008 + 2000, totalAllocations: 3, totalFrees: 0 });
    heap.free(b);
    expect(heap.stats()).toMatchObject({ liveBlocks: 2, liveBytes: 3008, totalFrees: 1 });
    expect(heap.stats().large).toMatchObject({ usedChunks: 3 - 1, freeChunks: 2 });
    // The freed 1024-byte chunk is the best fit for a request that needs exactly that much.
    expect(heap.malloc(1000)).toBe(b);
    heap.check();
  });

  it('merges a freed chunk with both neighbours at once', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const a = heap.malloc(1008);
    const b = heap.malloc(1008);
    const c = heap.malloc(1008);
    const d = heap.malloc(1008);
    heap.free(a);
    heap.free(c);
    expect(heap.stats().large.freeChunks).toBe(3); // a, c and the top
    heap.free(b); // merges a + b + c
    expect(heap.stats().large.freeChunks).toBe(2);
    heap.check();
    // The merged 3072-byte hole now serves a 3000-byte request at a's address.
    expect(heap.malloc(3000)).toBe(a);
    heap.free(d);
    heap.check();
  });

  it('keeps alignment for aligned requests and leaves the gap in front free', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const p = heap.alignedAlloc(4096, 65536);
    expect(p % 65536).toBe(0);
    const q = heap.malloc(600);
    expect(q).toBe(FIRST); // the gap before p serves ordinary requests
    heap.check();
    heap.free(p);
    heap.free(q);
    heap.check();
    expect(heap.stats().large.freeChunks).toBe(1);
  });

  it('aligns the chunk itself, header included, when asked with a skew of the header size', () => {
    // The threaded heap's large-chunk cache lays its chunks on cache lines this way.
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 22 });
    const large = heap._large;
    const ptrs: number[] = [];
    for (const request of [600, 1000, 4080, 65536, 65500, 100_000]) {
      for (let i = 0; i < 3; i++) {
        const p = large.alignedAlloc(request, 64, 16);
        expect((p - 16) % 64).toBe(0);
        expect(large.usableSize(p)).toBeGreaterThanOrEqual(request);
        expect(large.requestedOf(p)).toBe(request);
        ptrs.push(p);
        checkTlsf(large, () => {}); // TLSF's own walk: the facade's counters do not see these
      }
    }
    let chunks = 0;
    forEachChunk(large, () => chunks++);
    for (const p of ptrs) large.free(p);
    checkTlsf(large, () => {});
    let free = 0;
    forEachChunk(large, (_p, _size, isFree) => (free += isFree ? 1 : 0));
    expect(chunks).toBeGreaterThan(ptrs.length);
    expect(free).toBe(1); // every gap in front merged back
    heap.check();
  });

  it('realloc grows in place into a free right neighbour and shrinks in place', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const a = heap.malloc(1000);
    const b = heap.malloc(1000);
    const c = heap.malloc(1000);
    heap.free(b);
    fillPattern(heap, a, 1000, 1);
    expect(heap.realloc(a, 1900)).toBe(a);
    expect(checkPattern(heap, a, 1000, 1)).toBe(-1);
    expect(heap.realloc(a, 600)).toBe(a);
    expect(heap.usableSize(a)).toBe(608);
    heap.check();
    heap.free(c);
    heap.free(a);
    heap.check();
  });

  it('a moving realloc frees the old block (no leak)', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const a = heap.malloc(1000);
    const wall = heap.malloc(1000); // keeps a from growing in place
    fillPattern(heap, a, 1000, 9);
    const before = heap.stats();
    const moved = heap.realloc(a, 5000);
    expect(moved).not.toBe(a);
    expect(checkPattern(heap, moved, 1000, 9)).toBe(-1);
    const after = heap.stats();
    expect(after.liveBlocks).toBe(before.liveBlocks);
    expect(after.liveBytes).toBe(before.liveBytes - 1008 + 5008);
    expect(heap.isLive(a)).toBe(false);
    heap.free(moved);
    heap.free(wall);
    expect(heap.stats().liveBytes).toBe(0);
    expect(heap.stats().large.freeChunks).toBe(1);
    heap.check();
  });
});

describe.each(STORES)('large-object heap over a %s store', (store) => {
  it('grows the store when no chunk fits, or reports out of memory', () => {
    const heap = heapOf(store);
    const startBytes = heap.stats().backingBytes;
    const ptrs: number[] = [];
    for (let i = 0; i < 40; i++) ptrs.push(heap.malloc(60_000));
    expect(heap.stats().backingBytes).toBeGreaterThan(store === 'fixed' ? startBytes - 1 : startBytes);
    for (const [i, p] of ptrs.entries()) fillPattern(heap, p, 64, i);
    for (const [i, p] of ptrs.entries()) expect(checkPattern(heap, p, 64, i)).toBe(-1);
    heap.check();
    for (const p of ptrs) heap.free(p);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('realloc of the last block grows it in place with the store', () => {
    const heap = heapOf(store);
    const a = heap.malloc(40_000);
    const b = heap.malloc(1000);
    fillPattern(heap, b, 1000, 3);
    const grown = heap.realloc(b, 200_000);
    if (store !== 'fixed') expect(grown).toBe(b);
    expect(checkPattern(heap, grown, 1000, 3)).toBe(-1);
    heap.check();
    heap.free(a);
    heap.free(grown);
    heap.check();
  });

  it('a copy of the buffer attaches to the same heap and goes on allocating', () => {
    const heap = heapOf(store);
    const a = heap.malloc(3000);
    fillPattern(heap, a, 3000, 5);
    const buffer = heap.buffer;
    const copy = buffer instanceof SharedArrayBuffer ? buffer : buffer.slice(0);
    const other = Heap.attach(copy);
    other.check();
    expect(other.stats()).toEqual({ ...heap.stats(), store: other.store });
    expect(other.isLive(a)).toBe(true);
    expect(checkPattern(other, a, 3000, 5)).toBe(-1);
    const b = other.malloc(2000);
    other.free(a);
    other.free(b);
    other.check();
  });
});

describe('trim', () => {
  it('gives the free top of a resizable store back, and the heap still works', () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
    const keep = heap.malloc(1000);
    const big = heap.malloc(4 << 20);
    const grown = heap.stats().backingBytes;
    expect(grown).toBeGreaterThan(4 << 20);
    heap.free(big);
    const released = heap.trim();
    expect(released).toBeGreaterThan(3 << 20);
    expect(heap.stats().backingBytes).toBe(grown - released);
    heap.check();
    const again = heap.malloc(2 << 20);
    heap.check();
    heap.free(again);
    heap.free(keep);
    heap.check();
  });

  it('does nothing on stores that cannot shrink', () => {
    for (const store of ['fixed', 'shared', 'wasm'] as const) {
      const heap = createHeap({ store, initialBytes: store === 'fixed' ? 1 << 20 : 1 << 16, maxBytes: 1 << 22 });
      heap.free(heap.malloc(100_000));
      expect(heap.trim()).toBe(0);
      heap.check();
    }
  });
});
