import { describe, expect, it } from 'vitest';
import { createHeap } from '../../src/index';
import { createRc } from '../../src/rc/index';

// A TypeScript `using` declaration: vitest's esbuild transform lowers it (Node 20 has
// Symbol.dispose but not the syntax), calling `[Symbol.dispose]` at the end of the block, also
// when the block throws.
describe('Ref handles with `using`', () => {
  it('releases the object at the end of the block', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const Point = rc.struct('Point', { x: 'f64', y: 'f64' });
    let ptr = 0;
    {
      using p = Point.createRef();
      p.set('x', 2.5);
      ptr = p.ptr;
      expect(rc.refcount(ptr)).toBe(1);
      expect(heap.stats().liveBlocks).toBe(1);
    }
    expect(heap.stats().liveBlocks).toBe(0);
    expect(rc.stats()).toMatchObject({ created: 1, destroyed: 1, live: 0 });
    expect(() => rc.release(ptr)).toThrow(expect.objectContaining({ code: 'ERR_USE_AFTER_FREE' }));
    heap.check();
  });

  it('releases every hold of the handle, also when the block throws', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const Point = rc.struct('Point', { x: 'f64' });
    const keep = Point.create();
    let handleRef: { holds: number } | null = null;
    expect(() => {
      using h = rc.handle(keep);
      h.retain();
      handleRef = h;
      expect(rc.refcount(keep)).toBe(3);
      throw new Error('boom');
    }).toThrow('boom');
    expect(handleRef!.holds).toBe(0);
    expect(rc.refcount(keep)).toBe(1);
    rc.release(keep);
    expect(heap.stats().liveBlocks).toBe(0);
  });
});
