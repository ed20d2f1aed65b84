import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The FinalizationRegistry safety net only fires after a real garbage collection, so this test
// bundles a small script with esbuild and runs it in a child `node --expose-gc`, where it can
// force collections. The script prints what the leak reports said as JSON.
const script = `
import { createHeap } from './src/index';
import { createRc } from './src/rc/index';

const reports = [];
const heap = createHeap();
const rc = createRc(heap, { onLeak: (r) => reports.push(r), releaseLeaked: true, traceHandles: true });
const Leaky = rc.struct('Leaky', { x: 'f64' });
function dropOne() {
  const h = Leaky.createRef();
  h.retain(); // two references, never released
  return h.ptr;
}
function releaseOne() {
  const h = Leaky.createRef();
  h.release(); // balanced: must not be reported
}
const leakedPtr = dropOne();
releaseOne();
const kept = Leaky.createRef();
for (let i = 0; i < 50 && reports.length === 0; i++) {
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 5));
}
console.log(JSON.stringify({
  leakedPtr,
  reports: reports.map((r) => ({ ...r, site: typeof r.site === 'string' && r.site.includes('dropOne') })),
  live: rc.stats().live,
  liveBlocks: heap.stats().liveBlocks,
  keptAlive: kept.alive,
}));
`;

describe('Ref safety net', () => {
  it('reports (and releases) a handle garbage-collected while holding references', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const out = await build({
      stdin: { contents: script, resolveDir: root, loader: 'ts', sourcefile: 'leak-script.ts' },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    const dir = mkdtempSync(join(tmpdir(), 'arenalloc-leak-'));
    try {
      const file = join(dir, 'leak.mjs');
      writeFileSync(file, out.outputFiles[0]!.text);
      const child = spawnSync(process.execPath, ['--expose-gc', file], { encoding: 'utf8', timeout: 30_000 });
      expect(child.stderr).toBe('');
      const result = JSON.parse(child.stdout.trim());
      expect(result.reports).toEqual([{ ptr: result.leakedPtr, type: 'Leaky', holds: 2, site: true, released: true }]);
      expect(result.live).toBe(1); // only the handle still in scope
      expect(result.liveBlocks).toBe(1); // the kept object: the net released the leaked one
      expect(result.keptAlive).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
