/**
 * The docs travel with the package: from the installed tarball (node_modules/arenalloc), every
 * relative link of the README, CONTRIBUTING, CHANGELOG and the guides resolves, and every example
 * runs as a user would run it after `npm install arenalloc`.
 */

import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { brokenLinks, relativeLinks } from './links';
import { run } from './run';

const installed = join(inject('consumer'), 'node_modules/arenalloc');
const guides = readdirSync(join(installed, 'docs/guides')).filter((f) => f.endsWith('.md'));
const pages = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', ...guides.map((g) => `docs/guides/${g}`)];

describe('the installed package', () => {
  it('ships the guides the README links to', () => {
    const readmeLinks = relativeLinks(readFileSync(join(installed, 'README.md'), 'utf8'));
    expect(readmeLinks.filter((l) => l.target.startsWith('docs/guides/')).length).toBeGreaterThanOrEqual(10);
  });

  it.each(pages)('every relative link of %s resolves', (page) => {
    expect(brokenLinks(join(installed, page))).toEqual([]);
  });

  const examples = readdirSync(join(installed, 'examples')).filter((f) => f.endsWith('.mjs'));
  it('ships the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples)('examples/%s runs from node_modules/arenalloc, and a copy of it runs in the project', async (file) => {
    const consumer = inject('consumer');
    await run(process.execPath, [join(installed, 'examples', file)], process.cwd());
    // Copied into the user's own project, its `arenalloc` imports resolve to the dependency.
    copyFileSync(join(installed, 'examples', file), join(consumer, `copied-${file}`));
    await run(process.execPath, [join(consumer, `copied-${file}`)], process.cwd());
  });
});
