import { describe, expect, it } from 'vitest';
import { createDebugHeap, debugLayerOf } from '../../src/debug/index';
import { DoubleFreeError, InvalidPointerError } from '../../src/errors';
import { createGc } from '../../src/gc/index';
import { createHeap } from '../../src/index';
import { freeBatch } from '../../src/port';
import { createRc } from '../../src/rc/index';

describe('gc: freeing the garbage', () => {
  for (const hooked of [false, true]) {
    it(`keeps a garbage object that an outside finalizer retains while the cycle is cleared${hooked ? ' (debug hooks)' : ''}`, () => {
      const heap = hooked ? createDebugHeap() : createHeap();
      const rc = createRc(heap);
      const gc = createGc(rc);
      gc.disable();
      const Node = rc.struct('Node', { a: { ref: 'Node' }, out: 'ref' });
      let saved = 0;
      // Untracked (no ref fields): only the garbage cycle holds it, so clearing the cycle kills it.
      const Outside = rc.struct('Outside', { x: 'f64' }, { finalizer: () => rc.retain(saved) });
      const x = Node.create();
      const y = Node.create();
      saved = y;
      Node.fields.a.set(x, y);
      Node.fields.a.set(y, x);
      const o = Outside.create();
      Node.fields.out.set(x, o);
      rc.release(o);
      rc.release(x);
      rc.release(y);
      expect(gc.collect(0)).toBe(2);
      // y was cleared (its ref fields are null) but is alive: it must be tracked again, in an older generation.
      expect(rc.refcount(y)).toBe(1);
      expect(Node.fields.a.get(y)).toBe(0);
      expect(gc.isTracked(y)).toBe(true);
      expect(gc.check()).toBe(1);
      rc.checkObjects(new Map([[y, 1]]));
      expect(gc.collect()).toBe(0);
      rc.release(y);
      expect(rc.stats().live).toBe(0);
      expect(gc.check()).toBe(0);
      heap.check();
    });
  }
});

describe('gc: clearing garbage without temporary holds (no type has a finalizer)', () => {
  for (const hooked of [false, true]) {
    for (const withFinalizerType of [false, true]) {
      it(`frees rings and the untracked leaves only they hold${hooked ? ' (debug hooks)' : ''}${withFinalizerType ? ', a finalizer type declared (held path)' : ''}`, () => {
        const heap = hooked ? createDebugHeap() : createHeap();
        const rc = createRc(heap);
        const gc = createGc(rc);
        gc.disable();
        const Leaf = rc.struct('Leaf', { v: 'f64' });
        const Node = rc.struct('Node', { next: { ref: 'Node' }, leaf: { ref: 'Leaf' } });
        let finalized = 0;
        if (withFinalizerType) rc.struct('Other', { x: 'u32' }, { finalizer: () => finalized++ });
        const bytesBefore = heap.stats().liveBytes;
        const keep = Node.create(); // a live node that shares a leaf with the garbage
        const shared = Leaf.create();
        Node.fields.leaf.set(keep, shared);
        for (let r = 0; r < 20; r++) {
          const first = Node.create();
          let prev = first;
          for (let k = 1; k < 5; k++) {
            const n = Node.create();
            Node.fields.next.set(prev, n);
            const leaf = Leaf.create();
            Node.fields.leaf.set(n, k === 2 ? shared : leaf);
            rc.release(leaf);
            rc.release(n);
            prev = n;
          }
          Node.fields.next.set(prev, first);
          rc.release(first);
        }
        rc.release(shared);
        expect(rc.stats().live).toBe(2 + 100 + 60);
        expect(gc.collect()).toBe(100);
        expect(finalized).toBe(0);
        rc.checkObjects(
          new Map([
            [keep, 1],
            [shared, 0],
          ]),
        );
        expect(rc.refcount(shared)).toBe(1);
        expect(rc.stats().live).toBe(2);
        expect(gc.check()).toBe(1);
        heap.check();
        rc.release(keep);
        expect(rc.stats().live).toBe(0);
        debugLayerOf(heap)?.flushQuarantine(); // debug mode holds freed blocks back for a while
        expect(heap.stats().liveBytes).toBe(bytesBefore);
        heap.check();
      });
    }
  }
});

describe('gc: freed garbage and the per-type free lists', () => {
  for (const hooked of [false, true]) {
    it(`parks collected objects on their type's free list up to its size, frees the rest${hooked ? ' (debug hooks)' : ''}`, () => {
      const heap = hooked ? createDebugHeap() : createHeap();
      const rc = createRc(heap);
      const gc = createGc(rc);
      gc.disable();
      const A = rc.struct('A', { next: 'ref' }, { freeListSize: 3 });
      const B = rc.struct('B', { next: 'ref', x: 'f64' });
      const blocksBefore = heap.stats().liveBlocks;
      // One ring alternating A and B: 5 of each.
      const ring: number[] = [];
      for (let i = 0; i < 10; i++) ring.push((i % 2 === 0 ? A : B).create());
      for (let i = 0; i < 10; i++) (i % 2 === 0 ? A : B).fields.next.set(ring[i]!, ring[(i + 1) % 10]!);
      for (const p of ring) rc.release(p);
      expect(gc.collect()).toBe(10);
      expect(A.stats()).toMatchObject({ live: 0, freeListLength: 3 });
      expect(B.stats()).toMatchObject({ live: 0, freeListLength: 0 });
      expect(rc.stats().live).toBe(0);
      // The 3 parked objects are still blocks of the heap; the other 7 went back.
      debugLayerOf(heap)?.flushQuarantine();
      expect(heap.stats().liveBlocks - blocksBefore).toBe(3);
      const again = A.create();
      expect(A.stats()).toMatchObject({ live: 1, freeListLength: 2, hits: 1 });
      expect(ring).toContain(again);
      rc.release(again);
      A.clearFreeList();
      debugLayerOf(heap)?.flushQuarantine();
      expect(heap.stats().liveBlocks).toBe(blocksBefore);
      expect(gc.check()).toBe(0);
      heap.check();
    });
  }
});

describe('freeBatch of the port (the collector frees its garbage through it)', () => {
  it('checks every pointer as free does, also after the previous one in the same pool', () => {
    const heap = createHeap();
    const a = heap.malloc(48);
    const b = heap.malloc(48);
    const c = heap.malloc(48);
    // A double free of a block of the pool just used, and an interior pointer into it.
    expect(() => freeBatch(heap, Uint32Array.of(a, b, a), 3)).toThrow(DoubleFreeError);
    heap.check();
    expect(heap.isLive(a) || heap.isLive(b)).toBe(false);
    expect(() => freeBatch(heap, Uint32Array.of(c + 8), 1)).toThrow(InvalidPointerError);
    expect(() => freeBatch(heap, Uint32Array.of(c + 16), 1)).toThrow(InvalidPointerError);
    // The last block of a pool, then a pointer into that (now empty) pool.
    freeBatch(heap, Uint32Array.of(c, 0), 2);
    expect(heap.stats().liveBlocks).toBe(0);
    const d = heap.malloc(48);
    freeBatch(heap, Uint32Array.of(d), 1);
    expect(() => freeBatch(heap, Uint32Array.of(d), 1)).toThrow(DoubleFreeError);
    heap.check();
    expect(heap.stats().liveBytes).toBe(0);
  });
});
