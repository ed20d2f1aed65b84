// After `npm run docs`: the generated site (docs/api/) has the core module under its real name,
// the guides, CONTRIBUTING and CHANGELOG as rendered pages, and a search index that finds error
// codes and guide text. typedoc's index is deflated, base64-encoded JSON in assets/search.js.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

const site = new URL('../docs/api/', import.meta.url).pathname;
const problems = [];
const check = (ok, what) => {
  if (!ok) problems.push(what);
};

const searchJs = readFileSync(join(site, 'assets/search.js'), 'utf8');
const encoded = /"([A-Za-z0-9+/=]{100,})"/.exec(searchJs)?.[1];
check(encoded !== undefined, 'assets/search.js holds no encoded index');
const index = encoded === undefined ? { rows: [] } : JSON.parse(inflateSync(Buffer.from(encoded, 'base64')).toString('utf8'));
const names = index.rows.map((r) => r.name);
const text = JSON.stringify(index);
for (const module of [
  'arenalloc',
  'arenalloc/rc',
  'arenalloc/gc',
  'arenalloc/profile',
  'arenalloc/debug',
  'arenalloc/pool',
  'arenalloc/wasm',
  'arenalloc/strategies',
]) {
  check(names.includes(module), `the search index has no module "${module}"`);
}
check(!names.includes('index'), 'a module is still called "index"');
for (const page of ['Getting started', 'Errors and what to do', 'Workers and SharedArrayBuffer', 'FAQ', 'CONTRIBUTING', 'CHANGELOG']) {
  check(
    names.some((n) => n.toLowerCase().startsWith(page.toLowerCase())),
    `the search index has no page "${page}"`,
  );
}
// Words that appear only in guide text and in doc comments: the search must find both.
for (const word of ['err_out_of_memory', 'err_layout_version', 'quarantine', 'transferred']) {
  check(text.toLowerCase().includes(word), `the search index does not find "${word}"`);
}
const documents = existsSync(join(site, 'documents')) ? readdirSync(join(site, 'documents')) : [];
check(
  documents.some((f) => /contributing/i.test(f)),
  'CONTRIBUTING is not a rendered page',
);
check(
  documents.some((f) => /changelog/i.test(f)),
  'CHANGELOG is not a rendered page',
);

if (problems.length > 0) {
  console.error(`docs site: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`docs site: ${names.length} entries in the search index; modules, guides, CONTRIBUTING and CHANGELOG found`);
