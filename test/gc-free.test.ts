import { describe, expect, it } from 'vitest';
import { createDebugHeap, debugLayerOf } from '../src/debug/index';
import { createGc } from '../src/gc/index';
import { createHeap } from '../src/index';
import { createRc } from '../src/rc/index';

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
        rc.checkObjects(new Map([
          [keep, 1],
          [shared, 0],
        ]));
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
