/**
 * The heap map: a picture of the heap's address space as SVG, read from the buffer, so that
 * fragmentation is seen at a glance.
 *
 * Addresses run left to right and top to bottom, a fixed number of bytes per pixel (a power of
 * two chosen so the map fits in `maxRows` rows); every chunk of the large-object heap is a
 * rectangle, split where it wraps to the next row, and an arena of the small-object allocator is
 * drawn pool by pool, each coloured by its size class and fill (`./arenas.ts`). The chunks and the
 * pools come through the port (`visitChunks`, `visitArenas` of `src/port.ts`):
 *
 * ```
 *  ┌────────┬────────────┬──┬──────────────────────┬─────────────────────────────┐
 *  │ header │ used block │░░│ arena (pools by fill) │ free gap                    │  row 0
 *  ├────────┴──────┬─────┴──┴──────────────────────┴─┬───────────────────────────┤
 *  │ used block    │ free                             │ used                      │  row 1
 *  └───────────────┴──────────────────────────────────┴───────────────────────────┘
 * ```
 *
 * A run of neighbouring chunks of one kind, each narrower than a pixel, is drawn as one rectangle
 * whose tooltip counts them, so that a heap of a million small blocks still makes a small picture.
 * Every rectangle has a class (`header`, `used`, `free`, `pool`, `pool-empty`, `internal`) and
 * `data-addr`/`data-size` attributes (pools also `data-class` and `data-fill`, in percent), and a
 * `<title>` tooltip (with the allocation site of a large block when the heap is traced).
 *
 * @module
 */

import { describeValue, expectHeap, InvalidArgumentError } from '../errors';
import type { Heap } from '../heap';
import { HEADER_BYTES, Word } from '../layout';
import { ChunkKind, LARGE_CHUNK_HEADER, memoryOf, type PoolSpan, smallGeometry, visitChunks } from '../port';
import { arenaPools, poolColour } from './arenas';
import { escapeXml, formatSize } from './format';
import { activeTracer, type Tracer } from './tracer';

/** Options of {@link heapMap}. */
export interface HeapMapOptions {
  /**
   * Width of the picture in pixels, at least 200.
   * @defaultValue `800`
   */
  width?: number;
  /**
   * Most rows of addresses; the bytes per pixel grow (by powers of two) until the heap fits.
   * @defaultValue `48`
   */
  maxRows?: number;
  /**
   * Height of one row in pixels.
   * @defaultValue `14`
   */
  rowHeight?: number;
  /**
   * Caption above the map.
   * @defaultValue `'Heap map'`
   */
  title?: string;
}

/** What the walk of the large-object heap found, for the map's caption and the report. @internal */
export interface LargeHeapSummary {
  heapEnd: number;
  usedChunks: number;
  usedBytes: number;
  internalChunks: number;
  internalBytes: number;
  freeChunks: number;
  freeBytes: number;
  largestFree: number;
  /** `1 - largestFree / freeBytes`: 0 when all free space is one gap. */
  fragmentation: number;
  /** Chunks by ⌊log2 size⌋: [used, used bytes, free, free bytes, library chunks]. */
  bySize: Map<number, [number, number, number, number, number]>;
}

/** Walks the large-object heap's chunks (from the buffer) and sums them up. @internal */
export function summarizeLarge(heap: Heap): LargeHeapSummary {
  const s: LargeHeapSummary = {
    heapEnd: memoryOf(heap).head[Word.HEAP_END] as number,
    usedChunks: 0,
    usedBytes: 0,
    internalChunks: 0,
    internalBytes: 0,
    freeChunks: 0,
    freeBytes: 0,
    largestFree: 0,
    fragmentation: 0,
    bySize: new Map(),
  };
  visitChunks(heap, (_payload, size, kind) => {
    const log = 31 - Math.clz32(size);
    let row = s.bySize.get(log);
    if (row === undefined) s.bySize.set(log, (row = [0, 0, 0, 0, 0]));
    if (kind === ChunkKind.FREE) {
      s.freeChunks++;
      s.freeBytes += size;
      if (size > s.largestFree) s.largestFree = size;
      row[2]++;
      row[3] += size;
    } else if (kind === ChunkKind.INTERNAL) {
      s.internalChunks++;
      s.internalBytes += size;
      row[4]++;
    } else {
      s.usedChunks++;
      s.usedBytes += size;
      row[0]++;
      row[1] += size;
    }
  });
  s.fragmentation = s.freeBytes > 0 ? 1 - s.largestFree / s.freeBytes : 0;
  return s;
}

// Selectors are scoped to the map's root class: an SVG's <style> applies to the whole HTML page
// it is inlined in, beside other pictures.
const STYLE = `
.arenalloc-heap-map .title{font:bold 13px sans-serif;fill:#222}
.arenalloc-heap-map .caption{font:11px sans-serif;fill:#444}
.arenalloc-heap-map .header{fill:#8c8c8c}
.arenalloc-heap-map .used{fill:#3b7dd8;stroke:#fff;stroke-width:.5}
.arenalloc-heap-map .free{fill:#fbe3bd}
.arenalloc-heap-map .internal{fill:#555}
.arenalloc-heap-map .pool{fill:#7a4fb0;stroke:#fff;stroke-width:.5}
.arenalloc-heap-map .pool-empty{fill:#e9e0f3;stroke:#fff;stroke-width:.5}
.arenalloc-heap-map .row-bg{fill:#fff;stroke:#e2e2e2;stroke-width:.5}
`;

/** Average advance of the caption's 11px sans-serif, per character, for wrapping. */
const CAPTION_CHAR_PX = 6.2;

/** Left and right margin of the picture, in pixels. */
const MARGIN = 8;
/** Top of the first row (below the title), in pixels. */
const TOP = 26;

/** Where addresses land in the picture: the scale and the rows, from the options and the heap's size. */
interface MapGeometry {
  readonly width: number;
  readonly rowHeight: number;
  readonly title: string;
  /** Pixels of a row: the width less the margins. */
  readonly cols: number;
  /** Bytes from address 0 to the end of the sentinel. */
  readonly total: number;
  /** A power of two: the smallest with which the heap fits in `maxRows` rows. */
  readonly bytesPerPx: number;
  readonly rowBytes: number;
  readonly rows: number;
}

/** Reads the options (an object) and scales the map so that `total` bytes fit. */
function geometryOf(options: HeapMapOptions, total: number): MapGeometry {
  const width = Math.max(200, Math.floor(options.width ?? 800));
  const maxRows = Math.max(1, Math.floor(options.maxRows ?? 48));
  const rowHeight = Math.max(4, Math.floor(options.rowHeight ?? 14));
  const title = options.title ?? 'Heap map';
  const cols = width - 2 * MARGIN;
  let bytesPerPx = 1;
  while (total / (cols * bytesPerPx) > maxRows) bytesPerPx *= 2;
  const rowBytes = cols * bytesPerPx;
  return { width, rowHeight, title, cols, total, bytesPerPx, rowBytes, rows: Math.ceil(total / rowBytes) };
}

/** A span waiting to be drawn: it may still absorb its tiny neighbours. */
interface PendingSpan {
  start: number;
  end: number;
  cls: string;
  count: number;
  title: string;
  style: string;
  data: string;
  /** Narrower than a pixel: a neighbour of its class, as narrow, joins it. */
  tiny: boolean;
}

/**
 * Turns address ranges into rectangles, in address order. A run of neighbouring spans of one
 * kind, each narrower than a pixel, becomes one rectangle whose tooltip counts them; a span that
 * wraps past the end of a row is split into one rectangle per row.
 */
class SpanPainter {
  readonly out: string[];
  readonly geometry: MapGeometry;
  pending: PendingSpan | null;

  constructor(out: string[], geometry: MapGeometry) {
    this.out = out;
    this.geometry = geometry;
    this.pending = null;
  }

  /** Adds the span `[start, end)` of class `cls` with its tooltip, inline style and data attributes. */
  span(start: number, end: number, cls: string, tip: string, style = '', data = ''): void {
    const pending = this.pending;
    const narrow = end - start < this.geometry.bytesPerPx;
    if (pending?.tiny && pending.cls === cls && pending.end === start && narrow) {
      pending.end = end;
      pending.count++;
      return;
    }
    this.flush();
    this.pending = { start, end, cls, count: 1, title: tip, style, data, tiny: narrow };
  }

  /** Draws the pending span, if any. */
  flush(): void {
    const pending = this.pending;
    if (pending === null) return;
    const { rowBytes, bytesPerPx, rowHeight } = this.geometry;
    const { start, end, cls, count, style, data } = pending;
    const tip = count === 1 ? pending.title : `${count} ${cls} chunks, ${formatSize(end - start)} at ${start}..${end}`;
    let s = start;
    while (s < end) {
      const row = Math.floor(s / rowBytes);
      const segEnd = Math.min(end, (row + 1) * rowBytes);
      const x = MARGIN + (s - row * rowBytes) / bytesPerPx;
      const w = (segEnd - s) / bytesPerPx;
      this.out.push(
        `<rect class="${cls}" x="${x.toFixed(2)}" y="${TOP + row * rowHeight}" width="${w.toFixed(2)}" height="${rowHeight - 2}"` +
          `${count === 1 && style !== '' ? ` style="${style}"` : ''} data-addr="${start}" data-size="${end - start}"${count === 1 ? data : ''}>` +
          `<title>${escapeXml(tip)}</title></rect>`,
      );
      s = segEnd;
    }
    this.pending = null;
  }
}

/** What the chunk walk drew, for the caption. */
interface ChunkCounts {
  arenas: number;
  usedPools: number;
}

/** Draws what lies below the first chunk: memory that is not the heap's, then the heap header. */
function drawHeader(painter: SpanPainter, base: number): void {
  if (base > 0)
    painter.span(0, base, 'header', `below the heap's base: ${formatSize(base)} that are not the heap's (a module's data and stack)`);
  painter.span(base, base + HEADER_BYTES, 'header', `heap header: ${formatSize(HEADER_BYTES)} (counters, TLSF lists, allocator roots)`);
}

/** Draws every chunk of the large-object heap in address order: arenas pool by pool, the rest whole. */
function drawChunks(heap: Heap, painter: SpanPainter): ChunkCounts {
  const counts: ChunkCounts = { arenas: 0, usedPools: 0 };
  const arenas = arenaPools(heap);
  const classes = smallGeometry(heap).classes;
  const tracer = activeTracer(heap);
  visitChunks(heap, (payload, size, kind, requested) => {
    const chunk = payload - LARGE_CHUNK_HEADER;
    if (kind === ChunkKind.FREE) {
      painter.span(chunk, chunk + size, 'free', `free gap at ${chunk}: ${formatSize(size)}`);
    } else if (kind === ChunkKind.USED) {
      drawLargeBlock(painter, chunk, payload, size, requested, tracer);
    } else {
      const pools = arenas.get(payload);
      if (pools !== undefined) {
        counts.arenas++;
        counts.usedPools += drawArena(painter, chunk, payload, pools, classes);
      } else {
        painter.span(chunk, chunk + size, 'internal', `library chunk at ${chunk} (a table of the allocator): ${formatSize(size)}`);
      }
    }
  });
  return counts;
}

/** Draws an arena of the small-object allocator: its chunk header, then its pools. Returns the pools in use. */
function drawArena(painter: SpanPainter, chunk: number, payload: number, pools: readonly PoolSpan[], classes: number): number {
  painter.span(chunk, payload, 'internal', `arena chunk header at ${chunk}`);
  let used = 0;
  for (const pool of pools) {
    if (pool.sizeClass < 0) {
      painter.span(pool.start, pool.end, 'pool-empty', `empty pool at ${pool.start}: ${formatSize(pool.end - pool.start)}`);
      continue;
    }
    const fill = Math.round((100 * pool.blocksInUse) / pool.capacity);
    used++;
    painter.span(
      pool.start,
      pool.end,
      'pool',
      `pool at ${pool.start}: class ${pool.sizeClass} (${pool.blockSize} B blocks), ${pool.blocksInUse} of ${pool.capacity} in use (${fill}%)`,
      `fill:${poolColour(pool, classes)}`,
      ` data-class="${pool.sizeClass}" data-fill="${fill}"`,
    );
  }
  return used;
}

/** Draws a user block of the large-object heap, with its allocation site when it is traced. */
function drawLargeBlock(
  painter: SpanPainter,
  chunk: number,
  payload: number,
  size: number,
  requested: number,
  tracer: Tracer | undefined,
): void {
  let tip = `used block at ${payload}: ${formatSize(size - LARGE_CHUNK_HEADER)} usable, ${requested} B requested`;
  const trace = tracer?.traces.get(payload);
  if (trace !== undefined) tip += `, allocated at ${trace.traceback}${trace.type !== undefined ? ` (${trace.type})` : ''}`;
  painter.span(chunk, chunk + size, 'used', tip);
}

/** The legend under the rows: a swatch and a label per class of rectangle. */
function legendOf(y: number): string {
  let x = MARGIN;
  return [
    ['used', 'used block'],
    ['free', 'free gap'],
    ['pool', 'pool (hue: size class, darker: fuller)'],
    ['pool-empty', 'empty pool'],
    ['internal', 'allocator table'],
    ['header', 'header'],
  ]
    .map(([cls, label]) => {
      const at = x;
      x += 24 + Math.ceil((label as string).length * 6.2);
      return `<rect class="${cls} legend" x="${at}" y="${y}" width="12" height="12"/><text class="caption" x="${at + 16}" y="${y + 10}">${label}</text>`;
    })
    .join('');
}

/** The caption's figures, joined with ` · ` into lines no wider than `cols` pixels. */
function captionLines(geometry: MapGeometry, counts: ChunkCounts, summary: LargeHeapSummary): string[] {
  const parts = [
    `${formatSize(geometry.total)} heap, ${formatSize(geometry.bytesPerPx)} per pixel`,
    `${counts.arenas} arenas, ${counts.usedPools} pools in use`,
    `${summary.usedChunks} large blocks (${formatSize(summary.usedBytes)})`,
    `${summary.freeChunks} free gaps (${formatSize(summary.freeBytes)}, largest ${formatSize(summary.largestFree)})`,
    `fragmentation ${(summary.fragmentation * 100).toFixed(1)}%`,
  ];
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.length - 1;
    const joined = last < 0 ? part : `${lines[last]} · ${part}`;
    if (last >= 0 && joined.length * CAPTION_CHAR_PX <= geometry.cols) lines[last] = joined;
    else lines.push(part);
  }
  return lines;
}

/**
 * Draws the heap as SVG: the header, every large block, every arena pool by pool (size class and
 * fill), the allocator's own tables and every free gap, in address order. Read from the buffer alone; cost O(chunks).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('heap.svg', heapMap(heap));
 * ```
 */
export function heapMap(heap: Heap, options: HeapMapOptions = {}): string {
  expectHeap(heap, 'heapMap');
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`heapMap: options must be an object, got ${describeValue(options)}`, 'options');
  const summary = summarizeLarge(heap);
  const geometry = geometryOf(options, summary.heapEnd + LARGE_CHUNK_HEADER);
  const { width, rowHeight, rows } = geometry;
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    out.push(`<rect class="row-bg" x="${MARGIN}" y="${TOP + r * rowHeight}" width="${geometry.cols}" height="${rowHeight - 2}"/>`);
  }
  const painter = new SpanPainter(out, geometry);
  drawHeader(painter, memoryOf(heap).base);
  const counts = drawChunks(heap, painter);
  painter.span(summary.heapEnd, summary.heapEnd + LARGE_CHUNK_HEADER, 'header', 'sentinel chunk: the end of the heap');
  painter.flush();

  const legendY = TOP + rows * rowHeight + 8;
  const caption = captionLines(geometry, counts, summary);
  const height = legendY + 22 + 14 * caption.length;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="arenalloc-heap-map" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<style>${STYLE}</style>` +
    `<text class="title" x="${MARGIN}" y="17">${escapeXml(geometry.title)}</text>` +
    out.join('') +
    legendOf(legendY) +
    caption
      .map((line, i) => `<text class="caption summary" x="${MARGIN}" y="${legendY + 30 + 14 * i}">${escapeXml(line)}</text>`)
      .join('') +
    '</svg>'
  );
}
