// Issue 2, section 5: every bad input gets a typed error with a stable code, and nothing changes:
// `check()` passes, `stats()` is deep-equal to before, and every byte of the store is as it was.
import { describe, expect, it } from 'vitest';
import {
  type ArenallocError,
  createHeap,
  DoubleFreeError,
  Heap,
  InvalidArgumentError,
  InvalidPointerError,
  InvalidSizeError,
  LayoutVersionError,
  MAX_REQUEST,
  NotAHeapError,
  OutOfMemoryError,
  type StoreKind,
} from '../../src/index';
import { bytesEqual, expectError, expectRejected, fillPattern, firstDifference, STORES, seededRandom, snapshot } from '../support/helpers';

// Arguments typed `any` on purpose: the point is to pass what the types forbid.
// biome-ignore lint/suspicious/noExplicitAny: bad input is the subject of this file
type Bad = any;

const BAD_SIZES: [string, Bad][] = [
  ['negative', -1],
  ['negative, aligned', -4096],
  ['-0.5', -0.5],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['non-integer', 100.5],
  ['tiny fraction', Number.EPSILON],
  ['a numeric string', '64'],
  ['a bigint', 64n],
  ['null', null],
  ['undefined', undefined],
  ['an object', { valueOf: () => 64 }],
  ['above MAX_REQUEST', MAX_REQUEST + 16],
  ['2^32', 2 ** 32],
  ['2^53', 2 ** 53],
];

const BAD_ALIGNMENTS: [string, Bad][] = [
  ['0', 0],
  ['3 (not a power of two)', 3],
  ['48 (not a power of two)', 48],
  ['negative', -16],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['non-integer', 16.5],
  ['above 1 MiB', 1 << 21],
  ['a string', '64'],
  ['a bigint', 64n],
];

/**
 * A heap with live blocks (large and small), a freed block, a block merged into its freed
 * neighbour, and free space in between. Sizes above 512 bytes are large-object blocks whatever
 * the small allocator does; `small` is a block it would serve.
 */
function fixture(store: StoreKind, align: 8 | 16 = 16) {
  const heap = createHeap({ store, align, initialBytes: 1 << 18, maxBytes: 1 << 22 });
  const a = heap.malloc(1000);
  const freed = heap.malloc(1000);
  const merged = heap.malloc(1000);
  const d = heap.malloc(2000);
  const loner = heap.malloc(1000);
  const wall = heap.malloc(1000);
  const small = heap.malloc(100);
  const zero = heap.malloc(0);
  const absorber = heap.malloc(1000);
  const absorbed = heap.malloc(1000);
  const wall2 = heap.malloc(1000);
  const last = heap.malloc(3000);
  const blocks = [a, freed, merged, d, loner, wall, small, absorber, absorbed, wall2, last];
  for (const [i, p] of blocks.entries()) fillPattern(heap, p, heap.usableSize(p), i + 1);
  heap.free(freed);
  heap.free(merged); // merges into `freed`, the free chunk before it
  heap.free(loner); // a free chunk of its own between `d` and `wall`
  heap.free(absorbed);
  heap.free(absorber); // swallows `absorbed`, the free chunk after it
  heap.free(last); // merges into the free space at the top
  heap.check();
  return { heap, a, freed, merged, d, loner, wall, small, zero, absorbed, absorber, last };
}

type Fixture = ReturnType<typeof fixture>;

/** Pointers that name no live block, with the error each must raise. */
function badPointers(f: Fixture): [string, Bad, typeof InvalidPointerError | typeof DoubleFreeError, string][] {
  const end = f.heap.stats().backingBytes;
  const P = InvalidPointerError;
  const I = 'ERR_INVALID_POINTER';
  return [
    ['negative', -16, P, I],
    ['NaN', Number.NaN, P, I],
    ['Infinity', Number.POSITIVE_INFINITY, P, I],
    ['non-integer', f.a + 0.5, P, I],
    ['a string', String(f.a), P, I],
    ['a bigint', BigInt(f.a), P, I],
    ['null', null, P, I],
    ['undefined', undefined, P, I],
    ['2^32 + a (wraps to a)', 2 ** 32 + f.a, P, I],
    ['outside the heap: the end of the store', end, P, I],
    ['outside the heap: beyond the store', end + 4096, P, I],
    ['outside the heap: top of the address space', 0xffff_fff0, P, I],
    ['misaligned by 1', f.a + 1, P, I],
    ['misaligned by 4', f.a + 4, P, I],
    ['misaligned by 8', f.a + 8, P, I],
    ['misaligned small block', f.small + 8, P, I],
    ['interior to a block', f.a + 16, P, I],
    ['interior to a block, far in', f.d + 1024, P, I],
    ['interior to a small block', f.small + 16, P, I],
    ['inside the heap header', 16, P, I],
    ['inside the heap header, near its end', 4096, P, I],
    ['inside the heap header, its last line', 8176, P, I],
    ['the chunk header of a block', f.d - 16, P, I],
    ['interior to the free space of a freed block', f.freed + 512, P, I],
    ['interior to the free space at the top', end - 4096, P, I],
    ['already freed', f.freed, DoubleFreeError, 'ERR_DOUBLE_FREE'],
    ['already freed, alone between live blocks', f.loner, DoubleFreeError, 'ERR_DOUBLE_FREE'],
    ['merged into its freed neighbour', f.merged, DoubleFreeError, 'ERR_DOUBLE_FREE'],
    ['swallowed by the block before it when that was freed', f.absorbed, DoubleFreeError, 'ERR_DOUBLE_FREE'],
    ['the block that swallowed its freed successor', f.absorber, DoubleFreeError, 'ERR_DOUBLE_FREE'],
    ['merged into the free space at the top', f.last, DoubleFreeError, 'ERR_DOUBLE_FREE'],
    ['interior to a merged free chunk, at the old boundary', f.absorbed - 16, P, I],
  ];
}

describe.each(STORES)('bad input over a %s store', (store) => {
  describe('sizes', () => {
    it.each(BAD_SIZES)('%s: every sized entry throws ERR_INVALID_SIZE and changes nothing', (_label, size) => {
      const { heap, a } = fixture(store);
      const entries: [string, () => unknown][] = [
        ['malloc', () => heap.malloc(size)],
        ['tryMalloc', () => heap.tryMalloc(size)],
        ['calloc(n, 1)', () => heap.calloc(size, 1)],
        ['calloc(1, n)', () => heap.calloc(1, size)],
        ['realloc(ptr, n)', () => heap.realloc(a, size)],
        ['realloc(0, n)', () => heap.realloc(0, size)],
        ['alignedAlloc(n, 64)', () => heap.alignedAlloc(size, 64)],
        ['alignedAlloc(n, 4096)', () => heap.alignedAlloc(size, 4096)],
      ];
      for (const [name, call] of entries) {
        const e = expectRejected(heap, call, InvalidSizeError, 'ERR_INVALID_SIZE');
        expect(e.message, name).toMatch(/size|calloc/);
      }
    });

    it('calloc: a product above MAX_REQUEST throws ERR_INVALID_SIZE even though both factors are fine', () => {
      const { heap } = fixture(store);
      expectRejected(heap, () => heap.calloc(65536, 65537), InvalidSizeError, 'ERR_INVALID_SIZE');
      expectRejected(heap, () => heap.calloc(0xffff_ffff, 0xffff_ffff), InvalidSizeError, 'ERR_INVALID_SIZE');
      expectRejected(heap, () => heap.calloc(2, MAX_REQUEST / 2 + 16), InvalidSizeError, 'ERR_INVALID_SIZE');
    });

    it.each(BAD_ALIGNMENTS)('alignedAlloc with alignment %s throws ERR_INVALID_ARGUMENT', (_label, alignment) => {
      const { heap } = fixture(store);
      expectRejected(heap, () => heap.alignedAlloc(64, alignment), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
      expectRejected(heap, () => heap.alignedAlloc(1000, alignment), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    });

    it('size 0 gives a unique minimal block that must be freed (documented)', () => {
      const { heap } = fixture(store);
      const before = heap.stats();
      const blocks = [heap.malloc(0), heap.malloc(0), heap.calloc(0, 8), heap.calloc(8, 0), heap.tryMalloc(0), heap.alignedAlloc(0, 4096)];
      expect(new Set(blocks).size).toBe(blocks.length);
      for (const p of blocks) {
        expect(p).toBeGreaterThan(0);
        expect(heap.isLive(p)).toBe(true);
        expect(heap.usableSize(p)).toBeGreaterThanOrEqual(0);
      }
      expect((blocks[5] as number) % 4096).toBe(0);
      heap.check();
      expect(heap.stats().liveBlocks).toBe(before.liveBlocks + blocks.length);
      // realloc to 0 keeps a live minimal block (it does not free, unlike some C libraries).
      const r = heap.malloc(1000);
      const r0 = heap.realloc(r, 0);
      expect(heap.isLive(r0)).toBe(true);
      heap.free(r0);
      for (const p of blocks) heap.free(p);
      heap.check();
      expect(heap.stats().liveBlocks).toBe(before.liveBlocks);
      expect(heap.stats().liveBytes).toBe(before.liveBytes);
    });
  });

  describe('pointers', () => {
    it('free(0) is a no-op and realloc(0, n) is malloc(n)', () => {
      const { heap } = fixture(store);
      const snap = snapshot(heap);
      heap.free(0);
      expect(heap.stats()).toEqual(snap.stats);
      const p = heap.realloc(0, 1000);
      expect(heap.isLive(p)).toBe(true);
      expect(heap.usableSize(p)).toBeGreaterThanOrEqual(1000);
      expect(heap.stats().liveBlocks).toBe(snap.stats.liveBlocks + 1);
      expect(heap.stats().totalFrees).toBe(snap.stats.totalFrees);
      heap.check();
    });

    it.each([16, 8] as const)(
      'every bad pointer is rejected by free, realloc, usableSize and bytes; isLive says false (align %i)',
      (align) => {
        const f = fixture(store, align);
        const { heap } = f;
        for (const [label, ptr, cls, code] of badPointers(f)) {
          const calls: [string, () => unknown][] = [
            ['free', () => heap.free(ptr)],
            ['realloc (grow)', () => heap.realloc(ptr, 5000)],
            ['realloc (shrink)', () => heap.realloc(ptr, 16)],
            ['usableSize', () => heap.usableSize(ptr)],
            ['bytes', () => heap.bytes(ptr)],
          ];
          for (const [name, call] of calls) {
            const snap = snapshot(heap);
            let thrown: unknown;
            try {
              call();
            } catch (e) {
              thrown = e;
            }
            expect(thrown, `${name}(${label})`).toBeInstanceOf(cls);
            expect((thrown as ArenallocError).code, `${name}(${label})`).toBe(code);
            heap.check();
            expect(heap.stats(), `${name}(${label})`).toEqual(snap.stats);
            expect(firstDifference(heap, snap), `${name}(${label}) changed a byte`).toBe(-1);
          }
          expect(heap.isLive(ptr), `isLive(${label})`).toBe(false);
        }
      },
    );

    it('usableSize(0) and bytes(0) are invalid pointers, not null no-ops', () => {
      const { heap } = fixture(store);
      expectRejected(heap, () => heap.usableSize(0), InvalidPointerError, 'ERR_INVALID_POINTER');
      expectRejected(heap, () => heap.bytes(0), InvalidPointerError, 'ERR_INVALID_POINTER');
      expect(heap.isLive(0)).toBe(false);
    });

    it('bytes() rejects a length beyond the block or not an integer', () => {
      const { heap, a } = fixture(store);
      const usable = heap.usableSize(a);
      for (const length of [-1, usable + 1, 1.5, Number.NaN, '8', 8n] as Bad[]) {
        expectRejected(heap, () => heap.bytes(a, length), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
      }
      expect(heap.bytes(a, 0).length).toBe(0);
      expect(heap.bytes(a).length).toBe(usable);
    });

    it('a block freed by a moving realloc is then a double free', () => {
      const { heap, a } = fixture(store);
      const b = heap.malloc(1000);
      const pin = heap.malloc(1000); // keeps `b` from growing in place
      const moved = heap.realloc(b, 100_000);
      expect(moved).not.toBe(b);
      expectRejected(heap, () => heap.free(b), DoubleFreeError, 'ERR_DOUBLE_FREE');
      expectRejected(heap, () => heap.realloc(b, 10), DoubleFreeError, 'ERR_DOUBLE_FREE');
      heap.free(pin);
      heap.free(moved);
      heap.free(a);
      heap.check();
    });
  });

  describe('out of memory', () => {
    it('a request above what the store can ever hold throws ERR_OUT_OF_MEMORY from every entry and changes nothing', () => {
      const { heap, a } = fixture(store);
      const huge = MAX_REQUEST; // a valid size, but above the store's maximum of 4 MiB
      const calls: [string, () => unknown][] = [
        ['malloc', () => heap.malloc(huge)],
        ['calloc', () => heap.calloc(1, huge)],
        ['calloc (product)', () => heap.calloc(1 << 16, 1 << 15)],
        ['realloc', () => heap.realloc(a, huge)],
        ['realloc(0, n)', () => heap.realloc(0, huge)],
        ['alignedAlloc', () => heap.alignedAlloc(huge, 4096)],
        ['malloc just above the maximum store', () => heap.malloc(1 << 22)],
      ];
      for (const [name, call] of calls) {
        const e = expectRejected(heap, call, OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
        expect((e as OutOfMemoryError).requested, name).toBeGreaterThan(0);
      }
      const snap = snapshot(heap);
      expect(heap.tryMalloc(huge)).toBe(0);
      expect(heap.stats()).toEqual(snap.stats);
      expect(heap.usableSize(a)).toBeGreaterThanOrEqual(1000);
    });

    it('when the store is full: throws, nothing changes, and the heap keeps working', () => {
      const heap = createHeap({ store, initialBytes: 1 << 18, maxBytes: 1 << 20 });
      const limit = store === 'fixed' ? 1 << 18 : 1 << 20;
      const blocks: number[] = [];
      // Fill with 20 KiB blocks until the store is full.
      for (;;) {
        const p = heap.tryMalloc(20_000);
        if (p === 0) break;
        fillPattern(heap, p, 20_000, blocks.length);
        blocks.push(p);
      }
      expect(heap.stats().backingBytes).toBeLessThanOrEqual(limit);
      expect(blocks.length).toBeGreaterThan(store === 'fixed' ? 10 : 40);
      // Free every other block but the last: plenty of free bytes, but no hole of 30 KiB.
      const live = blocks.filter((_, i) => i % 2 === 1 || i === blocks.length - 1);
      for (const p of blocks) if (!live.includes(p)) heap.free(p);
      expect(heap.stats().freeBytes).toBeGreaterThan(30_000);
      expectRejected(heap, () => heap.malloc(30_000), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
      expectRejected(heap, () => heap.calloc(3, 10_000), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
      expectRejected(heap, () => heap.alignedAlloc(20_000, 65536), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
      // A realloc that must move fails and leaves the old block live with its bytes.
      const victim = live[1] as number;
      expectRejected(heap, () => heap.realloc(victim, 50_000), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
      expect(heap.isLive(victim)).toBe(true);
      const snap = snapshot(heap);
      expect(heap.tryMalloc(30_000)).toBe(0);
      expect(heap.stats()).toEqual(snap.stats);
      // The heap keeps working: the holes serve smaller requests, and freeing makes room again.
      const p = heap.malloc(10_000);
      fillPattern(heap, p, 10_000, 999);
      heap.check();
      for (const q of live) heap.free(q);
      const big = heap.malloc(100_000);
      heap.free(big);
      heap.free(p);
      heap.check();
      expect(heap.stats().liveBlocks).toBe(0);
    });
  });
});

describe('createHeap options', () => {
  const bad: [string, Bad][] = [
    ['null', null],
    ['a string', 'fixed'],
    ['a number', 65536],
    ['an unknown store', { store: 'disk' }],
    ['align 4', { align: 4 }],
    ['align 32', { align: 32 }],
    ['align as a string', { align: '16' }],
    ['initialBytes 0', { initialBytes: 0 }],
    ['initialBytes negative', { initialBytes: -65536 }],
    ['initialBytes NaN', { initialBytes: Number.NaN }],
    ['initialBytes Infinity', { initialBytes: Number.POSITIVE_INFINITY }],
    ['initialBytes non-integer', { initialBytes: 65536.5 }],
    ['initialBytes as a string', { initialBytes: '65536' }],
    ['initialBytes as a bigint', { initialBytes: 65536n }],
    ['initialBytes above 4 GiB', { initialBytes: 2 ** 33 }],
    ['maxBytes below initialBytes', { store: 'resizable', initialBytes: 1 << 20, maxBytes: 1 << 16 }],
    ['maxBytes above 4 GiB', { store: 'wasm', maxBytes: 2 ** 33 }],
    ['maxBytes 0', { store: 'shared', maxBytes: 0 }],
    ['maxBytes NaN', { store: 'resizable', maxBytes: Number.NaN }],
  ];
  it.each(bad)('%s: ERR_INVALID_ARGUMENT', (_label, options) => {
    expectError(() => createHeap(options), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
  });

  it('good options still work after bad ones', () => {
    for (const store of STORES) {
      const heap = createHeap({ store, initialBytes: 1 << 16, maxBytes: 1 << 20, align: 8 });
      expect(heap.align).toBe(8);
      expect(heap.malloc(1000) % 8).toBe(0);
      heap.check();
    }
  });
});

describe('Heap.attach of what is not a heap', () => {
  function heapBuffer(): ArrayBuffer {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 17 });
    fillPattern(heap, heap.malloc(3000), 3000, 1);
    return heap.buffer as ArrayBuffer;
  }

  /** Attaching must fail without writing to the buffer. */
  function expectAttachFails(source: Bad, cls: new (...args: never[]) => ArenallocError, code: Bad): ArenallocError {
    const bytes = source instanceof ArrayBuffer || source instanceof SharedArrayBuffer ? new Uint8Array(source).slice() : null;
    const e = expectError(() => Heap.attach(source), cls, code);
    if (bytes !== null) expect(bytesEqual(new Uint8Array(source), bytes)).toBe(true);
    return e;
  }

  it('a random buffer', () => {
    const random = seededRandom(42);
    const buffer = new ArrayBuffer(1 << 17);
    const u8 = new Uint8Array(buffer);
    for (let i = 0; i < u8.length; i++) u8[i] = Math.floor(random() * 256);
    expectAttachFails(buffer, NotAHeapError, 'ERR_NOT_A_HEAP');
    expectAttachFails(new ArrayBuffer(1 << 17), NotAHeapError, 'ERR_NOT_A_HEAP');
    expectAttachFails(new SharedArrayBuffer(1 << 17), NotAHeapError, 'ERR_NOT_A_HEAP');
    expectAttachFails(new WebAssembly.Memory({ initial: 2 }), NotAHeapError, 'ERR_NOT_A_HEAP');
  });

  it('a truncated heap', () => {
    const full = heapBuffer();
    for (const length of [full.byteLength - 16, full.byteLength - 65536, full.byteLength >>> 1, 8192 + 64, 9000]) {
      expectAttachFails(full.slice(0, length), NotAHeapError, 'ERR_NOT_A_HEAP');
    }
    // The intact heap attaches, so the failures above are the truncation's doing.
    Heap.attach(full.slice(0)).check();
  });

  it('a buffer too small to hold a heap header', () => {
    for (const length of [0, 4, 100, 8191, 8192]) expectAttachFails(new ArrayBuffer(length), NotAHeapError, 'ERR_NOT_A_HEAP');
    // Even with the magic in place.
    const tiny = heapBuffer().slice(0, 4096);
    expectAttachFails(tiny, NotAHeapError, 'ERR_NOT_A_HEAP');
  });

  it('a heap of another layout version', () => {
    for (const delta of [1, -1, 1000]) {
      const buffer = heapBuffer();
      const u32 = new Uint32Array(buffer);
      const version = ((u32[1] as number) + delta) >>> 0;
      u32[1] = version;
      const e = expectAttachFails(buffer, LayoutVersionError, 'ERR_LAYOUT_VERSION') as LayoutVersionError;
      expect(e.found).toBe(version);
    }
  });

  it('a heap whose header is damaged', () => {
    const words: [number, number][] = [
      [2, 4096], // header bytes
      [3, 12], // alignment
      [3, 0],
      [7, 8193], // heap end, misaligned
      [7, 100], // heap end inside the header
      [7, 0xffff_fff0], // heap end beyond the buffer
    ];
    for (const [word, value] of words) {
      const buffer = heapBuffer();
      new Uint32Array(buffer)[word] = value;
      expectAttachFails(buffer, NotAHeapError, 'ERR_NOT_A_HEAP');
    }
  });

  it('something that is not a buffer', () => {
    const buffer = heapBuffer();
    for (const source of [null, undefined, {}, 42, 'heap', new Uint8Array(buffer), new DataView(buffer)] as Bad[]) {
      expectAttachFails(source, InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    }
  });
});
