// The C contract of wasmImports, as a table: every entry with sizes 0, 1, 2^31, 0xffffffff and a
// negative i32, calloc that overflows, and bad pointers. Nothing throws except onError's default.

import { beforeEach, describe, expect, it } from 'vitest';
import { createHeap, DoubleFreeError, type Heap, InvalidArgumentError, InvalidPointerError } from '../../src/index';
import { EINVAL, ENOMEM, type WasmImports, wasmImports } from '../../src/wasm/index';
import { expectError } from '../support/helpers';

/** What an i32 argument looks like when WASM passes a size_t of 2^31 or more: negative. */
const asI32 = (n: number): number => n | 0;
const SIZES = [0, 1, 2 ** 31, 0xffffffff, asI32(0xfffffff0), -1];

let fastPath = true;

function fresh(): { heap: Heap; errors: Error[]; env: WasmImports } {
  const heap = createHeap({ store: 'wasm', initialBytes: 1 << 17, maxBytes: 1 << 24, base: 1024 });
  const errors: Error[] = [];
  const env = wasmImports(heap, { onError: (e) => errors.push(e), fastPath });
  return { heap, errors, env };
}

/** Whether a size (as the import reads it) can be served by a heap of at most 16 MiB. */
const fits = (size: number): boolean => size >>> 0 < 1 << 23;

// Both ways: malloc, calloc and free served in WebAssembly (the default) and in JavaScript.
describe.each([true, false])('wasmImports (fastPath: %s): the C contract', (fast) => {
  beforeEach(() => {
    fastPath = fast;
  });

  it('holds the heap memory, so it can be a module env as it is', () => {
    const { heap, env } = fresh();
    expect(env.memory).toBe(heap.memory);
    expectError(() => wasmImports(createHeap({ store: 'shared' })), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    expectError(() => wasmImports(heap, { onError: 1 as unknown as () => void }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
  });

  it.each(SIZES)('malloc, calloc, realloc, aligned_alloc and posix_memalign of %d', (size) => {
    const { heap, env, errors } = fresh();
    const out = env.malloc(16);
    const checks: Array<[string, number]> = [
      ['malloc', env.malloc(size)],
      ['calloc(1, n)', env.calloc(1, size)],
      ['calloc(n, 1)', env.calloc(size, 1)],
      ['aligned_alloc', env.aligned_alloc(64, size)],
      ['realloc(0, n)', env.realloc(0, size)],
    ];
    for (const [what, p] of checks) {
      if (fits(size)) {
        expect(p, what).not.toBe(0);
        expect(heap.usableSize(p), what).toBeGreaterThanOrEqual(size >>> 0);
        heap.free(p);
      } else expect(p, what).toBe(0);
    }
    const rc = env.posix_memalign(out, 64, size);
    if (fits(size)) {
      expect(rc).toBe(0);
      const p = new DataView(heap.buffer).getUint32(out, true);
      expect(p % 64).toBe(0);
      heap.free(p);
    } else {
      expect(rc).toBe(ENOMEM);
    }
    const block = env.malloc(10);
    const moved = env.realloc(block, size);
    if (size === 0)
      expect(moved).toBe(0); // realloc(p, 0) frees p (glibc)
    else if (fits(size)) {
      expect(moved).not.toBe(0);
      heap.free(moved);
    } else {
      expect(moved).toBe(0);
      heap.free(block); // failure leaves the block live
    }
    heap.free(out);
    expect(errors).toEqual([]);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('calloc returns 0 when count × size overflows 32 bits, and zeroes what it returns', () => {
    const { heap, env } = fresh();
    expect(env.calloc(0x10000, 0x10000)).toBe(0);
    expect(env.calloc(-1, -1)).toBe(0);
    expect(env.calloc(2 ** 31, 2)).toBe(0);
    const dirty = env.malloc(4000);
    heap.bytes(dirty).fill(0xee);
    env.free(dirty);
    const p = env.calloc(1000, 4);
    expect(heap.bytes(p, 4000).every((b) => b === 0)).toBe(true);
    env.free(p);
    // A small block too (the fast path's calloc): the freed block comes back, zeroed.
    const used = env.malloc(100);
    heap.bytes(used).fill(0xee);
    env.free(used);
    const small = env.calloc(25, 4);
    expect(small).toBe(used);
    expect(heap.bytes(small, 100).every((b) => b === 0)).toBe(true);
    env.free(small);
    const zero = env.calloc(0, 8);
    expect(zero).not.toBe(0);
    env.free(zero);
    heap.check();
  });

  it('pointers past 2 GiB arrive as negative i32 and are read as unsigned', () => {
    const { env, errors } = fresh();
    env.free(asI32(0x80000010));
    expect(errors[0]).toBeInstanceOf(InvalidPointerError);
    expect((errors[0] as InvalidPointerError).pointer).toBe(0x80000010);
  });

  it('aligned_alloc and posix_memalign refuse bad alignments', () => {
    const { heap, env } = fresh();
    const out = env.malloc(4);
    new DataView(heap.buffer).setUint32(out, 0xabcdef, true);
    for (const alignment of [0, 3, 24, 2 ** 21, -1, 2 ** 31]) {
      expect(env.aligned_alloc(alignment, 16)).toBe(0);
    }
    for (const alignment of [0, 1, 2, 3, 24, 2 ** 21, -1]) {
      expect(env.posix_memalign(out, alignment, 16)).toBe(EINVAL);
    }
    expect(new DataView(heap.buffer).getUint32(out, true)).toBe(0xabcdef); // *out untouched
    expect(env.posix_memalign(out, 1 << 20, 0xffffffff)).toBe(ENOMEM);
    expect(new DataView(heap.buffer).getUint32(out, true)).toBe(0xabcdef);
    env.free(out);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('free(0) and malloc_usable_size(0) do nothing; realloc(p, 0) frees p and returns 0', () => {
    const { heap, env, errors } = fresh();
    env.free(0);
    expect(env.malloc_usable_size(0)).toBe(0);
    const p = env.malloc(100);
    expect(env.malloc_usable_size(p)).toBeGreaterThanOrEqual(100);
    expect(env.realloc(p, 0)).toBe(0);
    expect(heap.isLive(p)).toBe(false);
    expect(errors).toEqual([]);
    heap.check();
  });

  it('a bad free, realloc or malloc_usable_size goes to onError and changes nothing', () => {
    const { heap, env, errors } = fresh();
    const live = env.malloc(600);
    const small = env.malloc(24);
    const freed = env.malloc(40);
    env.free(freed);
    const before = heap.stats();
    const bad = [freed, live + 16, small + 8, 12, 3, 0x7ffffff0, asI32(0xfffffff0), 1024];
    for (const p of bad) {
      env.free(p);
      expect(env.realloc(p, 50)).toBe(0);
      expect(env.realloc(p, 0xffffffff)).toBe(0);
      expect(env.malloc_usable_size(p)).toBe(0);
    }
    expect(errors).toHaveLength(bad.length * 4);
    expect(errors[0]).toBeInstanceOf(DoubleFreeError);
    expect(errors.every((e) => e instanceof InvalidPointerError || e instanceof DoubleFreeError)).toBe(true);
    expect(heap.stats()).toEqual(before);
    expect(heap.isLive(live) && heap.isLive(small)).toBe(true);
    heap.check();
  });

  it('onError defaults to throwing, as glibc aborts on a bad free', () => {
    const heap = createHeap({ store: 'wasm', base: 1024 });
    const env = wasmImports(heap);
    const p = env.malloc(32);
    env.free(p);
    expectError(() => env.free(p), DoubleFreeError, 'ERR_DOUBLE_FREE');
    expectError(() => env.realloc(p, 64), DoubleFreeError, 'ERR_DOUBLE_FREE');
    expectError(() => env.malloc_usable_size(12), InvalidPointerError, 'ERR_INVALID_POINTER');
    // Out of memory is never an error: it is 0.
    expect(env.malloc(0xfff00000)).toBe(0);
    heap.check();
  });

  it('a heap given as a function is resolved at the first call', () => {
    let heap: Heap | null = null;
    const env = wasmImports(() => heap as Heap);
    expect('memory' in env).toBe(false);
    heap = createHeap({ store: 'wasm', base: 2048 });
    const p = env.malloc(8);
    expect(heap.isLive(p)).toBe(true);
    env.free(p);
    expect(heap.stats().liveBlocks).toBe(0);
    const wrong = wasmImports(() => createHeap({ store: 'fixed' }));
    expectError(() => wrong.malloc(1), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
  });
});
