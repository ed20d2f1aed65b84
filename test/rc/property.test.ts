import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHeap, type Heap } from '../../src/index';
import { createRc, type Rc, type StructType } from '../../src/rc/index';
import { ObjectModel } from '../support/model';
import { propertyTest } from '../support/property';

type Op =
  | { kind: 'create'; node: boolean }
  | { kind: 'set'; who: number; field: 0 | 1; target: number | null }
  | { kind: 'retain'; who: number }
  | { kind: 'release'; who: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('create' as const), node: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      who: fc.nat(),
      field: fc.constantFrom(0 as const, 1 as const),
      target: fc.option(fc.nat(), { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retain' as const), who: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), who: fc.nat() }) },
);

/** A heap, the two struct types, and the model of who holds what (test/support/model.ts). */
interface World {
  heap: Heap;
  rc: Rc;
  Node: StructType<{ value: 'u32'; next: { ref: 'Node' }; any: 'ref' }>;
  Leaf: StructType<{ x: 'f64' }>;
  /**
   * Each live object's external holds and, for nodes, the two objects its ref fields point at. An
   * object is destroyed when its holds plus the ref fields of live objects that point at it reach
   * zero, exactly as refcounting decides (so an unreachable cycle stays alive: that is the cycle
   * detector's job, not this layer's).
   */
  model: ObjectModel;
}

function fieldsOf(w: World) {
  return [w.Node.fields.next, w.Node.fields.any] as const;
}

function apply(w: World, o: Op): void {
  const { rc, model } = w;
  const fields = fieldsOf(w);
  const live = model.pointers();
  if (o.kind === 'create') {
    const p = o.node ? w.Node.create() : w.Leaf.create();
    expect(model.objects.has(p)).toBe(false);
    model.created(p, o.node);
  } else if (live.length > 0) {
    const who = live[o.who % live.length] as number;
    const m = model.get(who);
    if (o.kind === 'retain') {
      rc.retain(who);
      m.holds++;
    } else if (o.kind === 'release') {
      if (m.holds === 0) return; // held only by other objects: not the caller's to release
      rc.release(who);
      m.holds--;
    } else {
      if (!m.node) return;
      let target = o.target === null ? 0 : (live[o.target % live.length] as number);
      // `next` only takes Nodes: a Leaf there must be refused and change nothing.
      if (o.field === 0 && target !== 0 && !model.get(target).node) {
        expect(() => fields[0].set(who, target)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_POINTER' }));
        target = -1;
      }
      if (target !== -1) {
        fields[o.field].set(who, target);
        m.refs[o.field] = target;
      }
    }
  }
  model.settle();
}

describe('rc: random graph operations against a model', () => {
  it('keeps every refcount equal to holds + incoming refs, and frees exactly what the model frees', () => {
    propertyTest<Op, World>(
      {
        step: op,
        minSteps: 1,
        maxSteps: 120,
        setup: () => {
          const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
          const rc = createRc(heap);
          const Node = rc.struct('Node', { value: 'u32', next: { ref: 'Node' }, any: 'ref' }, { freeListSize: 2 });
          const Leaf = rc.struct('Leaf', { x: 'f64' }, { freeListSize: 1 });
          return { heap, rc, Node, Leaf, model: new ObjectModel() };
        },
        apply,
        // Every refcount equals the model's holds plus incoming refs, nothing else is alive.
        layers: ({ heap, rc, model }) => ({ heaps: [heap], objects: () => rc.checkObjects(model.holds()) }),
        verify: (w) => {
          const fields = fieldsOf(w);
          for (const [p, m] of w.model.objects) {
            if (m.node) {
              expect(fields[0].get(p)).toBe(m.refs[0]);
              expect(fields[1].get(p)).toBe(m.refs[1]);
            }
          }
        },
        finish: ({ heap, rc, model }) => {
          // Drop every external hold: what is left is exactly the model's unreachable cycles.
          for (const [p, m] of [...model.objects]) {
            while (m.holds > 0 && model.objects.has(p)) {
              rc.release(p);
              m.holds--;
              model.settle();
            }
          }
          const holds = new Map(model.pointers().map((p) => [p, 0] as [number, number]));
          rc.checkObjects(holds);
          rc.clearFreeLists();
          expect(heap.stats().liveBlocks).toBe(model.size);
        },
      },
      { seed: 42, numRuns: 200 },
    );
  });
});
