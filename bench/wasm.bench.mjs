/**
 * arenalloc as the malloc of a real WebAssembly module (issue 15): test/wasm/workload.c (a hash
 * table, a tree, string building; see that file) run with its malloc family imported from JS and
 * served by arenalloc (`wasmImports`, heap at the module's `__heap_base`), beside the same program
 * with wasi-libc's own malloc (dlmalloc) compiled in. Both builds are committed
 * (test/wasm/build.sh makes them with Debian's clang, lld and wasi-libc).
 *
 *   npm run build && node bench/wasm.bench.mjs       (BENCH_QUICK=1 for a smoke run)
 *
 * One unit is `wl_run(seed, WORDS)`: the whole workload, everything freed at the end. The two
 * contenders are timed by benchmark.js in alternating rounds in this one process (the order flips
 * every round) and each keeps its fastest round: the machine is shared, and other processes only
 * ever add time. Target: arenalloc's total time at most 1.1× the compiled-in malloc's.
 *
 * "ns per allocation call" divides the time of one unit by the calls it makes into the malloc
 * family (malloc, calloc, realloc, aligned_alloc, posix_memalign, malloc_usable_size and free),
 * counted once, untimed, by wrapping the imports. The difference of the two contenders over that
 * count is what each call costs more through the JS import than inside the module, an upper
 * bound on arenalloc's own cost above dlmalloc's, since it includes the WASM→JS call. A third
 * contender, a JS bump allocator that never frees, is the floor any allocator served through
 * imports can reach. By default wasmImports serves small malloc, calloc and free in WebAssembly
 * (src/wasm/core), so most calls never enter JavaScript; the fourth contender turns that off. The
 * fifth, a bump allocator in a WebAssembly module of its own (bench/wasm-floor), is the floor of
 * an allocator imported from another module, as the fast path is.
 */

import { readFileSync } from 'node:fs';
import Benchmark from 'benchmark';
import { createHeap } from '../dist/index.js';
import '../dist/inspect.js'; // heap.check() (arenalloc/inspect)
import { wasmImports } from '../dist/wasm.js';
import { atMost, QUICK } from './lib/measure.mjs';
import { reportSuite } from './lib/results.mjs';
import { wasmFloorInstance } from './wasm-floor/floor.mjs';

const WORDS = QUICK ? 2000 : 20000;
const ROUNDS = QUICK ? 2 : 9;
const TIMING = QUICK ? { maxTime: 0.05, minSamples: 2, initCount: 1 } : { maxTime: 1, minSamples: 5, initCount: 1 };
const SEED = 0x15;

const load = (name) => new WebAssembly.Module(readFileSync(new URL(`../test/wasm/${name}`, import.meta.url)));
const importsModule = load('workload-imports.wasm');
const libcModule = load('workload-libc.wasm');

/**
 * The imports build over an arenalloc heap at its __heap_base; `wrap` may replace the imports.
 * `fastPath`: small malloc, calloc and free served in WebAssembly (the default), or every call
 * a JavaScript import.
 */
function arenallocInstance(fastPath, wrap = (env) => env) {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 4096 });
  let heap = null;
  const env = { ...wrap(wasmImports(() => heap, { memory, fastPath })), memory };
  const instance = new WebAssembly.Instance(importsModule, { env });
  heap = createHeap({ store: 'wasm', memory, base: instance.exports.__heap_base.value });
  return { exports: instance.exports, heap };
}

/**
 * The import floor: the imports build over a bump allocator in plain JS that never frees (each
 * unit starts again from __heap_base). It does almost nothing per call, so its time is the
 * program plus the WASM→JS calls themselves: what any allocator served from JS pays at least.
 */
function bumpInstance() {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 4096 });
  let top = 0;
  let u8 = new Uint8Array(memory.buffer);
  const take = (n, align) => {
    const p = (top + align - 1) & -align;
    top = p + n;
    if (top > u8.length) {
      memory.grow(Math.ceil((top - u8.length) / 65536) + 16);
      u8 = new Uint8Array(memory.buffer);
    }
    return p;
  };
  const env = {
    memory,
    malloc: (n) => take(n >>> 0, 16),
    free: () => {},
    calloc: (count, size) => {
      const n = (count >>> 0) * (size >>> 0);
      const p = take(n, 16);
      u8.fill(0, p, p + n);
      return p;
    },
    realloc: (ptr, n) => {
      const p = take(n >>> 0, 16);
      if (ptr !== 0) u8.copyWithin(p, ptr >>> 0, (ptr >>> 0) + (n >>> 0));
      return p;
    },
    aligned_alloc: (alignment, n) => take(n >>> 0, alignment >>> 0),
    posix_memalign: (out, alignment, n) => {
      const p = take(n >>> 0, alignment >>> 0);
      u8[out] = p & 0xff;
      u8[out + 1] = (p >>> 8) & 0xff;
      u8[out + 2] = (p >>> 16) & 0xff;
      u8[out + 3] = p >>> 24;
      return 0;
    },
    malloc_usable_size: () => 0x7fffffff,
  };
  const instance = new WebAssembly.Instance(importsModule, { env });
  const base = instance.exports.__heap_base.value;
  const run = instance.exports.wl_run;
  return {
    exports: {
      wl_run: (seed, words) => {
        top = base;
        return run(seed, words);
      },
    },
  };
}

function libcInstance() {
  return { exports: new WebAssembly.Instance(libcModule, {}).exports };
}

/** Calls into the malloc family per unit, counted through wrapped imports. */
function countCalls() {
  let calls = 0;
  const { exports } = arenallocInstance(false, (env) =>
    Object.fromEntries(
      Object.entries(env).map(([name, fn]) => [
        name,
        (...args) => {
          calls++;
          return fn(...args);
        },
      ]),
    ),
  );
  exports.wl_run(SEED, WORDS);
  return calls;
}

const calls = countCalls();
const contenders = [
  { name: 'wasi-libc malloc compiled in (dlmalloc)', instance: libcInstance(), best: Infinity, means: [] },
  {
    name: 'arenalloc via wasmImports (WebAssembly fast path: the default)',
    instance: arenallocInstance(true),
    best: Infinity,
    means: [],
  },
  {
    name: 'arenalloc via wasmImports, fastPath: false (every call a JS import)',
    instance: arenallocInstance(false),
    best: Infinity,
    means: [],
  },
  { name: 'import floor: a JS bump allocator that never frees', instance: bumpInstance(), best: Infinity, means: [] },
  {
    name: 'module floor: a WebAssembly bump allocator in its own module (bench/wasm-floor)',
    instance: wasmFloorInstance(importsModule),
    best: Infinity,
    means: [],
  },
];
const expected = contenders[0].instance.exports.wl_run(SEED, WORDS);
for (const c of contenders) {
  if (c.instance.exports.wl_run(SEED, WORDS) !== expected) throw new Error(`${c.name} computed another checksum`);
  // Warm up to the footprint: the heap and dlmalloc reach their peak size in the first units.
  for (let i = 0; i < (QUICK ? 2 : 20); i++) c.instance.exports.wl_run(SEED, WORDS);
}

for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? contenders : [...contenders].reverse();
  for (const c of order) {
    const run = c.instance.exports.wl_run;
    const bench = new Benchmark(c.name, () => run(SEED, WORDS), TIMING);
    bench.run();
    if (bench.error) throw bench.error;
    const ms = 1000 / bench.hz;
    c.means.push(ms);
    c.best = Math.min(c.best, ms);
  }
}
for (const c of contenders.slice(1, 3)) {
  c.instance.heap.check();
  if (c.instance.heap.stats().liveBlocks !== 0) throw new Error('the workload left blocks live');
}

const [libc, arena, jsOnly, floor, moduleFloor] = contenders;
const ratio = arena.best / libc.best;
const extraNs = ((arena.best - libc.best) * 1e6) / calls;
reportSuite({
  suite: 'wasm',
  title: `workload.c (${WORDS} words per unit) with arenalloc as its malloc vs the compiled-in malloc`,
  measurements: [
    {
      title: `one unit: ${calls} calls into the malloc family; fastest of ${ROUNDS} alternating rounds`,
      columns: ['contender', 'ms per unit (fastest round)', 'ms per unit (median round)', 'ns per allocation call', '× compiled-in'],
      rows: contenders.map((c) => {
        const sorted = [...c.means].sort((a, b) => a - b);
        return [
          c.name,
          c.best.toFixed(3),
          (sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(3),
          ((c.best * 1e6) / calls).toFixed(1),
          (c.best / libc.best).toFixed(2),
        ];
      }),
    },
  ],
  checks: [
    atMost('arenalloc total time / compiled-in malloc', ratio, 1.1, '×'),
    atMost('arenalloc total time / the JS import floor', arena.best / floor.best, 1, '×'),
  ],
  notes: [
    `each call into the malloc family costs ${extraNs.toFixed(1)} ns more through arenalloc's imports (WebAssembly fast path; growth, new arenas and errors in JS) than inside the module (dlmalloc).`,
    `with every call a JS import (fastPath: false): ${(jsOnly.best / libc.best).toFixed(2)}×, ${(((jsOnly.best - libc.best) * 1e6) / calls).toFixed(1)} ns more per call.`,
    `the import floor (a JS allocator that does almost nothing) takes ${(floor.best / libc.best).toFixed(2)}× the compiled-in malloc's time: what any allocator served by JavaScript imports pays at least; arenalloc with its WebAssembly fast path: ${(arena.best / floor.best).toFixed(2)}× the floor.`,
    `the module floor (a WebAssembly bump allocator in a module of its own, imported as arenalloc's fast path is) takes ${(moduleFloor.best / libc.best).toFixed(2)}× the compiled-in malloc's time; arenalloc: ${(arena.best / moduleFloor.best).toFixed(2)}× that floor.`,
    'Contenders alternate in one process, order flipped every round; fastest round kept (shared machine).',
  ],
});
