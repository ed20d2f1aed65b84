// The pool map (src/small/layout.ts): one bit per pool-sized page, set exactly while the page is
// a pool that malloc has handed out. `free` trusts it to tell small blocks from large ones, so
// these tests try to fool it and to break it.
import { describe, expect, it } from 'vitest';
import { createHeap, Heap, InvalidPointerError, type StoreKind } from '../../src/index';
import { SmallState } from '../../src/layout';
import { expectRejected, STORES } from '../support/helpers';

const POOL = 16384;

function mapBit(heap: Heap, page: number): number {
  const u32 = heap._mem.u32;
  const map = u32[SmallState.POOL_MAP] as number;
  return ((u32[(map >>> 2) + (page >>> 5)] as number) >>> (page & 31)) & 1;
}

function setMapBit(heap: Heap, page: number, on: boolean): void {
  const u32 = heap._mem.u32;
  const w = ((u32[SmallState.POOL_MAP] as number) >>> 2) + (page >>> 5);
  u32[w] = on ? (u32[w] as number) | (1 << (page & 31)) : (u32[w] as number) & ~(1 << (page & 31));
}

describe.each(STORES)('pool map over a %s store', (store: StoreKind) => {
  const make = () => createHeap(store === 'fixed' ? { store, initialBytes: 4 << 20 } : { store });

  it('is set for the pools malloc has handed out, and cleared when their arena goes back', () => {
    const heap = make();
    const first = heap.malloc(16);
    const pool = first - (first & (POOL - 1));
    expect(mapBit(heap, pool / POOL)).toBe(1);
    // The arena's other pools are untouched: not in the map.
    expect(mapBit(heap, pool / POOL + 1)).toBe(0);
    // A second arena, then everything freed: the spare stays (its used pool keeps its bit), the
    // other arena goes back and its pools leave the map.
    const blocks: number[] = [];
    for (let i = 0; i < 20_000; i++) blocks.push(heap.malloc(32));
    const last = blocks[blocks.length - 1] as number;
    const lastPage = (last - (last & (POOL - 1))) / POOL;
    expect(heap.stats().small.arenas).toBeGreaterThan(1);
    expect(mapBit(heap, lastPage)).toBe(1);
    heap.check();
    for (const p of blocks) heap.free(p);
    heap.free(first);
    heap.check();
    expect(heap.stats().small.arenas).toBe(1);
    let mapped = 0;
    for (let page = 0; page < heap._mem.byteLength / POOL; page++) mapped += mapBit(heap, page);
    expect(mapped).toBe(heap.stats().small.arenas * 16 - heap.stats().small.freePools + countEmptyHandedOut(heap));
  });

  it('a large block full of words that look like a pool header is still a large block', () => {
    const heap = make();
    heap.malloc(16); // an arena exists: arena index 0 is a valid one
    const big = heap.malloc(4 * POOL);
    // Zeros everywhere: a would-be pool header at each 16 KiB boundary inside the block names
    // arena 0, count 0, class 0, with a clear live bitmap.
    heap.bytes(big).fill(0);
    const inside = big + POOL - (big & (POOL - 1));
    for (const ptr of [inside, inside + 64, inside + 16 * 10]) {
      expectRejected(heap, () => heap.free(ptr), InvalidPointerError, 'ERR_INVALID_POINTER');
    }
    heap.free(big);
    heap.check();
  });

  it('check() finds a pool missing from the map, and an untouched pool in it', () => {
    const heap = make();
    const p = heap.malloc(48);
    const page = (p - (p & (POOL - 1))) / POOL;
    setMapBit(heap, page, false);
    expect(() => heap.check()).toThrow(/missing from the pool map/);
    setMapBit(heap, page, true);
    heap.check();
    setMapBit(heap, page + 1, true);
    expect(() => heap.check()).toThrow(/untouched pool .* is in the pool map/);
    setMapBit(heap, page + 1, false);
    heap.check();
    // A bit for a page that is no pool at all (the heap header's page).
    setMapBit(heap, 0, true);
    expect(() => heap.check()).toThrow(/pool map has \d+ pools/);
  });
});

/** Empty pools keep their bit (they were handed out): the arenas' empty, once-used pools. */
function countEmptyHandedOut(heap: Heap): number {
  const small = heap._small;
  const u32 = heap._mem.u32;
  let n = 0;
  for (let arena = 0; arena < (u32[SmallState.ARENA_SLOTS] as number); arena++) {
    const aw = small.entryWord(arena);
    const base = u32[aw] as number;
    if (base === 0) continue;
    for (let pool = u32[aw + 2] as number; pool !== 0; pool = u32[(pool >>> 2) + 2] as number) n++;
  }
  return n;
}

describe('pool map and the store it was made for', () => {
  it('a heap attached with room to grow past its map makes no arenas there: small requests go to the large heap', () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 20, maxBytes: 1 << 20 });
    const pages = heap._mem.u32[SmallState.POOL_MAP_PAGES] as number;
    expect(pages).toBe((1 << 20) / POOL);
    const bigger = new ArrayBuffer(1 << 20, { maxByteLength: 8 << 20 });
    new Uint8Array(bigger).set(new Uint8Array(heap.buffer));
    const copy = Heap.attach(bigger);
    const ptrs: number[] = [];
    for (let i = 0; i < 40_000; i++) ptrs.push(copy.malloc(64));
    copy.check();
    expect(copy.stats().backingBytes).toBeGreaterThan(1 << 20);
    const beyond = ptrs.filter((p) => p >= 1 << 20);
    expect(beyond.length).toBeGreaterThan(0);
    // Every block past the map's end is a large block (no pool there), and frees as one.
    for (const p of beyond) expect(copy._small.poolOf(p)).toBe(0);
    for (const p of ptrs) copy.free(p);
    copy.check();
    expect(copy.stats().liveBlocks).toBe(0);
  });

  it('a map too large for the header lives in an internal chunk, which free refuses', () => {
    const heap = createHeap({ store: 'resizable', poolSize: 4096, arenaSize: 65536, maxBytes: 1 << 30 });
    const map = heap._mem.u32[SmallState.POOL_MAP] as number;
    expect(map).not.toBe(SmallState.END << 2);
    expect(() => heap.free(map)).toThrow(InvalidPointerError);
    const ptrs: number[] = [];
    for (let i = 0; i < 5000; i++) ptrs.push(heap.malloc(1 + (i % 512)));
    heap.check();
    for (const p of ptrs) heap.free(p);
    heap.check();
  });
});
