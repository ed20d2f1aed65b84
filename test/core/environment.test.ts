/**
 * The four backing stores in whatever engine runs the suite: Node here, and headless Chromium
 * through `npm run test:browser`, where the page is cross-origin isolated so that
 * SharedArrayBuffer exists.
 */

import { describe, expect, it } from 'vitest';
import { createHeap, Heap } from '../../src/index';
import { checkPattern, fillPattern } from '../support/helpers';

const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

describe('the engine', () => {
  it.runIf(inBrowser)('is a cross-origin isolated page, so SharedArrayBuffer is available', () => {
    expect(globalThis.crossOriginIsolated).toBe(true);
    expect(typeof SharedArrayBuffer).toBe('function');
  });

  it('has resizable ArrayBuffer, growable SharedArrayBuffer and WebAssembly.Memory', () => {
    expect(new ArrayBuffer(8, { maxByteLength: 16 }).resizable).toBe(true);
    expect(new SharedArrayBuffer(8, { maxByteLength: 16 }).growable).toBe(true);
    expect(new WebAssembly.Memory({ initial: 1, maximum: 2 }).buffer.byteLength).toBe(65536);
  });
});

describe.each([
  { store: 'fixed', buffer: 'ArrayBuffer' },
  { store: 'resizable', buffer: 'ArrayBuffer' },
  { store: 'shared', buffer: 'SharedArrayBuffer' },
  { store: 'wasm', buffer: 'ArrayBuffer' },
] as const)('a $store store', ({ store, buffer }) => {
  it(`lives in a ${buffer}, allocates, grows where it can, and keeps every byte`, () => {
    const heap = createHeap({ store, initialBytes: 1 << 16, maxBytes: 1 << 22 });
    expect(heap.buffer.constructor.name).toBe(buffer);
    expect(heap.store).toBe(store);
    const blocks: number[] = [];
    const size = 20_000;
    const count = store === 'fixed' ? 2 : 40; // the fixed store has 64 KiB and never grows
    for (let i = 0; i < count; i++) {
      const p = heap.malloc(size);
      fillPattern(heap, p, size, i);
      blocks.push(p);
    }
    heap.check();
    if (store !== 'fixed') {
      expect(heap.buffer.byteLength).toBeGreaterThan(1 << 16);
      expect(heap.epoch).toBeGreaterThan(0);
    } else expect(() => heap.malloc(1 << 16)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_MEMORY' }));
    blocks.forEach((p, i) => {
      expect(checkPattern(heap, p, size, i)).toBe(-1);
    });
    if (store === 'wasm') expect(heap.memory?.buffer).toBe(heap.buffer);
    const copy = Heap.attach(store === 'wasm' ? heap.memory! : heap.buffer);
    copy.check();
    expect(copy.stats().liveBlocks).toBe(count);
    for (const p of blocks) heap.free(p);
    heap.check();
    expect(heap.stats()).toMatchObject({ liveBlocks: 0, liveBytes: 0 });
  });
});

describe('a view over a wasm store', () => {
  it('goes stale when the memory grows and the old buffer detaches', () => {
    const heap = createHeap({ store: 'wasm', initialBytes: 1 << 16, maxBytes: 1 << 22 });
    const p = heap.malloc(64);
    const view = heap.bytes(p);
    expect(heap.isStale(view)).toBe(false);
    heap.malloc(1 << 20); // forces growth
    expect(heap.isStale(view)).toBe(true);
    expect(() => heap.assertFresh(view)).toThrow(expect.objectContaining({ code: 'ERR_STALE_VIEW' }));
    expect(heap.isStale(heap.bytes(p))).toBe(false);
  });
});
