// arenalloc/rc together with the optional layers: tracing names object types, and the object
// check works on a debug heap (whose blocks it must look up through the debug layer).
import { describe, expect, it } from 'vitest';
import { createDebugHeap } from '../../src/debug/index';
import { createHeap } from '../../src/index';
import { start, stop, takeSnapshot, UNTYPED } from '../../src/profile/index';
import { createRc } from '../../src/rc/index';

describe('rc with the optional layers', () => {
  it('tags objects with their type while tracing, so snapshots group by type', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const Vec = rc.struct('Vec', { x: 'f64', y: 'f64' });
    const Node = rc.struct('Node', { value: 'i32', next: { ref: 'Node' } });
    start(heap);
    const vecs = Array.from({ length: 3 }, () => Vec.create());
    const nodes = Array.from({ length: 2 }, () => Node.create());
    const raw = heap.malloc(100);
    const byType = new Map(
      takeSnapshot(heap)
        .statistics('type')
        .map((s) => [s.type, s.count]),
    );
    expect(byType.get('Vec')).toBe(3);
    expect(byType.get('Node')).toBe(2);
    expect(byType.get(UNTYPED)).toBe(1);
    stop(heap);
    for (const p of [...vecs, ...nodes]) rc.release(p);
    heap.free(raw);
    heap.check();
  });

  it('checks objects on a debug heap', () => {
    const heap = createDebugHeap();
    const rc = createRc(heap);
    const Node = rc.struct('Node', { value: 'i32', next: { ref: 'Node' } });
    const a = Node.create();
    const b = Node.create();
    Node.fields.next.set(a, b); // a holds b
    rc.checkObjects(
      new Map([
        [a, 1],
        [b, 1],
      ]),
    );
    rc.release(b);
    rc.checkObjects(
      new Map([
        [a, 1],
        [b, 0],
      ]),
    );
    rc.release(a);
    heap.check();
  });
});
