// The strategies guide's picture of the replay report is made by scripts/screenshot-replay.mjs
// from the built command line (so it runs here, after the build, once per CI run rather than in
// every suite): the script still runs, and what it photographs has the committed picture's size,
// so the guide shows the report as it is laid out now. (The report's timings differ run to run, so
// the pixels are not compared.)
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './entries';
import { run } from './run';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`screenshot-replay: skipped, ${CHROMIUM} is missing (in CI this test never skips)`);

/** Width and height of a PNG, from its IHDR chunk. */
function size(png: Buffer): [number, number] {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe.skipIf(skip)('the strategies guide screenshot', () => {
  it('is made by scripts/screenshot-replay.mjs, at the size of the committed picture', async () => {
    const work = mkdtempSync(join(tmpdir(), 'arenalloc-replay-shot-'));
    try {
      const out = join(work, 'replay-report.png');
      const log = await run(process.execPath, [join(ROOT, 'scripts/screenshot-replay.mjs'), out], ROOT, 180_000);
      expect(log).toContain(`wrote ${out}`);
      const committed = size(readFileSync(join(ROOT, 'docs/guides/images/replay-report.png')));
      expect(size(readFileSync(out))).toEqual(committed);
      expect(committed[0]).toBeGreaterThan(800);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
