// @browser-skip: allocates a store of more than 2 GiB, which a browser tab may refuse
// Addresses above 2^31: the hot paths use `>>>` and never a signed `&` on a whole address, so
// that blocks past 2 GiB work like any other. A fixed store of 2 GiB + 64 MiB is allocated lazily
// by the engine (pages no one touches cost nothing).
import { describe, expect, it } from 'vitest';
import { createGc } from '../../src/gc/index';
import { createHeap } from '../../src/index';
import { createRc } from '../../src/rc/index';

const HIGH = 2 ** 31;

describe('blocks above 2 GiB', () => {
  it('calloc, realloc, free and check work past 2^31 (small and large blocks)', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: HIGH + (64 << 20) });
    // Two blocks of 1 GiB: everything after them lies past 2^31. (One of 2 GiB would not fit:
    // TLSF rounds a request up to its size class, 1/32 of it.)
    const low = [heap.malloc(HIGH / 2), heap.malloc(HIGH / 2)];
    const large: number[] = [];
    for (const size of [600, 5000, 70_000]) {
      const p = heap.malloc(size);
      heap.bytes(p).fill(0xee);
      heap.free(p);
      const q = heap.calloc(1, size);
      expect(q).toBeGreaterThan(HIGH);
      expect(heap.bytes(q, size).every((b) => b === 0)).toBe(true);
      large.push(q);
    }
    const high = large.filter((p) => p > HIGH);
    expect(high.length).toBeGreaterThan(0);
    // Small blocks from an arena above 2^31.
    const small: number[] = [];
    for (let i = 0; i < 3000; i++) small.push(heap.malloc(1 + (i % 512)));
    expect(small.some((p) => p > HIGH)).toBe(true);
    for (const p of small) expect(heap.isLive(p)).toBe(true);
    heap.check();
    const moved = heap.realloc(large[0] as number, 100); // large to small, across the routing boundary
    expect(heap.bytes(moved, 100).every((b) => b === 0)).toBe(true);
    heap.check();
    for (const p of small) heap.free(p);
    heap.free(moved);
    for (const p of large.slice(1)) heap.free(p);
    for (const p of low) heap.free(p);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });
});

describe('refcounted objects and the cycle detector above 2 GiB', () => {
  it('objects past 2^31 are created, linked, collected and freed', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: HIGH + (64 << 20) });
    const low = [heap.malloc(HIGH / 2), heap.malloc(HIGH / 2)];
    const rc = createRc(heap);
    const gc = createGc(rc);
    const Node = rc.struct('Node', { value: 'f64', next: { ref: 'Node' } });
    const nodes: number[] = [];
    for (let i = 0; i < 1000; i++) nodes.push(Node.create());
    expect(nodes.every((p) => p > HIGH)).toBe(true);
    for (let i = 0; i < 1000; i++) {
      Node.fields.value.set(nodes[i] as number, i);
      Node.fields.next.set(nodes[i] as number, nodes[(i + 1) % 1000] as number); // one ring
    }
    expect(Node.fields.value.get(nodes[999] as number)).toBe(999);
    for (const p of nodes) rc.release(p);
    expect(gc.collect()).toBe(1000);
    for (const p of low) heap.free(p);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });
});
