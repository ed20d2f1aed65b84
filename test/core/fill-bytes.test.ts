// Memory.fillBytes: the word-wise fill behind calloc and debug mode's fills, which must write
// exactly the bytes asked for whatever the alignment of either end.
import { describe, expect, it } from 'vitest';
import { createHeap, type StoreKind } from '../../src/index';
import { STORES, seededRandom } from '../support/helpers';

describe.each(STORES)('fillBytes over a %s store', (store: StoreKind) => {
  it('writes exactly [start, end) for every alignment of both ends, short and long ranges', () => {
    const heap = createHeap(store === 'fixed' ? { store, initialBytes: 1 << 20 } : { store });
    const mem = heap._mem;
    const base = 1 << 16;
    const random = seededRandom(7);
    for (let trial = 0; trial < 400; trial++) {
      const start = base + Math.floor(random() * 64);
      const length = trial < 200 ? Math.floor(random() * 80) : Math.floor(random() * 5000);
      const value = [0, 0xcd, 0xdd, 0xfd, 0xff, 1][trial % 6] as number;
      mem.u8.fill(0x5a, base - 16, base + 5200);
      mem.fillBytes(value, start, start + length);
      for (let i = base - 16; i < base + 5200; i++) {
        const expected = i >= start && i < start + length ? value : 0x5a;
        if (mem.u8[i] !== expected) expect({ trial, i, byte: mem.u8[i] }).toEqual({ trial, i, byte: expected });
      }
    }
  });

  it('calloc returns zeros where a freed block left other bytes', () => {
    const heap = createHeap(store === 'fixed' ? { store, initialBytes: 1 << 20 } : { store });
    for (const size of [1, 63, 64, 65, 600, 5000, 70_000]) {
      const p = heap.malloc(size);
      heap.bytes(p).fill(0xee);
      heap.free(p);
      const q = heap.calloc(1, size);
      expect(heap.bytes(q, size).every((b) => b === 0)).toBe(true);
      heap.free(q);
      heap.check();
    }
  });
});
