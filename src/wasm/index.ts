/**
 * arenalloc/wasm: arenalloc as the `malloc` of a WebAssembly module that shares the heap's
 * memory.
 *
 * Compile the module with its allocator imported (C: declare `malloc` and friends with
 * `import_module("env")`, or link with `--allow-undefined`), make the heap in the module's memory
 * above its data and stack (`createHeap({ store: 'wasm', memory, base: __heap_base })`), and
 * pass {@link wasmImports}`(heap)` as the module's `env`. See the WebAssembly guide.
 *
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * import { wasmImports } from 'arenalloc/wasm';
 * const heap = createHeap({ store: 'wasm', base: 4096 });
 * const env = wasmImports(heap);
 * const p = env.calloc(10, 4);
 * env.free(p);
 * ```
 *
 * @module arenalloc/wasm
 */

export { EINVAL, ENOMEM, type WasmAllocatorImports, type WasmImports, type WasmImportsOptions, wasmImports } from './imports';
