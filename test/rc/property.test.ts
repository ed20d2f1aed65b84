import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHeap } from '../../src/index';
import { createRc } from '../../src/rc/index';

// The model: who holds what. Each live object has its external holds and, for nodes, the two
// objects its ref fields point at. An object is destroyed when its holds plus the ref fields of
// live objects that point at it reach zero, exactly as refcounting decides (so an unreachable
// cycle stays alive: that is the cycle detector's job, not this layer's).
interface ModelObject {
  node: boolean;
  holds: number;
  refs: [number, number]; // pointers, 0 for none
}

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

function settle(model: Map<number, ModelObject>): void {
  for (;;) {
    const incoming = new Map<number, number>();
    for (const o of model.values()) for (const t of o.refs) if (t !== 0) incoming.set(t, (incoming.get(t) ?? 0) + 1);
    const dead = [...model].filter(([p, o]) => o.holds + (incoming.get(p) ?? 0) === 0).map(([p]) => p);
    if (dead.length === 0) return;
    for (const p of dead) model.delete(p);
  }
}

describe('rc: random graph operations against a model', () => {
  it('keeps every refcount equal to holds + incoming refs, and frees exactly what the model frees', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), (ops) => {
        const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
        const rc = createRc(heap);
        const Node = rc.struct('Node', { value: 'u32', next: { ref: 'Node' }, any: 'ref' }, { freeListSize: 2 });
        const Leaf = rc.struct('Leaf', { x: 'f64' }, { freeListSize: 1 });
        const fields = [Node.fields.next, Node.fields.any] as const;
        const model = new Map<number, ModelObject>();
        for (const o of ops) {
          const live = [...model.keys()];
          if (o.kind === 'create') {
            const p = o.node ? Node.create() : Leaf.create();
            expect(model.has(p)).toBe(false);
            model.set(p, { node: o.node, holds: 1, refs: [0, 0] });
          } else if (live.length > 0) {
            const who = live[o.who % live.length] as number;
            const m = model.get(who) as ModelObject;
            if (o.kind === 'retain') {
              rc.retain(who);
              m.holds++;
            } else if (o.kind === 'release') {
              if (m.holds === 0) continue; // held only by other objects: not the caller's to release
              rc.release(who);
              m.holds--;
            } else {
              if (!m.node) continue;
              let target = o.target === null ? 0 : (live[o.target % live.length] as number);
              // `next` only takes Nodes: a Leaf there must be refused and change nothing.
              if (o.field === 0 && target !== 0 && !(model.get(target) as ModelObject).node) {
                expect(() => fields[0].set(who, target)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_POINTER' }));
                target = -1;
              }
              if (target !== -1) {
                fields[o.field].set(who, target);
                m.refs[o.field] = target;
              }
            }
          }
          settle(model);
          const holds = new Map<number, number>();
          for (const [p, m] of model) {
            holds.set(p, m.holds);
            if (m.node) {
              expect(fields[0].get(p)).toBe(m.refs[0]);
              expect(fields[1].get(p)).toBe(m.refs[1]);
            }
          }
          rc.checkObjects(holds); // also runs heap.check()
        }
        // Drop every external hold: what is left is exactly the model's unreachable cycles.
        for (const [p, m] of [...model]) {
          while (m.holds > 0 && model.has(p)) {
            rc.release(p);
            m.holds--;
            settle(model);
          }
        }
        const holds = new Map([...model.keys()].map((p) => [p, 0] as [number, number]));
        rc.checkObjects(holds);
        rc.clearFreeLists();
        expect(heap.stats().liveBlocks).toBe(model.size);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
