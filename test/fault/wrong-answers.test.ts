// Issue 13 §2, items 6-10: wrong answers and crashes found by a demanding user.
import { describe, expect, it } from 'vitest';
import { firstMismatch } from '../../src/debug/scan';
import { createHeap, Heap, HeapCorruptedError, InvalidPointerError, OutOfMemoryError } from '../../src/index';
import type { Memory } from '../../src/memory/store';
import { getTraceback, start, stop, Timeline } from '../../src/profile/index';
import { createRc } from '../../src/rc/index';
import { R_TYPE_COUNT, T_REF_COUNT } from '../../src/rc/layout';

/**
 * A stand-in for the store's views past 2^31 (a real one is 2 GiB of memory): every byte reads
 * `fill` except those in `bytes`; the f64 view reads the eight bytes it covers.
 */
function sparseMemory(fill: number, bytes: Map<number, number>): Memory {
  // As a typed array does, an index outside the store reads undefined.
  const byte = (i: number): number | undefined => (Number.isInteger(i) && i >= 0 && i < 2 ** 32 ? (bytes.get(i) ?? fill) : undefined);
  const u8 = new Proxy({}, { get: (_t, key) => byte(Number(key)) });
  const scratch = new Float64Array(1);
  const scratchBytes = new Uint8Array(scratch.buffer);
  const f64 = new Proxy(
    {},
    {
      get: (_t, key) => {
        const at = Number(key) * 8;
        for (let k = 0; k < 8; k++) scratchBytes[k] = byte(at + k) ?? 0;
        return scratch[0];
      },
    },
  );
  return { u8, f64 } as unknown as Memory;
}

describe('item 6: debug scans past 2 GiB', () => {
  const HIGH = 2 ** 31;
  for (const [from, to, bad] of [
    [HIGH + 3, HIGH + 200, HIGH + 100],
    [HIGH + 8, HIGH + 64, HIGH + 8],
    [HIGH + 1, HIGH + 30, HIGH + 29],
    [2 ** 32 - 4096, 2 ** 32 - 16, 2 ** 32 - 17],
  ] as const) {
    it(`finds the mismatch at ${bad} in [${from}, ${to})`, () => {
      const mem = sparseMemory(0xfd, new Map([[bad, 0x00]]));
      expect(firstMismatch(mem, from, to, 0xfd)).toBe(bad);
      expect(firstMismatch(sparseMemory(0xfd, new Map()), from, to, 0xfd)).toBe(-1);
    });
  }
});

describe('item 7: damaged registries give HeapCorruptedError, fast', () => {
  it('a damaged ref-field count: checkObjects throws HeapCorruptedError', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const Node = rc.struct('Node', { next: 'ref', x: 'f64' });
    const a = Node.create();
    const copy = Heap.attach(heap.buffer.slice(0));
    const u32 = new Uint32Array(copy.buffer);
    const rcCopy = createRc(copy);
    u32[rcCopy._record(Node.id) + T_REF_COUNT] = 0x4000_0000;
    expect(() => rcCopy.checkObjects(new Map([[a, 1]]))).toThrow(HeapCorruptedError);
  });

  it('a damaged type count: attaching rc throws HeapCorruptedError instead of looping', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    rc.struct('Node', { next: 'ref' });
    const copy = Heap.attach(heap.buffer.slice(0));
    const u32 = new Uint32Array(copy.buffer);
    u32[rc._root + R_TYPE_COUNT] = 0xffff_fff0;
    const started = performance.now();
    expect(() => createRc(copy).struct('Node', { next: 'ref' })).toThrow(HeapCorruptedError);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('item 8: objects of an empty struct', () => {
  it('free() refuses an empty object, which lies inside its own block', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const E = rc.struct('E', {});
    const e1 = E.create();
    const e2 = E.create();
    expect(() => heap.free(e1)).toThrow(InvalidPointerError);
    expect(() => heap.free(e2)).toThrow(InvalidPointerError);
    rc.checkObjects(
      new Map([
        [e1, 1],
        [e2, 1],
      ]),
    );
    rc.release(e1);
    rc.release(e2);
    expect(heap.stats().liveBlocks).toBe(0);
  });
});

describe('item 9: a failed create() changes nothing', () => {
  it('an out-of-memory create on a free-listed type counts no miss', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const rc = createRc(heap);
    const Big = rc.struct('Big', { data: 'f64[4000]' }, { freeListSize: 4 });
    const made: number[] = [];
    for (;;) {
      try {
        made.push(Big.create());
      } catch (error) {
        expect(error).toBeInstanceOf(OutOfMemoryError);
        break;
      }
    }
    const before = { type: Big.stats(), rc: rc.stats() };
    expect(() => Big.create()).toThrow(OutOfMemoryError);
    expect(Big.stats()).toEqual(before.type);
    expect(rc.stats()).toEqual(before.rc);
    for (const p of made) rc.release(p);
  });
});

describe('item 10: profile', () => {
  it('Timeline.toSVG draws 200,000 samples', () => {
    const heap = createHeap();
    const timeline = new Timeline(heap, { maxSamples: 300_000 });
    const first = timeline.sample();
    for (let i = 1; i < 200_000; i++) timeline.samples.push({ ...first, t: i, liveBytes: i });
    const svg = timeline.toSVG();
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('peak 195.3 KiB');
  });

  it('getTraceback names the allocation site of a refcounted object', () => {
    const heap = createHeap();
    start(heap, 4);
    const rc = createRc(heap);
    const Point = rc.struct('Point', { x: 'f64' });
    const Node = rc.struct('Node', { next: 'ref' });
    const p = Point.create();
    const n = Node.create();
    for (const obj of [p, n]) {
      const traceback = getTraceback(heap, obj);
      expect(traceback).toBeDefined();
      expect(traceback?.frames.some((f) => f.filename.endsWith('wrong-answers.test.ts'))).toBe(true);
    }
    expect(getTraceback(heap, p + 8)).toBeUndefined();
    rc.release(p);
    rc.release(n);
    expect(getTraceback(heap, p)).toBeUndefined();
    stop(heap);
  });
});
