/**
 * The cycle detector (issue 5 §5), beside CPython in the same run.
 *
 * 1. Full collection over 1,000,000 tracked objects: 500,000 alive in a binary tree reachable from
 *    one external hold, 500,000 garbage in rings of 10. The same graph is built in CPython
 *    (`__slots__` objects, `gc.collect()` timed) by a `python3` child process.
 * 2. Young-generation pause: `collect(0)` over 10,000 young objects (5,000 alive in a chain held
 *    from outside, 5,000 garbage in rings of 10), against a 60 fps frame budget (target < 1 ms).
 *
 * Each store kind runs on a private copy of the library (see freshLayers), as a program using
 * only that kind would. The first full collection of a copy runs partly in V8's baseline tiers;
 * the warm figure is the median of the collections after it (a program that collects now and then
 * is in that state from its second collection on). The full collection is also timed with
 * `DEBUG_SAVEALL` (garbage found but not freed), to show how much of the time is detection.
 *
 * A collection destroys what it measures, so each figure is timed with `performance.now()`
 * around the one call on a freshly built graph (benchmark.js would need a `setup` per sample).
 * Run alone with `node --expose-gc bench/gc.bench.mjs` after `npm run build` (`BENCH_QUICK=1`:
 * fewer runs).
 */

import { spawnSync } from 'node:child_process';
import { atMost, collectGarbage, freshLayers, QUICK } from './lib/measure.mjs';
import { reportSuite } from './lib/results.mjs';

const LIVE = 500_000;
const GARBAGE = 500_000;
const RING = 10;
const WARM_RUNS = QUICK ? 1 : 5;
const DETECT_RUNS = QUICK ? 1 : 3;
const PY_RUNS = QUICK ? 1 : 3;

const STORES = [
  // The targets are checked on the default store; the others are shown beside it.
  { name: 'shared (default)', options: { initialBytes: 64 << 20, maxBytes: 1 << 30 }, target: true },
  { name: 'resizable', options: { store: 'resizable', initialBytes: 64 << 20, maxBytes: 1 << 30 } },
  { name: 'fixed', options: { store: 'fixed', initialBytes: 1 << 28 } },
  { name: 'wasm', options: { store: 'wasm', initialBytes: 64 << 20, maxBytes: 1 << 30 } },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function world(lib, options) {
  const heap = lib.index.createHeap(options);
  const rc = lib.rc.createRc(heap);
  const gc = lib.gc.createGc(rc);
  gc.disable();
  const Node = rc.struct('Node', { left: { ref: 'Node' }, right: { ref: 'Node' } });
  return { heap, rc, gc, Node };
}

function fullCollection(lib, options, saveAll = false) {
  const { rc, gc, Node } = world(lib, options);
  if (saveAll) gc.setDebug(lib.gc.DEBUG_SAVEALL);
  const { left, right } = Node.fields;
  const nodes = new Uint32Array(LIVE);
  for (let i = 0; i < LIVE; i++) nodes[i] = Node.create();
  for (let i = 1; i < LIVE; i++) {
    const parent = nodes[(i - 1) >> 1];
    if (i & 1) left.set(parent, nodes[i]);
    else right.set(parent, nodes[i]);
    rc.release(nodes[i]); // the tree holds it now
  }
  for (let r = 0; r < GARBAGE / RING; r++) {
    const first = Node.create();
    let prev = first;
    for (let k = 1; k < RING; k++) {
      const n = Node.create();
      left.set(prev, n);
      rc.release(n);
      prev = n;
    }
    left.set(prev, first);
    rc.release(first);
  }
  const start = performance.now();
  const found = gc.collect(2);
  const ms = performance.now() - start;
  if (found !== GARBAGE || rc.stats().live !== (saveAll ? LIVE + GARBAGE : LIVE))
    throw new Error(`collected ${found}, ${rc.stats().live} alive`);
  return ms;
}

const PYTHON = `
import gc, time
class N:
    __slots__ = ('left', 'right', '__weakref__')
    def __init__(self):
        self.left = None
        self.right = None
gc.disable()
LIVE, GARBAGE, RING = ${LIVE}, ${GARBAGE}, ${RING}
nodes = [N() for _ in range(LIVE)]
for i in range(1, LIVE):
    parent = nodes[(i - 1) >> 1]
    if i & 1: parent.left = nodes[i]
    else: parent.right = nodes[i]
root = nodes[0]
del nodes
for r in range(GARBAGE // RING):
    first = N(); prev = first
    for k in range(1, RING):
        n = N(); prev.left = n; prev = n
    prev.left = first
del first, prev, n
`;

function cpython(runs) {
  const script = `${PYTHON}
t = time.perf_counter(); found = gc.collect(); ms = (time.perf_counter() - t) * 1000
import sys; print(ms, found, sys.version.split()[0])
`;
  const times = [];
  let version = '';
  for (let i = 0; i < runs; i++) {
    const out = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
    if (out.status !== 0) return { ms: Number.NaN, version: `python3 failed: ${out.stderr.trim().split('\n').pop()}` };
    const [ms, found, v] = out.stdout.trim().split(' ');
    if (Number(found) < GARBAGE) throw new Error(`CPython found ${found}`);
    times.push(Number(ms));
    version = v;
  }
  return { ms: median(times), version };
}

function youngPause(lib, options) {
  const { rc, gc, Node } = world(lib, options);
  const { left } = Node.fields;
  const times = [];
  for (let rep = 0; rep < (QUICK ? 5 : 31); rep++) {
    const head = Node.create();
    let prev = head;
    for (let i = 1; i < 5000; i++) {
      const n = Node.create();
      left.set(prev, n);
      rc.release(n);
      prev = n;
    }
    for (let r = 0; r < 500; r++) {
      const first = Node.create();
      let p = first;
      for (let k = 1; k < RING; k++) {
        const n = Node.create();
        left.set(p, n);
        rc.release(n);
        p = n;
      }
      left.set(p, first);
      rc.release(first);
    }
    const start = performance.now();
    const found = gc.collect(0);
    times.push(performance.now() - start);
    if (found !== 5000) throw new Error(`young collection found ${found}`);
    rc.release(head);
    gc.collect(2);
  }
  return median(times);
}

const py = cpython(PY_RUNS);
const fullRows = [];
const youngRows = [];
const checks = [];
for (const { name, options, target } of STORES) {
  const lib = freshLayers(['index', 'rc', 'gc']);
  collectGarbage();
  const first = fullCollection(lib, options);
  // No forced JS GC between the runs of one copy: a forced full GC makes the next collection as
  // slow as a first one (seen on Node 20), which is not how a running program finds the collector.
  const warm = [];
  for (let i = 0; i < WARM_RUNS; i++) warm.push(fullCollection(lib, options));
  const detect = [];
  for (let i = 0; i < DETECT_RUNS; i++) detect.push(fullCollection(lib, options, true));
  const young = youngPause(lib, options);
  const w = median(warm);
  fullRows.push([`arenalloc, ${name} store`, first.toFixed(1), w.toFixed(1), median(detect).toFixed(1), (w / py.ms).toFixed(2)]);
  youngRows.push([`arenalloc, ${name} store`, young.toFixed(3)]);
  if (target) {
    checks.push(atMost(`full collection vs CPython, ${name} store (warm)`, w / py.ms, 1, '×'));
    checks.push(atMost(`young-generation pause, ${name} store`, young, 1, 'ms'));
  }
}
fullRows.push([`CPython ${py.version} gc.collect()`, '', py.ms.toFixed(1), '', '1.00']);

reportSuite({
  suite: 'gc',
  title: 'Cycle detector: full collection beside CPython, young-generation pause',
  measurements: [
    {
      title: `Full collection, ${(LIVE + GARBAGE).toLocaleString('en')} tracked objects (${LIVE.toLocaleString('en')} live in a tree, ${GARBAGE.toLocaleString('en')} garbage in rings of ${RING})`,
      columns: ['collector', 'first collection, ms', `warm, ms (median of ${WARM_RUNS})`, 'of which detection, ms', '× CPython (warm)'],
      rows: fullRows,
    },
    {
      title: 'Young-generation pause: collect(0) over 10,000 young objects (5,000 live, 5,000 garbage)',
      columns: ['collector', `ms (median of ${QUICK ? 5 : 31})`],
      rows: youngRows,
    },
  ],
  checks,
  notes: [
    `CPython: median of ${PY_RUNS} runs of a python3 child process building the same graph with __slots__ objects and timing gc.collect().`,
    'first collection = the first collect(2) of a fresh copy of the library (V8 has not yet optimised the collector); warm = the median of the next ones, each on a freshly built graph, with no forced JS GC in between (after a forced full GC, Node 20 runs the next collection about as slowly as a first one).',
    'detection = the same collection with DEBUG_SAVEALL, which finds the garbage and keeps it instead of clearing and freeing it.',
    "Node 20's V8 reads typed arrays over a resizable ArrayBuffer several times more slowly than over a fixed ArrayBuffer, a growable SharedArrayBuffer (the default store in Node) or WebAssembly.Memory (docs/guides/choosing-tunables.md); the collector is a loop of such reads, hence the store rows.",
  ],
});
