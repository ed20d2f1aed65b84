// @browser-skip: reads the committed .wasm files with node:fs
// A real module compiled from C (test/wasm/workload.c: a hash table, a tree and string building)
// with arenalloc as its malloc, in the module's own memory above its __heap_base.

import { describe, expect, it } from 'vitest';
import { createDebugHeap, debugLayerOf, GuardBytesError } from '../../src/debug/index';
import { HeapCorruptedError } from '../../src/index';
import { WASM_PAGE } from '../../src/memory/store';
import { libc, serve } from './modules';

const SEEDS = [1, 7, 12345, 0xdeadbeef];

describe('workload.c with arenalloc as its malloc', () => {
  it('computes what the same program computes with its compiled-in malloc, and frees every block', () => {
    const reference = libc();
    for (const seed of SEEDS) {
      const { wasm, heap } = serve();
      const expected = reference.wl_run(seed, 3000);
      expect(expected).not.toBe(0);
      expect(wasm.wl_run(seed, 3000)).toBe(expected);
      heap.check();
      const stats = heap.stats();
      expect(stats.liveBlocks).toBe(0);
      expect(stats.totalAllocations).toBeGreaterThan(10_000);
    }
  });

  it('keeps the heap above __heap_base: the module data below it is intact and the header is at the base', () => {
    const { wasm, heap, memory, base } = serve();
    expect(base % 16).toBe(0);
    expect(base).toBeGreaterThan(1024);
    expect(heap.memory).toBe(memory);
    expect(heap.base).toBe(base);
    const below = new Uint8Array(memory.buffer, 0, base).slice();
    const state = wasm.wl_new(3);
    expect(wasm.wl_step(state, 500)).toBe(500);
    expect(state).toBeGreaterThan(base);
    // The module's stack lives below the base, so compare only the data, which nothing rewrites.
    const data = new Uint8Array(memory.buffer, 0, base);
    expect(data.subarray(0, 1024)).toEqual(below.subarray(0, 1024));
    wasm.wl_free(state);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('stays correct when the module grows the memory itself between calls, and never hands those pages out', () => {
    const reference = libc();
    const refState = reference.wl_new(99);
    const { wasm, heap, memory } = serve();
    const state = wasm.wl_new(99);
    const grown: Array<[number, number]> = [];
    for (let round = 0; round < 12; round++) {
      expect(wasm.wl_step(state, 400)).toBe(400);
      expect(reference.wl_step(refState, 400)).toBe(400);
      const pages = 1 + (round % 3);
      const first = wasm.wl_grow(pages);
      expect(first).toBeGreaterThan(0);
      grown.push([first, pages]);
      // A large block now must come from pages the heap grows itself.
      if (round % 2 === 0) {
        const env = heap.malloc(200_000);
        heap.free(env);
      }
      heap.check();
      for (const [at, count] of grown) expect(wasm.wl_check_grown(at, count)).toBe(0);
    }
    expect(wasm.wl_digest(state)).toBe(reference.wl_digest(refState));
    wasm.wl_free(state);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
    for (const [at, count] of grown) expect(wasm.wl_check_grown(at, count)).toBe(0);
    expect(memory.buffer.byteLength % WASM_PAGE).toBe(0);
  });

  it('stays correct across the heap growing the memory many times (a big workload from a small memory)', () => {
    const reference = libc();
    const { wasm, heap, memory } = serve({ initialBytes: 2 * WASM_PAGE });
    const before = memory.buffer.byteLength;
    expect(wasm.wl_run(5, 20_000)).toBe(reference.wl_run(5, 20_000));
    expect(memory.buffer.byteLength).toBeGreaterThan(before * 4);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('over a shared memory, as a threaded module has', () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 4096, shared: true });
    const { wasm, heap } = serve({}, {}, memory);
    expect(heap.buffer).toBeInstanceOf(SharedArrayBuffer);
    const state = wasm.wl_new(11);
    expect(wasm.wl_step(state, 2000)).toBe(2000);
    const first = wasm.wl_grow(2);
    const big = heap.malloc(1 << 20);
    expect(big).toBeGreaterThanOrEqual((first + 2) * WASM_PAGE);
    heap.free(big);
    expect(wasm.wl_check_grown(first, 2)).toBe(0);
    const reference = libc();
    const refState = reference.wl_new(11);
    reference.wl_step(refState, 2000);
    expect(wasm.wl_digest(state)).toBe(reference.wl_digest(refState));
    wasm.wl_free(state);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('debug mode catches a one-byte overrun made by the C code, at its free', () => {
    const { wasm, heap } = serve({ make: createDebugHeap });
    // The workload runs clean under debug mode (its guards and fills change nothing it computes).
    expect(wasm.wl_run(3, 500)).toBe(libc().wl_run(3, 500));
    for (const n of [1, 24, 100, 513, 5000]) {
      let caught: unknown;
      try {
        wasm.wl_overrun(n);
      } catch (error) {
        caught = error;
      }
      expect(caught, `overrun of a ${n}-byte block`).toBeInstanceOf(GuardBytesError);
      expect((caught as GuardBytesError).message).toContain('after');
    }
    expect(() => debugLayerOf(heap)?.check()).toThrow(GuardBytesError);
  });

  it('the null-pointer guard catches a write through NULL made by the C code', () => {
    const { wasm, heap } = serve({ guardLow: true });
    wasm.wl_run(1, 200);
    heap.check();
    wasm.wl_null_write(28);
    expect(() => heap.check()).toThrow(HeapCorruptedError);
    expect(() => heap.check()).toThrow(/null-pointer write: byte 28/);
  });
});
