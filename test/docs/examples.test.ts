// @browser-skip: bundles and runs the examples with esbuild and node
// The examples a user copies (examples/*.mjs; `npm start` runs the quick start) run against the
// sources: their imports of `arenalloc` and `arenalloc/*` are mapped through package.json
// `exports` to the entries' TypeScript sources, so the test needs no build. (The package tests run
// the same files from the installed tarball.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceOf } from '../package/entries';

const work = join(ROOT, '.tmp/examples');
const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.mjs'));

/** Maps `arenalloc` and `arenalloc/<layer>` to the source of that entry. */
const fromSources: esbuild.Plugin = {
  name: 'entries-from-source',
  setup(build) {
    build.onResolve({ filter: /^arenalloc(\/.*)?$/ }, (args) => {
      const path = sourceOf(args.path);
      return path === undefined ? { errors: [{ text: `${args.path} is not in package.json exports` }] } : { path };
    });
  },
};

/** What each example must print: a line that only a correct run reaches. */
const expected: Record<string, RegExp> = {
  'quickstart.mjs': /after freeing everything: \{[^}]*liveBlocks: 0,/s,
  'game-loop.mjs': /all 4800 entities freed; heap\.check\(\) passed; liveBlocks 0/,
  'frame-arena.mjs': /arena and world freed; heap\.check\(\) passed/,
  'object-reuse.mjs': /all bullets released, free list cleared; heap\.check\(\) passed; liveBlocks 0/,
  'replay-strategies.mjs': /replayed through 6 strategies, every block verified/,
  'http-pool-service.mjs': /pool after the requests: \{ leases: 0,/,
  'wasm-c-program.mjs': /allocations \(C and JavaScript\) served by one heap at \d+; heap\.check\(\) passed; liveBlocks 0/,
};

/** Bundles one example against the sources and returns the bundle's path. */
async function bundleExample(file: string): Promise<string> {
  mkdirSync(work, { recursive: true });
  const out = join(work, file);
  await esbuild.build({
    entryPoints: [join(ROOT, 'examples', file)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: out,
    plugins: [fromSources],
    logLevel: 'silent',
  });
  return out;
}

describe('examples', () => {
  it('wasm-c-program.mjs carries the bytes of the committed examples/wasm/word-count.wasm (build.sh writes both)', () => {
    const source = readFileSync(join(ROOT, 'examples/wasm-c-program.mjs'), 'utf8');
    const carried = source.match(/^const WORD_COUNT_WASM =\n {2}'([^']*)';$/m)?.[1] ?? '';
    expect(Buffer.from(carried, 'base64').equals(readFileSync(join(ROOT, 'examples/wasm/word-count.wasm')))).toBe(true);
  });

  it('every example has an expected closing line here', () => {
    expect(examples.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(examples)('%s runs to completion', async (file) => {
    const output = execFileSync(process.execPath, [await bundleExample(file)], { encoding: 'utf8' });
    expect(output).toMatch(expected[file]!);
    if (file === 'quickstart.mjs') expect(output).toContain('Small block threshold = 512'); // the debugMallocStats() report
    if (file === 'wasm-c-program.mjs')
      expect(output).toContain(
        '14300 bytes of text, 20 distinct words; the five most frequent:\nof 500\nit 500\nwas 500\nthe 500\nepoch 100\n',
      );
    if (file === 'http-pool-service.mjs') {
      expect(output).toContain('answered 3 requests, the first as "loop ,olleh"');
      expect(output).toMatch(/pool after the requests: \{ leases: 0,/);
    }
  });
});
