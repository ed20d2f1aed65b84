// Every layer at once: a debug heap (guard bytes, quarantine) with tracing on, refcounted
// objects, the cycle detector, and plain blocks beside them. Seeded random operations against a
// model; after every step every layer's check passes, and at the end the type statistics of the
// tracer, the counts of the heap and the model agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDebugHeap, debugLayerOf } from '../../src/debug/index';
import { createGc } from '../../src/gc/index';
import { start, stop, takeSnapshot, UNTYPED } from '../../src/profile/index';
import { createRc } from '../../src/rc/index';
import { checkPattern, fillPattern } from '../support/helpers';

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

describe('all layers on one heap', () => {
  it('debug + tracing + rc + gc + plain blocks: every check after every step, counts agree', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const heap = createDebugHeap({ initialBytes: 1 << 16, maxBytes: 1 << 24, quarantineBlocks: 8 });
        start(heap, 2);
        const rc = createRc(heap);
        const gc = createGc(rc);
        gc.disable();
        const Node = rc.struct('Node', { next: { ref: 'Node' }, value: 'f64' });
        const Leaf = rc.struct('Leaf', { x: 'u32' });
        const held = new Map<number, boolean>(); // object -> is a Node; each held once, externally
        const blocks = new Map<number, { size: number; seed: number }>();
        let seed = 0;
        for (const o of ops) {
          const objects = [...held.keys()];
          const plain = [...blocks.keys()];
          switch (o.kind) {
            case 'create': {
              const p = o.node ? Node.create() : Leaf.create();
              held.set(p, o.node);
              break;
            }
            case 'link': {
              const nodes = objects.filter((p) => held.get(p));
              if (nodes.length === 0) break;
              Node.fields.next.set(nodes[o.who % nodes.length]!, nodes[o.target % nodes.length]!);
              break;
            }
            case 'release': {
              if (objects.length === 0) break;
              const p = objects[o.who % objects.length]!;
              rc.release(p); // it may live on through a link, or in a cycle until a collection
              held.delete(p);
              break;
            }
            case 'collect':
              gc.collect(2);
              break;
            case 'malloc': {
              const p = heap.malloc(o.size);
              fillPattern(heap, p, o.size, ++seed);
              blocks.set(p, { size: o.size, seed });
              break;
            }
            case 'free': {
              if (plain.length === 0) break;
              const p = plain[o.which % plain.length]!;
              expect(checkPattern(heap, p, blocks.get(p)!.size, blocks.get(p)!.seed)).toBe(-1);
              heap.free(p);
              blocks.delete(p);
              break;
            }
            case 'realloc': {
              if (plain.length === 0) break;
              const p = plain[o.which % plain.length]!;
              const b = blocks.get(p)!;
              const q = heap.realloc(p, o.size);
              const kept = Math.min(b.size, o.size);
              expect(checkPattern(heap, q, kept, b.seed)).toBe(-1);
              blocks.delete(p);
              fillPattern(heap, q, o.size, ++seed);
              blocks.set(q, { size: o.size, seed });
              break;
            }
          }
          heap.check();
          debugLayerOf(heap)!.check();
          gc.check();
        }
        // Every unheld object is garbage now (links only point between Nodes): one full
        // collection leaves exactly the held objects, whose types the tracer names.
        gc.collect(2);
        // A debug heap's own stats count inner blocks, the quarantine's too; the layer's count what callers see.
        expect(debugLayerOf(heap)!.stats().liveBlocks).toBe(held.size + blocks.size);
        const byType = new Map(
          takeSnapshot(heap)
            .statistics('type')
            .map((s) => [s.type, s.count]),
        );
        const nodes = [...held.values()].filter(Boolean).length;
        expect(byType.get('Node') ?? 0).toBe(nodes);
        expect(byType.get('Leaf') ?? 0).toBe(held.size - nodes);
        expect(byType.get(UNTYPED) ?? 0).toBe(blocks.size);
        for (const p of held.keys()) rc.release(p);
        for (const p of blocks.keys()) heap.free(p);
        gc.collect(2);
        expect(debugLayerOf(heap)!.stats().liveBlocks).toBe(0);
        debugLayerOf(heap)!.flushQuarantine();
        expect(heap.stats().liveBlocks).toBe(0);
        heap.check();
        debugLayerOf(heap)!.check();
        stop(heap);
      }),
      { seed: 7, numRuns: 120 },
    );
  });
});
