import { describe, expect, it } from 'vitest';
import { createGc, DEBUG_SAVEALL } from '../../src/gc/index';
import { createHeap, Heap } from '../../src/index';
import { createRc } from '../../src/rc/index';

function setup() {
  const heap = createHeap();
  const rc = createRc(heap);
  const gc = createGc(rc);
  gc.disable();
  const Node = rc.struct('Node', { id: 'u32', a: { ref: 'Node' }, b: 'ref' });
  const Leaf = rc.struct('Leaf', { x: 'f64' });
  return { heap, rc, gc, Node, Leaf };
}

describe('gc: cycles', () => {
  it('collects a self-reference and a pair, and nothing that is alive', () => {
    const { heap, rc, gc, Node, Leaf } = setup();
    const self = Node.create();
    Node.fields.a.set(self, self);
    const x = Node.create();
    const y = Node.create();
    Node.fields.a.set(x, y);
    Node.fields.a.set(y, x);
    const leaf = Leaf.create();
    Node.fields.b.set(x, leaf); // freed with the cycle
    rc.release(leaf);
    const live = Node.create();
    expect(gc.isTracked(self)).toBe(true);
    expect(gc.isTracked(leaf)).toBe(false);
    rc.release(self);
    rc.release(x);
    rc.release(y);
    expect(rc.stats().live).toBe(5);
    expect(gc.collect()).toBe(3);
    expect(rc.stats().live).toBe(1);
    expect(rc.refcount(live)).toBe(1);
    expect(gc.collect()).toBe(0);
    rc.release(live);
    expect(heap.stats().liveBlocks).toBe(0);
    heap.check();
    expect(gc.getStats()[2]).toEqual({ collections: 2, collected: 3, uncollectable: 0 });
  });

  it('keeps a cycle hanging off a live object, or held by a retain or a Ref handle', () => {
    const { heap, rc, gc, Node } = setup();
    const root = Node.create();
    const c1 = Node.create();
    const c2 = Node.create();
    Node.fields.a.set(c1, c2);
    Node.fields.a.set(c2, c1);
    Node.fields.a.set(root, c1);
    rc.release(c1);
    rc.release(c2);
    const held = Node.create();
    Node.fields.a.set(held, held); // held by the caller's own reference
    const handle = Node.createRef();
    handle.set('a', handle);
    expect(gc.collect()).toBe(0);
    expect(rc.stats().live).toBe(5);
    rc.release(root);
    rc.release(held);
    handle.release();
    expect(gc.collect()).toBe(4);
    expect(heap.stats().liveBlocks).toBe(0);
    heap.check();
  });

  // A recursive pass over a ring overflows the stack well before 100,000 links (measured with the
  // smallest possible frame: Node 20 stops at about 14,000 calls, Deno at 18,000, Bun at 59,000),
  // so the default size still catches one; SOAK=1 runs the million.
  const RING = process.env.SOAK ? 1_000_000 : 100_000;
  it(`collects a ring of ${RING.toLocaleString('en')} objects without recursion`, () => {
    const heap = createHeap({ store: 'resizable', initialBytes: 1 << 20, maxBytes: 1 << 28 });
    const rc = createRc(heap);
    const gc = createGc(rc);
    gc.disable();
    const Node = rc.struct('Node', { next: { ref: 'Node' } });
    const first = Node.create();
    let prev = first;
    for (let i = 1; i < RING; i++) {
      const n = Node.create();
      Node.fields.next.set(prev, n);
      rc.release(n);
      prev = n;
    }
    Node.fields.next.set(prev, first);
    rc.release(first);
    expect(gc.collect()).toBe(RING);
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('runs finalizers once and keeps what a finalizer resurrects', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const gc = createGc(rc);
    gc.disable();
    const saved: number[] = [];
    let runs = 0;
    const Node = rc.struct(
      'Node',
      { keep: 'bool', next: { ref: 'Node' } },
      {
        finalizer: (p) => {
          runs++;
          if (Node.fields.keep.get(p)) {
            rc.retain(p);
            saved.push(p);
          }
        },
      },
    );
    const a = Node.create();
    const b = Node.create();
    Node.fields.next.set(a, b);
    Node.fields.next.set(b, a);
    Node.fields.keep.set(a, true);
    rc.release(a);
    rc.release(b);
    expect(gc.collect()).toBe(0); // a resurrected itself, and b is reachable from it
    expect(runs).toBe(2);
    expect(saved).toEqual([a]);
    expect(rc.stats().live).toBe(2);
    // Drop the resurrecting reference: the cycle is garbage again, finalizers do not run again.
    rc.release(a);
    expect(gc.collect()).toBe(2);
    expect(runs).toBe(2);
    expect(heap.stats().liveBlocks).toBe(0);
    heap.check();
  });

  it('moves survivors to older generations; freeze hides objects from collections', () => {
    const { rc, gc, Node } = setup();
    const a = Node.create();
    Node.fields.a.set(a, a);
    expect(gc.getCount()[0]).toBe(1);
    gc.collect(0); // a survives into generation 1
    expect(gc.getCount()).toEqual([0, 1, 0]);
    rc.release(a);
    expect(gc.collect(0)).toBe(0); // not in generation 0 any more
    expect(gc.collect(1)).toBe(1);
    const b = Node.create();
    Node.fields.a.set(b, b);
    rc.release(b);
    gc.freeze();
    expect(gc.getFreezeCount()).toBe(1);
    expect(gc.collect()).toBe(0);
    gc.unfreeze();
    expect(gc.getFreezeCount()).toBe(0);
    expect(gc.collect()).toBe(1);
  });

  it('collects automatically past the threshold when enabled', () => {
    const { rc, gc, Node } = setup();
    gc.setThreshold(10);
    gc.enable();
    expect(gc.getThreshold()).toEqual([10, 10, 10]);
    for (let i = 0; i < 25; i++) {
      const n = Node.create();
      Node.fields.a.set(n, n);
      rc.release(n);
    }
    expect(gc.getStats()[0].collections).toBe(2);
    expect(rc.stats().live).toBeLessThan(25);
  });

  it('DEBUG_SAVEALL keeps garbage; referrers and referents; callbacks', () => {
    const { rc, gc, Node } = setup();
    const phases: string[] = [];
    gc.callbacks.push((phase, info) => phases.push(`${phase}:${info.generation}:${info.collected}:${info.uncollectable}`));
    gc.setDebug(DEBUG_SAVEALL);
    const a = Node.create();
    const b = Node.create();
    Node.fields.a.set(a, b);
    Node.fields.b.set(b, a);
    expect(gc.getReferents(a)).toEqual([b]);
    expect(gc.getReferrers(a)).toEqual([b]);
    rc.release(a);
    rc.release(b);
    expect(gc.collect()).toBe(2);
    expect(gc.garbage.sort()).toEqual([a, b].sort());
    expect(rc.stats().live).toBe(2);
    expect(phases).toEqual(['start:2:0:0', 'stop:2:0:2']);
    expect(() => gc.collect(3)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('a cycle spanning generations is collected only when its oldest member is', () => {
    const { rc, gc, Node } = setup();
    const old = Node.create();
    gc.collect(0); // old moves to generation 1
    const young = Node.create();
    Node.fields.a.set(old, young);
    Node.fields.a.set(young, old);
    rc.release(old);
    rc.release(young);
    expect(gc.collect(0)).toBe(0); // young is referenced from generation 1: it survives into 1
    expect(gc.collect(1)).toBe(2);
    expect(rc.stats().live).toBe(0);
    gc.check();
  });

  it('never tracks acyclic types or types without ref fields', () => {
    const { rc, gc, Leaf } = setup();
    const Pair = rc.struct('Pair', { first: 'ref', second: 'ref' }, { acyclic: true });
    const p = Pair.create();
    const l = Leaf.create();
    Pair.fields.first.set(p, l);
    expect([gc.isTracked(p), gc.isTracked(l)]).toEqual([false, false]);
    expect(gc.getCount()[0]).toBe(0);
    rc.release(l);
    rc.release(p);
    expect(rc.stats().live).toBe(0);
  });

  it('works on an attached copy: lists and tables are in the buffer', () => {
    const { heap, rc, gc, Node } = setup();
    const keep = Node.create();
    const x = Node.create();
    const y = Node.create();
    Node.fields.a.set(x, y);
    Node.fields.a.set(y, x);
    rc.release(x);
    rc.release(y);
    const plain = Node.create(); // no cycle: refcounting frees it, even without the detector
    gc.setThreshold(5000);
    const copy = Heap.attach(heap.buffer.slice(0));
    const rc2 = createRc(copy);
    const Node2 = rc2.struct('Node', { id: 'u32', a: { ref: 'Node' }, b: 'ref' });
    rc2.release(plain); // unlinked from its generation list by rc alone
    const gc2 = createGc(rc2);
    expect(gc2.check()).toBe(3);
    expect(gc2.getThreshold()[0]).toBe(5000);
    expect(gc2.isTracked(keep)).toBe(true);
    expect(gc2.collect()).toBe(2);
    expect(rc2.stats().live).toBe(1);
    rc2.release(keep);
    expect(copy.stats().liveBlocks).toBe(0);
    copy.check();
    expect(Node2.id).toBe(Node.id);
    expect(rc.stats().live).toBe(4); // the original is untouched
  });
});
