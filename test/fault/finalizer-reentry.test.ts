// Issue 13 §1: finalizers and callbacks that run user code (collect, temporary references, throws).
import { describe, expect, it } from 'vitest';
import { createGc, DEBUG_SAVEALL } from '../../src/gc/index';
import { createHeap } from '../../src/index';
import { createRc } from '../../src/rc/index';

function layers() {
  const heap = createHeap();
  const rc = createRc(heap);
  const gc = createGc(rc);
  gc.disable();
  return { heap, rc, gc };
}

describe('item 1: a finalizer that collects or crosses the threshold', () => {
  it('gc.collect() inside a finalizer does not free the objects being deallocated', () => {
    const { heap, rc, gc } = layers();
    let collected = -1;
    const Node = rc.struct(
      'Node',
      { next: { ref: 'Node' } },
      {
        finalizer: () => {
          collected = gc.collect();
        },
      },
    );
    // A chain: releasing the head puts the rest on the deallocation work stack.
    const a = Node.create();
    const b = Node.create();
    const c = Node.create();
    Node.fields.next.set(a, b);
    Node.fields.next.set(b, c);
    rc.release(b);
    rc.release(c);
    rc.release(a);
    expect(collected).toBe(0);
    expect(rc.stats().live).toBe(0);
    expect(gc.check()).toBe(0);
    rc.checkObjects(new Map());
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('a finalizer that collects and then mallocs keeps its new block', () => {
    const { heap, rc, gc } = layers();
    let block = 0;
    const Node = rc.struct(
      'Node',
      { next: { ref: 'Node' } },
      {
        finalizer: () => {
          gc.collect();
          if (block === 0) block = heap.malloc(32);
        },
      },
    );
    const a = Node.create();
    const b = Node.create();
    Node.fields.next.set(a, b);
    rc.release(b);
    rc.release(a);
    expect(heap.isLive(block)).toBe(true);
    heap.free(block);
    expect(heap.stats().liveBlocks).toBe(0);
    expect(rc.stats().live).toBe(0);
  });

  it('a finalizer whose create() crosses threshold 0 does not double-free', () => {
    const { heap, rc, gc } = layers();
    gc.setThreshold(1);
    const made: number[] = [];
    const Node = rc.struct(
      'Node',
      { next: { ref: 'Node' } },
      {
        finalizer: () => {
          if (made.length < 4) made.push(Node.create(), Node.create());
        },
      },
    );
    const a = Node.create();
    const b = Node.create();
    Node.fields.next.set(a, b);
    rc.release(b);
    gc.enable(); // a and b wait in generation 0; the finalizer's create() collects it
    rc.release(a);
    for (const p of made) rc.release(p);
    gc.collect();
    expect(rc.stats().live).toBe(0);
    expect(gc.check()).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
  });
});

describe('item 2: a temporary reference to the finalizing object', () => {
  it('retain(p); release(p) in the finalizer is neither a resurrection nor a second death', () => {
    const { heap, rc } = layers();
    let runs = 0;
    const T = rc.struct(
      'T',
      { x: 'f64' },
      {
        finalizer: (p) => {
          runs++;
          rc.retain(p);
          rc.release(p);
        },
      },
    );
    const p = T.create();
    rc.release(p);
    expect(runs).toBe(1);
    expect(rc.stats().live).toBe(0);
    expect(rc.stats().destroyed).toBe(1);
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('rc.handle(p) disposed in the finalizer', () => {
    const { heap, rc, gc } = layers();
    const T = rc.struct(
      'T',
      { next: 'ref' },
      {
        finalizer: (p) => {
          const h = rc.handle(p);
          h[Symbol.dispose]();
        },
      },
    );
    const p = T.create();
    const q = T.create();
    T.fields.next.set(p, q);
    rc.release(q);
    rc.release(p);
    expect(rc.stats().live).toBe(0);
    expect(gc.check()).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('a finalizer that resurrects still keeps its object, tracked again', () => {
    const { rc, gc } = layers();
    let saved = 0;
    const T = rc.struct(
      'T',
      { next: 'ref' },
      {
        finalizer: (p) => {
          rc.retain(p);
          saved = p;
        },
      },
    );
    const p = T.create();
    rc.release(p);
    expect(saved).toBe(p);
    expect(rc.refcount(p)).toBe(1);
    expect(gc.isTracked(p)).toBe(true);
    expect(gc.check()).toBe(1);
    rc.checkObjects(new Map([[p, 1]]));
    rc.release(p); // finalizer ran once already: destroyed now
    expect(rc.stats().live).toBe(0);
  });
});

describe('item 3: a finalizer that throws inside gc.collect()', () => {
  it('finishes the collection, frees the cycle and rethrows', () => {
    const { heap, rc, gc } = layers();
    const boom = new Error('boom');
    const Node = rc.struct(
      'Node',
      { next: { ref: 'Node' } },
      {
        finalizer: () => {
          throw boom;
        },
      },
    );
    const a = Node.create();
    const b = Node.create();
    Node.fields.next.set(a, b);
    Node.fields.next.set(b, a);
    rc.release(a);
    rc.release(b);
    expect(() => gc.collect()).toThrow(boom);
    expect(gc.check()).toBe(0);
    expect(rc.stats().live).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
    expect(gc.collect()).toBe(0);
  });
});

describe('item 4: a callback that throws', () => {
  it("a 'start' callback that throws does not wedge the collector", () => {
    const { heap, rc, gc } = layers();
    const Node = rc.struct('Node', { next: { ref: 'Node' } });
    const boom = new Error('start');
    gc.callbacks.push((phase) => {
      if (phase === 'start') throw boom;
    });
    const a = Node.create();
    Node.fields.next.set(a, a);
    rc.release(a);
    expect(() => gc.collect()).toThrow(boom);
    gc.callbacks.length = 0;
    const b = Node.create();
    Node.fields.next.set(b, b);
    rc.release(b);
    // The first collection freed a, despite the callback; this one frees b.
    expect(gc.collect()).toBe(1);
    expect(rc.stats().live).toBe(0);
    expect(gc.check()).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it("a 'stop' callback that throws still leaves the collector usable", () => {
    const { rc, gc } = layers();
    const Node = rc.struct('Node', { next: { ref: 'Node' } });
    gc.callbacks.push((phase) => {
      if (phase === 'stop') throw new Error('stop');
    });
    const a = Node.create();
    Node.fields.next.set(a, a);
    rc.release(a);
    expect(() => gc.collect()).toThrow('stop');
    expect(rc.stats().live).toBe(0);
    gc.callbacks.length = 0;
    expect(gc.collect()).toBe(0);
    expect(gc.check()).toBe(0);
  });
});

describe('item 5: DEBUG_SAVEALL garbage can be cleared', () => {
  it('clearGarbage() drops the list and the next collection frees the cycles', () => {
    const { heap, rc, gc } = layers();
    const Node = rc.struct('Node', { next: { ref: 'Node' } });
    gc.setDebug(DEBUG_SAVEALL);
    const a = Node.create();
    const b = Node.create();
    Node.fields.next.set(a, b);
    Node.fields.next.set(b, a);
    rc.release(a);
    rc.release(b);
    expect(gc.collect()).toBe(2);
    expect(gc.garbage.sort()).toEqual([a, b].sort());
    gc.setDebug(0);
    expect(gc.clearGarbage()).toBe(2);
    expect(gc.garbage).toEqual([]);
    expect(gc.collect()).toBe(2);
    expect(rc.stats().live).toBe(0);
    expect(gc.check()).toBe(0);
    expect(heap.stats().liveBlocks).toBe(0);
  });
});
