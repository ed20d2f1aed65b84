import { describe, expect, it } from 'vitest';
import {
  ArenallocError,
  createHeap,
  DoubleFreeError,
  Heap,
  type HeapOptions,
  InvalidArgumentError,
  InvalidPointerError,
  NotAHeapError,
} from '../../src/index';
import { checkPattern, fillPattern, heapOf, STORES } from '../support/helpers';

// Layout facts the exact-address tests rely on (defaults: align 16, 16 KiB pools, 256 KiB arenas):
// the header takes 8192 bytes; the first arena is the first 16 KiB-aligned payload TLSF can place,
// 16384; a pool header is 32 bytes of fields + a 1024-bit live bitmap = 160 bytes; class k holds
// blocks of 16·(k + 1) bytes; a pool of 512-byte blocks holds ⌊(16384 − 160) / 512⌋ = 31.
const POOL = 16384;
const ARENA = 262144;
const BASE = 16384;
const HEADER = 160;
const PER_POOL_512 = 31;

function fixedHeap(options: HeapOptions = {}): Heap {
  return createHeap({ store: 'fixed', initialBytes: 4 << 20, ...options });
}

/** The heap's bytes, to show that a failed call changed nothing at all. */
function snapshot(heap: Heap): Uint8Array {
  return new Uint8Array(heap.buffer).slice();
}

/** Index of the first byte where the heap differs from a snapshot (or its length differs), or -1. */
function differsAt(heap: Heap, before: Uint8Array): number {
  const now = new Uint8Array(heap.buffer);
  if (now.length !== before.length) return Math.min(now.length, before.length);
  for (let i = 0; i < now.length; i++) if (now[i] !== before[i]) return i;
  return -1;
}

describe('small-object allocator: carving order (exact addresses)', () => {
  it('carves blocks lazily in address order, one pool per class, and reuses freed blocks LIFO', () => {
    const heap = fixedHeap();
    const a = heap.malloc(1);
    expect(a).toBe(BASE + HEADER);
    expect(heap.stats()).toMatchObject({ liveBlocks: 1, liveBytes: 16 });
    const b = heap.malloc(16);
    expect(b).toBe(BASE + HEADER + 16);
    const c = heap.malloc(17); // class 1: the arena's second pool
    expect(c).toBe(BASE + POOL + HEADER);
    const d = heap.malloc(32);
    expect(d).toBe(c + 32);
    const z = heap.malloc(0); // a unique minimal block
    expect(z).toBe(b + 16);
    expect(heap.stats()).toMatchObject({ liveBlocks: 5, liveBytes: 16 + 16 + 32 + 32 + 16 });
    expect(heap.usableSize(a)).toBe(16);
    expect(heap.usableSize(c)).toBe(32);
    heap.check();
    heap.free(a);
    heap.free(b);
    expect(heap.stats()).toMatchObject({ liveBlocks: 3, liveBytes: 80 });
    // LIFO: the last freed block comes back first, then the one before it, then carving resumes.
    expect(heap.malloc(5)).toBe(b);
    expect(heap.malloc(5)).toBe(a);
    expect(heap.malloc(5)).toBe(z + 16);
    heap.check();
    const s = heap.stats().small;
    expect(s).toMatchObject({ arenas: 1, arenasAllocated: 1, pools: 2, freePools: 14 });
    expect(s.classes[0]).toEqual({ size: 16, pools: 1, blocksInUse: 4, blocksAvailable: (POOL - HEADER) / 16 - 4 });
    expect(s.classes[1]).toEqual({ size: 32, pools: 1, blocksInUse: 2, blocksAvailable: (POOL - HEADER) / 32 - 2 });
  });

  it('routes 512 bytes to a pool and 513 to the large-object heap', () => {
    const heap = fixedHeap();
    const small = heap.malloc(512);
    expect(small).toBe(BASE + HEADER);
    const large = heap.malloc(513);
    expect(large < BASE || large >= BASE + ARENA).toBe(true);
    expect(heap.usableSize(large)).toBe(528);
    expect(heap.stats().small.classes[31]?.blocksInUse).toBe(1);
    heap.free(large);
    heap.free(small);
    heap.check();
  });

  it('uses 8-byte classes with align 8 (64 classes, a 288-byte pool header)', () => {
    const heap = fixedHeap({ align: 8 });
    const a = heap.malloc(8);
    expect(a).toBe(BASE + 32 + POOL / 8 / 8);
    expect(heap.malloc(1)).toBe(a + 8);
    expect(heap.usableSize(heap.malloc(9))).toBe(16);
    expect(heap.stats().small.classes).toHaveLength(64);
    heap.check();
  });

  it('falls back to the large-object heap when no arena fits in a fixed store', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 16 });
    const p = heap.malloc(16);
    expect(p).toBe(8192 + 16); // the first TLSF chunk
    expect(heap.usableSize(p)).toBe(16);
    expect(heap.stats().small.arenas).toBe(0);
    heap.check();
    expect(heap.realloc(p, 100)).toBeGreaterThan(0);
    heap.check();
  });
});

describe('small-object allocator: pool transitions (exact addresses)', () => {
  it('used → full: a full pool leaves its class list and the next malloc opens a new pool', () => {
    const heap = fixedHeap();
    const first: number[] = [];
    for (let i = 0; i < PER_POOL_512; i++) first.push(heap.malloc(512));
    expect(first[PER_POOL_512 - 1]).toBe(BASE + HEADER + (PER_POOL_512 - 1) * 512);
    expect(heap.stats().small.classes[31]).toMatchObject({ pools: 1, blocksInUse: 31, blocksAvailable: 0 });
    heap.check();
    expect(heap.malloc(512)).toBe(BASE + POOL + HEADER);
    expect(heap.stats().small.classes[31]).toMatchObject({ pools: 2, blocksInUse: 32, blocksAvailable: 30 });
    heap.check();
  });

  it('full → used: a free into a full pool relinks it at the front of its class list', () => {
    const heap = fixedHeap();
    const first: number[] = [];
    for (let i = 0; i < PER_POOL_512; i++) first.push(heap.malloc(512));
    const second = heap.malloc(512); // second pool, now the head of usedPools[31]
    heap.free(first[7]!);
    heap.check();
    // The first pool is at the front again, so its one free block is taken before the second pool's.
    expect(heap.malloc(512)).toBe(first[7]);
    expect(heap.malloc(512)).toBe(second + 512);
    heap.check();
  });

  it('used → empty: the pool goes to its arena free-pool list; same class reuses it without re-initialising', () => {
    const heap = fixedHeap();
    const keep = heap.malloc(16); // pool 0 stays used, so the arena is not wholly free
    const x = heap.malloc(64); // pool 1
    const y = heap.malloc(64);
    expect([x, y]).toEqual([BASE + POOL + HEADER, BASE + POOL + HEADER + 64]);
    heap.free(x);
    expect(heap.stats().small).toMatchObject({ pools: 2, freePools: 14 });
    heap.free(y); // pool 1 is empty now
    expect(heap.stats().small).toMatchObject({ pools: 1, freePools: 15 });
    expect(heap.stats().small.classes[3]).toMatchObject({ pools: 0, blocksInUse: 0 });
    heap.check();
    // Reused for class 3 as it is: its free list still starts with y (a re-initialised pool would
    // hand out x, its first block).
    expect(heap.malloc(64)).toBe(y);
    expect(heap.malloc(64)).toBe(x);
    expect(heap.malloc(64)).toBe(y + 64);
    heap.check();
    heap.free(keep);
  });

  it('empty → used for another class: re-initialised from its first block', () => {
    const heap = fixedHeap();
    const keep = heap.malloc(16);
    // Pool 1 full of 64-byte blocks and one more in pool 2, so that pool 1 empties while another
    // pool of its class is listed: it becomes empty rather than kept.
    const xs = Array.from({ length: Math.floor((POOL - HEADER) / 64) }, () => heap.malloc(64));
    expect(xs[0]).toBe(BASE + POOL + HEADER);
    const y = heap.malloc(64);
    expect(y).toBe(BASE + 2 * POOL + HEADER);
    for (const x of xs) heap.free(x);
    // The empty pool 1 (last freed, head of the arena's free-pool list) now serves class 9.
    const p = heap.malloc(150);
    expect(p).toBe(BASE + POOL + HEADER);
    expect(heap.usableSize(p)).toBe(160);
    expect(heap.malloc(150)).toBe(p + 160);
    heap.check();
    heap.free(keep);
    heap.free(y);
  });

  it('used → kept: the only pool of a class stays on its list as it empties, and serves no other class', () => {
    const heap = fixedHeap();
    const keep = heap.malloc(16);
    const x = heap.malloc(64);
    heap.free(x);
    heap.check();
    expect(heap.stats().small).toMatchObject({ arenas: 1, pools: 1 });
    // Not handed to class 9: that takes the next untouched pool.
    expect(heap.malloc(150)).toBe(BASE + 2 * POOL + HEADER);
    expect(heap.malloc(64)).toBe(x);
    heap.check();
    heap.free(keep);
  });

  it('kept pools stay when malloc needs a new arena, unless an arena holds nothing else', () => {
    const heap = fixedHeap();
    const keep = heap.malloc(16);
    heap.free(heap.malloc(32)); // pool 1 kept for class 1
    // Classes 2..15 take pools 2..15: the arena has no free pool left.
    for (let k = 2; k < 16; k++) expect(heap.malloc(16 * (k + 1))).toBe(BASE + k * POOL + HEADER);
    heap.check();
    // Class 16 finds no free pool: the arena holds used pools, so a new arena serves it and pool 1
    // stays kept for class 1.
    expect(heap.malloc(16 * 17)).toBe(BASE + ARENA + HEADER);
    expect(heap.stats().small.arenas).toBe(2);
    expect(heap.malloc(32)).toBe(BASE + POOL + HEADER);
    heap.check();
    heap.free(keep);
  });

  it('kept → empty: an arena of kept pools alone serves before malloc makes a new arena', () => {
    const heap = fixedHeap();
    // Classes 0..15 each take a pool and keep it empty: the arena holds kept pools alone.
    for (let k = 0; k < 16; k++) {
      const p = heap.malloc(16 * (k + 1));
      expect(p).toBe(BASE + k * POOL + HEADER);
      heap.free(p);
    }
    heap.check();
    expect(heap.stats().small.freePools).toBe(16); // kept pools count as free
    // Class 16: the kept pools go back (the last one given back, pool 15, serves), no new arena.
    expect(heap.malloc(16 * 17)).toBe(BASE + 15 * POOL + HEADER);
    expect(heap.stats().small.arenas).toBe(1);
    heap.check();
  });

  it('untouched → used: pools are handed out in address order, then the next arena right after', () => {
    const heap = fixedHeap();
    for (let k = 0; k < 16; k++) expect(heap.malloc(16 * (k + 1))).toBe(BASE + k * POOL + HEADER);
    expect(heap.stats().small).toMatchObject({ arenas: 1, pools: 16, freePools: 0 });
    expect(heap.malloc(16 * 16 + 1)).toBe(BASE + ARENA + HEADER); // arenas tile: no gap between them
    expect(heap.stats().small.arenas).toBe(2);
    heap.check();
  });

  it('the last pool of an arena is 16 bytes short: one 208-byte block fewer', () => {
    const heap = fixedHeap();
    const available = (): number => heap.stats().small.classes[12]!.blocksAvailable;
    for (let i = 0; i < 78; i++) heap.malloc(208); // (16384 − 160) / 208 = 78 exactly: pool 0 is full
    expect(available()).toBe(0);
    for (const k of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14]) heap.malloc(16 * (k + 1)); // pools 1..14
    expect(heap.malloc(208)).toBe(BASE + 15 * POOL + HEADER);
    expect(available()).toBe(77 - 1);
    heap.check();
  });
});

describe('small-object allocator: arenas', () => {
  it('takes pools from the arena with the fewest free pools, and keeps one wholly free arena as a spare', () => {
    const heap = fixedHeap();
    const fill = (n: number): number[] => Array.from({ length: n }, () => heap.malloc(512));
    const arena1 = fill(16 * PER_POOL_512); // every pool of arena 1 full
    const arena2 = fill(1); // arena 2, pool 0
    expect(arena2[0]).toBe(BASE + ARENA + HEADER);
    // Empty one pool of arena 1 (its pool 3): arena 1 now has 1 free pool, arena 2 has 15.
    for (const p of arena1.slice(3 * PER_POOL_512, 4 * PER_POOL_512)) heap.free(p);
    heap.check();
    // A new class takes arena 1's free pool (the fullest arena), re-initialised for class 0.
    expect(heap.malloc(16)).toBe(BASE + 3 * POOL + HEADER);
    heap.check();
    // Now drain arena 1 completely: it goes back to the large-object heap only if a spare exists.
    for (const p of arena1.slice(0, 3 * PER_POOL_512)) heap.free(p);
    for (const p of arena1.slice(4 * PER_POOL_512)) heap.free(p);
    heap.free(BASE + 3 * POOL + HEADER);
    expect(heap.stats().small).toMatchObject({ arenas: 2, arenasReclaimed: 0 }); // arena 1 is the spare
    heap.check();
    heap.free(arena2[0]!); // arena 2 wholly free too: one spare is enough, it goes back
    expect(heap.stats().small).toMatchObject({ arenas: 1, arenasAllocated: 2, arenasReclaimed: 1, peakArenas: 2 });
    expect(heap.stats().liveBlocks).toBe(0);
    heap.check();
    // The spare serves the next request; its pools are reused in free-list order.
    expect(heap.malloc(512)).toBeGreaterThanOrEqual(BASE);
    expect(heap.stats().small.arenas).toBe(1);
    heap.check();
  });

  it('grows the arena table past 16 arenas, and its slots are reused after arenas go back', () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 26, poolSize: 4096, arenaSize: 16384 });
    const blocks: number[] = [];
    // 4 pools × 7 blocks of 512 bytes per arena: 40 arenas.
    for (let i = 0; i < 40 * 4 * 7; i++) blocks.push(heap.malloc(512));
    expect(heap.stats().small.arenas).toBe(40);
    heap.check();
    for (const p of blocks) heap.free(p);
    expect(heap.stats().small).toMatchObject({ arenas: 1, arenasReclaimed: 39 });
    heap.check();
    for (let i = 0; i < 40 * 4 * 7; i++) blocks[i] = heap.malloc(512);
    expect(heap.stats().small).toMatchObject({ arenas: 40, arenasAllocated: 79, peakArenas: 40 });
    heap.check();
  });
});

describe('small-object allocator: bad pointers raise typed errors and change nothing', () => {
  it.each(STORES)('over a %s store', (store) => {
    const heap = heapOf(store);
    const a = heap.malloc(48);
    const b = heap.malloc(48);
    const c = heap.malloc(200);
    const pool = a - (a % POOL);
    heap.free(b);
    // A pool of class 5 emptied entirely: its pool is on the arena's free-pool list.
    const e = heap.malloc(96);
    heap.free(e);
    const arenaBase = pool;
    const cases: [number, string, string][] = [
      [b, 'ERR_DOUBLE_FREE', 'double free'],
      [e, 'ERR_DOUBLE_FREE', 'a block in an empty pool'],
      [a + 16, 'ERR_INVALID_POINTER', 'interior'],
      [a + 8, 'ERR_INVALID_POINTER', 'misaligned'],
      [pool, 'ERR_INVALID_POINTER', 'the pool header'],
      [pool + 64, 'ERR_INVALID_POINTER', 'inside the pool header'],
      [c + 208 * 25, 'ERR_INVALID_POINTER', 'a block never carved'], // past the 4 KiB carved ahead
      [arenaBase + 8 * POOL + HEADER, 'ERR_INVALID_POINTER', 'an untouched pool'],
      [arenaBase + ARENA + 4 * POOL, 'ERR_INVALID_POINTER', 'beyond the arena'],
      [0xffff_fff0, 'ERR_INVALID_POINTER', 'beyond the store'],
    ];
    for (const [ptr, code, what] of cases) {
      const before = snapshot(heap);
      const stats = heap.stats();
      for (const call of [() => heap.free(ptr), () => heap.usableSize(ptr), () => heap.realloc(ptr, 10), () => heap.realloc(ptr, 5000)]) {
        let error: unknown;
        try {
          call();
        } catch (err) {
          error = err;
        }
        expect(error, what).toBeInstanceOf(ArenallocError);
        expect((error as ArenallocError).code, what).toBe(code);
      }
      expect(heap.isLive(ptr), what).toBe(false);
      expect(differsAt(heap, before)).toBe(-1);
      expect(heap.stats()).toEqual(stats);
      heap.check();
    }
    expect(() => heap.free(b)).toThrow(DoubleFreeError);
    expect(() => heap.free(a + 16)).toThrow(InvalidPointerError);
    heap.free(a);
    heap.free(c);
    heap.check();
  });

  it('refuses the arena itself and the arena table (memory the heap manages)', () => {
    const heap = fixedHeap();
    heap.malloc(16);
    const before = snapshot(heap);
    expect(() => heap.free(BASE)).toThrow(InvalidPointerError); // the arena's payload = pool 0's header
    expect(() => heap.free(8192 + 16)).toThrow(/manages itself/); // the arena table, the first TLSF payload
    expect(heap.isLive(8192 + 16)).toBe(false);
    expect(differsAt(heap, before)).toBe(-1);
  });
});

describe('small-object allocator: realloc', () => {
  it('stays in place within the class and for shrinks that save less than 25%', () => {
    const heap = fixedHeap();
    const p = heap.malloc(400);
    fillPattern(heap, p, 400, 1);
    expect(heap.usableSize(p)).toBe(400);
    expect(heap.realloc(p, 390)).toBe(p); // same class
    expect(heap.realloc(p, 301)).toBe(p); // 4·301 > 3·400: saves less than 25%
    expect(heap.stats().liveBytes).toBe(400);
    const q = heap.realloc(p, 300); // 4·300 = 3·400: saves 25%, moves to a 304-byte block
    expect(q).not.toBe(p);
    expect(heap.usableSize(q)).toBe(304);
    expect(checkPattern(heap, q, 300, 1)).toBe(-1);
    expect(heap.isLive(p)).toBe(false);
    expect(heap.stats()).toMatchObject({ liveBlocks: 1, liveBytes: 304 });
    const r = heap.realloc(q, 320); // grows past the class: moves
    expect(r).not.toBe(q);
    expect(checkPattern(heap, r, 300, 1)).toBe(-1);
    const s = heap.realloc(r, 0);
    expect(heap.usableSize(s)).toBe(16);
    expect(heap.realloc(s, 0)).toBe(s);
    heap.check();
  });

  it('crosses the 512-byte boundary both ways and keeps the contents', () => {
    const heap = fixedHeap();
    const p = heap.malloc(500);
    fillPattern(heap, p, 500, 2);
    const big = heap.realloc(p, 3000);
    expect(heap.usableSize(big)).toBe(3008);
    expect(checkPattern(heap, big, 500, 2)).toBe(-1);
    expect(heap.isLive(p)).toBe(false);
    expect(heap.stats()).toMatchObject({ liveBlocks: 1, liveBytes: 3008 });
    heap.check();
    fillPattern(heap, big, 3000, 3);
    const back = heap.realloc(big, 100); // large → small
    expect(back).toBeGreaterThanOrEqual(BASE);
    expect(back).toBeLessThan(BASE + ARENA);
    expect(checkPattern(heap, back, 100, 3)).toBe(-1);
    expect(heap.stats()).toMatchObject({ liveBlocks: 1, liveBytes: 112 });
    heap.check();
    // A large block whose shrink to a small size saves less than 25% stays where it is.
    const l = heap.malloc(600);
    expect(heap.realloc(l, 500)).toBe(l);
    expect(heap.usableSize(l)).toBe(608);
    heap.check();
  });

  it('leaves the old block live when a move runs out of memory', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const p = heap.malloc(64);
    fillPattern(heap, p, 64, 4);
    const stats = heap.stats();
    expect(heap.tryMalloc(1 << 20)).toBe(0);
    expect(() => heap.realloc(p, 1 << 20)).toThrow(/out of memory/);
    expect(heap.stats()).toEqual(stats);
    expect(checkPattern(heap, p, 64, 4)).toBe(-1);
    heap.check();
  });
});

describe('small-object allocator: state lives in the buffer', () => {
  it.each(STORES)('a copy of a %s heap sees the same pools and free lists', (store) => {
    const heap = heapOf(store, { poolSize: 4096, arenaSize: 16384 });
    const ptrs = Array.from({ length: 300 }, (_, i) => heap.malloc((i * 13) % 512));
    for (let i = 0; i < ptrs.length; i += 3) heap.free(ptrs[i]!);
    const buffer = heap.buffer;
    const other = Heap.attach(buffer instanceof SharedArrayBuffer ? buffer : buffer.slice(0));
    other.check();
    expect(other.stats()).toEqual({ ...heap.stats(), store: other.store });
    expect(other.debugMallocStats()).toBe(heap.debugMallocStats());
    if (buffer instanceof SharedArrayBuffer) return; // one heap, not a copy
    for (let i = 0; i < 40; i++) {
      const size = (i * 29) % 512;
      expect(other.malloc(size)).toBe(heap.malloc(size));
    }
    other.free(ptrs[1]!);
    expect(other.isLive(ptrs[1]!)).toBe(false);
    expect(heap.isLive(ptrs[1]!)).toBe(true);
    other.check();
    heap.check();
  });
});

describe('small-object allocator: options', () => {
  it('validates poolSize and arenaSize', () => {
    for (const bad of [
      { poolSize: 1000 },
      { poolSize: 2048 },
      { poolSize: 1 << 17 },
      { arenaSize: 1 << 15 },
      { arenaSize: 3 << 18 },
      { poolSize: 4096, arenaSize: 1 << 21 },
      { arenaSize: 32 << 20, poolSize: 65536 },
      { poolSize: '16384' as unknown as number },
    ]) {
      expect(() => createHeap(bad), JSON.stringify(bad)).toThrow(InvalidArgumentError);
    }
    const heap = createHeap({ poolSize: 65536, arenaSize: 16 << 20, maxBytes: 1 << 26 });
    expect(heap.usableSize(heap.malloc(33))).toBe(48);
    heap.check();
  });

  it('attach rejects a header whose pool or arena size is damaged', () => {
    const heap = fixedHeap();
    const copy = (heap.buffer as ArrayBuffer).slice(0);
    new Uint32Array(copy)[4] = 12345; // Word.POOL_SIZE
    expect(() => Heap.attach(copy)).toThrow(NotAHeapError);
  });
});

describe('small-object allocator: header layout', () => {
  it('keeps its words inside the range the heap header reserves for it', async () => {
    const layout = await import('../../src/layout');
    // The word indexes are const enums (inlined by the bundler); at test time they are objects.
    const small = layout as unknown as { SmallState: Record<string, number> };
    expect(small.SmallState.ARENA_TABLE).toBe(layout.Region.SMALL_STATE);
    expect(small.SmallState.LAST_WITH).toBe(small.SmallState.USED_POOLS! + 64);
    expect(small.SmallState.END).toBe(small.SmallState.LAST_WITH! + 257);
    expect(small.SmallState.END).toBeLessThanOrEqual(layout.Region.END);
  });
});

describe('small-object allocator: giving memory back', () => {
  it('arenas that went back to the large-object heap can be trimmed from a resizable store', () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 26 });
    const ptrs: number[] = [];
    for (let i = 0; i < 20_000; i++) ptrs.push(heap.malloc(256));
    const grown = heap.stats().backingBytes;
    expect(heap.stats().small.arenas).toBeGreaterThan(15);
    for (const p of ptrs) heap.free(p);
    expect(heap.stats().small.arenas).toBe(1);
    const released = heap.trim();
    expect(released).toBeGreaterThan(grown - (1 << 20));
    heap.check();
    // The spare kept is the arena at the lowest address, the first one.
    const again = heap.malloc(256);
    expect(again >= BASE && again < BASE + ARENA).toBe(true);
    heap.check();
  });
});

describe('small-object allocator: extreme tunables', () => {
  it.each([
    { poolSize: 4096, arenaSize: 1 << 20 }, // 256 pools per arena: the largest lastWith table
    { poolSize: 65536, arenaSize: 1 << 18 }, // 4 pools per arena: the smallest
  ])('fills and drains arenas of $arenaSize bytes in pools of $poolSize', (tunables) => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 27, ...tunables });
    const ptrs: number[] = [];
    let seed = 3;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    while (heap.stats().small.arenas < 3) ptrs.push(heap.malloc(next() % 513));
    heap.check();
    for (let i = ptrs.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [ptrs[i], ptrs[j]] = [ptrs[j]!, ptrs[i]!];
    }
    for (const [i, p] of ptrs.entries()) {
      heap.free(p);
      if (i % 500 === 0) heap.check();
    }
    heap.check();
    expect(heap.stats().small).toMatchObject({ arenas: 1, pools: 0, freePools: tunables.arenaSize / tunables.poolSize });
  });
});
