// Bundles a worker script of the thread tests (TypeScript, importing src/) into one ESM file that
// node:worker_threads can run, in a temporary folder the caller removes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/** Builds `entry` (a path) into a temporary `.mjs`; returns its path and a function that removes it. */
export function buildWorker(entry: string): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'arenalloc-threads-'));
  const file = join(dir, 'worker.mjs');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: file, logLevel: 'silent' });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
