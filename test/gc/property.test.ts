import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGc } from '../../src/gc/index';
import { createHeap } from '../../src/index';
import { createRc } from '../../src/rc/index';

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

interface Obj {
  node: boolean;
  holds: number;
  refs: [number, number];
}

/** The objects reachable from those with external holds. */
function reachable(model: Map<number, Obj>): Set<number> {
  const seen = new Set<number>();
  const stack = [...model].filter(([, o]) => o.holds > 0).map(([p]) => p);
  while (stack.length > 0) {
    const p = stack.pop() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    for (const t of (model.get(p) as Obj).refs) if (t !== 0) stack.push(t);
  }
  return seen;
}

/** Runs per property; `GC_PROPERTY_RUNS=5000 npx vitest run test/gc/property.test.ts` soaks it. */
const RUNS = Number(process.env.GC_PROPERTY_RUNS ?? 150);

describe('gc: random graphs against a reachability model', () => {
  // Without finalizers the collector clears garbage without temporary holds; with them it holds
  // the garbage, runs the finalizers, and looks again for what they made reachable.
  for (const finalizerType of [false, true]) {
    it(`after collect(2) the live set is exactly what is reachable from external holds${finalizerType ? ' (Node has a finalizer)' : ''}`, () => {
      fc.assert(
        fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), (ops) => {
          const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
          const rc = createRc(heap);
          const gc = createGc(rc);
          gc.disable();
          let finalized = 0;
          let nodes = 0;
          const Node = rc.struct('Node', { a: { ref: 'Node' }, b: 'ref' }, finalizerType ? { finalizer: () => finalized++ } : {});
          const Leaf = rc.struct('Leaf', { x: 'u32' });
          const fields = [Node.fields.a, Node.fields.b] as const;
          // All objects not yet freed: the model only knows they may be alive; after a full
          // collection, exactly the reachable ones are.
          const model = new Map<number, Obj>();
          const prune = () => {
            const keep = reachable(model);
            for (const p of [...model.keys()]) if (!keep.has(p)) model.delete(p);
          };
          for (const o of ops) {
            const holders = [...model].filter(([, m]) => m.holds > 0).map(([p]) => p);
            if (o.kind === 'create') {
              const p = o.node ? Node.create() : Leaf.create();
              if (o.node) nodes++;
              model.set(p, { node: o.node, holds: 1, refs: [0, 0] });
            } else if (o.kind === 'collect') {
              const before = rc.stats().live;
              const found = gc.collect(o.generation);
              // Everything a collection reports was freed (leaves may follow their cycle).
              expect(before - rc.stats().live).toBeGreaterThanOrEqual(found);
            } else if (holders.length > 0) {
              const who = holders[o.who % holders.length] as number;
              const m = model.get(who) as Obj;
              if (o.kind === 'release') {
                rc.release(who);
                m.holds--;
              } else if (m.node) {
                const live = [...reachable(model)];
                let target = o.target === null ? 0 : (live[o.target % live.length] as number);
                if (o.field === 0 && target !== 0 && !(model.get(target) as Obj).node) target = 0;
                fields[o.field].set(who, target);
                m.refs[o.field] = target;
              }
            }
            prune();
            heap.check();
            gc.check();
          }
          const before = rc.stats().live;
          const found = gc.collect(2);
          expect(before - rc.stats().live).toBeGreaterThanOrEqual(found);
          // Every Node still alive is tracked, on exactly one list.
          expect(gc.check()).toBe([...model.values()].filter((m) => m.node).length);
          const holds = new Map<number, number>();
          for (const [p, m] of model) holds.set(p, m.holds);
          rc.checkObjects(holds); // every refcount right, nothing else alive, heap.check()
          expect(heap.stats().liveBlocks).toBe(model.size);
          for (const [p, m] of model) {
            while (m.holds-- > 0) rc.release(p);
          }
          gc.collect(2);
          expect(heap.stats().liveBlocks).toBe(0);
          // Each Node's finalizer ran exactly once, whether refcounting or the collector freed it.
          expect(finalized).toBe(finalizerType ? nodes : 0);
          heap.check();
        }),
        { seed: 42, numRuns: RUNS },
      );
    });
  }
});
