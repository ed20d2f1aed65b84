// Saves a PNG of the profiler's HTML report for the docs (docs/guides/images/profile-report.png):
// builds a demo heap on the default store, renders its report and photographs it in headless
// Chromium. Allocation sites are shown relative to the repository, so the picture names no
// machine's folders. The test suite runs this script on every change (test/docs/screenshot.test.ts)
// and checks what it photographs; after a change to the report, regenerate the committed picture:
//
//   node scripts/screenshot-report.mjs [out.png] [--html out.html]
//
// Needs /usr/bin/chromium (scripts/ensure-chromium.sh installs it) or CHROMIUM=/path/to/chrome.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHeap } from 'arenalloc';
import { htmlReport, markLeaks, Timeline, tagType } from 'arenalloc/profile';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const htmlAt = args.indexOf('--html');
const htmlOut = htmlAt >= 0 ? resolve(args.splice(htmlAt, 2)[1]) : undefined;
const out = resolve(args[0] ?? 'docs/guides/images/profile-report.png');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`${executablePath} is missing: run scripts/ensure-chromium.sh or set CHROMIUM`);
  process.exit(1);
}

// A small simulated workload: a level load, a burst of short-lived messages, some leaks.
const heap = createHeap({ initialBytes: 1 << 18, maxBytes: 1 << 26 }); // the default store
let now = 0;
const timeline = new Timeline(heap, { now: () => now });
const mark = markLeaks(heap, 4);

function loadMesh(vertices) {
  const p = heap.malloc(vertices * 32);
  tagType(heap, p, 'Mesh');
  return p;
}
function loadTexture(side) {
  const p = heap.malloc(side * side * 4);
  tagType(heap, p, 'Texture');
  return p;
}
function message(bytes) {
  return heap.malloc(bytes);
}
function particle(i) {
  const p = heap.malloc(16 + 16 * (i % 6)); // small objects: pools of the small-object allocator
  tagType(heap, p, 'Particle');
  return p;
}

const level = [];
for (let i = 0; i < 24; i++) {
  level.push(i % 3 === 0 ? loadTexture(64 + 16 * (i % 5)) : loadMesh(100 + 37 * i));
  now += 16;
  timeline.sample();
}
timeline.mark('level loaded');
const particles = [];
for (let i = 0; i < 3000; i++) particles.push(particle(i));
for (let i = 0; i < particles.length; i += 3) heap.free(particles[i]);
const inflight = [];
for (let frame = 0; frame < 60; frame++) {
  for (let k = 0; k < 4; k++) inflight.push(message(600 + ((frame * 131 + k * 17) % 3000)));
  while (inflight.length > 12) heap.free(inflight.splice((frame * 7) % inflight.length, 1)[0]);
  now += 16;
  timeline.sample();
}
timeline.mark('unload');
for (let i = 0; i < level.length; i += 2) heap.free(level[i]);
now += 16;
timeline.sample();

const sites = new RegExp(`(file://)?${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'g');
const html = htmlReport(heap, { title: 'arenalloc heap report (demo)', timeline, leaks: mark.report(), top: 10 }).replace(sites, '');
mkdirSync(dirname(out), { recursive: true });
if (htmlOut !== undefined) writeFileSync(htmlOut, html);

const browser = await chromium.launch({
  executablePath,
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
try {
  const page = await browser.newPage({ viewport: { width: 1150, height: 900 } });
  await page.setContent(html, { waitUntil: 'load' });
  await page.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
}
console.log(`wrote ${out}`);
