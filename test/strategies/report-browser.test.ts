/**
 * The replay report (`arenalloc replay --html`) in Debian's Chromium, headless, driven by
 * playwright-core, as test/profile/browser.test.ts does for the profiler's report: the page
 * loads without errors, has a table row per strategy, and its SVG curves are drawn, with as many
 * points as were sampled, inside their charts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { replayReport } from '../../src/cli/html';
import { parseTrace, replayAll, STRATEGY_NAMES } from '../../src/strategies/index';
import { CHROMIUM, CHROMIUM_FLAGS, skipWithoutChromium } from '../support/chromium';

const skip = skipWithoutChromium('report-browser');
const ARGS = ['--headless', ...CHROMIUM_FLAGS];

describe('replay report in headless Chromium', () => {
  it.skipIf(skip)(
    'renders a row per strategy and every curve',
    async () => {
      const trace = parseTrace(readFileSync(join(__dirname, 'fixtures', 'small.atrace')), 'small.atrace');
      const churn = parseTrace(new TextEncoder().encode(Array.from({ length: 200 }, () => 'a 1 60000\nf 1\n').join('')));
      const results = [
        { file: 'small.atrace', ...replayAll(trace, STRATEGY_NAMES, { rounds: 1, samples: 50 }) },
        {
          file: 'churn.trace',
          ...replayAll(churn, ['bump', 'tlsf'], { rounds: 1, samples: 50 }, { initialBytes: 1 << 16, maxBytes: 4 << 20 }),
        },
      ];
      const html = replayReport(results, 'replay report (browser test)');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const problems: string[] = [];
        page.on('pageerror', (e) => problems.push(String(e)));
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(m.text());
        });
        await page.setContent(html, { waitUntil: 'load' });
        expect(await page.title()).toBe('replay report (browser test)');
        const facts = await page.evaluate(() =>
          Array.from(document.querySelectorAll('section.trace')).map((section) => ({
            rows: Array.from(section.querySelectorAll('tbody tr')).map((tr) => tr.textContent ?? ''),
            curves: Array.from(section.querySelectorAll('polyline.curve')).map((line) => {
              const svg = (line as SVGPolylineElement).ownerSVGElement as SVGSVGElement;
              const box = (line as SVGPolylineElement).getBBox();
              const frame = svg.viewBox.baseVal;
              return {
                name: line.getAttribute('data-name'),
                points: (line as SVGPolylineElement).points.numberOfItems,
                inside: box.x >= 0 && box.y >= 0 && box.x + box.width <= frame.width && box.y + box.height <= frame.height,
                drawn: box.width > 0,
              };
            }),
          })),
        );
        expect(problems).toEqual([]);
        const [small, oom] = facts;
        expect(small?.rows).toHaveLength(STRATEGY_NAMES.length);
        STRATEGY_NAMES.forEach((name, i) => {
          expect(small?.rows[i]).toMatch(new RegExp(`^■ ${name}\\d`));
        });
        // One chart with every footprint and the live bytes, then a chart per strategy with two curves.
        expect(small?.curves).toHaveLength(STRATEGY_NAMES.length + 1 + 2 * STRATEGY_NAMES.length);
        const sampled = results[0]?.strategies[0]?.curve.op.length ?? 0;
        expect(sampled).toBeGreaterThan(40);
        for (const c of small?.curves ?? []) expect(c).toMatchObject({ points: sampled, inside: true, drawn: true });
        expect(oom?.rows[0]).toContain('error: bump: out of memory');
        expect(oom?.curves.map((c) => c.name)).toEqual(['tlsf', 'live bytes', 'tlsf footprint', 'live bytes']);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
