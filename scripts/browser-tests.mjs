#!/usr/bin/env node
// Runs the part of the test suite that is not Node-specific in headless Chromium.
//
//  test/**/*.test.ts ──esbuild (vitest → test/browser/vitest-shim.ts)──▶ one bundle
//        │                                                                  │
//        └─ skipped: files importing node:* or marked `// @browser-skip: why` │
//  127.0.0.1 http server (COOP/COEP: cross-origin isolated, so SharedArrayBuffer exists)
//        ◀── Chromium (playwright-core, Debian's /usr/bin/chromium, no download) ──▶ results
//
// Prints one line per failure and a summary `N passed, N failed`; exits 1 on any failure or
// when no test ran. Usage: node scripts/browser-tests.mjs [filter-substring]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const filter = process.argv[2] ?? '';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = [];
for (const path of walk(join(root, 'test')).sort()) {
  const rel = relative(root, path).split('\\').join('/');
  if (!rel.endsWith('.test.ts') || rel.startsWith('test/package/') || !rel.includes(filter)) continue;
  const source = readFileSync(path, 'utf8');
  const marker = /\/\/ @browser-skip:?(.*)/.exec(source);
  if (marker) console.log(`skip ${rel}: ${marker[1].trim() || 'marked @browser-skip'}`);
  else if (/from ['"]node:|require\(['"]node:/.test(source)) console.log(`skip ${rel}: imports node:* modules`);
  else files.push(rel);
}
if (files.length === 0) {
  console.log('0 passed, 0 failed (no test files)');
  process.exit(1);
}

const entry = [
  "import { __file, __loadFailed, __run } from './test/browser/vitest-shim.ts';",
  ...files.map((f) => `__file(${JSON.stringify(f)}); try { await import(${JSON.stringify(`./${f}`)}); } catch (e) { __loadFailed(e); }`),
  'window.__results = __run((r) => { if (r.state === "fail") console.error("FAIL", r.file, r.name); });',
].join('\n');

const built = await esbuild.build({
  stdin: { contents: entry, resolveDir: root, loader: 'ts', sourcefile: 'browser-entry.ts' },
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: 'inline',
  alias: { vitest: join(root, 'test/browser/vitest-shim.ts') },
  define: { 'process.env': '{}' },
  logLevel: 'error',
});
const bundle = built.outputFiles[0].text;

const page = '<!doctype html><meta charset="utf-8"><title>arenalloc tests</title><script type="module" src="/bundle.js"></script>';
const server = createServer((req, res) => {
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cache-Control': 'no-store',
  };
  if (req.url === '/') res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(page);
  else if (req.url === '/bundle.js') res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(bundle);
  else if (req.url === '/favicon.ico') res.writeHead(204, headers).end();
  else res.writeHead(404, headers).end();
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
let failed = 0;
let passed = 0;
try {
  const tab = await browser.newPage();
  const pageErrors = [];
  tab.on('pageerror', (error) => pageErrors.push(error));
  tab.on('console', (message) => {
    if (message.type() === 'error' || process.env.BROWSER_LOG) console.log(`[browser] ${message.text()}`);
  });
  await tab.goto(url);
  await tab
    .waitForFunction(() => window.__results !== undefined || false, null, { timeout: 60_000 })
    .catch(() => {
      throw new Error(`the test bundle did not start: ${pageErrors.map(String).join('\n') || 'no page error'}`);
    });
  const { version, isolated } = await tab.evaluate(() => ({ version: navigator.userAgent, isolated: crossOriginIsolated }));
  console.log(`${version.match(/(Headless)?Chrom(e|ium)\/[\d.]+/)?.[0] ?? version}, crossOriginIsolated: ${isolated}`);
  const budget = Number(process.env.BROWSER_TIMEOUT_MS ?? 300_000);
  let timer;
  const results = await Promise.race([
    tab.evaluate(() => window.__results, null),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the suite did not finish within ${budget} ms`)), budget);
    }),
  ]).finally(() => clearTimeout(timer));
  for (const r of results) {
    if (r.state === 'pass') passed++;
    if (r.state === 'fail') {
      failed++;
      console.log(`✗ ${r.file} > ${r.name}\n    ${r.error.split('\n').slice(0, 6).join('\n    ')}`);
    }
  }
  const skipped = results.filter((r) => r.state === 'skip').length;
  console.log(`${files.length} files in the browser: ${files.join(', ')}${skipped ? `; ${skipped} tests skipped` : ''}`);
  if (pageErrors.length > 0) {
    failed += pageErrors.length;
    for (const e of pageErrors) console.log(`✗ uncaught page error: ${e}`);
  }
} catch (error) {
  failed++;
  console.log(`✗ the browser run broke: ${error instanceof Error ? error.message : error}`);
} finally {
  await browser.close();
  server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
