/**
 * The store `createHeap()` makes when the options name none: a growable SharedArrayBuffer where
 * the runtime has one (Node 20, and the cross-origin isolated page of `npm run test:browser`),
 * else a resizable ArrayBuffer. It grows in place, so views never go stale, and it cannot shrink,
 * so `trim()` gives nothing back; `store: 'resizable'` still trims.
 */

import { describe, expect, it } from 'vitest';
import { createHeap, Heap } from '../../src/index';
import { checkPattern, fillPattern } from '../support/helpers';

const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

/** What the library is to choose, found the way a user would. */
function runtimeHasGrowableShared(): boolean {
  try {
    return typeof SharedArrayBuffer === 'function' && new SharedArrayBuffer(0, { maxByteLength: 65536 }).growable === true;
  } catch {
    return false;
  }
}

const expected = runtimeHasGrowableShared() ? 'shared' : 'resizable';

describe('the default store', () => {
  it.runIf(inNode)('is shared under Node: a growable SharedArrayBuffer', () => {
    const heap = createHeap();
    expect(heap.store).toBe('shared');
    expect(heap.stats().store).toBe('shared');
    expect(heap.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect((heap.buffer as SharedArrayBuffer).growable).toBe(true);
    expect((heap.buffer as SharedArrayBuffer).maxByteLength).toBe(1 << 28); // the default maxBytes
  });

  it.runIf(inBrowser && globalThis.crossOriginIsolated === true)('is shared on a cross-origin isolated page', () => {
    expect(createHeap().store).toBe('shared');
  });

  it(`is ${expected} in this runtime, and heap.store says which`, () => {
    const heap = createHeap({ initialBytes: 1 << 16 });
    expect(heap.store).toBe(expected);
    if (expected === 'shared') {
      expect(heap.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect((heap.buffer as SharedArrayBuffer).growable).toBe(true);
    } else {
      expect(heap.buffer).toBeInstanceOf(ArrayBuffer);
      expect((heap.buffer as ArrayBuffer).resizable).toBe(true);
    }
  });

  it('grows in place: a view taken before growth reads the same bytes after it and is not stale', () => {
    const heap = createHeap({ initialBytes: 1 << 16, maxBytes: 1 << 24 });
    const a = heap.malloc(3000);
    fillPattern(heap, a, 3000, 9);
    const view = heap.bytes(a);
    const copy = view.slice();
    const buffer = heap.buffer;
    const before = heap.stats().backingBytes;
    const epoch = heap.epoch;
    const big = heap.malloc(2 << 20); // more than the store holds: it grows
    expect(heap.stats().backingBytes).toBeGreaterThan(before);
    expect(heap.epoch).toBeGreaterThan(epoch);
    expect(heap.buffer).toBe(buffer); // the same buffer, grown
    expect(heap.isStale(view)).toBe(false);
    expect(heap.assertFresh(view)).toBe(view);
    expect(view).toEqual(copy);
    expect(checkPattern(heap, a, 3000, 9)).toBe(-1);
    view[0] = 0xab; // and it still writes the block
    expect(heap.bytes(a)[0]).toBe(0xab);
    heap.free(big);
    heap.free(a);
    heap.check();
  });

  it.runIf(expected === 'shared')('cannot shrink: trim() returns 0 and changes nothing', () => {
    const heap = createHeap({ initialBytes: 1 << 16, maxBytes: 1 << 24 });
    const keep = heap.malloc(1000);
    const big = heap.malloc(4 << 20);
    const view = heap.bytes(keep);
    heap.free(big); // a free top of more than 4 MiB that a resizable store would give back
    const before = heap.stats();
    const length = heap.buffer.byteLength;
    const epoch = heap.epoch;
    expect(heap.trim()).toBe(0);
    expect(heap.stats()).toEqual(before);
    expect(heap.buffer.byteLength).toBe(length);
    expect(heap.epoch).toBe(epoch);
    expect(heap.isStale(view)).toBe(false);
    heap.check();
    heap.free(keep);
    heap.check();
  });

  it("store: 'resizable' still gives a resizable ArrayBuffer that trim() shrinks", () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
    expect(heap.store).toBe('resizable');
    expect(heap.buffer).toBeInstanceOf(ArrayBuffer);
    expect((heap.buffer as ArrayBuffer).resizable).toBe(true);
    const keep = heap.malloc(1000);
    const big = heap.malloc(4 << 20);
    const grown = heap.stats().backingBytes;
    heap.free(big);
    const released = heap.trim();
    expect(released).toBeGreaterThan(3 << 20);
    expect(heap.stats().backingBytes).toBe(grown - released);
    expect(heap.buffer.byteLength).toBe(grown - released);
    heap.check();
    heap.free(keep);
    heap.check();
  });

  it.runIf(expected === 'shared')('a slice of the default buffer is a SharedArrayBuffer that cannot grow: attach opens it fixed', () => {
    const heap = createHeap({ initialBytes: 1 << 16 });
    const p = heap.malloc(100);
    const copy = heap.buffer.slice(0);
    expect(copy).toBeInstanceOf(SharedArrayBuffer);
    expect((copy as SharedArrayBuffer).growable).toBe(false);
    const other = Heap.attach(copy);
    expect(other.store).toBe('fixed');
    expect(other.isLive(p)).toBe(true);
    other.check();
  });
});
