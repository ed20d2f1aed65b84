// Issue 13 §4: finalizers and callbacks drawn at random from {allocate, free, create, release
// others, retain and release self, resurrect, throw, collect}, over random graphs. After every
// step the heap is brought to rest (full collections until nothing more happens); then the live
// objects must be exactly those the model reaches from its external holds, with every refcount
// right (`rc.checkObjects`), every gc list sound (`gc.check`) and the heap sound (`check`).
// Seeded and short by default; `SOAK=1` (npm run soak) runs many more.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGc, type Gc } from '../../src/gc/index';
import { createHeap, type Heap } from '../../src/index';
import { createRc, type Rc, type StructType } from '../../src/rc/index';
import { HeapModel, heapBytes, ObjectModel } from '../support/model';
import { propertyTest } from '../support/property';

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

/**
 * A heap with objects whose finalizers (and the collector's callbacks) run the actions drawn for
 * them; the model of the graph (external holds, the two ref fields) and of the raw blocks those
 * actions allocate.
 */
interface World {
  heap: Heap;
  rc: Rc;
  gc: Gc;
  Node: StructType<{ a: { ref: 'Node' }; b: { ref: 'Node' }; v: 'u32' }>;
  objects: ObjectModel;
  raw: HeapModel;
  /** What each object's finalizer does. */
  actions: Map<number, Action>;
  /** The callback actions drawn, the last two; the collector's start callback runs the latest. */
  callbacks: Action[];
  unraisable: unknown[];
  /** Finalizers and callbacks run since the last look. */
  busy: number;
  step: number;
}

function setup(threshold: number): World {
  const heap = createHeap({ initialBytes: 1 << 20 });
  const rc = createRc(heap);
  const gc = createGc(rc);
  const w = {
    heap,
    rc,
    gc,
    objects: new ObjectModel(),
    raw: new HeapModel(heapBytes(heap)),
    actions: new Map(),
    callbacks: [],
    unraisable: [],
    busy: 0,
    step: 0,
  } as unknown as World;
  gc.onUnraisable = (error) => w.unraisable.push(error);
  if (threshold === 0) gc.disable();
  else gc.setThreshold(threshold);
  w.Node = rc.struct(
    'Node',
    { a: { ref: 'Node' }, b: { ref: 'Node' }, v: 'u32' },
    { finalizer: (p) => doAction(w, w.actions.get(p) ?? 'none', p) },
  );
  w.Node.setFreeListSize(2);
  gc.callbacks.push((phase) => {
    if (phase === 'start' && w.callbacks.length > 0) doAction(w, w.callbacks[w.callbacks.length - 1] as Action, 0);
  });
  return w;
}

function create(w: World, what: Action, _list: number): number {
  const p = w.Node.create();
  // A dead object's block can come back: forget whatever the model knew under that pointer.
  w.objects.created(p, true);
  w.actions.set(p, what);
  return p;
}

/** What a finalizer (of `self`) or a callback (self 0) does. */
function doAction(w: World, what: Action, self: number): void {
  const { heap, rc, gc, objects, raw } = w;
  w.busy++;
  switch (what) {
    case 'allocate': {
      const size = 1 + ((w.step * 37) % 700);
      raw.allocated(heap.malloc(size), size);
      break;
    }
    case 'free': {
      const p = raw.order[raw.order.length - 1];
      if (p !== undefined) {
        heap.free(p);
        raw.released(p);
      }
      break;
    }
    case 'create':
      if (objects.size < 60) create(w, 'none', (w.step + self) % 4);
      break;
    case 'releaseOther': {
      for (const [p, o] of objects.objects) {
        if (p !== self && o.holds > 0) {
          o.holds--;
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
        const o = objects.objects.get(self);
        if (o === undefined) throw new Error(`the finalizer of ${self} ran on an object the model does not know`);
        o.holds++;
      }
      break;
    case 'throw':
      throw new Marker(`from ${self}`);
    case 'collect':
      gc.collect();
      break;
  }
}

function expectOnlyMarkers(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof Marker)) throw error;
  }
}

function apply(w: World, o: Op): void {
  const { rc, gc, objects } = w;
  w.step++;
  const all = objects.pointers();
  const pick = (i: number): number => all[i % all.length] as number;
  expectOnlyMarkers(() => {
    switch (o.kind) {
      case 'create':
        if (all.length < 60) create(w, o.action, o.list);
        break;
      case 'set': {
        if (all.length === 0) break;
        const who = pick(o.who);
        const target = o.target === null ? 0 : pick(o.target);
        const field = o.field === 0 ? w.Node.fields.a : w.Node.fields.b;
        objects.get(who).refs[o.field] = target;
        field.set(who, target);
        break;
      }
      case 'release': {
        const held = all.filter((p) => objects.get(p).holds > 0);
        if (held.length === 0) break;
        const who = held[o.who % held.length] as number;
        objects.get(who).holds--;
        rc.release(who);
        break;
      }
      case 'retain':
        if (all.length === 0) break;
        rc.retain(pick(o.who));
        objects.get(pick(o.who)).holds++;
        break;
      case 'collect':
        gc.collect(o.generation);
        break;
      case 'callback':
        w.callbacks.push(o.action);
        if (w.callbacks.length > 2) w.callbacks.shift();
        break;
    }
  });
  // Bring the heap to rest: collect until a collection finds nothing and runs no user code.
  const saved = w.callbacks.splice(0);
  for (let round = 0; ; round++) {
    expect(round, 'the heap should come to rest').toBeLessThan(50);
    w.busy = 0;
    let found = 0;
    try {
      found = gc.collect();
    } catch (error) {
      if (!(error instanceof Marker)) throw error;
      found = 1;
    }
    if (found === 0 && w.busy === 0) break;
  }
  w.callbacks.push(...saved);
  for (const error of w.unraisable) expect(error).toBeInstanceOf(Marker);
  w.unraisable.length = 0;
  // What the model reaches from its holds is what must be alive, and nothing else.
  objects.prune();
}

/** Exactly the objects the model reaches are alive, each tracked; the raw blocks are live and keep their bytes. */
function verify({ heap, rc, gc, objects, raw }: World): void {
  expect(rc.stats().live).toBe(objects.size);
  expect(gc.check()).toBe(objects.size);
  for (const p of raw.blocks.keys()) expect(heap.isLive(p)).toBe(true);
  raw.expectBytes();
}

const RUNS = process.env.SOAK ? 3000 : 60;

describe('finalizers and callbacks that run user code, against a model', () => {
  it.each([0, 1, 5])('gc threshold %i (0 turns automatic collection off)', (threshold) => {
    propertyTest<Op, World>(
      {
        step: op,
        minSteps: 5,
        maxSteps: process.env.SOAK ? 200 : 60,
        setup: () => setup(threshold),
        apply,
        // Every refcount right (rc.checkObjects), every gc list sound, the heap sound.
        layers: ({ heap, rc, gc, objects }) => ({ heaps: [heap], others: [gc], objects: () => rc.checkObjects(objects.holds()) }),
        verify,
      },
      { seed: 1300 + threshold, numRuns: RUNS },
    );
  });
});
