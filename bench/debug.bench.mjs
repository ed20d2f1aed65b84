/**
 * Debug mode (issue 6 §4, §6): the cost of a malloc + free pair through `arenalloc/debug`
 * against the plain heap, and proof that a heap without debug mode pays nothing for it.
 *
 *   npm run build && node bench/debug.bench.mjs       (BENCH_QUICK=1 for a smoke run)
 *
 * Workload: 256 live blocks; each operation frees one (round robin) and allocates a new one of a
 * pre-drawn size in its place. Two size mixes: small (1..512 bytes, every size class) and large
 * (1..16 KiB).
 *
 * Contenders, all in this one process and in this order:
 * - `new Uint8Array` (the plain-JS baseline: "free" is dropping the reference);
 * - the plain heap, before any debug heap exists;
 * - a debug heap with the default quarantine (1024 blocks / 4 MiB), and one with it off;
 * - the plain heap again, after the debug heaps ran: debug mode off must cost what it did before
 *   (the core only tests `heap._hooks` for null).
 *
 * Each contender's loop is compiled from source on its own (`isolated`), so that one contender's
 * type feedback cannot slow another's loop; the `Heap` methods themselves are shared, as in a
 * program that uses both kinds of heap.
 */

import Benchmark from 'benchmark';
import { createDebugHeap } from '../dist/debug.js';
import { createHeap } from '../dist/index.js';
import { isolated } from './lib/measure.mjs';
import { reportSuite } from './lib/results.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const TIMING = QUICK ? { maxTime: 0.05, minSamples: 2, initCount: 1 } : { maxTime: 1.5, minSamples: 10, initCount: 1 };
const LIVE = 256;
const STEPS = 1 << 14;
const OPS_PER_CALL = 100;

/** A seeded xorshift32, so that every run draws the same sizes. */
function drawSizes(seed, min, max) {
  let x = seed;
  const sizes = new Int32Array(STEPS);
  for (let i = 0; i < STEPS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    sizes[i] = min + ((x >>> 0) % (max - min + 1));
  }
  return sizes;
}

function heapCase(name, heap, sizes) {
  const ptrs = new Int32Array(LIVE);
  for (let i = 0; i < LIVE; i++) ptrs[i] = heap.malloc(sizes[i]);
  const fn = isolated((heap, ptrs, sizes, live, steps, count) => {
    let step = 0;
    let slot = 0;
    return () => {
      for (let n = 0; n < count; n++) {
        heap.free(ptrs[slot]);
        ptrs[slot] = heap.malloc(sizes[step]);
        slot = slot + 1 === live ? 0 : slot + 1;
        step = (step + 1) & (steps - 1);
      }
    };
  })(heap, ptrs, sizes, LIVE, STEPS, OPS_PER_CALL);
  return { name, fn };
}

function arrayCase(name, sizes) {
  const live = new Array(LIVE);
  for (let i = 0; i < LIVE; i++) live[i] = new Uint8Array(sizes[i]);
  const fn = isolated((live, sizes, count, n, steps) => {
    let step = 0;
    let slot = 0;
    return () => {
      for (let i = 0; i < count; i++) {
        live[slot] = new Uint8Array(sizes[step]);
        slot = slot + 1 === n ? 0 : slot + 1;
        step = (step + 1) & (steps - 1);
      }
    };
  })(live, sizes, OPS_PER_CALL, LIVE, STEPS);
  return { name, fn };
}

function time(c) {
  // Warm up first, so that the first contender is not the one that pays for compiling the heap.
  for (let i = 0; i < (QUICK ? 20 : 500); i++) c.fn();
  const bench = new Benchmark(c.name, c.fn, TIMING);
  bench.run();
  if (bench.error) throw bench.error;
  // The fastest sample as well as the mean: on a shared machine other processes only ever add
  // time, so the minimum is the steadier figure for comparing two runs of the same code.
  const fastest = Math.min(...bench.stats.sample);
  return { name: c.name, nsPerOp: 1e9 / (bench.hz * OPS_PER_CALL), rme: bench.stats.rme, minNsPerOp: (fastest * 1e9) / OPS_PER_CALL };
}

function suite(title, sizes) {
  const heapOptions = { initialBytes: 1 << 22, maxBytes: 1 << 28 };
  const rows = [];
  rows.push(time(arrayCase('new Uint8Array (plain JS)', sizes)));
  const plainBefore = time(heapCase('plain heap (before any debug heap ran)', createHeap(heapOptions), sizes));
  rows.push(plainBefore);
  const debug = time(heapCase('debug heap (quarantine 1024 blocks / 4 MiB)', createDebugHeap(heapOptions), sizes));
  rows.push(debug);
  rows.push(time(heapCase('debug heap (quarantine off)', createDebugHeap({ ...heapOptions, quarantineBlocks: 0 }), sizes)));
  const plainAfter = time(heapCase('plain heap (after the debug heaps ran)', createHeap(heapOptions), sizes));
  rows.push(plainAfter);

  const cost = debug.minNsPerOp - plainBefore.minNsPerOp;
  const times = debug.minNsPerOp / plainBefore.minNsPerOp;
  const drift = (plainAfter.minNsPerOp / plainBefore.minNsPerOp - 1) * 100;
  measurements.push({
    title: `${title}: ns per malloc + free pair`,
    columns: ['contender', 'mean ns', '±rme', 'fastest sample, ns', '× plain (fastest)'],
    rows: rows.map((r) => [
      r.name,
      r.nsPerOp.toFixed(1),
      `±${r.rme.toFixed(1)}%`,
      r.minNsPerOp.toFixed(1),
      (r.minNsPerOp / plainBefore.minNsPerOp).toFixed(2),
    ]),
  });
  notes.push(
    `${title}: debug mode (fastest samples) costs ${cost.toFixed(0)} ns more per pair, ${times.toFixed(1)}× the plain heap; the plain heap after the debug heaps ran vs before: ${drift >= 0 ? '+' : ''}${drift.toFixed(1)}%.`,
  );
}

const measurements = [];
const notes = [];
suite('small blocks (1..512 B)', drawSizes(0x2545f491, 1, 512));
suite('large blocks (513 B..16 KiB)', drawSizes(0x6b43a9b5, 513, 16384));

reportSuite({
  suite: 'debug',
  title: 'Debug mode: the cost per malloc + free pair, and none when off',
  measurements,
  notes,
});
