/**
 * The HTML report: one self-contained page (inline CSS and SVG, no script, no network) with a
 * heap's figures, its allocator tables, the top allocation sites and types, the heap map, the
 * timeline and a leak report. Open it in any browser, attach it to a bug, keep it with a CI run.
 *
 * @module
 */

import { describeValue, expectHeap, InvalidArgumentError } from '../errors';
import type { Heap } from '../heap';
import { installInspect } from '../inspect/install';
import { escapeXml, formatSize } from './format';
import { heapMap, summarizeLarge } from './heapmap';
import type { LeakMarkReport } from './leaks';
import { type Snapshot, takeSnapshot } from './snapshot';
import type { Timeline } from './timeline';
import { activeTracer, getTracedMemory } from './tracer';

/** Options of {@link htmlReport}. */
export interface ReportOptions {
  /**
   * The page title.
   * @defaultValue `'arenalloc heap report'`
   */
  title?: string;
  /** The snapshot whose sites to list; by default one is taken now if the heap is traced. */
  snapshot?: Snapshot;
  /** A timeline to plot. Without one, the timeline section says so. */
  timeline?: Timeline;
  /** A leak report to include. */
  leaks?: LeakMarkReport;
  /**
   * How many allocation sites (and types) to list.
   * @defaultValue `20`
   */
  top?: number;
}

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:4px 0}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#777}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
section{margin-bottom:12px}svg{max-width:100%;height:auto}
`;

type Row = (string | number)[];

function table(id: string, head: string[], rows: Row[], numeric: boolean[]): string {
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${escapeXml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeXml(String(c))}</td>`).join('')}</tr>`)
    .join('');
  return `<table id="${id}"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

/**
 * The HTML report of `heap` as a string: figures (from the buffer), the allocator tables, the top
 * allocation sites and types (when traced, or from `options.snapshot`), the heap map, the
 * timeline (from `options.timeline`) and a leak report (from `options.leaks`).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { htmlReport, start, Timeline } from 'arenalloc/profile';
 * start(heap, 5);
 * const timeline = new Timeline(heap);
 * timeline.start(20);
 * await work(heap);
 * timeline.stop();
 * writeFileSync('heap-report.html', htmlReport(heap, { timeline }));
 * ```
 */
export function htmlReport(heap: Heap, options: ReportOptions = {}): string {
  expectHeap(heap, 'htmlReport');
  installInspect(); // heap.check() of this heap's users runs the walk of arenalloc/inspect
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`htmlReport: options must be an object, got ${describeValue(options)}`, 'options');
  const title = options.title ?? 'arenalloc heap report';
  const top = Math.max(1, Math.floor(options.top ?? 20));
  const stats = heap.stats();
  const large = summarizeLarge(heap);
  const traced = activeTracer(heap) !== undefined;
  const snapshot = options.snapshot ?? (traced ? takeSnapshot(heap) : undefined);
  const parts: string[] = [];

  parts.push(`<h1>${escapeXml(title)}</h1><p class="muted">${escapeXml(new Date().toISOString())}</p>`);

  const figures: Row[] = [
    ['backing store', `${stats.store}, ${formatSize(stats.backingBytes)} (peak ${formatSize(stats.peakBackingBytes)})`],
    ['live blocks', stats.liveBlocks],
    ['live bytes', `${formatSize(stats.liveBytes)} (peak ${formatSize(stats.peakLiveBytes)})`],
    ['free bytes', `${formatSize(stats.freeBytes)} in ${stats.large.freeChunks} gaps, largest ${formatSize(large.largestFree)}`],
    ['fragmentation', `${(large.fragmentation * 100).toFixed(1)}% (1 − largest gap / free bytes)`],
    ['allocations / frees', `${stats.totalAllocations} / ${stats.totalFrees}`],
  ];
  if (traced) {
    const t = getTracedMemory(heap);
    figures.push(['traced memory', `${formatSize(t.current)} (peak ${formatSize(t.peak)})`]);
  }
  parts.push(`<section id="summary"><h2>Summary</h2>${table('summary-table', ['figure', 'value'], figures, [false, false])}</section>`);

  // The allocator tables. `debugMallocStats()` is the small-object allocator's text report
  // (sys._debugmallocstats); it is printed when the heap has one.
  const sizeRows: Row[] = [...large.bySize.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([log, [used, usedBytes, free, freeBytes, internal]]) => [
      `${formatSize(2 ** log)} – ${formatSize(2 ** (log + 1) - 1)}`,
      used,
      formatSize(usedBytes),
      free,
      formatSize(freeBytes),
      internal,
    ]);
  const sizeHead = ['chunk size', 'used', 'used bytes', 'free', 'free bytes', 'library (arenas, tables)'];
  let mallocStats = table('large-size-classes', sizeHead, sizeRows, [false, true, true, true, true, true]);
  const debugMallocStats = (heap as unknown as { debugMallocStats?: () => string }).debugMallocStats;
  if (typeof debugMallocStats === 'function') {
    mallocStats += `<p>Small-object allocator (<code>heap.debugMallocStats()</code>):</p><pre id="debug-malloc-stats">${escapeXml(debugMallocStats.call(heap))}</pre>`;
  }
  parts.push(`<section id="malloc-stats"><h2>Allocator</h2><p>Large-object heap (TLSF) chunks by size:</p>${mallocStats}</section>`);

  if (snapshot !== undefined) {
    const sites = snapshot
      .statistics('lineno')
      .slice(0, top)
      .map((s): Row => [String(s.traceback), s.count, formatSize(s.size), formatSize(s.count > 0 ? s.size / s.count : 0)]);
    const types = snapshot
      .statistics('type')
      .slice(0, top)
      .map((s): Row => [s.type ?? '', s.count, formatSize(s.size)]);
    parts.push(
      `<section id="sites"><h2>Top allocation sites</h2>${table('sites-table', ['site', 'blocks', 'size', 'average'], sites, [false, true, true, true])}</section>`,
      `<section id="types"><h2>By type</h2>${table('types-table', ['type', 'blocks', 'size'], types, [false, true, true])}</section>`,
    );
  } else {
    parts.push(
      '<section id="sites"><h2>Top allocation sites</h2><p class="muted">The heap is not traced: call start(heap) to record allocation sites.</p></section>',
    );
  }

  parts.push(`<section id="heap-map"><h2>Heap map</h2>${heapMap(heap, { width: 1000 })}</section>`);
  parts.push(
    options.timeline !== undefined
      ? `<section id="timeline"><h2>Memory over time</h2>${options.timeline.toSVG({ width: 1000, height: 320 })}</section>`
      : '<section id="timeline"><h2>Memory over time</h2><p class="muted">No timeline was sampled.</p></section>',
  );
  if (options.leaks !== undefined) {
    const rows = options.leaks.groups.slice(0, top).map((g): Row => [String(g.traceback), g.types.join(', '), g.count, formatSize(g.size)]);
    parts.push(
      `<section id="leaks"><h2>Still live since the mark</h2><p>${options.leaks.count} blocks, ${formatSize(options.leaks.size)}</p>` +
        `${table('leaks-table', ['site', 'types', 'blocks', 'size'], rows, [false, false, true, true])}</section>`,
    );
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${CSS}</style></head><body>${parts.join('')}</body></html>`;
}
