import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createHeap, type Heap, InvalidArgumentError, InvalidPointerError } from '../../src/index';
import {
  clearTraces,
  Filter,
  formatSize,
  getTraceback,
  getTracebackLimit,
  getTracedMemory,
  isTracing,
  markLeaks,
  resetPeak,
  Snapshot,
  start,
  stop,
  tagType,
  takeSnapshot,
} from '../../src/profile/index';
import { parseFrame } from '../../src/profile/stack';
import { IN_BROWSER } from '../support/helpers';
import { HeapModel, heapBytes } from '../support/model';
import { allocVia, CountingLayer, here } from '../support/profile-helpers';
import { propertyTest } from '../support/property';

const heaps: Heap[] = [];
function newHeap(): Heap {
  const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
  heaps.push(heap);
  return heap;
}
afterEach(() => {
  for (const h of heaps.splice(0)) stop(h);
});

function allocThree(heap: Heap, size: number): { ptrs: number[]; line: number } {
  const ptrs: number[] = [];
  let line = 0;
  for (let i = 0; i < 3; i++) [ptrs[i], line] = [heap.malloc(size), here().line];
  return { ptrs, line };
}
function level3(heap: Heap): { ptr: number; lines: number[] } {
  const [ptr, line] = [heap.malloc(64), here().line];
  return { ptr, lines: [line] };
}
function level2(heap: Heap): { ptr: number; lines: number[] } {
  const [r, line] = [level3(heap), here().line];
  return { ptr: r.ptr, lines: [...r.lines, line] };
}
function level1(heap: Heap): { ptr: number; lines: number[] } {
  const [r, line] = [level2(heap), here().line];
  return { ptr: r.ptr, lines: [...r.lines, line] };
}

describe('formatSize', () => {
  it('prints bytes below 1 KiB and one decimal above, like the issue example', () => {
    expect(formatSize(400)).toBe('400 B');
    expect(formatSize(1200)).toBe('1.2 KiB');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(1024)).toBe('1.0 KiB');
    expect(formatSize(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(formatSize(-2048, true)).toBe('-2.0 KiB');
    expect(formatSize(800, true)).toBe('+800 B');
    expect(formatSize(0, true)).toBe('0 B');
  });
});

describe('stack parsing', () => {
  it('reads V8 and SpiderMonkey/JavaScriptCore frames', () => {
    expect(parseFrame('    at makeNode (file:///app/src/tree.ts:42:13)')).toMatchObject({
      filename: '/app/src/tree.ts',
      lineno: 42,
      name: 'makeNode',
    });
    expect(parseFrame('    at /app/src/main.ts:7:3')).toMatchObject({ filename: '/app/src/main.ts', lineno: 7, name: '' });
    expect(parseFrame('    at async Foo.bar (C:\\app\\x.js:3:1)')).toMatchObject({
      filename: 'C:\\app\\x.js',
      lineno: 3,
      name: 'async Foo.bar',
    });
    expect(parseFrame('makeNode@http://localhost/tree.js:42:13')).toMatchObject({
      filename: 'http://localhost/tree.js',
      lineno: 42,
      name: 'makeNode',
    });
    expect(parseFrame('Error')).toBeUndefined();
    expect(parseFrame('    at new Promise (<anonymous>)')).toBeUndefined();
  });
});

describe('tracing: start, stop and the hook chain', () => {
  it('installs its hooks and tracer, and stop() restores the previous chain', () => {
    const heap = newHeap();
    expect(isTracing(heap)).toBe(false);
    const layer = new CountingLayer(heap);
    start(heap, 2);
    expect(isTracing(heap)).toBe(true);
    expect(heap._hooks).not.toBe(layer);
    expect(heap._tracer).not.toBeNull();
    expect(getTracebackLimit(heap)).toBe(2);
    const p = heap.malloc(100);
    expect(layer.calls).toBe(1); // tracing forwards to the layer below it
    stop(heap);
    expect(heap._hooks).toBe(layer);
    expect(heap._tracer).toBeNull();
    expect(isTracing(heap)).toBe(false);
    expect(getTraceback(heap, p)).toBeUndefined();
    heap.free(p);
    expect(layer.calls).toBe(2);
    heap.check();
  });

  it('stop() with a layer installed above tracing leaves a pass-through that traces nothing', () => {
    const heap = newHeap();
    start(heap);
    const above = new CountingLayer(heap);
    stop(heap);
    expect(heap._hooks).toBe(above);
    const p = heap.malloc(32);
    expect(getTraceback(heap, p)).toBeUndefined();
    heap.free(p);
    expect(above.calls).toBe(2);
    start(heap);
    expect(isTracing(heap)).toBe(true);
    const [q, line] = [heap.malloc(48), here().line];
    expect(getTraceback(heap, q)?.frames[0]?.lineno).toBe(line);
    heap.free(q);
    heap.check();
  });

  it('names the user line even when another layer wraps tracing (its frames are skipped)', () => {
    const heap = newHeap();
    start(heap);
    new CountingLayer(heap);
    const [p, at] = [heap.malloc(10), here()];
    expect(String(getTraceback(heap, p))).toBe(`${at.file}:${at.line}`);
  });

  it('rejects a bad frame count and changes nothing', () => {
    const heap = newHeap();
    for (const bad of [0, -1, 1.5, 129, Number.NaN, '3' as unknown as number]) {
      expect(() => start(heap, bad)).toThrow(InvalidArgumentError);
      try {
        start(heap, bad);
      } catch (e) {
        expect((e as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
      }
      expect(heap._hooks).toBeNull();
      expect(heap._tracer).toBeNull();
    }
    expect(() => takeSnapshot(heap)).toThrow(/tracing is not started/);
  });

  it('calling start again changes the depth and keeps the traces', () => {
    const heap = newHeap();
    start(heap, 1);
    const p = level1(heap).ptr;
    start(heap, 3);
    const q = level1(heap).ptr;
    expect(getTraceback(heap, p)?.frames).toHaveLength(1);
    expect(getTraceback(heap, q)?.frames).toHaveLength(3);
  });
});

describe('tracing: sites and snapshots', () => {
  it('prints lines like tracemalloc: file:line: size, count, average', () => {
    const heap = newHeap();
    start(heap);
    const { line } = allocThree(heap, 400);
    const [, at] = [heap.malloc(1000), here()];
    const stats = takeSnapshot(heap).statistics('lineno');
    expect(stats.map(String)).toEqual([
      `${at.file}:${line}: size=1.2 KiB, count=3, average=400 B`,
      `${at.file}:${at.line}: size=1000 B, count=1, average=1000 B`,
    ]);
    expect(stats[0]).toMatchObject({ size: 1200, count: 3 });
  });

  it('leaves out blocks allocated before start and blocks freed since', () => {
    const heap = newHeap();
    const before = heap.malloc(100);
    start(heap);
    const a = heap.malloc(200);
    const b = heap.malloc(300);
    heap.free(b);
    heap.free(before);
    const snap = takeSnapshot(heap);
    expect(snap.traces.map((t) => [t.ptr, t.size])).toEqual([[a, 200]]);
    heap.check();
  });

  it('traces calloc, alignedAlloc and realloc (which renews size and site)', () => {
    const heap = newHeap();
    start(heap);
    const [c, lc] = [heap.calloc(10, 30), here().line];
    const [al, la] = [heap.alignedAlloc(100, 256), here().line];
    const [z, lz] = [heap.realloc(0, 40), here().line];
    expect(getTraceback(heap, c)?.frames[0]?.lineno).toBe(lc);
    expect(getTraceback(heap, al)?.frames[0]?.lineno).toBe(la);
    expect(getTraceback(heap, z)?.frames[0]?.lineno).toBe(lz);
    const [moved, lm] = [heap.realloc(c, 5000), here().line];
    expect(getTraceback(heap, moved)?.frames[0]?.lineno).toBe(lm);
    if (moved !== c) expect(getTraceback(heap, c)).toBeUndefined();
    const sizes = new Map(takeSnapshot(heap).traces.map((t) => [t.ptr, t.size]));
    expect(sizes).toEqual(
      new Map([
        [moved, 5000],
        [al, 100],
        [z, 40],
      ]),
    );
    expect(getTracedMemory(heap).current).toBe(5140);
  });

  it('keeps `frames` frames, most recent first', () => {
    const heap = newHeap();
    start(heap, 3);
    const { ptr, lines } = level1(heap);
    const tb = getTraceback(heap, ptr);
    expect(tb?.frames.map((f) => f.lineno)).toEqual(lines);
    expect(tb?.frames.map((f) => f.name)).toEqual(['level3', 'level2', 'level1']);
    expect(tb?.format()[2]).toMatch(/:\d+ \(in level3\)$/); // oldest first, like Python
    expect(heap._tracer?.tracebackOf(ptr)?.split('\n')).toHaveLength(3);
    expect(heap._tracer?.tracebackOf(ptr)?.split('\n')[0]).toMatch(new RegExp(`:${lines[0]} \\(in level3\\)$`));
  });

  it('groups by filename and by traceback, and cumulatively', () => {
    const heap = newHeap();
    start(heap, 3);
    level1(heap);
    level1(heap);
    const [, at] = [heap.malloc(10), here()];
    const snap = takeSnapshot(heap);
    const byFile = snap.statistics('filename');
    expect(byFile.map((s) => [String(s.traceback.frames[0]), s.count, s.size])).toEqual([[`${at.file}:0`, 3, 138]]);
    expect(String(byFile[0])).toBe(`${at.file}: size=138 B, count=3, average=46 B`);
    const byTb = snap.statistics('traceback');
    expect(byTb.map((s) => [s.count, s.size, s.traceback.frames.length])).toEqual([
      [2, 128, 3],
      [1, 10, 3],
    ]);
    const cumulative = snap.statistics('lineno', true);
    // level3's, level2's and level1's lines each account for both 64-byte blocks.
    expect(cumulative.filter((s) => s.size === 128).length).toBe(3);
    expect(() => snap.statistics('traceback', true)).toThrow(InvalidArgumentError);
    expect(() => snap.statistics('size' as 'lineno')).toThrow(InvalidArgumentError);
  });

  it('compareTo sorts by the size of the change and prints differences', () => {
    const heap = newHeap();
    start(heap);
    const [a, la] = [heap.malloc(1000), here().line];
    const [b, lb] = [heap.malloc(100), here().line];
    const old = takeSnapshot(heap);
    heap.free(a);
    for (let i = 0; i < 2; i++) heap.malloc(100);
    const lc = here().line - 1;
    const diffs = takeSnapshot(heap).compareTo(old, 'lineno');
    const f = here().file;
    expect(diffs.map((d) => [d.traceback.frames[0]?.lineno, d.size, d.sizeDiff, d.count, d.countDiff])).toEqual([
      [la, 0, -1000, 0, -1],
      [lc, 200, 200, 2, 2],
      [lb, 100, 0, 1, 0],
    ]);
    expect(String(diffs[1])).toBe(`${f}:${lc}: size=200 B (+200 B), count=2 (+2), average=100 B`);
    expect(String(diffs[0])).toBe(`${f}:${la}: size=0 B (-1000 B), count=0 (-1)`);
    void b;
  });

  // In the browser, sites are the test bundle's URL (an http:// link in the report).
  it.skipIf(IN_BROWSER)('filters traces by glob or RegExp, line, inclusive or exclusive, any frame', () => {
    const heap = newHeap();
    start(heap, 4, { internalFiles: ['profile-helpers'] });
    const [p, at] = [allocVia(heap, 8), here()];
    const [q, lq] = [heap.malloc(16), here().line];
    const snap = takeSnapshot(heap);
    expect(String(getTraceback(heap, p))).toBe(`${at.file}:${at.line}`); // the wrapper's frame is skipped
    const ptrs = (s: Snapshot) => s.traces.map((t) => t.ptr).sort((x, y) => x - y);
    expect(ptrs(snap.filterTraces([new Filter(true, '*profile.test.ts')]))).toEqual([p, q].sort((x, y) => x - y));
    expect(ptrs(snap.filterTraces([new Filter(true, '*profile.test.ts', lq)]))).toEqual([q]);
    expect(ptrs(snap.filterTraces([new Filter(false, '*profile.test.ts', lq)]))).toEqual([p]);
    expect(ptrs(snap.filterTraces([new Filter(true, '*nothing*')]))).toEqual([]);
    expect(ptrs(snap.filterTraces([new Filter(false, /profile\.test/)]))).toEqual([]);
    expect(ptrs(snap.filterTraces([]))).toHaveLength(2);
    // allFrames: every trace here has vitest's runner somewhere below the test.
    expect(ptrs(snap.filterTraces([new Filter(true, '*vitest*', undefined, true)]))).toHaveLength(2);
    expect(ptrs(snap.filterTraces([new Filter(true, '*vitest*')]))).toEqual([]);
    expect(() => snap.filterTraces([{} as Filter])).toThrow(InvalidArgumentError);
    expect(() => new Filter(true, 3 as unknown as string)).toThrow(InvalidArgumentError);
  });

  it('saves snapshots to JSON and loads them back', () => {
    const heap = newHeap();
    start(heap, 2);
    allocThree(heap, 50);
    const t = heap.malloc(70);
    tagType(heap, t, 'Vec3');
    const snap = takeSnapshot(heap);
    const text = JSON.stringify(snap);
    const back = Snapshot.fromJSON(text);
    expect(back.tracebackLimit).toBe(2);
    expect(back.statistics('traceback').map(String)).toEqual(snap.statistics('traceback').map(String));
    expect(back.statistics('type').map(String)).toEqual(snap.statistics('type').map(String));
    expect(back.traces.map((x) => [x.ptr, x.size, x.type])).toEqual(snap.traces.map((x) => [x.ptr, x.size, x.type]));
    expect(JSON.parse(text).tracebacks).toHaveLength(2); // the three identical sites are stored once
    expect(Snapshot.fromJSON(JSON.parse(text)).traces).toHaveLength(4);
    for (const bad of ['{', '{}', '{"format":"arenalloc-snapshot","version":2}', text.replace('"traces":[[', '"traces":[["x",')]) {
      expect(() => Snapshot.fromJSON(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('counts traced memory, its peak, resetPeak and clearTraces', () => {
    const heap = newHeap();
    expect(getTracedMemory(heap)).toEqual({ current: 0, peak: 0 });
    start(heap);
    const a = heap.malloc(1000);
    const b = heap.malloc(500);
    heap.free(a);
    expect(getTracedMemory(heap)).toEqual({ current: 500, peak: 1500 });
    resetPeak(heap);
    expect(getTracedMemory(heap)).toEqual({ current: 500, peak: 500 });
    clearTraces(heap);
    expect(getTracedMemory(heap)).toEqual({ current: 0, peak: 0 });
    expect(getTraceback(heap, b)).toBeUndefined();
    heap.free(b); // an untraced block frees fine
    expect(getTracedMemory(heap).current).toBe(0);
    heap.check();
  });

  it('keeps traces untouched when a traced call fails', () => {
    const heap = newHeap();
    start(heap);
    const a = heap.malloc(100);
    heap.free(a);
    const before = JSON.stringify(takeSnapshot(heap));
    expect(() => heap.free(a)).toThrow(/already freed/);
    expect(() => heap.free(a + 16)).toThrow(InvalidPointerError);
    expect(() => heap.realloc(a, 10)).toThrow(/already freed/);
    expect(() => heap.malloc(2 ** 31)).toThrow(/out of memory/);
    expect(JSON.stringify(takeSnapshot(heap))).toBe(before);
    heap.check();
  });
});

describe('types: attribution of tagged blocks', () => {
  it('tagType attributes a block to a type; statistics group by it', () => {
    const heap = newHeap();
    start(heap);
    const nodes = [heap.malloc(48), heap.malloc(48)];
    const leaf = heap.malloc(16);
    heap.malloc(8);
    expect(tagType(heap, nodes[0]!, 'Node')).toBe(true);
    expect(heap._tracer?.tagType(nodes[1]!, 'Node')).toBe(true); // the route the rc layer takes
    expect(tagType(heap, leaf, 'Leaf')).toBe(true);
    expect(takeSnapshot(heap).statistics('type').map(String)).toEqual([
      'Node: size=96 B, count=2, average=48 B',
      'Leaf: size=16 B, count=1, average=16 B',
      '<untyped>: size=8 B, count=1, average=8 B',
    ]);
    expect(tagType(heap, 12345, 'X')).toBe(false);
    expect(() => tagType(heap, leaf, '')).toThrow(InvalidArgumentError);
    expect(() => tagType(heap, -1, 'X')).toThrow(InvalidPointerError);
    stop(heap);
    expect(tagType(heap, leaf, 'Leaf')).toBe(false);
  });
});

describe('leak report', () => {
  it('lists blocks allocated since the mark that are still live, by site', () => {
    const heap = newHeap();
    const old = heap.malloc(10);
    const mark = markLeaks(heap); // starts tracing
    expect(isTracing(heap)).toBe(true);
    const { ptrs, line } = allocThree(heap, 100);
    const [single, l2] = [heap.malloc(2000), here().line];
    tagType(heap, single, 'Buffer');
    heap.free(ptrs[1]!);
    heap.free(heap.malloc(5));
    heap.free(old);
    const report = mark.report();
    expect(report.count).toBe(3);
    expect(report.size).toBe(2200);
    expect(report.groups.map((g) => [g.traceback.frames[0]?.lineno, g.count, g.size, g.types, g.pointers])).toEqual([
      [l2, 1, 2000, ['Buffer'], [single]],
      [line, 2, 200, [], [ptrs[0], ptrs[2]]],
    ]);
    const f = here().file;
    expect(String(report).split('\n')).toEqual([
      '3 blocks, 2.1 KiB allocated since the mark still live',
      `${f}:${l2}: 1 block, 2.0 KiB still live [Buffer]`,
      `${f}:${line}: 2 blocks, 200 B still live`,
    ]);
    const later = markLeaks(heap);
    expect(later.report().count).toBe(0);
    stop(heap);
    expect(() => mark.report()).toThrow(InvalidArgumentError);
  });
});

describe('tracing: property test against a model', () => {
  it('traces equal the live blocks allocated while tracing, after every step', () => {
    type Op = { kind: 'malloc'; size: number } | { kind: 'free'; pick: number } | { kind: 'realloc'; pick: number; size: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('malloc' as const), size: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('realloc' as const), pick: fc.nat(), size: fc.integer({ min: 1, max: 3000 }) }),
    );
    interface World {
      heap: Heap;
      /** The blocks allocated while tracing, with the sizes asked for. */
      model: HeapModel;
      peak: number;
    }
    propertyTest<Op, World>(
      {
        step: op,
        maxSteps: 60,
        setup: () => {
          const heap = newHeap();
          start(heap);
          return { heap, model: new HeapModel(heapBytes(heap)), peak: 0 };
        },
        apply: ({ heap, model }, o) => {
          if (o.kind === 'malloc') model.allocated(heap.malloc(o.size), o.size);
          else if (model.size > 0) {
            const p = model.pick(o.pick) as number;
            if (o.kind === 'free') {
              heap.free(p);
              model.released(p);
            } else model.reallocated(p, heap.realloc(p, o.size), o.size);
          }
        },
        layers: ({ heap }) => ({ heaps: [heap] }),
        verify: (w) => {
          const sum = w.model.requestedBytes();
          w.peak = Math.max(w.peak, sum);
          expect(getTracedMemory(w.heap)).toEqual({ current: sum, peak: w.peak });
          const snap = takeSnapshot(w.heap);
          expect(new Map(snap.traces.map((t) => [t.ptr, t.size]))).toEqual(new Map([...w.model.blocks].map(([p, b]) => [p, b.size])));
        },
        finish: ({ heap }) => {
          stop(heap);
          expect(heap._hooks).toBeNull();
        },
      },
      { seed: 42, numRuns: 60 },
    );
  });
});
