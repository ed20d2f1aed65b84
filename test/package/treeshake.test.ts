/**
 * Tree-shaking and size, proven on what users bundle.
 *
 * For every public entry, esbuild bundles (minified) a consumer module that imports the entry:
 *
 * 1. from the TypeScript sources, with `arenalloc/...` resolved through `exports` to the entry's
 *    source: the metafile's `inputs` is every source file esbuild loaded, so a layer missing from
 *    it is not even reachable from the entry's import graph;
 * 2. from the installed tarball, resolved by esbuild's own package resolution (the `exports`
 *    conditions users get): the output's source map, chained through the shipped `dist/*.map`,
 *    names the original `src/` file of every byte of minified code, so the layers that actually
 *    reach a user's bundle are read from its mappings. Its gzipped size is held to the budget in
 *    `entries.json`.
 *
 * `UPDATE_BUDGETS=1 npm run test:package` rewrites the budgets from measurement (+4%).
 */

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type Entry, entries, layerOf, pkg, ROOT, RULES_PATH, readRules, sourceOf } from './entries';

const consumer = inject('consumer');
const rules = readRules();
const update = process.env.UPDATE_BUDGETS === '1';
const measured: Record<string, number> = {};
/** The entries that do something when imported (and so are listed under "sideEffects"). */
const IMPORT_TIME_EFFECTS = ['./threads', './inspect'];

/** A module that uses everything an entry exports, so that nothing of it can be shaken away. */
const useAll = (specifier: string) => `import * as api from '${specifier}';\nglobalThis.__api = api;\n`;

const common: esbuild.BuildOptions = {
  bundle: true,
  minify: true,
  write: false,
  metafile: true,
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  outfile: 'bundle.js',
  logLevel: 'silent',
};

/**
 * Bundles from the TypeScript sources: `arenalloc` and `arenalloc/*` resolve to entry sources.
 * With `ignoreSideEffectsField`, every source module counts as having side effects, as for a
 * bundler that does not read `"sideEffects": false`: only the code itself can then be dropped.
 */
async function bundleSources(contents: string, ignoreSideEffectsField = false): Promise<esbuild.Metafile & { code: string }> {
  const result = await esbuild.build({
    ...common,
    stdin: { contents, resolveDir: ROOT, loader: 'ts', sourcefile: 'consumer.ts' },
    plugins: [
      {
        name: 'entries-from-source',
        setup(build) {
          build.onResolve({ filter: /^arenalloc(\/.*)?$/ }, (args) => {
            const path = sourceOf(args.path);
            return path === undefined
              ? { errors: [{ text: `${args.path} is not in package.json exports` }] }
              : { path, sideEffects: ignoreSideEffectsField };
          });
          if (ignoreSideEffectsField) {
            build.onResolve({ filter: /^\./ }, (args) => {
              const base = resolve(args.resolveDir, args.path);
              const path = [`${base}.ts`, join(base, 'index.ts'), base].find((p) => existsSync(p) && statSync(p).isFile());
              return path === undefined ? undefined : { path, sideEffects: true };
            });
          }
        },
      },
    ],
  });
  return { ...result.metafile!, code: result.outputFiles![0]!.text };
}

/** Bundles against the installed tarball; returns the minified code and the source files it maps to. */
async function bundleInstalled(contents: string): Promise<{ code: string; sources: string[] }> {
  const result = await esbuild.build({
    ...common,
    stdin: { contents, resolveDir: consumer, loader: 'js', sourcefile: 'consumer.js' },
    outfile: join(consumer, 'bundle.js'),
    sourcemap: 'external',
    absWorkingDir: consumer,
  });
  const code = result.outputFiles!.find((f) => f.path.endsWith('.js'))!.text;
  const map = JSON.parse(result.outputFiles!.find((f) => f.path.endsWith('.map'))!.text) as { sources: string[]; mappings: string };
  const used = usedSources(map.mappings);
  // The shipped maps name sources as "../src/heap.ts" relative to dist/: map them back into the repository.
  const sources = map.sources
    .filter((_, i) => used.has(i))
    .map((s) => resolve(consumer, s))
    .map((abs) => {
      const at = abs.indexOf('/src/');
      return at === -1 ? relative(ROOT, abs) : abs.slice(at + 1);
    });
  return { code, sources };
}

const VLQ = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Indexes of the `sources` that at least one mapping segment points into (source map v3 VLQ). */
function usedSources(mappings: string): Set<number> {
  const used = new Set<number>();
  let source = 0;
  for (const line of mappings.split(';')) {
    for (const segment of line.split(',')) {
      if (segment === '') continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = VLQ.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (fields.length >= 4) {
        source += fields[1]!;
        used.add(source);
      }
    }
  }
  return used;
}

function layersOf(files: Iterable<string>): Map<string, string[]> {
  const layers = new Map<string, string[]>();
  for (const file of files) {
    const layer = layerOf(file, rules);
    if (layer === null) continue;
    layers.set(layer, [...(layers.get(layer) ?? []), file]);
  }
  return layers;
}

function expectOnly(entry: Entry, found: Map<string, string[]>, allowed: string[]): void {
  const forbidden = [...found].filter(([layer]) => !allowed.includes(layer));
  expect(forbidden, `${entry.specifier} pulls in layers it must not (allowed: ${allowed.join(', ')})`).toEqual([]);
}

describe.each(entries())('entry $specifier', (entry) => {
  const entryRules = rules.entries[entry.subpath];

  it('has rules in test/package/entries.json', () => {
    expect(entryRules, `add "${entry.subpath}": { "layers": [...], "gzipBytes": 0 } to test/package/entries.json`).toBeDefined();
  });

  // The two entries with an effect at import time: `arenalloc/threads` installs the threaded heap
  // into the core, `arenalloc/inspect` the integrity walk and the text report; package.json lists
  // their files under "sideEffects" so that bundlers keep them.
  const declared = Array.isArray(pkg.sideEffects) && pkg.sideEffects.includes(entry.targets.import.default);

  it('lists its files under "sideEffects" only if it is arenalloc/threads or arenalloc/inspect', () => {
    expect(declared).toBe(IMPORT_TIME_EFFECTS.includes(entry.subpath));
  });

  it.skipIf(declared)(
    'does nothing at import time: ignoring "sideEffects", an unused import leaves no call, no new, no property access',
    async () => {
      // esbuild keeps top-level arithmetic on constants it cannot fold across modules (`HEADER_BYTES >>> 2`):
      // harmless, so the check is that nothing else survives (a registration, a patched prototype, a global).
      const { code, inputs } = await bundleSources(`import '${entry.specifier}';`, true);
      expect(Object.keys(inputs)).toContain(entry.source);
      expect(code).not.toMatch(/[([{`]|\.[A-Za-z_$]/);
    },
  );

  it('reaches only its allowed layers from the TypeScript sources (esbuild metafile inputs)', async () => {
    const metafile = await bundleSources(useAll(entry.specifier));
    const found = layersOf(Object.keys(metafile.inputs));
    expect(found.size).toBeGreaterThan(0);
    expectOnly(entry, found, entryRules!.layers);
  });

  it('carries only its allowed layers in a minified bundle of the installed package, within its size budget', async () => {
    const { code, sources } = await bundleInstalled(useAll(entry.specifier));
    const found = layersOf(sources);
    expect(found.size).toBeGreaterThan(0);
    expectOnly(entry, found, entryRules!.layers);
    const gzip = gzipSync(code, { level: 9 }).length;
    measured[entry.subpath] = gzip;
    console.log(`${entry.specifier}: ${code.length} B minified, ${gzip} B gzip (budget ${entryRules!.gzipBytes} B)`);
    if (!update) expect(gzip, `${entry.specifier} is over its size budget`).toBeLessThanOrEqual(entryRules!.gzipBytes);
  });
});

describe('a bundle that only calls createHeap, malloc and free', () => {
  const probe =
    "import { createHeap } from 'arenalloc';\nconst heap = createHeap();\nheap.free(heap.malloc(64));\nglobalThis.__heap = heap;\n";

  it(`is within its budget (${rules.minimal.gzipBytes} B gzip) and carries neither the integrity walk nor the text report`, async () => {
    const { code, sources } = await bundleInstalled(probe);
    const gzip = gzipSync(code, { level: 9 }).length;
    measured.minimal = gzip;
    console.log(`createHeap + malloc + free: ${code.length} B minified, ${gzip} B gzip (budget ${rules.minimal.gzipBytes} B)`);
    expect(sources.filter((s) => s.startsWith('src/inspect/'))).toEqual([]);
    if (!update) expect(gzip).toBeLessThanOrEqual(rules.minimal.gzipBytes);
  });
});

describe("import { createHeap } from 'arenalloc'", () => {
  const probe = "import { createHeap } from 'arenalloc';\nglobalThis.__heap = createHeap();\n";
  const core = entries().find((e) => e.subpath === '.')!;

  it('reaches only the core from the sources', async () => {
    const metafile = await bundleSources(probe);
    expectOnly(core, layersOf(Object.keys(metafile.inputs)), ['core']);
  });

  it('carries only the core, and every optional layer of the package is absent, in the installed bundle', async () => {
    const { code, sources } = await bundleInstalled(probe);
    console.log(`createHeap alone: ${code.length} B minified, ${gzipSync(code, { level: 9 }).length} B gzip`);
    expect(sources).toContain('src/heap.ts');
    expectOnly(core, layersOf(sources), ['core']);
  });
});

describe("import 'arenalloc/inspect' (an entry with an import-time effect)", () => {
  const probe =
    "import 'arenalloc/inspect';\nimport { createHeap } from 'arenalloc';\n" +
    'const heap = createHeap();\nheap.free(heap.malloc(64));\nheap.check();\n' +
    "globalThis.__result = heap.debugMallocStats().includes('class');\n";
  const without = probe.replace("import 'arenalloc/inspect';\n", '');

  it('is kept by a bundler that reads "sideEffects" (the installed package): heap.check() and debugMallocStats() run', async () => {
    const { code, sources } = await bundleInstalled(probe);
    expect(sources).toContain('src/inspect/check.ts');
    const saved = (globalThis as { __result?: unknown }).__result;
    new Function(code)();
    expect((globalThis as { __result?: unknown }).__result).toBe(true);
    (globalThis as { __result?: unknown }).__result = saved;
  });

  it('is needed: without the import, the same program bundles no inspect code and heap.check() throws ERR_INSPECT_NOT_LOADED', async () => {
    const { code, sources } = await bundleInstalled(without);
    expect(sources.filter((s) => s.startsWith('src/inspect/'))).toEqual([]);
    let error: unknown;
    try {
      new Function(code)();
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).toBe('ERR_INSPECT_NOT_LOADED');
    expect(String((error as Error).message)).toContain("import 'arenalloc/inspect'");
  });
});

describe("import 'arenalloc/threads' (an entry with an import-time effect)", () => {
  const probe =
    "import 'arenalloc/threads';\nimport { createHeap } from 'arenalloc';\n" +
    'const heap = createHeap({ threads: true });\nconst p = heap.malloc(64);\nheap.free(p);\nheap.check();\n' +
    'globalThis.__result = [heap.threaded, heap.threadId, heap.stats().liveBlocks];\n';
  const without = probe.replace("import 'arenalloc/threads';\n", '');

  it('lists the ESM and CJS files of arenalloc/threads and arenalloc/inspect and their sources, and only those, under "sideEffects"', () => {
    // The sources are listed for bundles of src/ (the docs' code blocks, the thread tests' workers).
    const files = IMPORT_TIME_EFFECTS.flatMap((subpath) => {
      const entry = entries().find((e) => e.subpath === subpath)!;
      return [entry.targets.import.default, entry.targets.require.default, `./${entry.source}`];
    });
    expect(pkg.sideEffects).toEqual(files);
  });

  it('is kept by a bundler that reads "sideEffects" (the installed package): the bundle makes a threaded heap', async () => {
    const { code, sources } = await bundleInstalled(probe);
    expect(sources).toContain('src/threads/threaded.ts');
    const run = new Function(code);
    const saved = (globalThis as { __result?: unknown }).__result;
    run();
    expect((globalThis as { __result?: unknown }).__result).toEqual([true, 0, 0]);
    (globalThis as { __result?: unknown }).__result = saved;
  });

  it('is needed: without the import, the same program bundles no threads code and throws ERR_THREADS_NOT_LOADED', async () => {
    const { code, sources } = await bundleInstalled(without);
    expect(sources.filter((s) => s.startsWith('src/threads/'))).toEqual([]);
    let error: unknown;
    try {
      new Function(code)();
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).toBe('ERR_THREADS_NOT_LOADED');
    expect(String((error as Error).message)).toContain("import 'arenalloc/threads'");
  });
});

// With UPDATE_BUDGETS=1, the budgets are rewritten from what this run measured.
afterAll(() => {
  if (!update) return;
  const file = JSON.parse(readFileSync(RULES_PATH, 'utf8')) as Record<string, unknown> & {
    entries: Record<string, { gzipBytes: number }>;
  };
  if (measured.minimal !== undefined) (file.minimal as { gzipBytes: number }).gzipBytes = Math.ceil((measured.minimal * 1.04) / 10) * 10;
  for (const [subpath, bytes] of Object.entries(measured)) {
    const rule = file.entries[subpath];
    if (rule !== undefined) rule.gzipBytes = Math.ceil((bytes * 1.04) / 10) * 10;
  }
  // One line per key and per entry, so that layers landing in parallel merge without conflicts.
  const lines = (o: Record<string, unknown>) =>
    Object.entries(o).map(
      ([k, v]) =>
        `${JSON.stringify(k)}: ${JSON.stringify(v)
          .replace(/([,:])(?=[["{\d])/g, '$1 ')
          .replace(/^\{(.*)\}$/, '{ $1 }')}`,
    );
  const { entries: table, ...top } = file;
  writeFileSync(RULES_PATH, `{\n  ${lines(top).join(',\n  ')},\n  "entries": {\n    ${lines(table).join(',\n    ')}\n  }\n}\n`);
});
