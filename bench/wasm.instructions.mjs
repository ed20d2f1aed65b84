/**
 * One contender of the wasm suite's instruction counts (run by wasm.instructions.sh under
 * callgrind, not by bench/run.mjs): `node bench/wasm.instructions.mjs CONTENDER N` builds the
 * contender as bench/wasm.bench.mjs does, runs 30 warm-up units of test/wasm/workload.c
 * (WORDS words each), then N more. CONTENDER: libc (wasi-libc's malloc compiled in), fast
 * (arenalloc, small blocks in WebAssembly: the default), js (arenalloc, fastPath: false), floor
 * (a JS bump allocator through the imports, never freeing), wfloor (the same in a WebAssembly
 * module of its own: bench/wasm-floor).
 */
import { readFileSync } from 'node:fs';
import { createHeap } from '../dist/index.js';
import { wasmImports } from '../dist/wasm.js';
import { wasmFloorInstance } from './wasm-floor/floor.mjs';

const [contender, nText] = process.argv.slice(2);
const N = Number(nText);
const WORDS = 20000;
const SEED = 0x15;
const load = (name) => new WebAssembly.Module(readFileSync(new URL(`../test/wasm/${name}`, import.meta.url)));

let run;
if (contender === 'libc') {
  run = new WebAssembly.Instance(load('workload-libc.wasm'), {}).exports.wl_run;
} else if (contender === 'fast' || contender === 'js') {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 4096 });
  let heap = null;
  const env = { ...wasmImports(() => heap, { memory, fastPath: contender === 'fast' }), memory };
  const instance = new WebAssembly.Instance(load('workload-imports.wasm'), { env });
  heap = createHeap({ store: 'wasm', memory, base: instance.exports.__heap_base.value });
  run = instance.exports.wl_run;
} else if (contender === 'floor') {
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
      new DataView(memory.buffer).setUint32(out, p, true);
      return 0;
    },
    malloc_usable_size: () => 0x7fffffff,
  };
  const instance = new WebAssembly.Instance(load('workload-imports.wasm'), { env });
  const base = instance.exports.__heap_base.value;
  const inner = instance.exports.wl_run;
  run = (seed, words) => {
    top = base;
    return inner(seed, words);
  };
} else if (contender === 'wfloor') {
  const { exports } = wasmFloorInstance(load('workload-imports.wasm'));
  run = exports.wl_run;
} else {
  throw new Error(`unknown contender ${contender}`);
}
for (let i = 0; i < 30 + N; i++) run(SEED, WORDS);
