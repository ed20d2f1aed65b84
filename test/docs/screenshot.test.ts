// @browser-skip: runs the screenshot script in node, which drives Chromium itself
// The profiling guide's picture is made by scripts/screenshot-report.mjs; this runs that script on
// every change (against the sources) and checks what it photographs: the default store, arenas of
// small objects, sites relative to the repository, and a PNG of a sensible size. CI installs
// Chromium first, so there this never skips.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceOf } from '../package/entries';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`docs-screenshot: skipped, ${CHROMIUM} is missing (run scripts/ensure-chromium.sh; in CI this test never skips)`);

describe.skipIf(skip)('the profiling guide screenshot', () => {
  it('is made by scripts/screenshot-report.mjs from a heap on the default store, with arenas and relative sites', async () => {
    const work = join(ROOT, '.tmp/screenshot');
    mkdirSync(work, { recursive: true });
    const script = join(work, 'screenshot-report.mjs');
    await esbuild.build({
      entryPoints: [join(ROOT, 'scripts/screenshot-report.mjs')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: script,
      external: ['playwright-core'],
      logLevel: 'silent',
      plugins: [
        {
          name: 'entries-from-source',
          setup(build) {
            build.onResolve({ filter: /^arenalloc(\/.*)?$/ }, (args) => ({ path: sourceOf(args.path)! }));
          },
        },
      ],
    });
    const png = join(work, 'report.png');
    const html = join(work, 'report.html');
    execFileSync(process.execPath, [script, png, '--html', html], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

    const page = readFileSync(html, 'utf8');
    expect(page).toContain('shared, ');
    expect(page).not.toMatch(/\b0 arenas\b/);
    expect(page).toMatch(/[1-9]\d* arenas, [1-9]\d* pools in use/);
    expect(page).not.toContain(ROOT);
    expect(page).toMatch(/screenshot-report\.mjs:\d+/);

    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    const width = bytes.readUInt32BE(16);
    const height = bytes.readUInt32BE(20);
    expect(width).toBe(1150);
    expect(height).toBeGreaterThan(1000);
  });
});
