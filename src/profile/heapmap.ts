/**
 * The heap map: a picture of the heap's address space as SVG, read from the buffer, so that
 * fragmentation is seen at a glance.
 *
 * Addresses run left to right and top to bottom, a fixed number of bytes per pixel (a power of
 * two chosen so the map fits in `maxRows` rows); every chunk of the large-object heap is a
 * rectangle, split where it wraps to the next row, and an arena of the small-object allocator is
 * drawn pool by pool, each coloured by its size class and fill (`./arenas.ts`):
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
import { type Heap, INTERNAL_REQUEST } from '../heap';
import { CHUNK_HEADER } from '../large/tlsf';
import { HEADER_BYTES, Word } from '../layout';
import { arenaBases, poolColour, poolsOf, sizeClassCount } from './arenas';
import { escapeXml, formatSize } from './format';
import { tracerOf } from './tracer';

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
    heapEnd: heap._mem.head[Word.HEAP_END] as number,
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
  const large = heap._large;
  large.forEachChunk((payload, size, isFree) => {
    const log = 31 - Math.clz32(size);
    let row = s.bySize.get(log);
    if (row === undefined) s.bySize.set(log, (row = [0, 0, 0, 0, 0]));
    if (isFree) {
      s.freeChunks++;
      s.freeBytes += size;
      if (size > s.largestFree) s.largestFree = size;
      row[2]++;
      row[3] += size;
    } else if (large.requestedOf(payload) === INTERNAL_REQUEST) {
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
  const width = Math.max(200, Math.floor(options.width ?? 800));
  const maxRows = Math.max(1, Math.floor(options.maxRows ?? 48));
  const rowHeight = Math.max(4, Math.floor(options.rowHeight ?? 14));
  const title = options.title ?? 'Heap map';
  const margin = 8;
  const top = 26;
  const cols = width - 2 * margin;
  const summary = summarizeLarge(heap);
  const total = summary.heapEnd + CHUNK_HEADER;
  let bytesPerPx = 1;
  while (total / (cols * bytesPerPx) > maxRows) bytesPerPx *= 2;
  const rowBytes = cols * bytesPerPx;
  const rows = Math.ceil(total / rowBytes);
  const out: string[] = [];
  const tracer = tracerOf(heap);

  // A run of neighbouring spans of one kind, each narrower than a pixel, is one rectangle.
  let pending: {
    start: number;
    end: number;
    cls: string;
    count: number;
    title: string;
    style: string;
    data: string;
    tiny: boolean;
  } | null = null;
  const flush = (): void => {
    if (pending === null) return;
    const { start, end, cls, count, style, data } = pending;
    const tip = count === 1 ? pending.title : `${count} ${cls} chunks, ${formatSize(end - start)} at ${start}..${end}`;
    let s = start;
    while (s < end) {
      const row = Math.floor(s / rowBytes);
      const segEnd = Math.min(end, (row + 1) * rowBytes);
      const x = margin + (s - row * rowBytes) / bytesPerPx;
      const w = (segEnd - s) / bytesPerPx;
      out.push(
        `<rect class="${cls}" x="${x.toFixed(2)}" y="${top + row * rowHeight}" width="${w.toFixed(2)}" height="${rowHeight - 2}"` +
          `${count === 1 && style !== '' ? ` style="${style}"` : ''} data-addr="${start}" data-size="${end - start}"${count === 1 ? data : ''}>` +
          `<title>${escapeXml(tip)}</title></rect>`,
      );
      s = segEnd;
    }
    pending = null;
  };
  const span = (start: number, end: number, cls: string, tip: string, style = '', data = ''): void => {
    if (pending?.tiny && pending.cls === cls && pending.end === start && end - start < bytesPerPx) {
      pending.end = end;
      pending.count++;
      return;
    }
    flush();
    pending = { start, end, cls, count: 1, title: tip, style, data, tiny: end - start < bytesPerPx };
  };

  for (let r = 0; r < rows; r++) {
    out.push(`<rect class="row-bg" x="${margin}" y="${top + r * rowHeight}" width="${cols}" height="${rowHeight - 2}"/>`);
  }
  const base = heap._mem.base;
  if (base > 0) span(0, base, 'header', `below the heap's base: ${formatSize(base)} that are not the heap's (a module's data and stack)`);
  span(base, base + HEADER_BYTES, 'header', `heap header: ${formatSize(HEADER_BYTES)} (counters, TLSF lists, allocator roots)`);
  const large = heap._large;
  const arenas = arenaBases(heap);
  const classes = sizeClassCount(heap);
  let arenaCount = 0;
  let usedPools = 0;
  large.forEachChunk((payload, size, isFree) => {
    const chunk = payload - CHUNK_HEADER;
    if (isFree) {
      span(chunk, chunk + size, 'free', `free gap at ${chunk}: ${formatSize(size)}`);
      return;
    }
    const requested = large.requestedOf(payload);
    if (requested === INTERNAL_REQUEST) {
      if (arenas.has(payload)) {
        // An arena of the small-object allocator: its chunk header, then its pools.
        span(chunk, payload, 'internal', `arena chunk header at ${chunk}`);
        arenaCount++;
        for (const pool of poolsOf(heap, payload)) {
          if (pool.sizeClass < 0) {
            span(pool.start, pool.end, 'pool-empty', `empty pool at ${pool.start}: ${formatSize(pool.end - pool.start)}`);
          } else {
            const fill = Math.round((100 * pool.blocksInUse) / pool.capacity);
            usedPools++;
            span(
              pool.start,
              pool.end,
              'pool',
              `pool at ${pool.start}: class ${pool.sizeClass} (${pool.blockSize} B blocks), ${pool.blocksInUse} of ${pool.capacity} in use (${fill}%)`,
              `fill:${poolColour(pool, classes)}`,
              ` data-class="${pool.sizeClass}" data-fill="${fill}"`,
            );
          }
        }
        return;
      }
      span(chunk, chunk + size, 'internal', `library chunk at ${chunk} (a table of the allocator): ${formatSize(size)}`);
      return;
    }
    let tip = `used block at ${payload}: ${formatSize(size - CHUNK_HEADER)} usable, ${requested} B requested`;
    const trace = tracer?.traces.get(payload);
    if (trace !== undefined) tip += `, allocated at ${trace.traceback}${trace.type !== undefined ? ` (${trace.type})` : ''}`;
    span(chunk, chunk + size, 'used', tip);
  });
  span(summary.heapEnd, summary.heapEnd + CHUNK_HEADER, 'header', 'sentinel chunk: the end of the heap');
  flush();

  const legendY = top + rows * rowHeight + 8;
  let legendX = margin;
  const legend = [
    ['used', 'used block'],
    ['free', 'free gap'],
    ['pool', 'pool (hue: size class, darker: fuller)'],
    ['pool-empty', 'empty pool'],
    ['internal', 'allocator table'],
    ['header', 'header'],
  ]
    .map(([cls, label]) => {
      const x = legendX;
      legendX += 24 + Math.ceil((label as string).length * 6.2);
      return `<rect class="${cls} legend" x="${x}" y="${legendY}" width="12" height="12"/><text class="caption" x="${x + 16}" y="${legendY + 10}">${label}</text>`;
    })
    .join('');
  // The caption wraps at the picture's width (11px sans-serif advances about 6.2px a character).
  const captionParts = [
    `${formatSize(total)} heap, ${formatSize(bytesPerPx)} per pixel`,
    `${arenaCount} arenas, ${usedPools} pools in use`,
    `${summary.usedChunks} large blocks (${formatSize(summary.usedBytes)})`,
    `${summary.freeChunks} free gaps (${formatSize(summary.freeBytes)}, largest ${formatSize(summary.largestFree)})`,
    `fragmentation ${(summary.fragmentation * 100).toFixed(1)}%`,
  ];
  const captionLines: string[] = [];
  for (const part of captionParts) {
    const last = captionLines.length - 1;
    const joined = last < 0 ? part : `${captionLines[last]} · ${part}`;
    if (last >= 0 && joined.length * CAPTION_CHAR_PX <= cols) captionLines[last] = joined;
    else captionLines.push(part);
  }
  const height = legendY + 22 + 14 * captionLines.length;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="arenalloc-heap-map" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<style>${STYLE}</style>` +
    `<text class="title" x="${margin}" y="17">${escapeXml(title)}</text>` +
    out.join('') +
    legend +
    captionLines
      .map((line, i) => `<text class="caption summary" x="${margin}" y="${legendY + 30 + 14 * i}">${escapeXml(line)}</text>`)
      .join('') +
    '</svg>'
  );
}
