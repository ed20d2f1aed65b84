/**
 * Allocation sites when the library is bundled into the application's own file (esbuild), where
 * the heap facade, the profiler and the user's code share one file and only the facade's method
 * names tell library frames from the user's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

const APP = `
import { createHeap } from ${JSON.stringify(join(ROOT, 'src/index.ts'))};
import { start, takeSnapshot } from ${JSON.stringify(join(ROOT, 'src/profile/index.ts'))};
const heap = createHeap();
start(heap, 2);
function makeThing() {
  return heap.malloc(123);
}
makeThing();
heap.calloc(3, 7);
heap.realloc(0, 55);
const traces = takeSnapshot(heap).traces.map((t) => ({ size: t.size, frames: t.traceback.frames.map((f) => [f.filename, f.lineno]) }));
console.log(JSON.stringify(traces));
`;

describe('tracing inside a bundle', () => {
  it('names the user line when the library shares the file with the application', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arenalloc-bundle-'));
    try {
      const out = join(dir, 'app.mjs');
      buildSync({
        stdin: { contents: APP, resolveDir: ROOT, loader: 'ts' },
        bundle: true,
        format: 'esm',
        platform: 'node',
        outfile: out,
        logLevel: 'silent',
      });
      const run = spawnSync(process.execPath, [out], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      const traces = JSON.parse(run.stdout) as { size: number; frames: [string, number][] }[];
      const lines = readFileSync(out, 'utf8').split('\n');
      const textAt = (frame: [string, number] | undefined): string => {
        expect(frame?.[0]).toBe(out);
        return (lines[(frame?.[1] ?? 0) - 1] ?? '').trim();
      };
      const bySize = new Map(traces.map((t) => [t.size, t.frames]));
      expect(textAt(bySize.get(123)?.[0])).toBe('return heap.malloc(123);');
      expect(textAt(bySize.get(123)?.[1])).toBe('makeThing();');
      expect(textAt(bySize.get(21)?.[0])).toBe('heap.calloc(3, 7);');
      expect(textAt(bySize.get(55)?.[0])).toBe('heap.realloc(0, 55);'); // realloc(0) goes through malloc: both skipped
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
