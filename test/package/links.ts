/**
 * Relative links of markdown pages, and whether they resolve: the file exists and, for a
 * `#fragment`, the target page has a heading with that slug (GitHub's and typedoc's slugs agree
 * for the headings these docs use). Links inside code (fences and backticks) are not links.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One link of a page: its target as written and the line it is on. */
export interface Link {
  target: string;
  line: number;
}

/** The page without its fenced code blocks and inline code, line count kept. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

/** Every link and image of a page whose target is not an absolute URL. */
export function relativeLinks(markdown: string): Link[] {
  const links: Link[] = [];
  prose(markdown).forEach((text, i) => {
    for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1]!, line: i + 1 });
    const ref = /^\s*\[[^\]]+\]:\s*(\S+)/.exec(text);
    if (ref) links.push({ target: ref[1]!, line: i + 1 });
  });
  return links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target));
}

/** The anchor slug of a heading, as GitHub and typedoc make it. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The slugs of a page's headings. */
export function anchors(markdown: string): Set<string> {
  const result = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) result.add(slug(m[1]!));
  }
  return result;
}

/** What is wrong with each link of `page` (a path on disk): an empty list when all resolve. */
export function brokenLinks(page: string): string[] {
  const markdown = readFileSync(page, 'utf8');
  const problems: string[] = [];
  for (const { target, line } of relativeLinks(markdown)) {
    const [path = '', fragment] = target.split('#');
    const file = path === '' ? page : join(dirname(page), decodeURIComponent(path));
    if (!existsSync(file)) {
      problems.push(`line ${line}: ${target} (no file ${file})`);
      continue;
    }
    if (fragment !== undefined && fragment !== '' && !statSync(file).isDirectory() && file.endsWith('.md')) {
      if (!anchors(readFileSync(file, 'utf8')).has(fragment)) problems.push(`line ${line}: ${target} (no heading #${fragment})`);
    }
  }
  return problems;
}
