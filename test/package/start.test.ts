// `npm start` after `npm run build` runs the quick start on that build without building again (it
// used to rebuild every time: 38 s on a busy machine).
import { describe, expect, it } from 'vitest';
import { ROOT } from './entries';
import { run } from './run';

describe('npm start', () => {
  it('reuses the fresh build and runs the quick start', async () => {
    const out = await run(process.execPath, ['scripts/start.mjs'], ROOT);
    expect(out).toContain('dist/ is up to date with src/: reusing it (no build)');
    expect(out).not.toContain('building');
    expect(out).toMatch(/after freeing everything: \{[^}]*liveBlocks: 0,/s);
  });
});
