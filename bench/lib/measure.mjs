/**
 * Timing with benchmark.js, the way every suite here uses it.
 *
 * How benchmark.js runs a test: when a test has no `setup`/`teardown` and is a function (not a
 * string), benchmark.js does not decompile it; it calls the function by reference in its timing
 * loop (`while (i--) m.f()`), so the function keeps its closure. We rely on that: each case is a
 * plain closure over state prepared beforehand (the allocator, the pre-drawn sizes), and we never
 * pass `setup`/`teardown`, which would make benchmark.js compile the test's source text out of
 * its closure. (Read `clock()` in node_modules/benchmark/benchmark.js.)
 *
 * Each call of a case does `opsPerCall` operations in a loop of its own, so that the cost of
 * benchmark.js calling the function is spread over many operations; ns/op divides by it.
 * Every operation frees what it allocates (a JS baseline "frees" by dropping its reference).
 */

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import Benchmark from 'benchmark';

const require = createRequire(import.meta.url);

/**
 * A private copy of the built library: its CommonJS build, loaded afresh (the module cache
 * entries of `dist/` are dropped before and after). Its functions are distinct from those of
 * every other copy, so they gather their own type feedback: a contender that runs arenalloc
 * over another kind of store (a plain `ArrayBuffer` where the default is a growable shared one) is
 * measured as a program that uses only that kind would run it, not with code that has seen both.
 */
export function freshArenalloc() {
  return freshLayers(['index']).index;
}

/**
 * Like {@link freshArenalloc}, for several entries of one private copy (`['index', 'rc', 'gc']`
 * gives `{ index, rc, gc }`, sharing their internals as an application's import would).
 */
export function freshLayers(names) {
  const entry = require.resolve('../../dist/index.cjs');
  const dir = dirname(entry);
  const drop = () => {
    for (const key of Object.keys(require.cache)) if (key.startsWith(dir)) delete require.cache[key];
  };
  drop();
  const copy = {};
  for (const name of names) copy[name] = require(`${dir}/${name}.cjs`);
  drop();
  return copy;
}

/** Whether this is the short smoke-test mode (`BENCH_QUICK=1`). */
export const QUICK = process.env.BENCH_QUICK === '1';

/**
 * How many interleaved rounds {@link timeCases} runs (`BENCH_ROUNDS`, default 7; 1 in quick mode).
 * Each round times every contender once, one after another, so that a burst of load on a shared
 * machine slows one round of every contender rather than every round of one; a row reports the
 * fastest round (the least disturbed) and the median.
 */
export const ROUNDS = QUICK ? 1 : Number(process.env.BENCH_ROUNDS ?? 7);

/** benchmark.js options for one round of one contender. */
export const TIMING = QUICK ? { maxTime: 0.05, minSamples: 2, initCount: 1 } : { maxTime: 0.3, minSamples: 5, initCount: 1 };

/**
 * Operations every contender runs, untimed, before its first round (a case may ask for more with
 * `warmOps`). A fresh heap keeps growing (and taking page faults on new memory) for its first
 * ~200,000 operations of a random mix; timing it before then measures the operating system.
 */
export const WARM_OPS = QUICK ? 20_000 : 200_000;

/**
 * Runs a case untimed until it has done `warmOps` operations and, if it reports a `footprint()`
 * (backing bytes), until three calls in a row left that footprint unchanged, so that timing
 * starts once the contender has reached its footprint.
 */
function warm(c) {
  const target = c.warmOps ?? WARM_OPS;
  let ops = 0;
  while (ops < target) {
    c.fn();
    ops += c.opsPerCall;
  }
  if (typeof c.footprint !== 'function') return;
  let steady = 0;
  let last = c.footprint();
  for (let calls = 0; steady < 3 && calls < 100_000; calls++) {
    c.fn();
    const now = c.footprint();
    steady = now === last ? steady + 1 : 0;
    last = now;
  }
}

/** One benchmark.js run of a case: ns per operation and benchmark.js's relative margin of error. */
function timeOnce(c) {
  const bench = new Benchmark(c.name, c.fn, TIMING);
  bench.run();
  if (bench.error) {
    const error = new Error(`benchmark "${c.name}" failed: ${bench.error.message ?? bench.error}`);
    error.cause = bench.error;
    throw error;
  }
  return { nsPerOp: 1e9 / (bench.hz * c.opsPerCall), rme: bench.stats.rme, samples: bench.stats.sample.length };
}

/**
 * Times each case and returns one row per case, in the order given:
 * `{ name, nsPerOp, medianNsPerOp, rme, samples, rounds }`, where `nsPerOp` is the fastest of
 * {@link ROUNDS} interleaved rounds.
 *
 * A case is `{ name, fn, opsPerCall, garbage?, warmOps?, footprint? }`. Every case is warmed
 * first ({@link WARM_OPS}). Cases marked `garbage: true` (JS baselines that allocate, such as
 * `new Uint8Array`) run in a pass of their own after the allocators of each round, behind a full
 * collection: garbage they leave would otherwise be collected inside the next contender's timed
 * window and be charged to it. A case that throws aborts the suite with its error.
 */
export function timeCases(cases) {
  const allocators = cases.filter((c) => c.garbage !== true);
  const garbageMakers = cases.filter((c) => c.garbage === true);
  const runs = new Map(cases.map((c) => [c, []]));
  for (const c of allocators) warm(c);
  for (let round = 0; round < ROUNDS; round++) {
    collectGarbage();
    for (const c of allocators) runs.get(c).push(timeOnce(c));
    for (const c of garbageMakers) {
      if (round === 0) warm(c);
      collectGarbage();
      runs.get(c).push(timeOnce(c));
    }
  }
  collectGarbage();
  return cases.map((c) => {
    const times = runs.get(c);
    const best = times.reduce((a, b) => (b.nsPerOp < a.nsPerOp ? b : a));
    const sorted = times.map((t) => t.nsPerOp).sort((a, b) => a - b);
    return {
      name: c.name,
      nsPerOp: best.nsPerOp,
      medianNsPerOp: sorted[sorted.length >> 1],
      rme: best.rme,
      samples: times.reduce((n, t) => n + t.samples, 0),
      rounds: times.length,
    };
  });
}

/** Copies made by {@link isolated} so far: each gets a number that makes its source text unique. */
let isolatedCopies = 0;
/** The source text each copy made by {@link isolated} was compiled from (for the tests). */
const isolatedSources = new WeakMap();

/**
 * Re-creates `factory` from its source text, so that the functions it makes have call sites and
 * type feedback of their own. Closures made by one function literal share V8's type feedback: had
 * every contender run through the same loop, `allocator.malloc(size)` would turn polymorphic as
 * contenders are added, slowing (and deoptimising) whichever contender comes later. A fresh copy
 * per contender keeps each loop monomorphic, as it would be in a program that uses one allocator.
 *
 * Each copy's source text carries a number of its own. Without it, copies of one factory are
 * the same text, and V8's compilation cache for `new Function` (keyed on the source) hands every
 * copy the same function *and the same feedback vector*: the copies then share feedback after
 * all (seen with `%DebugPrint` on Node 20: one vector, POLYMORPHIC loads; `test/bench/isolation.test.ts`
 * checks it).
 *
 * The factory runs in the global scope: it must take everything it uses as parameters.
 *
 * @example
 * ```js
 * const loop = isolated((allocator, size, count) => () => {
 *   for (let n = 0; n < count; n++) allocator.free(allocator.malloc(size));
 * })(heap, 64, 1000);
 * ```
 */
export function isolated(factory) {
  isolatedCopies += 1;
  const source = `'use strict'; /* contender copy ${isolatedCopies} */ return (${factory.toString()});`;
  const copy = new Function(source)();
  isolatedSources.set(copy, source);
  return copy;
}

/** The source text a copy made by {@link isolated} was compiled from. */
export function isolatedSource(copy) {
  return isolatedSources.get(copy);
}

/**
 * A `footprint()` for a case over `allocator` (its backing bytes), for {@link timeCases}' warm-up:
 * the heap's `stats().backingBytes`, a baseline's `backingBytes`, or none for allocators with a
 * fixed buffer.
 */
export function footprintOf(allocator) {
  if (typeof allocator.stats === 'function') return () => allocator.stats().backingBytes;
  if ('backingBytes' in allocator) return () => allocator.backingBytes;
  return undefined;
}

/** Adds `ratio` (ns/op over the reference row's ns/op) to each row. */
export function withRatios(rows, referenceName) {
  const ref = rows.find((r) => r.name === referenceName);
  if (ref === undefined) throw new Error(`no reference row named "${referenceName}"`);
  return rows.map((r) => ({ ...r, ratio: r.nsPerOp / ref.nsPerOp }));
}

/** The row named `name`; throws if there is none. */
export function rowOf(rows, name) {
  const row = rows.find((r) => r.name === name);
  if (row === undefined) throw new Error(`no row named "${name}"`);
  return row;
}

/** A target check: `{ name, value, limit, unit, pass }`, where `pass` is `value <= limit`. */
export function atMost(name, value, limit, unit) {
  return { name, value, limit, unit, kind: 'at most', pass: value <= limit };
}

/** A target check: `{ name, value, limit, unit, pass }`, where `pass` is `value >= limit`. */
export function atLeast(name, value, limit, unit) {
  return { name, value, limit, unit, kind: 'at least', pass: value >= limit };
}

/** Runs the garbage collector if node was started with `--expose-gc` (the runner does that). */
export function collectGarbage() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
}
