/**
 * The packed tarball, checked as users meet it: linted by publint and attw, installed into a
 * fresh project, and used from ESM `import`, CJS `require`, and TypeScript under the
 * `node16` and `bundler` module resolutions.
 */

import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { entries, ROOT } from './entries';
import { run as runIn } from './run';

const tarball = inject('tarball');
const consumer = inject('consumer');
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

const run = (file: string, args: string[], cwd = consumer) => runIn(file, args, cwd);

describe('the packed tarball', () => {
  it('passes publint (strict: warnings fail too)', async () => {
    const out = await run(bin('publint'), ['--strict', tarball]);
    expect(out).toContain('All good');
  });

  it('passes @arethetypeswrong/cli for every entry, under node10, node16 (ESM and CJS) and bundler resolution', async () => {
    const out = await run(bin('attw'), ['--format', 'json', tarball]);
    const report = JSON.parse(out.slice(out.indexOf('{'))) as {
      analysis: { entrypoints: Record<string, { resolutions: Record<string, unknown> }> };
      problems: Record<string, unknown[]>;
    };
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual([...entries().map((e) => e.subpath), './package.json'].sort());
    expect(Object.keys(report.analysis.entrypoints['.']!.resolutions).sort()).toEqual(['bundler', 'node10', 'node16-cjs', 'node16-esm']);
    expect(Object.values(report.problems).flat()).toEqual([]);
  });

  it('holds exactly what `files` promises: the build, the guides, the examples and the top-level docs', async () => {
    const files = (await run('tar', ['-tzf', tarball]))
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    for (const entry of entries()) {
      for (const target of [
        entry.targets.import.default,
        entry.targets.import.types,
        entry.targets.require.default,
        entry.targets.require.types,
      ]) {
        expect(files).toContain(target.slice(2));
      }
    }
    // Every guide, image and example of the repository travels, so that the README's links and
    // the examples work from node_modules/arenalloc.
    const shipped = (dir: string) => readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    for (const dir of ['docs/guides', 'examples']) {
      for (const d of shipped(dir)) expect(files).toContain(relative(ROOT, join(d.parentPath, d.name)));
    }
    for (const top of ['package.json', 'README.md', 'CHANGELOG.md', 'CONTRIBUTING.md', 'LICENSE']) expect(files).toContain(top);
    // And nothing else: no sources, tests, benchmarks, scripts or generated API site.
    const allowed =
      /^(package\.json|README\.md|CHANGELOG\.md|CONTRIBUTING\.md|LICENSE|dist\/.+|docs\/guides\/.+|examples\/[\w-]+\.mjs|examples\/wasm\/[\w-]+\.(c|sh|wasm))$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
  });
});

describe('the installed package', () => {
  it('works from ESM import: every entry loads, and the core allocates and frees', async () => {
    const specifiers = entries().map((e) => e.specifier);
    writeFileSync(
      join(consumer, 'esm.mjs'),
      `import { createHeap, Heap, OutOfMemoryError } from 'arenalloc';
import 'arenalloc/inspect';
const heap = createHeap({ initialBytes: 1 << 16 });
const p = heap.malloc(100);
heap.free(p);
heap.check();
if (!(heap instanceof Heap) || typeof OutOfMemoryError !== 'function') throw new Error('bad exports');
const keys = {};
for (const s of ${JSON.stringify(specifiers)}) keys[s] = Object.keys(await import(s)).sort();
console.log(JSON.stringify({ p, keys }));
`,
    );
    const { p, keys } = JSON.parse(await run('node', ['esm.mjs'])) as { p: number; keys: Record<string, string[]> };
    expect(p).toBeGreaterThan(0);
    for (const s of specifiers) expect(keys[s]?.length, s).toBeGreaterThan(0);
  });

  it('works from CJS require, with the same exports as ESM for every entry', async () => {
    const specifiers = entries().map((e) => e.specifier);
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      `const { createHeap, Heap } = require('arenalloc');
require('arenalloc/inspect');
const heap = createHeap({ store: 'fixed', initialBytes: 1 << 16 });
const p = heap.malloc(100);
heap.free(p);
heap.check();
if (!(heap instanceof Heap)) throw new Error('bad exports');
(async () => {
  const out = {};
  for (const s of ${JSON.stringify(specifiers)}) out[s] = { cjs: Object.keys(require(s)).sort(), esm: Object.keys(await import(s)).sort() };
  console.log(JSON.stringify(out));
})();
`,
    );
    const out = JSON.parse(await run('node', ['cjs.cjs'])) as Record<string, { cjs: string[]; esm: string[] }>;
    for (const s of specifiers) {
      expect(out[s]?.cjs.length, s).toBeGreaterThan(0);
      expect(out[s]?.cjs, s).toEqual(out[s]?.esm);
    }
  });

  const tsSource = (header: string) =>
    `${header}
import { createHeap, type Heap, type HeapStats, OutOfMemoryError } from 'arenalloc';
${entries()
  .map((e, i) => `import * as entry${i} from '${e.specifier}';`)
  .join('\n')}
const heap: Heap = createHeap({ store: 'wasm', initialBytes: 1 << 16 });
const p: number = heap.malloc(16);
const stats: HeapStats = heap.stats();
const error: OutOfMemoryError | undefined = undefined;
// @ts-expect-error malloc takes a number
heap.malloc('16');
export const used = [p, stats, error, ${entries()
      .map((_, i) => `entry${i}`)
      .join(', ')}];
`;

  for (const [name, options, files] of [
    ['node16 from ESM (.mts)', { module: 'node16', moduleResolution: 'node16' }, ['esm.mts']],
    ['node16 from CJS (.cts)', { module: 'node16', moduleResolution: 'node16' }, ['cjs.cts']],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['bundler.ts']],
    // node10 ("moduleResolution": "node") ignores `exports`: subpaths resolve through `typesVersions`.
    ['node10', { module: 'commonjs', moduleResolution: 'node10' }, ['node10.ts']],
  ] as const) {
    it(`type-checks with TypeScript, moduleResolution ${name}`, async () => {
      for (const file of files) writeFileSync(join(consumer, file), tsSource(`// ${name}`));
      const config = `tsconfig.${files[0]}.json`;
      writeFileSync(
        join(consumer, config),
        JSON.stringify({
          compilerOptions: {
            ...options,
            target: 'es2022',
            lib: ['es2024', 'dom'],
            types: [],
            strict: true,
            noEmit: true,
            skipLibCheck: false,
          },
          files,
        }),
      );
      await run('node', [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config]);
    });
  }

  // The public types need neither the DOM lib (WebAssembly.Memory is typed through `WasmMemory`)
  // nor `esnext.disposable` (`Symbol.dispose` is declared by arenalloc/rc): a Node-only project on
  // plain ES2022 libs, skipLibCheck off, compiles every entry.
  it('type-checks in a Node-only project on ES2022 libs, without the DOM or disposable libs', async () => {
    const imports = entries()
      .map((e, i) => `import * as entry${i} from '${e.specifier}';\nexport { entry${i} };`)
      .join('\n');
    writeFileSync(
      join(consumer, 'nodom.mts'),
      `${imports}\nimport { createHeap, Heap } from 'arenalloc';\nexport const heap = createHeap({ store: 'wasm' });\nconst memory = heap.memory;\nexport const again = memory === null ? null : Heap.attach(memory);\n`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.nodom.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          lib: ['es2022'],
          types: [],
          strict: true,
          noEmit: true,
        },
        files: ['nodom.mts'],
      }),
    );
    await run('node', [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.nodom.json']);
  });
});

// The `bin` of package.json, as a user runs it: `npx arenalloc` inside a project that installed
// the tarball, on a trace written there.
describe('the arenalloc command', () => {
  it('npx arenalloc replay replays a trace through every strategy, from the installed tarball', async () => {
    writeFileSync(join(consumer, 'tiny.trace'), '# a tiny trace\na 1 100\na 2 5000\nr 1 300\nf 2\nc 3 40\nf 1\nf 3\n');
    const doc = JSON.parse(
      await run('npx', ['--offline', '--no-install', 'arenalloc', 'replay', 'tiny.trace', '--rounds', '1', '--json']),
    ) as {
      traces: { file: string; ops: number; strategies: { name: string; verified: boolean }[] }[];
    };
    expect(doc.traces[0]?.file).toBe('tiny.trace');
    expect(doc.traces[0]?.ops).toBe(7);
    expect(doc.traces[0]?.strategies.map((s) => [s.name, s.verified])).toEqual(
      ['bump', 'buddy', 'first-fit', 'segregated', 'tlsf', 'heap', 'uint8array'].map((n) => [n, true]),
    );
    expect(await run('npx', ['--offline', '--no-install', 'arenalloc', 'stats', 'tiny.trace'])).toContain(
      'tiny.trace: 7 ops (2 malloc, 1 calloc, 1 realloc, 3 free)',
    );
  });

  it('npx arenalloc prints one line and exits non-zero on a bad trace', () => {
    writeFileSync(join(consumer, 'bad.trace'), 'a 1 100\nf 9\n');
    let failure: { status?: number; stderr?: string } = {};
    try {
      execFileSync('npx', ['--offline', '--no-install', 'arenalloc', 'replay', 'bad.trace'], {
        cwd: consumer,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      failure = error as { status?: number; stderr?: string };
    }
    expect(failure.status).toBe(1);
    expect(failure.stderr).toBe('arenalloc: bad.trace:2: free of block 9, which is not live\n');
  });
});
