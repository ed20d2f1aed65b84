// The failures of a heap sharing its memory with a WASM module, one test each (issue 15): the
// heap adopts the module's memory, lives above a base and touches nothing below it, re-opens at
// that base, never hands out pages the module grew, and can guard the null page.

import { describe, expect, it } from 'vitest';
import { createHeap, Heap, HeapCorruptedError, InvalidArgumentError, NotAHeapError } from '../../src/index';
import { expectError, seededRandom } from '../support/helpers';

const PAGE = 65536;

/** Fills bytes [0, n) with a pattern a heap must leave alone. */
function paint(memory: WebAssembly.Memory, n: number): void {
  const u8 = new Uint8Array(memory.buffer, 0, n);
  for (let i = 0; i < n; i++) u8[i] = (i * 13 + 5) & 0xff;
}
function painted(memory: WebAssembly.Memory, n: number): number {
  const u8 = new Uint8Array(memory.buffer, 0, n);
  for (let i = 0; i < n; i++) if (u8[i] !== ((i * 13 + 5) & 0xff)) return i;
  return -1;
}

describe('a heap in a memory it did not create', () => {
  it('createHeap({ store: "wasm", memory }) makes the heap in that memory', () => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 64 });
    const heap = createHeap({ store: 'wasm', memory });
    expect(heap.memory).toBe(memory);
    const p = heap.malloc(100);
    new Uint8Array(memory.buffer)[p] = 42;
    expect(heap.bytes(p)[0]).toBe(42);
    heap.free(p);
    heap.check();
  });

  it('adopts a shared memory', () => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 64, shared: true });
    const heap = createHeap({ store: 'wasm', memory, base: 1024 });
    expect(heap.memory).toBe(memory);
    expect(heap.buffer).toBeInstanceOf(SharedArrayBuffer);
    const blocks = Array.from({ length: 200 }, (_, i) => heap.malloc(1 + i * 97));
    heap.check();
    for (const p of blocks) heap.free(p);
    heap.check();
  });

  it('nothing below base is read or written, over growth, frees, check and attach', () => {
    const base = 5 * 4096 + 16 * 7;
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 256 });
    paint(memory, base);
    const heap = createHeap({ store: 'wasm', memory, base });
    expect(heap.base).toBe(base);
    const random = seededRandom(15);
    const live: number[] = [];
    for (let step = 0; step < 3000; step++) {
      if (live.length > 0 && random() < 0.45) heap.free(live.splice(Math.floor(random() * live.length), 1)[0] as number);
      else live.push(random() < 0.1 ? heap.malloc(1000 + Math.floor(random() * 200_000)) : heap.malloc(Math.floor(random() * 600)));
      for (const p of live.slice(-1)) expect(p).toBeGreaterThanOrEqual(base);
    }
    heap.check();
    expect(painted(memory, base)).toBe(-1);
    const again = Heap.attach(memory, { base });
    again.check();
    for (const p of live) again.free(p);
    again.check();
    expect(painted(memory, base)).toBe(-1);
  });

  it('the heap header is at the base, not at byte 0 where a module puts its data', () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 64 });
    paint(memory, 1 << 14);
    const heap = createHeap({ store: 'wasm', memory, base: 1 << 14 });
    expect(painted(memory, 1 << 14)).toBe(-1);
    expect(new Uint32Array(memory.buffer, 1 << 14, 1)[0]).toBe(0x414e5241); // "ARNA"
    heap.check();
  });

  it('Heap.attach(memory, { base }) re-opens it, and only at that base', () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 64 });
    const heap = createHeap({ store: 'wasm', memory, base: 2048 });
    const p = heap.malloc(300);
    new Uint8Array(memory.buffer)[p] = 9;
    const again = Heap.attach(memory, { base: 2048 });
    expect(again.bytes(p)[0]).toBe(9);
    expect(again.stats()).toEqual(heap.stats());
    expectError(() => Heap.attach(memory), NotAHeapError, 'ERR_NOT_A_HEAP');
    expectError(() => Heap.attach(memory, { base: 4096 }), NotAHeapError, 'ERR_NOT_A_HEAP');
    again.free(p);
    heap.check();
  });

  it("limits growth to the memory's maximum, or maxBytes when that is smaller", () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 8 });
    const heap = createHeap({ store: 'wasm', memory, base: 1024 });
    expect(heap.tryMalloc(3 * PAGE)).not.toBe(0);
    expect(heap.tryMalloc(6 * PAGE)).toBe(0); // beyond 8 pages: out of memory, not an engine error
    heap.check();
    const small = new WebAssembly.Memory({ initial: 2, maximum: 64 });
    const capped = createHeap({ store: 'wasm', memory: small, maxBytes: 4 * PAGE });
    expect(capped.tryMalloc(5 * PAGE)).toBe(0);
    expect(small.buffer.byteLength).toBe(2 * PAGE);
    capped.check();
  });

  it('refuses bad base, memory and guard options with typed errors', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    for (const base of [-16, 8, 1.5, '16', 2 ** 32]) {
      expectError(() => createHeap({ store: 'wasm', memory, base: base as number }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    }
    expectError(() => createHeap({ store: 'shared', memory }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    expectError(() => createHeap({ memory: {} as WebAssembly.Memory }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    expectError(() => createHeap({ store: 'wasm', memory, base: 1024, guardLow: 2048 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    expectError(() => createHeap({ store: 'wasm', memory, base: 1024, guardLow: 6 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    // A heap that cannot fit under the memory's maximum.
    expectError(() => createHeap({ store: 'wasm', memory, base: 4 * PAGE }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
  });
});

describe('pages the module grew are the module’s', () => {
  it('a large malloc after module-side growth takes none of the module’s pages', () => {
    const heap = createHeap({ store: 'wasm', initialBytes: 2 * PAGE, maxBytes: 1 << 26 });
    const memory = heap.memory as WebAssembly.Memory;
    const first = memory.grow(3); // the module's own arena
    const mine = new Uint32Array(memory.buffer, first * PAGE, (3 * PAGE) / 4);
    mine.fill(0xc0de);
    const blocks = [heap.malloc(100_000), heap.malloc(PAGE), heap.malloc(300)];
    for (const p of blocks) {
      const end = p + heap.usableSize(p);
      expect(end <= first * PAGE || p >= (first + 3) * PAGE).toBe(true);
      heap.bytes(p).fill(0xff);
    }
    expect(new Uint32Array(memory.buffer, first * PAGE, (3 * PAGE) / 4).every((w) => w === 0xc0de)).toBe(true);
    heap.check();
    for (const p of blocks) heap.free(p);
    heap.check();
    // Freeing everything merges nothing into the module's pages, and they are still not handed out.
    const again = heap.malloc(8 * PAGE);
    expect(again).toBeGreaterThanOrEqual((first + 3) * PAGE);
    heap.free(again);
    expect(new Uint32Array(memory.buffer, first * PAGE, (3 * PAGE) / 4).every((w) => w === 0xc0de)).toBe(true);
    // The fence survives a re-attach.
    const reopened = Heap.attach(memory);
    reopened.check();
    expect(reopened.stats().liveBlocks).toBe(0);
  });
});

describe('the null-pointer guard', () => {
  it('check() reports a write through a null pointer as one', () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 64 });
    paint(memory, 4096);
    const heap = createHeap({ store: 'wasm', memory, base: 4096, guardLow: true });
    // The guarded bytes are cleared, the rest below base is left as it was.
    expect(new Uint8Array(memory.buffer, 0, 1024).every((b) => b === 0)).toBe(true);
    const rest = new Uint8Array(memory.buffer, 1024, 4096 - 1024);
    expect(rest.every((b, i) => b === (((i + 1024) * 13 + 5) & 0xff))).toBe(true);
    heap.check();
    for (const offset of [8, 28, 300]) {
      new Uint8Array(memory.buffer)[offset] = 0x5a; // ((struct s *)0)->field = ...
      const error = expectError(() => heap.check(), HeapCorruptedError, 'ERR_HEAP_CORRUPTED');
      expect(error.message).toContain('null-pointer write');
      expect(error.pointer).toBe(offset);
      new Uint8Array(memory.buffer)[offset] = 0;
      heap.check();
    }
    // The guard is in the header: an attached heap checks it too.
    new Uint8Array(memory.buffer)[1023] = 1;
    expectError(() => Heap.attach(memory, { base: 4096 }).check(), HeapCorruptedError, 'ERR_HEAP_CORRUPTED');
  });
});
