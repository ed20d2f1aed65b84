// @browser-skip: bundles with esbuild, a Node-only tool
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

async function bundle(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: new URL('../..', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    treeShaking: true,
    platform: 'neutral',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

describe('debug mode stays out of the core bundle', () => {
  it('a bundle of createHeap alone carries none of the debug code; one of createDebugHeap does', async () => {
    const core = await bundle("import { createHeap } from './src/index'; export const h = createHeap();");
    const debug = await bundle("import { createDebugHeap } from './src/debug/index'; export const h = createDebugHeap();");
    for (const marker of ['GuardBytesError', 'FreedBlockWrittenError', 'DebugLayer', 'planEvictions']) {
      expect(core).not.toContain(marker);
      expect(debug).toContain(marker);
    }
  });
});
