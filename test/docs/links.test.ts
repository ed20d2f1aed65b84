// Every relative link of the repository's pages resolves (a file, and a heading for #fragments).
// The package tests check the same from the installed tarball; this one fails fast, with no build.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../package/entries';
import { anchors, brokenLinks, relativeLinks, slug } from '../package/links';

const pages = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  ...readdirSync(join(ROOT, 'docs/guides'))
    .filter((f) => f.endsWith('.md'))
    .map((g) => `docs/guides/${g}`),
];

describe('links of the docs', () => {
  it('finds relative links and images, not URLs or code, and makes GitHub slugs', () => {
    const md = '[a](x.md) ![p](img/p.png) [u](https://e.org) `[c](no.md)`\n```\n[d](no.md)\n```\n[r]: ./y.md#two-words\n';
    expect(relativeLinks(md).map((l) => l.target)).toEqual(['x.md', 'img/p.png', './y.md#two-words']);
    expect(slug('Saved heaps and `Heap.attach`: layout versions')).toBe('saved-heaps-and-heapattach-layout-versions');
    expect([...anchors('# Title\n## Two words\ntext')]).toEqual(['title', 'two-words']);
  });

  it.each(pages)('every relative link of %s resolves', (page) => {
    expect(brokenLinks(join(ROOT, page))).toEqual([]);
  });
});
