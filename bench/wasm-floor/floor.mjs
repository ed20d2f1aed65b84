/**
 * The workload over the WebAssembly bump allocator of floor.c: its malloc family imported from
 * a module of its own, as arenalloc's WebAssembly fast path is. Each unit starts the bump again
 * from the workload's __heap_base.
 */
import { readFileSync } from 'node:fs';

const floorModule = new WebAssembly.Module(readFileSync(new URL('./floor.wasm', import.meta.url)));

/** Instantiates `workloadModule` (test/wasm/workload-imports.wasm) over the bump allocator. */
export function wasmFloorInstance(workloadModule) {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 4096 });
  const floor = new WebAssembly.Instance(floorModule, { env: { memory } }).exports;
  const env = { ...floor, memory };
  delete env.floor_reset;
  const instance = new WebAssembly.Instance(workloadModule, { env });
  const base = instance.exports.__heap_base.value;
  const run = instance.exports.wl_run;
  return {
    exports: {
      wl_run: (seed, words) => {
        floor.floor_reset(base);
        return run(seed, words);
      },
    },
  };
}
