// @browser-skip: bundles and runs the examples with esbuild and node
// The examples (`npm start` runs examples/quickstart.mjs) run against the sources: their imports
// of ../dist/*.js are mapped to the entries' TypeScript sources, so the test needs no build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { entries, ROOT } from './package/entries';

const work = join(ROOT, '.tmp/examples');
const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.mjs'));

/** Maps `../dist/<name>.js` to the source of the entry built into that file. */
const fromSources: esbuild.Plugin = {
  name: 'dist-to-src',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/dist\/[\w-]+\.js$/ }, (args) => {
      const file = `./dist/${args.path.slice('../dist/'.length)}`;
      const entry = entries().find((e) => e.targets.import.default === file);
      if (entry === undefined) return { errors: [{ text: `no package entry is built into ${file}` }] };
      return { path: join(ROOT, entry.source) };
    });
  },
};

describe('examples', () => {
  it.each(examples)('%s runs to completion', async (file) => {
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
    const output = execFileSync('node', [out], { encoding: 'utf8' });
    if (file === 'quickstart.mjs') {
      expect(output).toContain('Small block threshold = 512'); // the debugMallocStats() report
      expect(output).toMatch(/after freeing everything: \{[^}]*liveBlocks: 0,/s);
    }
    if (file === 'http-pool-service.mjs') {
      expect(output).toContain('answered 3 requests, the first as "loop ,olleh"');
      expect(output).toMatch(/pool after the requests: \{ leases: 0,/);
    }
  });
});
