/**
 * Global setup of the package tests: packs the built package with `npm pack` and installs the
 * tarball into a fresh consumer project, offline (the package has no runtime dependencies), so
 * that every package test works on exactly the files a user would download.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT } from './entries';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the packed tarball. */
    tarball: string;
    /** A consumer project with the tarball installed in its node_modules. */
    consumer: string;
  }
}

export default function setup(project: TestProject): () => void {
  if (!existsSync(join(ROOT, 'dist'))) throw new Error('dist/ is missing: run `npm run build` before the package tests');
  const work = mkdtempSync(join(tmpdir(), 'arenalloc-pkg-'));
  const packDir = join(work, 'pack');
  mkdirSync(packDir);
  execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const [name] = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
  if (name === undefined) throw new Error('npm pack wrote no tarball');
  const tarball = join(packDir, name);
  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', tarball], {
    cwd: consumer,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  project.provide('tarball', tarball);
  project.provide('consumer', consumer);
  return () => rmSync(work, { recursive: true, force: true });
}
