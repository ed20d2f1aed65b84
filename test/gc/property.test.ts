import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGc, type Gc } from '../../src/gc/index';
import { createHeap, type Heap } from '../../src/index';
import { createRc, type Rc, type StructType } from '../../src/rc/index';
import { ObjectModel } from '../support/model';
import { propertyTest } from '../support/property';

type Op =
  | { kind: 'create'; node: boolean }
  | { kind: 'set'; who: number; field: 0 | 1; target: number | null }
  | { kind: 'release'; who: number }
  | { kind: 'collect'; generation: 0 | 1 | 2 };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('create' as const), node: fc.boolean() }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      who: fc.nat(),
      field: fc.constantFrom(0 as const, 1 as const),
      target: fc.option(fc.nat(), { nil: null }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), who: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('collect' as const), generation: fc.constantFrom(0 as const, 1 as const, 2 as const) }),
  },
);

/** Runs per property; `GC_PROPERTY_RUNS=5000 npx vitest run test/gc/property.test.ts` soaks it. */
const RUNS = Number(process.env.GC_PROPERTY_RUNS ?? 150);

/** A heap with objects and the collector (automatic collection off), and the model of the graph. */
interface World {
  heap: Heap;
  rc: Rc;
  gc: Gc;
  Node: StructType<{ a: { ref: 'Node' }; b: 'ref' }>;
  Leaf: StructType<{ x: 'u32' }>;
  /** All objects not yet freed: the model only knows they may be alive; after a full collection, exactly the reachable ones are. */
  model: ObjectModel;
  /** Nodes made, and finalizers run. */
  nodes: number;
  finalized: number;
}

function apply(w: World, o: Op): void {
  const { rc, gc, model } = w;
  const fields = [w.Node.fields.a, w.Node.fields.b] as const;
  const holders = model.holders();
  if (o.kind === 'create') {
    const p = o.node ? w.Node.create() : w.Leaf.create();
    if (o.node) w.nodes++;
    model.created(p, o.node);
  } else if (o.kind === 'collect') {
    const before = rc.stats().live;
    const found = gc.collect(o.generation);
    // Everything a collection reports was freed (leaves may follow their cycle).
    expect(before - rc.stats().live).toBeGreaterThanOrEqual(found);
  } else if (holders.length > 0) {
    const who = holders[o.who % holders.length] as number;
    const m = model.get(who);
    if (o.kind === 'release') {
      rc.release(who);
      m.holds--;
    } else if (m.node) {
      const live = [...model.reachable()];
      let target = o.target === null ? 0 : (live[o.target % live.length] as number);
      if (o.field === 0 && target !== 0 && !model.get(target).node) target = 0;
      fields[o.field].set(who, target);
      m.refs[o.field] = target;
    }
  }
  model.prune();
}

describe('gc: random graphs against a reachability model', () => {
  // Without finalizers the collector clears garbage without temporary holds; with them it holds
  // the garbage, runs the finalizers, and looks again for what they made reachable.
  for (const finalizerType of [false, true]) {
    it(`after collect(2) the live set is exactly what is reachable from external holds${finalizerType ? ' (Node has a finalizer)' : ''}`, () => {
      propertyTest<Op, World>(
        {
          step: op,
          minSteps: 1,
          maxSteps: 80,
          setup: () => {
            const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
            const rc = createRc(heap);
            const gc = createGc(rc);
            gc.disable();
            const w = { heap, rc, gc, model: new ObjectModel(), nodes: 0, finalized: 0 } as World;
            w.Node = rc.struct('Node', { a: { ref: 'Node' }, b: 'ref' }, finalizerType ? { finalizer: () => w.finalized++ } : {});
            w.Leaf = rc.struct('Leaf', { x: 'u32' });
            return w;
          },
          apply,
          layers: ({ heap, gc }) => ({ heaps: [heap], others: [gc] }),
          finish: (w) => {
            const { heap, rc, gc, model } = w;
            const before = rc.stats().live;
            const found = gc.collect(2);
            expect(before - rc.stats().live).toBeGreaterThanOrEqual(found);
            // Every Node still alive is tracked, on exactly one list.
            expect(gc.check()).toBe([...model.objects.values()].filter((m) => m.node).length);
            rc.checkObjects(model.holds()); // every refcount right, nothing else alive, heap.check()
            expect(heap.stats().liveBlocks).toBe(model.size);
            for (const [p, m] of model.objects) {
              while (m.holds-- > 0) rc.release(p);
            }
            gc.collect(2);
            expect(heap.stats().liveBlocks).toBe(0);
            // Each Node's finalizer ran exactly once, whether refcounting or the collector freed it.
            expect(w.finalized).toBe(finalizerType ? w.nodes : 0);
            heap.check();
          },
        },
        { seed: 42, numRuns: RUNS },
      );
    });
  }
});
