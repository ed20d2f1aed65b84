// Every layer at once: a debug heap (guard bytes, quarantine) with tracing on, refcounted
// objects, the cycle detector, and plain blocks beside them. Seeded random operations against a
// model; after every step every layer's check passes, and at the end the type statistics of the
// tracer, the counts of the heap and the model agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDebugHeap, debugLayerOf } from '../../src/debug/index';
import { createGc, type Gc } from '../../src/gc/index';
import type { Heap } from '../../src/index';
import { start, stop, takeSnapshot, UNTYPED } from '../../src/profile/index';
import { createRc, type Rc, type StructType } from '../../src/rc/index';
import { HeapModel, heapBytes, ObjectModel } from '../support/model';
import { propertyTest } from '../support/property';

type Op =
  | { kind: 'create'; node: boolean }
  | { kind: 'link'; who: number; target: number }
  | { kind: 'release'; who: number }
  | { kind: 'collect' }
  | { kind: 'malloc'; size: number }
  | { kind: 'free'; which: number }
  | { kind: 'realloc'; which: number; size: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('create' as const), node: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('link' as const), who: fc.nat(), target: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), who: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('collect' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('malloc' as const),
      size: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 600, max: 20_000 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('free' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('realloc' as const), which: fc.nat(), size: fc.integer({ min: 1, max: 3000 }) }) },
);

/** A debug heap with tracing on, objects and the cycle detector on it, plain blocks beside them. */
interface World {
  heap: Heap;
  rc: Rc;
  gc: Gc;
  Node: StructType<{ next: { ref: 'Node' }; value: 'f64' }>;
  Leaf: StructType<{ x: 'u32' }>;
  /** Every object alive, each held once by the test until released, and its `next` link. */
  objects: ObjectModel;
  /** The plain blocks and their bytes. */
  blocks: HeapModel;
}

function apply(w: World, o: Op): void {
  const { heap, objects, blocks } = w;
  const held = objects.holders();
  switch (o.kind) {
    case 'create': {
      const p = o.node ? w.Node.create() : w.Leaf.create();
      objects.created(p, o.node);
      break;
    }
    case 'link': {
      const nodes = held.filter((p) => objects.get(p).node);
      if (nodes.length === 0) break;
      const who = nodes[o.who % nodes.length]!;
      const target = nodes[o.target % nodes.length]!;
      w.Node.fields.next.set(who, target);
      objects.get(who).refs[0] = target;
      break;
    }
    case 'release': {
      if (held.length === 0) break;
      const p = held[o.who % held.length]!;
      w.rc.release(p); // it may live on through a link, or in a cycle until a collection
      objects.get(p).holds--;
      break;
    }
    case 'collect':
      w.gc.collect(2);
      objects.prune();
      break;
    case 'malloc':
      blocks.allocated(heap.malloc(o.size), o.size);
      break;
    case 'free': {
      const p = blocks.pick(o.which);
      if (p === undefined) break;
      heap.free(p);
      blocks.released(p);
      break;
    }
    case 'realloc': {
      const p = blocks.pick(o.which);
      if (p === undefined) break;
      blocks.reallocated(p, heap.realloc(p, o.size), o.size);
      break;
    }
  }
  objects.settle(); // what refcounting freed
}

describe('all layers on one heap', () => {
  it('debug + tracing + rc + gc + plain blocks: every check after every step, counts agree', () => {
    propertyTest<Op, World>(
      {
        step: op,
        minSteps: 1,
        maxSteps: 60,
        setup: () => {
          const heap = createDebugHeap({ initialBytes: 1 << 16, maxBytes: 1 << 24, quarantineBlocks: 8 });
          start(heap, 2);
          const rc = createRc(heap);
          const gc = createGc(rc);
          gc.disable();
          const Node = rc.struct('Node', { next: { ref: 'Node' }, value: 'f64' });
          const Leaf = rc.struct('Leaf', { x: 'u32' });
          return { heap, rc, gc, Node, Leaf, objects: new ObjectModel(), blocks: new HeapModel(heapBytes(heap)) };
        },
        apply,
        // The heap's and the debug layer's checks, the collector's lists, every refcount.
        layers: ({ heap, gc, rc, objects }) => ({ heaps: [heap], others: [gc], objects: () => rc.checkObjects(objects.holds()) }),
        verify: ({ heap, blocks }) => {
          blocks.expectBytes();
          blocks.expectDisjoint((p) => heap.usableSize(p));
        },
        finish: ({ heap, rc, gc, objects, blocks }) => {
          // One full collection leaves exactly what the held objects reach, whose types the tracer names.
          gc.collect(2);
          objects.prune();
          // A debug heap's own stats count inner blocks, the quarantine's too; the layer's count what callers see.
          expect(debugLayerOf(heap)!.stats().liveBlocks).toBe(objects.size + blocks.size);
          const byType = new Map(
            takeSnapshot(heap)
              .statistics('type')
              .map((s) => [s.type, s.count]),
          );
          const nodes = [...objects.objects.values()].filter((o) => o.node).length;
          expect(byType.get('Node') ?? 0).toBe(nodes);
          expect(byType.get('Leaf') ?? 0).toBe(objects.size - nodes);
          expect(byType.get(UNTYPED) ?? 0).toBe(blocks.size);
          for (const p of objects.holders()) rc.release(p);
          for (const p of [...blocks.order]) {
            heap.free(p);
            blocks.released(p);
          }
          gc.collect(2);
          expect(debugLayerOf(heap)!.stats().liveBlocks).toBe(0);
          debugLayerOf(heap)!.flushQuarantine();
          expect(heap.stats().liveBlocks).toBe(0);
          heap.check();
          debugLayerOf(heap)!.check();
          stop(heap);
        },
      },
      { seed: 7, numRuns: 120 },
    );
  });
});
