// `npm start` reuses a fresh build (scripts/fresh-build.mjs): on a tree of files whose times are
// set by hand, dist/ counts as fresh exactly when every file in it is at least as new as every
// source, tsup.config.ts and package.json. (test/package/start.test.ts runs `npm start` on the real
// build and checks that it does not rebuild.)
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleBuild } from '../../scripts/fresh-build.mjs';

let root = '';
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A project tree: sources at time 100 s, package.json and tsup.config.ts at 50 s, dist/ at `builtAt`. */
function tree(builtAt: number | undefined): string {
  root = mkdtempSync(join(tmpdir(), 'arenalloc-start-'));
  const file = (path: string, seconds: number) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '');
    utimesSync(join(root, path), seconds, seconds);
  };
  file('package.json', 50);
  file('tsup.config.ts', 50);
  file('src/index.ts', 100);
  file('src/rc/rc.ts', 90);
  if (builtAt !== undefined) for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/rc.js']) file(f, builtAt);
  return root;
}

describe('npm start: is dist/ fresh?', () => {
  it('builds when dist/ is missing, or has no index.js', () => {
    expect(staleBuild(tree(undefined))).toBe('dist/ is missing');
    rmSync(join(tree(200), 'dist/index.js'));
    expect(staleBuild(root)).toBe('dist/ is missing');
  });

  it('reuses a dist/ newer than every input', () => {
    expect(staleBuild(tree(200))).toBeUndefined();
    expect(staleBuild(tree(100))).toBeUndefined(); // as new as the newest source
  });

  it('rebuilds when a source, even a nested one, is newer than any built file', () => {
    tree(200);
    utimesSync(join(root, 'src/rc/rc.ts'), 300, 300);
    expect(staleBuild(root)).toBe('dist/ is older than the sources');
    tree(200);
    utimesSync(join(root, 'dist/rc.js'), 95, 95); // one built file older than src/index.ts
    expect(staleBuild(root)).toBe('dist/ is older than the sources');
  });

  it('rebuilds when package.json or tsup.config.ts changed after the build', () => {
    for (const input of ['package.json', 'tsup.config.ts']) {
      tree(200);
      utimesSync(join(root, input), 300, 300);
      expect(staleBuild(root), input).toBe('dist/ is older than the sources');
    }
  });
});
