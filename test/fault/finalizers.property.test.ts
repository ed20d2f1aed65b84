// Issue 13 §4: finalizers and callbacks drawn at random from {allocate, free, create, release
// others, retain and release self, resurrect, throw, collect}, over random graphs. After every
// step the heap is brought to rest (full collections until nothing more happens); then the live
// objects must be exactly those the model reaches from its external holds, with every refcount
// right (`rc.checkObjects`), every gc list sound (`gc.check`) and the heap sound (`check`).
// Seeded and short by default; `SOAK=1` (npm run soak) runs many more.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGc } from '../../src/gc/index';
import { createHeap } from '../../src/index';
import { createRc } from '../../src/rc/index';

const ACTIONS = ['none', 'allocate', 'free', 'create', 'releaseOther', 'selfRef', 'resurrect', 'throw', 'collect'] as const;
type Action = (typeof ACTIONS)[number];

type Op =
  | { kind: 'create'; action: Action; list: number }
  | { kind: 'set'; who: number; field: 0 | 1; target: number | null }
  | { kind: 'release'; who: number }
  | { kind: 'retain'; who: number }
  | { kind: 'collect'; generation: 0 | 1 | 2 }
  | { kind: 'callback'; action: Action };

const action = fc.constantFrom(...ACTIONS);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const), action, list: fc.nat(3) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      who: fc.nat(),
      field: fc.constantFrom(0 as const, 1 as const),
      target: fc.option(fc.nat(), { nil: null }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), who: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retain' as const), who: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('collect' as const), generation: fc.constantFrom(0 as const, 1 as const, 2 as const) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('callback' as const), action }) },
);

class Marker extends Error {}

function run(ops: Op[], threshold: number): void {
  const heap = createHeap({ initialBytes: 1 << 20 });
  const rc = createRc(heap);
  const gc = createGc(rc);
  const unraisable: unknown[] = [];
  gc.onUnraisable = (error) => unraisable.push(error);
  if (threshold === 0) gc.disable();
  else gc.setThreshold(threshold);
  // The model: external holds and ref fields per object pointer; raw blocks.
  const holds = new Map<number, number>();
  const edges = new Map<number, [number, number]>();
  const actions = new Map<number, Action>();
  const raw: number[] = [];
  let busy = 0; // finalizers and callbacks run since the last look
  let step = 0;
  const doAction = (what: Action, self: number): void => {
    busy++;
    switch (what) {
      case 'allocate':
        raw.push(heap.malloc(1 + ((step * 37) % 700)));
        break;
      case 'free':
        if (raw.length > 0) heap.free(raw.pop() as number);
        break;
      case 'create':
        if (holds.size < 60) create('none', (step + self) % 4);
        break;
      case 'releaseOther': {
        for (const [p, n] of holds) {
          if (p !== self && n > 0) {
            holds.set(p, n - 1);
            rc.release(p);
            break;
          }
        }
        break;
      }
      case 'selfRef':
        if (self !== 0) {
          rc.retain(self);
          rc.release(self);
        }
        break;
      case 'resurrect':
        if (self !== 0) {
          rc.retain(self);
          holds.set(self, (holds.get(self) ?? 0) + 1);
        }
        break;
      case 'throw':
        throw new Marker(`from ${self}`);
      case 'collect':
        gc.collect();
        break;
    }
  };
  const Node = rc.struct(
    'Node',
    { a: { ref: 'Node' }, b: { ref: 'Node' }, v: 'u32' },
    { finalizer: (p) => doAction(actions.get(p) ?? 'none', p) },
  );
  Node.setFreeListSize(2);
  const create = (what: Action, _list: number): number => {
    const p = Node.create();
    // A dead object's block can come back: forget whatever the model knew under that pointer.
    holds.set(p, 1);
    edges.set(p, [0, 0]);
    actions.set(p, what);
    return p;
  };
  const expectOnlyMarkers = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      if (!(error instanceof Marker)) throw error;
    }
  };
  const objects = (): number[] => [...holds.keys()];
  const callbacks: Action[] = [];
  gc.callbacks.push((phase) => {
    if (phase === 'start' && callbacks.length > 0) doAction(callbacks[callbacks.length - 1] as Action, 0);
  });

  for (const o of ops) {
    step++;
    const all = objects();
    const pick = (i: number): number => all[i % all.length] as number;
    expectOnlyMarkers(() => {
      switch (o.kind) {
        case 'create':
          if (all.length < 60) create(o.action, o.list);
          break;
        case 'set': {
          if (all.length === 0) break;
          const who = pick(o.who);
          const target = o.target === null ? 0 : pick(o.target);
          const field = o.field === 0 ? Node.fields.a : Node.fields.b;
          const pair = edges.get(who) as [number, number];
          pair[o.field] = target;
          field.set(who, target);
          break;
        }
        case 'release': {
          const held = all.filter((p) => (holds.get(p) as number) > 0);
          if (held.length === 0) break;
          const who = held[o.who % held.length] as number;
          holds.set(who, (holds.get(who) as number) - 1);
          rc.release(who);
          break;
        }
        case 'retain':
          if (all.length === 0) break;
          rc.retain(pick(o.who));
          holds.set(pick(o.who), (holds.get(pick(o.who)) as number) + 1);
          break;
        case 'collect':
          gc.collect(o.generation);
          break;
        case 'callback':
          callbacks.push(o.action);
          if (callbacks.length > 2) callbacks.shift();
          break;
      }
    });
    // Bring the heap to rest: collect until a collection finds nothing and runs no user code.
    const saved = callbacks.splice(0);
    for (let round = 0; ; round++) {
      expect(round, 'the heap should come to rest').toBeLessThan(50);
      busy = 0;
      let found = 0;
      try {
        found = gc.collect();
      } catch (error) {
        if (!(error instanceof Marker)) throw error;
        found = 1;
      }
      if (found === 0 && busy === 0) break;
    }
    callbacks.push(...saved);
    for (const error of unraisable) expect(error).toBeInstanceOf(Marker);
    unraisable.length = 0;
    // What the model reaches from its holds is what must be alive, and nothing else.
    const alive = new Set<number>();
    const stack = objects().filter((p) => (holds.get(p) as number) > 0);
    while (stack.length > 0) {
      const p = stack.pop() as number;
      if (alive.has(p)) continue;
      alive.add(p);
      for (const t of edges.get(p) as [number, number]) if (t !== 0 && !alive.has(t)) stack.push(t);
    }
    for (const p of objects()) {
      if (!alive.has(p)) {
        holds.delete(p);
        edges.delete(p);
      }
    }
    expect(rc.stats().live).toBe(alive.size);
    rc.checkObjects(new Map([...alive].map((p) => [p, holds.get(p) as number])));
    expect(gc.check()).toBe(alive.size);
    heap.check();
    for (const p of raw) expect(heap.isLive(p)).toBe(true);
  }
}

const RUNS = process.env.SOAK ? 3000 : 60;

describe('finalizers and callbacks that run user code, against a model', () => {
  it.each([0, 1, 5])('gc threshold %i (0 turns automatic collection off)', (threshold) => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: process.env.SOAK ? 200 : 60 }), (ops) => run(ops, threshold)),
      { seed: 1300 + threshold, numRuns: RUNS },
    );
  });
});
