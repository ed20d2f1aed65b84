// Every layer re-binds its views after WASM code grows the memory behind the heap's back (which
// detaches an unshared memory's buffer, so every old view reads length 0), before it reads: no
// undefined, no dropped write, no live object taken for destroyed.

import { describe, expect, it } from 'vitest';
import { createDebugHeap, debugLayerOf } from '../../src/debug/index';
import { createGc } from '../../src/gc/index';
import { createHeap, type Heap } from '../../src/index';
import { measure, start, stop, takeSnapshot } from '../../src/profile/index';
import { createRc } from '../../src/rc/index';

/** What a module does when it grows the memory for its own stack or arena. */
function moduleGrows(heap: Heap): void {
  (heap.memory as WebAssembly.Memory).grow(1);
}

const SHAPES = [
  { name: 'unshared', shared: false },
  { name: 'shared', shared: true },
];

describe.each(SHAPES)('after module-side growth of a $name memory', ({ shared }) => {
  const make = (): Heap => createHeap({ store: 'wasm', shared, initialBytes: 1 << 17, maxBytes: 1 << 26, base: 4096 });

  it('rc fields read and write the object, and handles and refcounts see it alive', () => {
    const heap = make();
    const rc = createRc(heap);
    const Point = rc.struct('Point', { x: 'f64', y: 'i32', z: 'u32', tag: 'u8', small: 'i16', next: { ref: 'Point' } });
    const a = Point.create();
    const b = Point.create();
    const handle = Point.createRef();
    Point.fields.x.set(a, 1.5);
    Point.fields.next.set(a, b);
    moduleGrows(heap);
    expect(Point.fields.x.get(a)).toBe(1.5);
    expect(Point.fields.next.get(a)).toBe(b);
    expect(rc.refcount(b)).toBe(2);
    expect(handle.alive).toBe(true);
    moduleGrows(heap);
    Point.fields.y.set(a, -7);
    Point.fields.small.set(a, -300);
    handle.set('z', 99);
    moduleGrows(heap);
    expect(Point.fields.y.get(a)).toBe(-7);
    expect(Point.fields.small.get(a)).toBe(-300);
    expect(handle.get('z')).toBe(99);
    moduleGrows(heap);
    Point.fields.tag.set(b, 200);
    moduleGrows(heap);
    expect(Point.fields.tag.get(b)).toBe(200);
    rc.release(a);
    moduleGrows(heap);
    expect(rc.refcount(b)).toBe(1);
    rc.release(b);
    handle.release();
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('the cycle detector collects a ring after the module grew the memory', () => {
    const heap = make();
    const rc = createRc(heap);
    const gc = createGc(rc);
    const Node = rc.struct('Node', { next: { ref: 'Node' } });
    const nodes = Array.from({ length: 50 }, () => Node.create());
    for (const [i, n] of nodes.entries()) Node.fields.next.set(n, nodes[(i + 1) % nodes.length] as number);
    moduleGrows(heap);
    for (const n of nodes) rc.release(n);
    moduleGrows(heap);
    expect(gc.collect()).toBe(50);
    gc.check();
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('tracing sees the blocks allocated before and after the module grew the memory', () => {
    const heap = make();
    start(heap);
    const a = heap.malloc(100);
    moduleGrows(heap);
    const b = heap.malloc(3000);
    moduleGrows(heap);
    const snap = takeSnapshot(heap);
    expect(snap.traces.map((t) => t.size).sort((x, y) => x - y)).toEqual([100, 3000]);
    const m = measure(heap, () => {
      moduleGrows(heap);
      heap.free(heap.malloc(64));
    });
    expect(m.usage.allocatedBlocks).toBe(1);
    heap.free(a);
    heap.free(b);
    stop(heap);
    heap.check();
  });

  it('debug mode checks guards after the module grew the memory', () => {
    const heap = createDebugHeap({ store: 'wasm', shared, initialBytes: 1 << 17, maxBytes: 1 << 26, base: 4096 });
    const p = heap.malloc(24);
    moduleGrows(heap);
    new Uint8Array(heap.buffer)[p + 3] = 1;
    debugLayerOf(heap)?.check();
    moduleGrows(heap);
    heap.free(p);
    debugLayerOf(heap)?.check();
    heap.check();
  });
});

describe('the re-bind test serves a growable SharedArrayBuffer grown elsewhere', () => {
  it('a heap whose shared store another party grew sees the new length before it reads', () => {
    const heap = createHeap({ store: 'shared', initialBytes: 1 << 17, maxBytes: 1 << 24 });
    const buffer = heap.buffer as SharedArrayBuffer;
    const p = heap.malloc(100);
    buffer.grow(1 << 20); // as another thread would: this heap's views keep their old length
    expect(heap.stats().backingBytes).toBe(1 << 20);
    expect(heap._mem.u8.length).toBe(1 << 20);
    // An address past the old views re-binds them on the way (Memory.reach).
    buffer.grow(1 << 21);
    heap._mem.reach((1 << 20) + 8);
    expect(heap._mem.u32.length).toBe(1 << 19);
    heap.free(p);
    heap.check();
  });
});
