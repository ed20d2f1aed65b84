// Saves a PNG of the HTML report of `arenalloc replay` for the strategies guide: replays two of
// the committed traces (bench/traces) with the built command line, then photographs the page in
// headless Chromium.
//
//   npm run build && node scripts/screenshot-replay.mjs [out.png]
//
// Needs /usr/bin/chromium (scripts/ensure-chromium.sh installs it) or CHROMIUM=/path/to/chrome.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'docs/guides/images/replay-report.png'));
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`${executablePath} is missing: run scripts/ensure-chromium.sh or set CHROMIUM`);
  process.exit(1);
}

const work = mkdtempSync(join(os.tmpdir(), 'arenalloc-shot-'));
const html = join(work, 'report.html');
execFileSync(
  process.execPath,
  [
    join(root, 'dist/cli.js'),
    'replay',
    '--quiet',
    '--rounds',
    '3',
    '--html',
    html,
    'bench/traces/sqlite3-iso3166.atrace.gz',
    'bench/traces/jq-iso3166.atrace.gz',
  ],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
);
const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
try {
  const page = await browser.newPage({ viewport: { width: 1140, height: 900 } });
  await page.setContent(readFileSync(html, 'utf8'), { waitUntil: 'load' });
  // The first trace: its table, its chart of every footprint, and the small charts.
  const first = page.locator('section.trace').first();
  await first.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
