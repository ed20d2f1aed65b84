/**
 * The HTML report in a real browser: Debian's Chromium, headless, driven by playwright-core.
 *
 * CI installs Chromium first (scripts/ensure-chromium.sh) and sets CI, so there this test always
 * runs and fails if the browser or the page is broken. On a developer machine without
 * /usr/bin/chromium it is skipped, with a message that says so.
 */
// @browser-skip: drives its own Chromium through playwright-core, from Node
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createHeap } from '../../src/index';
import { htmlReport, markLeaks, stop, Timeline, tagType, takeSnapshot } from '../../src/profile/index';
import { CHROMIUM, CHROMIUM_FLAGS, skipWithoutChromium } from '../support/chromium';

const skip = skipWithoutChromium('profile-browser');
const ARGS = ['--headless', ...CHROMIUM_FLAGS];

function demoReport(): { html: string; samples: number; sites: number; usedBlocks: number } {
  const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 24 });
  const mark = markLeaks(heap, 3);
  let now = 0;
  const timeline = new Timeline(heap, { now: () => now });
  const ptrs: number[] = [];
  for (let i = 0; i < 40; i++) {
    ptrs.push(heap.malloc(600 + 97 * i));
    if (i % 3 === 0) heap.free(ptrs.splice(ptrs.length >> 1, 1)[0]!);
    now += 10;
    timeline.sample();
  }
  timeline.mark('phase 2');
  for (let i = 0; i < 8; i++) tagType(heap, heap.malloc(2048), 'Mesh');
  now += 10;
  timeline.sample();
  const html = htmlReport(heap, { timeline, leaks: mark.report(), title: 'arenalloc report (browser test)' });
  const usedBlocks = heap.stats().liveBlocks;
  const sites = takeSnapshot(heap).statistics('lineno').length;
  stop(heap);
  return { html, samples: timeline.samples.length, sites, usedBlocks };
}

describe('HTML report in headless Chromium', () => {
  it.skipIf(skip)('renders its tables, heap map and timeline', async () => {
    const { html, samples, sites, usedBlocks } = demoReport();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      await page.setContent(html, { waitUntil: 'load' });
      expect(await page.title()).toBe('arenalloc report (browser test)');
      const facts = await page.evaluate(() => {
        const box = (el: Element | null) => (el === null ? null : el.getBoundingClientRect());
        const map = document.querySelector('#heap-map svg');
        const plot = document.querySelector('#timeline svg');
        const used = Array.from(document.querySelectorAll('#heap-map svg rect.used[data-addr]')) as SVGRectElement[];
        const free = document.querySelectorAll('#heap-map svg rect.free[data-addr]');
        const live = document.querySelector('#timeline svg polyline.live') as SVGPolylineElement | null;
        return {
          mapBox: box(map),
          plotBox: box(plot),
          usedRects: used.length,
          usedAddrs: new Set(used.map((r) => r.dataset.addr)).size,
          usedWidth: used.reduce((w, r) => w + r.getBBox().width, 0),
          usedFill: used[0] === undefined ? '' : getComputedStyle(used[0]).fill,
          freeRects: free.length,
          livePoints: live?.points.numberOfItems ?? 0,
          liveLength: live?.getTotalLength() ?? 0,
          markLabel: document.querySelector('#timeline svg text.mark-label')?.textContent ?? '',
          summaryRows: document.querySelectorAll('#summary-table tbody tr').length,
          sizeRows: document.querySelectorAll('#large-size-classes tbody tr').length,
          siteRows: document.querySelectorAll('#sites-table tbody tr').length,
          typeRows: Array.from(document.querySelectorAll('#types-table tbody tr')).map((tr) => tr.textContent ?? ''),
          leakRows: document.querySelectorAll('#leaks-table tbody tr').length,
          headings: Array.from(document.querySelectorAll('h2')).map((h) => h.textContent),
        };
      });
      expect(facts.mapBox?.width).toBeGreaterThan(500);
      expect(facts.mapBox?.height).toBeGreaterThan(50);
      expect(facts.plotBox?.width).toBeGreaterThan(500);
      expect(facts.usedAddrs).toBe(usedBlocks);
      expect(facts.usedWidth).toBeGreaterThan(10);
      expect(facts.usedFill).toBe('rgb(59, 125, 216)');
      expect(facts.freeRects).toBeGreaterThan(0);
      expect(facts.livePoints).toBe(samples);
      expect(facts.liveLength).toBeGreaterThan(100);
      expect(facts.markLabel).toBe('phase 2');
      expect(facts.summaryRows).toBe(7);
      expect(facts.sizeRows).toBeGreaterThan(0);
      expect(facts.siteRows).toBe(sites);
      expect(facts.typeRows.some((t) => t.startsWith('Mesh8'))).toBe(true);
      expect(facts.leakRows).toBeGreaterThan(0);
      expect(facts.headings).toEqual([
        'Summary',
        'Allocator',
        'Top allocation sites',
        'By type',
        'Heap map',
        'Memory over time',
        'Still live since the mark',
      ]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
