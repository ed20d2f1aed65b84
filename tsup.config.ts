import { defineConfig } from 'tsup';

// One entry per layer, so that each subpath export is its own file and a bundle that imports only
// `arenalloc` carries none of the optional layers.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    rc: 'src/rc/index.ts',
    gc: 'src/gc/index.ts',
    profile: 'src/profile/index.ts',
    debug: 'src/debug/index.ts',
    pool: 'src/pool/index.ts',
    wasm: 'src/wasm/index.ts',
    strategies: 'src/strategies/index.ts',
    threads: 'src/threads/index.ts',
    inspect: 'src/inspect/index.ts',
    // The `arenalloc` command line (`bin`), not an export: Node-only, it imports node: modules.
    cli: 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  treeshake: true,
  splitting: true,
  target: 'es2022',
  platform: 'neutral',
  minifySyntax: true,
});
