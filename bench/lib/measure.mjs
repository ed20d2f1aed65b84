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

/** benchmark.js options: a few short samples in quick mode, enough for a stable figure otherwise. */
export const TIMING = QUICK ? { maxTime: 0.05, minSamples: 2, initCount: 1 } : { maxTime: 1.5, minSamples: 10, initCount: 1 };

/**
 * Times each case and returns one row per case: `{ name, nsPerOp, rme, samples }`.
 * A case is `{ name, fn, opsPerCall }`. A case that throws aborts the suite with its error.
 */
export function timeCases(cases) {
  const rows = [];
  for (const c of cases) {
    const bench = new Benchmark(c.name, c.fn, TIMING);
    bench.run();
    if (bench.error) {
      const error = new Error(`benchmark "${c.name}" failed: ${bench.error.message ?? bench.error}`);
      error.cause = bench.error;
      throw error;
    }
    rows.push({
      name: c.name,
      nsPerOp: 1e9 / (bench.hz * c.opsPerCall),
      rme: bench.stats.rme,
      samples: bench.stats.sample.length,
    });
  }
  return rows;
}

/**
 * Re-creates `factory` from its source text, so that the functions it makes have call sites of
 * their own. Closures made by one function literal share V8's type feedback: had every contender
 * run through the same loop, `allocator.malloc(size)` would turn polymorphic as contenders are
 * added, slowing (and deoptimising) whichever contender comes later. A fresh copy per contender
 * keeps each loop monomorphic, as it would be in a program that uses one allocator.
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
  return new Function(`'use strict'; return (${factory.toString()});`)();
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
