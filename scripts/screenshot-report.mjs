// Saves a PNG of the profiler's HTML report for the docs: builds a demo heap with the built
// library, renders its report and photographs it in headless Chromium.
//
//   npm run build && node scripts/screenshot-report.mjs [out.png]
//
// Needs /usr/bin/chromium (scripts/ensure-chromium.sh installs it) or CHROMIUM=/path/to/chrome.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createHeap } from '../dist/index.js';
import { htmlReport, markLeaks, Timeline, tagType } from '../dist/profile.js';

const out = resolve(process.argv[2] ?? 'docs/guides/images/profile-report.png');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`${executablePath} is missing: run scripts/ensure-chromium.sh or set CHROMIUM`);
  process.exit(1);
}

// A small simulated workload: a level load, a burst of short-lived messages, some leaks.
const heap = createHeap({ store: 'resizable', initialBytes: 1 << 18, maxBytes: 1 << 26 });
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

const html = htmlReport(heap, { title: 'arenalloc heap report (demo)', timeline, leaks: mark.report(), top: 10 });
mkdirSync(dirname(out), { recursive: true });

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
