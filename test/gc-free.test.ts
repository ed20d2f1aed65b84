import { describe, expect, it } from 'vitest';
import { createDebugHeap } from '../src/debug/index';
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
