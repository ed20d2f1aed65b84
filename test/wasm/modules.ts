// Loading the two builds of test/wasm/workload.c (see build.sh): the one whose malloc family is
// imported from JS, served by arenalloc, and the one with wasi-libc's own malloc compiled in.
// @browser-skip: reads the committed .wasm files with node:fs

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHeap, type Heap, type HeapOptions } from '../../src/index';
import { type WasmImportsOptions, wasmImports } from '../../src/wasm/index';

/** The exports of workload.c. Pointers and sizes are i32 as WASM passes them. */
export interface Workload {
  wl_new(seed: number): number;
  wl_step(state: number, n: number): number;
  wl_digest(state: number): number;
  wl_free(state: number): void;
  wl_run(seed: number, n: number): number;
  wl_grow(pages: number): number;
  wl_check_grown(first: number, pages: number): number;
  wl_overrun(n: number): void;
  wl_null_write(offset: number): void;
  __heap_base: WebAssembly.Global;
  memory?: WebAssembly.Memory;
}

function load(name: string): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(fileURLToPath(new URL(name, import.meta.url))));
}

/** The module that imports memory and malloc from JS. */
export const importsModule: WebAssembly.Module = load('./workload-imports.wasm');
/** The imports build for a shared memory (atomics, `--shared-memory`). */
export const sharedModule: WebAssembly.Module = load('./workload-shared.wasm');
/** The module with wasi-libc's malloc inside, and its own memory. */
export const libcModule: WebAssembly.Module = load('./workload-libc.wasm');

/** The memory limits the imports build declares (build.sh: --initial-memory, --max-memory). */
export const MODULE_MIN_PAGES = 2;
export const MODULE_MAX_PAGES = 4096;

/** A module over an arenalloc heap made in its memory at `__heap_base`, after instantiating. */
export interface Served {
  wasm: Workload;
  heap: Heap;
  memory: WebAssembly.Memory;
  base: number;
}

/**
 * Instantiates the imports build over a fresh memory and makes its heap at `__heap_base`: the
 * imports resolve the heap at the module's first allocation, as wasmImports(() => heap) allows.
 */
export function serve(
  options: Omit<HeapOptions, 'store' | 'memory' | 'base'> & { make?: (options: HeapOptions) => Heap } = {},
  importOptions: WasmImportsOptions = {},
  memory = new WebAssembly.Memory({ initial: MODULE_MIN_PAGES, maximum: MODULE_MAX_PAGES }),
): Served {
  const { make = createHeap, ...heapOptions } = options;
  let heap: Heap | null = null;
  const env = { ...wasmImports(() => heap as Heap, { memory, ...importOptions }), memory };
  const module = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer ? sharedModule : importsModule;
  const instance = new WebAssembly.Instance(module, { env });
  const wasm = instance.exports as unknown as Workload;
  const base = wasm.__heap_base.value as number;
  heap = make({ ...heapOptions, store: 'wasm', memory, base });
  return { wasm, heap, memory, base };
}

/** Instantiates the libc build (no imports at all). */
export function libc(): Workload {
  return new WebAssembly.Instance(libcModule, {}).exports as unknown as Workload;
}
