import { describe, expect, it } from 'vitest';
import {
  CLEAN_BYTE,
  createDebugHeap,
  DEAD_BYTE,
  type DebugLayer,
  debugLayerOf,
  enableDebug,
  FORBIDDEN_BYTE,
  FreedBlockWrittenError,
  GuardBytesError,
} from '../../src/debug/index';
import {
  type ArenallocError,
  createHeap,
  DoubleFreeError,
  Heap,
  HeapCorruptedError,
  InvalidArgumentError,
  InvalidPointerError,
  OutOfMemoryError,
  UseAfterFreeError,
} from '../../src/index';
import { currentHooks } from '../../src/port';
import { rawUsableSize } from '../../src/route';
import { bytesEqual, checkPattern, fillPattern, heapOf, STORES } from '../support/helpers';

/** Sizes that hit every 16-byte small size class at both of its ends (1..512). */
const SMALL_SIZES: number[] = [];
for (let c = 0; c < 32; c++) SMALL_SIZES.push(c * 16 + 1, c * 16 + 16);
const LARGE_SIZES = [513, 1000, 4096, 65_536 + 3];

function debugHeap(options: Parameters<typeof createDebugHeap>[0] = {}): { heap: Heap; debug: DebugLayer } {
  const heap = createDebugHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 26, ...options });
  return { heap, debug: debugLayerOf(heap)! };
}

function bytesOf(heap: Heap): Uint8Array {
  return new Uint8Array(heap.buffer);
}

/** Everything a failed call must leave as it was: the buffer, the heap's and the layer's figures. */
function snapshot(heap: Heap, debug: DebugLayer) {
  return { bytes: new Uint8Array(heap.buffer.slice(0)), stats: heap.stats(), debug: debug.stats() };
}

function expectUnchanged(heap: Heap, debug: DebugLayer, before: ReturnType<typeof snapshot>): void {
  const after = snapshot(heap, debug);
  expect(after.stats).toEqual(before.stats);
  expect(after.debug).toEqual(before.debug);
  expect(after.bytes.length).toBe(before.bytes.length);
  expect(bytesEqual(after.bytes, before.bytes)).toBe(true);
  heap.check(); // the heap underneath is whole
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('debug mode: layout and fills', () => {
  it('fills new memory with 0xCD, surrounds it with 0xFD and reports the requested size', () => {
    const { heap, debug } = debugHeap();
    const p = heap.malloc(24);
    expect(p % 16).toBe(0);
    expect(heap.usableSize(p)).toBe(24);
    const u8 = bytesOf(heap);
    for (let i = 0; i < 24; i++) expect(u8[p + i]).toBe(CLEAN_BYTE);
    for (let i = 1; i <= debug.guardBytes; i++) expect(u8[p - i]).toBe(FORBIDDEN_BYTE);
    for (let i = 0; i < debug.guardBytes; i++) expect(u8[p + 24 + i]).toBe(FORBIDDEN_BYTE);
    expect(debug.stats()).toEqual({ liveBlocks: 1, liveBytes: 24, quarantinedBlocks: 0, quarantinedBytes: 0, allocations: 1 });
    expect(heap.isLive(p)).toBe(true);
    debug.check();
  });

  it('fills freed memory with 0xDD and keeps it out of reuse while quarantined', () => {
    const { heap, debug } = debugHeap({ quarantineBlocks: 4 });
    const p = heap.malloc(40);
    heap.free(p);
    const u8 = bytesOf(heap);
    for (let i = 0; i < 40; i++) expect(u8[p + i]).toBe(DEAD_BYTE);
    expect(heap.isLive(p)).toBe(false);
    expect(debug.stats()).toMatchObject({ liveBlocks: 0, liveBytes: 0, quarantinedBlocks: 1 });
    // The heap underneath still holds the block: the next allocation cannot land on it.
    expect(heap.stats().liveBlocks).toBe(1);
    const q = heap.malloc(40);
    expect(q).not.toBe(p);
    debug.check();
    heap.free(q);
    debug.flushQuarantine();
    expect(heap.stats().liveBlocks).toBe(0);
    heap.check();
  });

  it('calloc zeroes exactly the requested bytes and leaves the guards', () => {
    const { heap, debug } = debugHeap();
    const p = heap.calloc(3, 7);
    const u8 = bytesOf(heap);
    for (let i = 0; i < 21; i++) expect(u8[p + i]).toBe(0);
    expect(u8[p - 1]).toBe(FORBIDDEN_BYTE);
    expect(u8[p + 21]).toBe(FORBIDDEN_BYTE);
    debug.check();
  });

  it('realloc always moves, keeps the contents, fills the new tail with 0xCD and quarantines the old block', () => {
    const { heap, debug } = debugHeap();
    const p = heap.malloc(30);
    fillPattern(heap, p, 30, 5);
    const q = heap.realloc(p, 100);
    expect(q).not.toBe(p);
    expect(checkPattern(heap, q, 30, 5)).toBe(-1);
    const u8 = bytesOf(heap);
    for (let i = 30; i < 100; i++) expect(u8[q + i]).toBe(CLEAN_BYTE);
    for (let i = 0; i < 30; i++) expect(u8[p + i]).toBe(DEAD_BYTE);
    expect(heap.usableSize(q)).toBe(100);
    const r = heap.realloc(q, 10); // a shrink moves too, and keeps the first 10 bytes
    expect(checkPattern(heap, r, 10, 5)).toBe(-1);
    expect(u8[r + 10]).toBe(FORBIDDEN_BYTE);
    expect(() => heap.free(p)).toThrow(DoubleFreeError);
    expect(debug.stats()).toMatchObject({ liveBlocks: 1, liveBytes: 10, quarantinedBlocks: 2 });
    debug.check();
  });

  it('alignedAlloc keeps the alignment and guards the padding in front', () => {
    const { heap, debug } = debugHeap();
    for (const alignment of [8, 16, 32, 256, 4096]) {
      const p = heap.alignedAlloc(100, alignment);
      expect(p % alignment).toBe(0);
      expect(heap.usableSize(p)).toBe(100);
      bytesOf(heap)[p - 1] = 0;
      expect(() => heap.free(p)).toThrow(GuardBytesError);
      bytesOf(heap)[p - 1] = FORBIDDEN_BYTE;
      bytesOf(heap)[p + 100] = 0;
      expect(() => debug.check()).toThrow(GuardBytesError);
      bytesOf(heap)[p + 100] = FORBIDDEN_BYTE;
      heap.free(p);
    }
    debug.check();
  });

  it('honours guardBytes and align 8', () => {
    const heap = createDebugHeap({ align: 8, guardBytes: 8, initialBytes: 1 << 16 });
    const debug = debugLayerOf(heap)!;
    const p = heap.malloc(3);
    expect(p % 8).toBe(0);
    const u8 = bytesOf(heap);
    for (let i = 1; i <= 8; i++) expect(u8[p - i]).toBe(FORBIDDEN_BYTE);
    u8[p - 8] = 1;
    expect(() => heap.free(p)).toThrow(GuardBytesError);
    u8[p - 8] = FORBIDDEN_BYTE;
    heap.free(p);
    debug.check();
    const wide = createDebugHeap({ guardBytes: 64 });
    const q = wide.malloc(5);
    bytesOf(wide)[q - 64] = 0;
    expect(() => wide.free(q)).toThrow(GuardBytesError);
  });
});

describe('debug mode: overruns caught', () => {
  for (const [label, sizes] of [
    ['every small size class', SMALL_SIZES],
    ['large blocks', LARGE_SIZES],
  ] as const) {
    it(`a single byte before or after blocks of ${label}, on free, realloc and check`, () => {
      const { heap, debug } = debugHeap({ quarantineBlocks: 8 });
      const neighbours: number[] = [];
      for (const size of sizes) {
        neighbours.push(heap.malloc(size));
        const p = heap.malloc(size);
        for (const side of ['before', 'after'] as const) {
          const at = side === 'before' ? p - 1 : p + size;
          bytesOf(heap)[at] = 0x5a;
          const before = snapshot(heap, debug);
          for (const op of [() => heap.free(p), () => heap.realloc(p, size + 1), () => debug.check()]) {
            const e = catchError(op);
            expect(e).toBeInstanceOf(GuardBytesError);
            expect(e).toBeInstanceOf(HeapCorruptedError);
            const err = e as GuardBytesError;
            expect(err.code).toBe('ERR_HEAP_CORRUPTED');
            expect(err.pointer).toBe(p);
            expect(err.report).toMatchObject({
              pointer: p,
              side,
              address: at,
              offset: at - p,
              expected: FORBIDDEN_BYTE,
              requestedSize: size,
            });
            expect(Array.from(err.report.badBytes)).toEqual([0x5a]);
            expect(err.message).toContain(`the block at ${p}`);
            expect(err.message).toContain(side);
            expect(err.message).toContain('5a where fd was expected');
            expectUnchanged(heap, debug, before);
          }
          bytesOf(heap)[at] = FORBIDDEN_BYTE;
        }
        heap.free(p);
      }
      for (const n of neighbours) heap.free(n);
      debug.check();
    });
  }

  it('a write into the rounding slack past the trailing guard is caught too', () => {
    const { heap, debug } = debugHeap();
    const p = heap.malloc(1);
    const inner = p - 16 - debug.guardBytes;
    // 16 + 16 + 1 + 16 = 49 bytes asked underneath: rounded to 16, the block has slack at its end.
    const innerEnd = inner + rawUsableSize(heap, inner);
    expect(innerEnd).toBeGreaterThan(p + 1 + debug.guardBytes);
    bytesOf(heap)[innerEnd - 1] = 1;
    const e = catchError(() => heap.free(p)) as GuardBytesError;
    expect(e.report).toMatchObject({ side: 'after', address: innerEnd - 1 });
    bytesOf(heap)[innerEnd - 1] = FORBIDDEN_BYTE;
    heap.free(p);
  });

  it('a longer overrun is reported from its first to its last bad byte', () => {
    const { heap, debug } = debugHeap();
    const p = heap.malloc(20);
    bytesOf(heap).fill(0x41, p + 20, p + 24);
    const e = catchError(() => heap.free(p)) as GuardBytesError;
    expect(e.report.side).toBe('after');
    expect(Array.from(e.report.badBytes)).toEqual([0x41, 0x41, 0x41, 0x41]);
    expect(e.message).toMatch(/up to 4 bytes after the block/);
    bytesOf(heap).fill(FORBIDDEN_BYTE, p + 20, p + 24);
    heap.free(p);
    debug.check();
  });

  it('an underrun that reaches past the guard into the debug header is caught', () => {
    const { heap, debug } = debugHeap();
    const p = heap.malloc(32);
    const header = p - debug.guardBytes - 16;
    bytesOf(heap)[header + 1] ^= 0xff; // the header alone: a wild write
    const before = snapshot(heap, debug);
    const e = catchError(() => heap.free(p)) as GuardBytesError;
    expect(e).toBeInstanceOf(GuardBytesError);
    expect(e.report).toMatchObject({ pointer: p, side: 'before', requestedSize: -1 });
    expect(e.message).toContain('debug header');
    expect(() => heap.usableSize(p)).toThrow(GuardBytesError);
    expect(() => debug.check()).toThrow(GuardBytesError);
    expectUnchanged(heap, debug, before);
    // Header and guard both: reported as the guard, the likelier story.
    bytesOf(heap).fill(0, header + 8, p);
    const e2 = catchError(() => heap.free(p)) as GuardBytesError;
    expect(e2.report).toMatchObject({ side: 'before', address: p - debug.guardBytes });
    expect(e2.report.badBytes.length).toBe(debug.guardBytes);
  });

  it('names the allocation site when tracing is on', () => {
    const { heap } = debugHeap();
    const p = heap.malloc(8);
    heap._tracer = { tracebackOf: (ptr) => (ptr === p ? '  game/particles.ts:42' : undefined), tagType: () => false };
    bytesOf(heap)[p + 8] = 0;
    const e = catchError(() => heap.free(p)) as GuardBytesError;
    expect(e.report.traceback).toBe('  game/particles.ts:42');
    expect(e.message).toContain('allocated at:\n  game/particles.ts:42');
    bytesOf(heap)[p + 8] = FORBIDDEN_BYTE;
    heap.free(p); // the site is kept with the quarantined block
    heap._tracer = { tracebackOf: () => undefined, tagType: () => false };
    bytesOf(heap)[p] = 1;
    const e2 = catchError(() => debugLayerOf(heap)!.check()) as FreedBlockWrittenError;
    expect(e2.report.traceback).toBe('  game/particles.ts:42');
  });
});

describe('debug mode: use after free', () => {
  it('a write to a quarantined block is caught by check() and when it leaves the quarantine', () => {
    const { heap, debug } = debugHeap({ quarantineBlocks: 2 });
    const p = heap.malloc(64);
    const q = heap.malloc(64);
    const r = heap.malloc(64);
    heap.free(p);
    bytesOf(heap)[p + 10] = 7; // a dangling write
    const before = snapshot(heap, debug);
    const e = catchError(() => debug.check());
    expect(e).toBeInstanceOf(FreedBlockWrittenError);
    expect(e).toBeInstanceOf(UseAfterFreeError);
    const err = e as FreedBlockWrittenError;
    expect(err.code).toBe('ERR_USE_AFTER_FREE');
    expect(err.report).toMatchObject({ pointer: p, side: 'inside', address: p + 10, offset: 10, expected: DEAD_BYTE, requestedSize: 64 });
    expect(Array.from(err.report.badBytes)).toEqual([7]);
    expect(err.message).toContain('written after free');
    heap.free(q); // the quarantine holds two: p stays
    const before2 = snapshot(heap, debug);
    // The third free would push p out: p is checked first, and nothing changes.
    expect(() => heap.free(r)).toThrow(FreedBlockWrittenError);
    expect(() => heap.realloc(r, 10)).toThrow(FreedBlockWrittenError);
    expect(() => debug.flushQuarantine()).toThrow(FreedBlockWrittenError);
    expectUnchanged(heap, debug, before2);
    expect(before.debug.quarantinedBlocks).toBe(1);
    bytesOf(heap)[p + 10] = DEAD_BYTE;
    heap.free(r);
    expect(debug.stats()).toMatchObject({ quarantinedBlocks: 2, liveBlocks: 0 });
    debug.check();
  });

  it('writes over the guards of a freed block are use after free as well', () => {
    const { heap, debug } = debugHeap();
    const p = heap.malloc(16);
    heap.free(p);
    bytesOf(heap)[p + 16] = 0;
    const e = catchError(() => debug.check()) as FreedBlockWrittenError;
    expect(e).toBeInstanceOf(FreedBlockWrittenError);
    expect(e.report.side).toBe('after');
  });

  it('the quarantine respects its byte budget and lets oversized blocks through', () => {
    const { heap, debug } = debugHeap({ quarantineBlocks: 100, quarantineBytes: 1000 });
    const blocks = [heap.malloc(300), heap.malloc(300), heap.malloc(300), heap.malloc(300)];
    for (const b of blocks) heap.free(b);
    const { quarantinedBlocks, quarantinedBytes } = debug.stats();
    expect(quarantinedBytes).toBeLessThanOrEqual(1000);
    expect(quarantinedBlocks).toBeLessThan(4);
    expect(heap.stats().liveBlocks).toBe(quarantinedBlocks);
    const big = heap.malloc(5000);
    heap.free(big); // larger than the budget: released at once
    expect(debug.stats().quarantinedBlocks).toBe(quarantinedBlocks);
    expect(heap.stats().liveBlocks).toBe(quarantinedBlocks);
    debug.check();
  });

  it('quarantineBlocks 0 releases at once, after filling with 0xDD', () => {
    const { heap, debug } = debugHeap({ quarantineBlocks: 0 });
    const p = heap.malloc(100);
    heap.free(p);
    expect(heap.stats().liveBlocks).toBe(0);
    expect(debug.stats().quarantinedBlocks).toBe(0);
    debug.check();
  });

  it('the quarantine is emptied before reporting out of memory', () => {
    const heap = createDebugHeap({ store: 'fixed', initialBytes: 1 << 16, quarantineBlocks: 1000, quarantineBytes: 1 << 20 });
    const debug = debugLayerOf(heap)!;
    for (let i = 0; i < 20; i++) heap.free(heap.malloc(2000));
    expect(debug.stats().quarantinedBlocks).toBeGreaterThan(0);
    const big = heap.malloc(40_000); // fits only once the quarantine is released
    expect(debug.stats().quarantinedBlocks).toBe(0);
    expect(() => heap.malloc(1 << 20)).toThrow(OutOfMemoryError);
    heap.free(big);
    debug.check();
  });
  it('a realloc that runs out of memory leaves the old block live and intact', () => {
    const heap = createDebugHeap({ store: 'fixed', initialBytes: 1 << 16 });
    const debug = debugLayerOf(heap)!;
    const p = heap.malloc(100);
    fillPattern(heap, p, 100, 3);
    const before = snapshot(heap, debug);
    expect(() => heap.realloc(p, 1 << 20)).toThrow(OutOfMemoryError);
    expect(heap.tryMalloc(1 << 20)).toBe(0);
    expectUnchanged(heap, debug, before);
    expect(checkPattern(heap, p, 100, 3)).toBe(-1);
    heap.free(p);
    debug.check();
  });
});

describe('debug mode: bad pointers', () => {
  it('get typed errors and change nothing', () => {
    const { heap, debug } = debugHeap({ quarantineBlocks: 1 });
    const p = heap.malloc(48);
    const q = heap.malloc(48);
    const r = heap.malloc(48);
    heap.free(q); // quarantined
    heap.free(r); // pushes q out: q is now free underneath
    const before = snapshot(heap, debug);
    const cases: [number, new (message: string) => ArenallocError][] = [
      [p + 16, InvalidPointerError], // interior
      [p + 1, InvalidPointerError], // misaligned
      [p - 16 - debug.guardBytes, InvalidPointerError], // the inner block's start
      [0x7fff_fff0, InvalidPointerError], // far outside
      [16, InvalidPointerError], // inside the heap header
      [r, DoubleFreeError], // in the quarantine
    ];
    for (const [ptr, type] of cases) {
      expect(() => heap.free(ptr)).toThrow(type);
      expect(() => heap.realloc(ptr, 10)).toThrow(type);
      expect(() => heap.usableSize(ptr)).toThrow(type);
      expect(heap.isLive(ptr)).toBe(false);
    }
    // Out of the quarantine: the heap underneath may have merged it; either way a typed error.
    const e = catchError(() => heap.free(q));
    expect(e instanceof DoubleFreeError || e instanceof InvalidPointerError).toBe(true);
    expect(() => heap.free(-1)).toThrow(InvalidPointerError);
    expect(() => heap.free(1.5)).toThrow(InvalidPointerError);
    expectUnchanged(heap, debug, before);
    heap.free(0);
    heap.free(p);
    debug.check();
  });
});

describe('debug mode: setup', () => {
  it('createHeap({ debug: true }) points at arenalloc/debug', () => {
    const e = catchError(() => createHeap({ debug: true }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toContain('arenalloc/debug');
    expect(createHeap({ debug: false }).malloc(1)).toBeGreaterThan(0);
    expect(debugLayerOf(createDebugHeap({ debug: true }))).toBeDefined();
  });

  it('refuses a heap with live blocks, a second layer and bad options', () => {
    const heap = createHeap();
    const p = heap.malloc(8);
    expect(() => enableDebug(heap)).toThrow(InvalidArgumentError);
    heap.free(p);
    const debug = enableDebug(heap);
    expect(() => enableDebug(heap)).toThrow(InvalidArgumentError);
    expect(debugLayerOf(heap)).toBe(debug);
    for (const options of [
      { guardBytes: 4 },
      { guardBytes: 24 },
      { guardBytes: 2048 },
      { quarantineBlocks: -1 },
      { quarantineBytes: 0.5 },
    ]) {
      expect(() => enableDebug(createHeap(), options)).toThrow(InvalidArgumentError);
    }
    expect(() => createDebugHeap({ guardBytes: 12 })).toThrow(InvalidArgumentError);
  });

  it('disable() restores the plain heap once nothing is live', () => {
    const heap = createHeap();
    const debug = enableDebug(heap);
    const p = heap.malloc(10);
    expect(() => debug.disable()).toThrow(InvalidArgumentError);
    heap.free(p);
    debug.disable();
    expect(heap._hooks).toBe(null);
    expect(debugLayerOf(heap)).toBeUndefined();
    expect(heap.stats().liveBlocks).toBe(0);
    const q = heap.malloc(10);
    expect(heap.usableSize(q)).toBeGreaterThanOrEqual(10);
    heap.free(q);
    heap.check();
  });

  it('Heap.attach on its buffer sees a plain heap holding the guarded blocks', () => {
    const { heap, debug } = debugHeap({ quarantineBlocks: 4 });
    const p = heap.malloc(40);
    heap.free(heap.malloc(70));
    const copy = Heap.attach(heap.buffer.slice(0));
    copy.check();
    expect(copy.stats().liveBlocks).toBe(debug.stats().liveBlocks + debug.stats().quarantinedBlocks);
    const u8 = new Uint8Array(copy.buffer);
    expect(u8[p - 1]).toBe(FORBIDDEN_BYTE);
    expect(u8[p]).toBe(CLEAN_BYTE);
    expect(copy.isLive(p)).toBe(false); // an interior pointer of the plain heap
    expect(() => copy.free(p)).toThrow(InvalidPointerError);
    expect(() => enableDebug(copy)).toThrow(InvalidArgumentError);
  });

  it('chains with a layer installed before it and one installed after it', () => {
    const heap = createHeap();
    const counts = { below: 0, above: 0 };
    const below = currentHooks(heap);
    heap._hooks = {
      ...below,
      malloc: (n) => {
        counts.below++;
        return below.malloc(n);
      },
    };
    const debug = enableDebug(heap);
    const mid = currentHooks(heap);
    heap._hooks = {
      malloc: (n) => {
        counts.above++;
        return mid.malloc(n);
      },
      alignedAlloc: (n, a) => mid.alignedAlloc(n, a),
      realloc: (p, n) => mid.realloc(p, n),
      free: (p) => mid.free(p),
      usableSize: (p) => mid.usableSize(p),
      isLive: (p) => mid.isLive(p),
    };
    const p = heap.malloc(30);
    expect(counts).toEqual({ below: 1, above: 1 });
    bytesOf(heap)[p + 30] = 0;
    expect(() => heap.free(p)).toThrow(GuardBytesError);
    expect(() => debug.disable()).toThrow(InvalidArgumentError);
    bytesOf(heap)[p + 30] = FORBIDDEN_BYTE;
    heap.free(p);
    debug.check();
  });

  for (const store of STORES) {
    it(`works over a ${store} store that grows`, () => {
      const heap = heapOf(store);
      const debug = enableDebug(heap, { quarantineBlocks: 16 });
      const live: number[] = [];
      for (let i = 0; i < 60; i++) {
        const p = heap.malloc(1000 + i * 37);
        fillPattern(heap, p, 1000, i);
        live.push(p);
      }
      for (let i = 0; i < live.length; i++) expect(checkPattern(heap, live[i]!, 1000, i)).toBe(-1);
      debug.check();
      bytesOf(heap)[live[59]! + 1000 + 59 * 37] = 0;
      expect(() => debug.check()).toThrow(GuardBytesError);
      bytesOf(heap)[live[59]! + 1000 + 59 * 37] = FORBIDDEN_BYTE;
      for (const p of live) heap.free(p);
      debug.check();
      expect(debug.stats().liveBlocks).toBe(0);
    });
  }
});
