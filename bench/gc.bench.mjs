/**
 * The cycle detector (issue 5 §5), beside CPython in the same run.
 *
 * 1. Full collection over 1,000,000 tracked objects: 500,000 alive in a binary tree reachable from
 *    one external hold, 500,000 garbage in rings of 10. The same graph is built in CPython
 *    (`__slots__` objects, `gc.collect()` timed) by a `python3` child process.
 * 2. Young-generation pause: `collect(0)` over 10,000 young objects (5,000 alive in a chain held
 *    from outside, 5,000 garbage in rings of 10), against a 60 fps frame budget (target < 1 ms).
 *
 * The full collection is also timed with `DEBUG_SAVEALL` (garbage found but not freed), to show how
 * much of the time is detection and how much is freeing the 500,000 blocks.
 *
 * A collection destroys what it measures, so each figure is the median of several rebuilds timed
 * with `performance.now()` around the one call (benchmark.js would need a `setup` per sample).
 * Run alone with `node bench/gc.bench.mjs` after `npm run build` (`BENCH_QUICK=1`: fewer runs).
 */

import { spawnSync } from 'node:child_process';
import { createGc, DEBUG_SAVEALL } from '../dist/gc.js';
import { createHeap } from '../dist/index.js';
import { createRc } from '../dist/rc.js';

const QUICK = process.env.BENCH_QUICK === '1';
const LIVE = 500_000;
const GARBAGE = 500_000;
const RING = 10;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function world() {
  const heap = createHeap({ store: 'resizable', initialBytes: 64 << 20, maxBytes: 1 << 30 });
  const rc = createRc(heap);
  const gc = createGc(rc);
  gc.disable();
  const Node = rc.struct('Node', { left: { ref: 'Node' }, right: { ref: 'Node' } });
  return { heap, rc, gc, Node };
}

function fullCollection(saveAll = false) {
  const { rc, gc, Node } = world();
  if (saveAll) gc.setDebug(DEBUG_SAVEALL);
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

function youngPause() {
  const { rc, gc, Node } = world();
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

const runs = QUICK ? 1 : 3;
const ours = [];
for (let i = 0; i < runs; i++) ours.push(fullCollection());
const full = median(ours);
const detect = [];
for (let i = 0; i < runs; i++) detect.push(fullCollection(true));
const detectOnly = median(detect);
const py = cpython(runs);
const young = youngPause();

console.log('\nfull collection, 1,000,000 tracked objects (500,000 live tree + 500,000 garbage in rings of 10)');
console.log(`${'case'.padEnd(48)} ${'ms'.padStart(9)} ${'× CPython'.padStart(10)}`);
console.log(`${'arenalloc gc.collect(2)'.padEnd(48)} ${full.toFixed(1).padStart(9)} ${(full / py.ms).toFixed(2).padStart(10)}`);
console.log(
  `${'  of which detection (DEBUG_SAVEALL, no frees)'.padEnd(48)} ${detectOnly.toFixed(1).padStart(9)} ${(detectOnly / py.ms).toFixed(2).padStart(10)}`,
);
console.log(`${`CPython ${py.version} gc.collect()`.padEnd(48)} ${py.ms.toFixed(1).padStart(9)} ${'1.00'.padStart(10)}`);
console.log(`target: no slower than CPython: ${full <= py.ms ? 'met' : 'NOT met'}`);
console.log('\nyoung-generation pause: collect(0) over 10,000 young objects (5,000 live, 5,000 garbage)');
console.log(`${'arenalloc gc.collect(0)'.padEnd(48)} ${young.toFixed(3).padStart(9)} ms (target < 1 ms: ${young < 1 ? 'met' : 'NOT met'})`);
