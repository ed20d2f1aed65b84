// @browser-skip: compiles its module with wabt, whose build needs Node (the wasm store itself runs in the browser in environment.test.ts)
// WebAssembly for real (issue 2, section 6): a module written in WAT, compiled here by the `wabt`
// package, imports the heap's WebAssembly.Memory and reads and writes blocks that JS allocated,
// also after the heap has grown the memory under it.

import { beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { createHeap, Heap, StaleViewError } from '../../src/index';
import { checkPattern, expectError, fillPattern } from '../support/helpers';

// A list node, as JS lays it out in the heap: next pointer, an i32 value, an f64 weight.
const NODE_NEXT = 0;
const NODE_VALUE = 4;
const NODE_WEIGHT = 8;
const NODE_BYTES = 16;

const WAT = `
(module
  (import "env" "memory" (memory 1))

  ;; Sum of n i32 values at p.
  (func (export "sumI32") (param $p i32) (param $n i32) (result i32)
    (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; Sum of n f64 values at p.
  (func (export "sumF64") (param $p i32) (param $n i32) (result f64)
    (local $sum f64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum (f64.add (local.get $sum) (f64.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; Walks the list from head; writes into the block at out: [0] node count (i32),
  ;; [4] sum of values (i32), [8] sum of weights (f64). Then doubles every value in place.
  ;; Returns the count.
  (func (export "walk") (param $head i32) (param $out i32) (result i32)
    (local $node i32) (local $count i32) (local $sum i32) (local $weights f64)
    (local.set $node (local.get $head))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $node)))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $sum (i32.add (local.get $sum) (i32.load offset=${NODE_VALUE} (local.get $node))))
        (local.set $weights (f64.add (local.get $weights) (f64.load offset=${NODE_WEIGHT} (local.get $node))))
        (i32.store offset=${NODE_VALUE} (local.get $node)
          (i32.mul (i32.load offset=${NODE_VALUE} (local.get $node)) (i32.const 2)))
        (local.set $node (i32.load offset=${NODE_NEXT} (local.get $node)))
        (br $next)))
    (i32.store (local.get $out) (local.get $count))
    (i32.store offset=4 (local.get $out) (local.get $sum))
    (f64.store offset=8 (local.get $out) (local.get $weights))
    (local.get $count))

  ;; Fills n bytes at p with v.
  (func (export "fill") (param $p i32) (param $v i32) (param $n i32)
    (memory.fill (local.get $p) (local.get $v) (local.get $n)))

  ;; The memory's size in pages, as the module sees it.
  (func (export "pages") (result i32) (memory.size))

  ;; Grows the memory from inside the module (as a module with an allocator of its own would).
  (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages)))
)`;

interface Exports {
  sumI32(p: number, n: number): number;
  sumF64(p: number, n: number): number;
  walk(head: number, out: number): number;
  fill(p: number, v: number, n: number): void;
  pages(): number;
  grow(pages: number): number;
}

let wasmModule: WebAssembly.Module;

beforeAll(async () => {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat('heap.wat', WAT, { bulk_memory: true });
  parsed.validate();
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  wasmModule = await WebAssembly.compile(new Uint8Array(buffer));
});

async function instantiate(heap: Heap): Promise<Exports> {
  const memory = heap.memory;
  if (memory === null) throw new Error('the heap must live in a WebAssembly.Memory');
  const instance = await WebAssembly.instantiate(wasmModule, { env: { memory } });
  return instance.exports as unknown as Exports;
}

/** Builds a linked list of separately allocated nodes; returns the head and the nodes. */
function buildList(heap: Heap, values: number[]): { head: number; nodes: number[] } {
  const nodes = values.map(() => heap.malloc(NODE_BYTES));
  for (const [i, node] of nodes.entries()) {
    const dv = new DataView(heap.buffer);
    dv.setUint32(node + NODE_NEXT, nodes[i + 1] ?? 0, true);
    dv.setInt32(node + NODE_VALUE, values[i] as number, true);
    dv.setFloat64(node + NODE_WEIGHT, (values[i] as number) / 4, true);
  }
  return { head: nodes[0] ?? 0, nodes };
}

function readOut(heap: Heap, out: number): { count: number; sum: number; weights: number } {
  const dv = new DataView(heap.buffer);
  return { count: dv.getInt32(out, true), sum: dv.getInt32(out + 4, true), weights: dv.getFloat64(out + 8, true) };
}

describe('a WebAssembly module over the heap', () => {
  it('sums i32 and f64 arrays that JS allocated, before and after the memory grows', async () => {
    const heap = createHeap({ store: 'wasm', initialBytes: 1 << 16, maxBytes: 1 << 26 });
    const wasm = await instantiate(heap);
    const n = 1000;
    const ints = heap.malloc(n * 4);
    const floats = heap.alignedAlloc(n * 8, 64);
    new Int32Array(heap.buffer, ints, n).set(Array.from({ length: n }, (_, i) => i * 3 - 700));
    new Float64Array(heap.buffer, floats, n).set(Array.from({ length: n }, (_, i) => i / 8));
    const intSum = (n * (n - 1) * 3) / 2 - 700 * n;
    const floatSum = (n * (n - 1)) / 16;
    expect(wasm.sumI32(ints, n)).toBe(intSum);
    expect(wasm.sumF64(floats, n)).toBe(floatSum);

    const pagesBefore = wasm.pages();
    const viewBefore = heap.bytes(ints);
    const intsBefore = new Int32Array(heap.buffer, ints, n);
    // Force growth: the memory is replaced under the module and under JS.
    const big = heap.malloc(4 << 20);
    expect(wasm.pages()).toBeGreaterThan(pagesBefore);
    expect(heap.stats().backingBytes).toBe(wasm.pages() * 65536);
    expect(heap.isStale(viewBefore)).toBe(true);
    expect(heap.isStale(intsBefore)).toBe(true);
    expectError(() => heap.assertFresh(intsBefore), StaleViewError, 'ERR_STALE_VIEW');
    // The module reads the same blocks through the grown memory.
    expect(wasm.sumI32(ints, n)).toBe(intSum);
    expect(wasm.sumF64(floats, n)).toBe(floatSum);
    // And a block in the newly grown space, written by JS through a fresh view.
    const far = heap.malloc(n * 4);
    expect(far + n * 4).toBeGreaterThan(pagesBefore * 65536);
    new Int32Array(heap.buffer, far, n).fill(5);
    expect(wasm.sumI32(far, n)).toBe(5 * n);
    // The module writes a block; JS reads it through a fresh view.
    wasm.fill(big + 100, 0xab, 1000);
    const bytes = heap.bytes(big, 1200);
    expect(heap.isStale(bytes)).toBe(false);
    expect(bytes[99]).not.toBe(0xab);
    expect(bytes.subarray(100, 1100).every((b) => b === 0xab)).toBe(true);
    heap.check();
    for (const p of [ints, floats, big, far]) heap.free(p);
    heap.check();
  });

  it('walks a linked list JS built in the heap and writes its results into a block', async () => {
    const heap = createHeap({ store: 'wasm', initialBytes: 1 << 16, maxBytes: 1 << 26 });
    const wasm = await instantiate(heap);
    const values = Array.from({ length: 200 }, (_, i) => (i * 37) % 101);
    // Interleave other allocations so that the nodes are not contiguous.
    const spacers: number[] = [];
    const { head, nodes } = buildList(heap, values);
    for (let i = 0; i < 50; i++) spacers.push(heap.malloc(600 + i * 16));
    const out = heap.calloc(1, 16);
    const sum = values.reduce((a, b) => a + b, 0);
    expect(wasm.walk(head, out)).toBe(values.length);
    expect(readOut(heap, out)).toEqual({ count: values.length, sum, weights: sum / 4 });
    // The module doubled every value in place; JS sees it.
    const dv = new DataView(heap.buffer);
    expect(nodes.map((node) => dv.getInt32(node + NODE_VALUE, true))).toEqual(values.map((v) => v * 2));

    // Grow the memory, then extend the list with nodes that live in the new space.
    const pagesBefore = wasm.pages();
    const ballast = heap.malloc(8 << 20);
    expect(wasm.pages()).toBeGreaterThan(pagesBefore);
    const more = Array.from({ length: 100 }, (_, i) => i + 1);
    const tail = buildList(heap, more);
    const last = nodes[nodes.length - 1] as number;
    new DataView(heap.buffer).setUint32(last + NODE_NEXT, tail.head, true);
    // Free some spacers and a node's worth of churn; the list itself is untouched.
    for (const p of spacers.splice(0, 25)) heap.free(p);
    const total = values.length + more.length;
    const sum2 = sum * 2 + more.reduce((a, b) => a + b, 0);
    const weights2 = sum / 4 + more.reduce((a, b) => a + b, 0) / 4;
    expect(wasm.walk(head, out)).toBe(total);
    expect(readOut(heap, out)).toEqual({ count: total, sum: sum2, weights: weights2 });
    heap.check();
    for (const p of [...nodes, ...tail.nodes, ...spacers, out, ballast]) heap.free(p);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('a heap attached to the module memory sees what the module wrote', async () => {
    const heap = createHeap({ store: 'wasm', initialBytes: 1 << 16, maxBytes: 1 << 24 });
    const wasm = await instantiate(heap);
    const p = heap.malloc(4096);
    wasm.fill(p, 7, 4096);
    heap.malloc(2 << 20); // grow
    const again = Heap.attach(heap.memory as WebAssembly.Memory);
    again.check();
    expect(again.bytes(p).every((b) => b === 7)).toBe(true);
    expect(again.stats()).toEqual(heap.stats());
  });

  it('the heap keeps working after the module grew the memory itself', async () => {
    const heap = createHeap({ store: 'wasm', initialBytes: 1 << 16, maxBytes: 1 << 24 });
    const wasm = await instantiate(heap);
    const a = heap.malloc(1000);
    const small = heap.malloc(40);
    fillPattern(heap, a, 1000, 3);
    const view = heap.bytes(a);
    const before = heap.stats();
    const pages = before.backingBytes / 65536; // the small allocator's first arena already grew it
    expect(wasm.grow(3)).toBe(pages); // the heap's views are detached behind its back
    expect(heap.isStale(view)).toBe(true);
    expect(heap.isLive(a)).toBe(true);
    expect(heap.usableSize(a)).toBeGreaterThanOrEqual(1000);
    expect({ ...heap.stats(), backingBytes: 0 }).toEqual({ ...before, backingBytes: 0 });
    expect(heap.stats().backingBytes).toBe((pages + 3) * 65536);
    expect(checkPattern(heap, a, 1000, 3)).toBe(-1);
    heap.check();
    heap.free(small); // the small allocator re-binds its views too
    const small2 = heap.malloc(40);
    expect(small2).toBe(small);
    wasm.grow(1);
    expect(heap.realloc(small2, 48)).toBe(small2);
    heap.check();
    wasm.grow(1);
    heap.free(a);
    wasm.grow(1);
    const b = heap.malloc(3000);
    wasm.grow(1);
    expect(heap.realloc(small2, 100)).toBeGreaterThan(0);
    wasm.grow(1);
    const c = heap.alignedAlloc(2000, 4096);
    wasm.grow(1);
    heap.check();
    wasm.grow(1);
    expect(heap.trim()).toBe(0);
    for (const p of [b, c]) heap.free(p);
    heap.check();
  });
});
