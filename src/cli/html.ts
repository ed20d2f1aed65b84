/**
 * The HTML report of `arenalloc replay --html`: one self-contained page (inline CSS and SVG, no
 * script, no network). Per trace: the table of figures, one chart of every strategy's footprint
 * over the trace with its live bytes beneath, and a small chart per strategy (footprint and live
 * bytes), because where the footprint leaves the live bytes behind is where fragmentation is.
 *
 * @internal
 * @module
 */

import type { StrategyResult, TraceResult } from '../strategies/index';
import { formatBytes, formatNs } from './format';

/** A trace's result with the file it came from. */
export interface FileResult extends TraceResult {
  /** The trace file. */
  file: string;
}

const COLORS: Record<string, string> = {
  bump: '#8c564b',
  buddy: '#9467bd',
  'first-fit': '#ff7f0e',
  segregated: '#2ca02c',
  tlsf: '#1f77b4',
  heap: '#d62728',
  uint8array: '#7f7f7f',
};
const EXTRA_COLORS = ['#17becf', '#bcbd22', '#e377c2', '#393b79'];
const LIVE_COLOR = '#222';

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.error{color:#b00}
.muted{color:#777}.grid{display:flex;flex-wrap:wrap;gap:8px}.grid figure{margin:0}
figcaption{font-size:12px;color:#555}svg{max-width:100%;height:auto}
`;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function colorOf(name: string, index: number): string {
  return COLORS[name] ?? (EXTRA_COLORS[index % EXTRA_COLORS.length] as string);
}

interface Series {
  name: string;
  color: string;
  x: number[];
  y: number[];
  dashed?: boolean;
}

/** An SVG line chart of `series` over a shared x range (operations) and y range (bytes). */
function chart(series: Series[], width: number, height: number, title: string): string {
  const left = 70;
  const bottom = 28;
  const top = 22;
  const right = 10;
  const xMax = Math.max(1, ...series.flatMap((s) => s.x));
  const yMax = Math.max(1, ...series.flatMap((s) => s.y));
  const px = (x: number): number => left + (x / xMax) * (width - left - right);
  const py = (y: number): number => height - bottom - (y / yMax) * (height - top - bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="14" font-size="12" fill="#333">${escapeXml(title)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const y = (yMax * k) / 4;
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${left - 4}" y="${(py(y) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#666">${escapeXml(formatBytes(Math.round(y)))}</text>`,
    );
  }
  parts.push(`<text x="${width - right}" y="${height - 8}" font-size="10" text-anchor="end" fill="#666">${xMax} ops</text>`);
  parts.push(`<text x="${left}" y="${height - 8}" font-size="10" fill="#666">0</text>`);
  for (const s of series) {
    const points = s.x.map((x, i) => `${px(x).toFixed(1)},${py(s.y[i] as number).toFixed(1)}`).join(' ');
    const dash = s.dashed === true ? ' stroke-dasharray="4 3"' : '';
    parts.push(
      `<polyline class="curve" data-name="${escapeXml(s.name)}" fill="none" stroke="${s.color}" stroke-width="1.6"${dash} points="${points}"/>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

function row(s: StrategyResult, index: number): string {
  const swatch = `<span style="color:${colorOf(s.name, index)}">■</span> ${escapeXml(s.name)}`;
  if (s.error !== undefined) return `<tr><td>${swatch}</td><td colspan="6" class="error">error: ${escapeXml(s.error)}</td></tr>`;
  const cells = [
    formatNs(s.nsPerOp),
    formatBytes(s.peakFootprint),
    `${s.footprintRatio.toFixed(2)}×`,
    formatBytes(s.internalFragmentation),
    formatBytes(s.externalFragmentation),
    s.verified ? 'yes' : 'no',
  ];
  return `<tr><td>${swatch}</td>${cells.map((c) => `<td class="num">${escapeXml(c)}</td>`).join('')}</tr>`;
}

function traceSection(result: FileResult): string {
  const ok = result.strategies.filter((s) => s.error === undefined);
  const first = ok[0];
  const live: Series | undefined =
    first === undefined ? undefined : { name: 'live bytes', color: LIVE_COLOR, x: first.curve.op, y: first.curve.live, dashed: true };
  const all: Series[] = result.strategies
    .map((s, i) => ({ name: s.name, color: colorOf(s.name, i), x: s.curve.op, y: s.curve.footprint }))
    .filter((_series, i) => result.strategies[i]?.error === undefined);
  if (live !== undefined) all.push(live);
  const small = result.strategies
    .map((s, i) => {
      if (s.error !== undefined) return '';
      const series: Series[] = [
        { name: `${s.name} footprint`, color: colorOf(s.name, i), x: s.curve.op, y: s.curve.footprint },
        { name: 'live bytes', color: LIVE_COLOR, x: s.curve.op, y: s.curve.live, dashed: true },
      ];
      return `<figure>${chart(series, 350, 180, `${s.name}: footprint and live bytes`)}<figcaption>${escapeXml(s.name)}</figcaption></figure>`;
    })
    .join('');
  return [
    `<section class="trace"><h2>${escapeXml(result.file)}</h2>`,
    `<p class="muted">${result.ops} operations; peak live ${escapeXml(formatBytes(result.peakLiveBytes))} in ${result.peakLiveBlocks} blocks at most.</p>`,
    '<table><thead><tr><th>strategy</th><th class="num">ns/op</th><th class="num">peak footprint</th><th class="num">footprint / peak live</th>',
    '<th class="num">internal frag.</th><th class="num">external frag.</th><th class="num">verified</th></tr></thead><tbody>',
    result.strategies.map(row).join(''),
    '</tbody></table>',
    chart(all, 1050, 320, 'footprint over the trace (solid) and live bytes (dashed)'),
    `<div class="grid">${small}</div></section>`,
  ].join('');
}

/** The whole page for the results of a replay. */
export function replayReport(results: FileResult[], title = 'arenalloc replay'): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeXml(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeXml(title)}</h1>`,
    '<p class="muted">ns/op: median of the timed rounds (operations preloaded, only the loop timed). Fragmentation at the moment the live bytes peak: internal = usable − requested bytes of the live blocks; external = free bytes inside the footprint.</p>',
    results.map(traceSection).join(''),
    '</body></html>\n',
  ].join('');
}
