/**
 * Backing stores: what V8 charges for typed-array work over each kind of buffer a heap can live
 * in. These figures are why the default store is a growable SharedArrayBuffer
 * (docs/guides/choosing-tunables.md), and what that default costs for bulk byte operations.
 *
 * For each kind (a plain ArrayBuffer, the reference; a growable SharedArrayBuffer, the default;
 * a resizable ArrayBuffer; a WebAssembly.Memory), over a fixed-length view as the library takes
 * (and, last, the default store through length-tracking views, as `new Uint32Array(heap.buffer)` makes):
 *
 * - word loop: 1,024 `Uint32Array` loads and stores, the shape of the allocator's own work;
 * - 16 KiB `Uint8Array.prototype.fill`, and the same range filled through a `Uint32Array`
 *   (what `calloc` and debug mode do since the default changed);
 * - 16 KiB `set` from a plain `Uint8Array` (copying bytes into the heap), and `copyWithin`
 *   (what a moving `realloc` does).
 *
 * Each case is its own function (isolated), so views of one kind never share a call site with
 * views of another.
 */

import { isolated, timeCases, withRatios } from './lib/measure.mjs';
import { reportSuite } from './lib/results.mjs';

const BYTES = 1 << 22;
const SPAN = 16384;
const WORDS = 1024;
const REPEAT = 16;

const KINDS = [
  ['ArrayBuffer (plain)', () => new ArrayBuffer(BYTES)],
  ['growable SharedArrayBuffer (the default store)', () => new SharedArrayBuffer(BYTES, { maxByteLength: BYTES * 4 })],
  ['resizable ArrayBuffer', () => new ArrayBuffer(BYTES, { maxByteLength: BYTES * 4 })],
  ['WebAssembly.Memory', () => new WebAssembly.Memory({ initial: BYTES / 65536, maximum: (BYTES * 4) / 65536 }).buffer],
  // What a user gets from `new Uint32Array(heap.buffer)` over the default store: a view with no
  // length given over a growable buffer tracks the buffer's length, and V8 re-reads it on every access.
  ['growable SharedArrayBuffer, length-tracking views', () => new SharedArrayBuffer(BYTES, { maxByteLength: BYTES * 4 }), 'tracking'],
];
const REFERENCE = KINDS[0][0];

const source = new Uint8Array(SPAN).fill(7);

function table(title, opsPerCall, factory) {
  const cases = KINDS.map(([name, make, views]) => {
    const buffer = make();
    const u8 = views === 'tracking' ? new Uint8Array(buffer) : new Uint8Array(buffer, 0, BYTES);
    const u32 = views === 'tracking' ? new Uint32Array(buffer) : new Uint32Array(buffer, 0, BYTES >>> 2);
    return { name, opsPerCall, fn: isolated(factory)(u8, u32, source, REPEAT) };
  });
  return { title, reference: REFERENCE, rows: withRatios(timeCases(cases), REFERENCE) };
}

const timing = [
  table(
    `word loop: ${WORDS.toLocaleString('en')} Uint32Array loads and stores (ns per load + store)`,
    WORDS * REPEAT,
    (_u8, u32, _src, repeat) => () => {
      for (let r = 0; r < repeat; r++) {
        const base = 4096 + r * 2048;
        for (let i = 0; i < 1024; i++) u32[base + i] = (u32[base + i] + i) >>> 0;
      }
    },
  ),
  table('Uint8Array fill of 16 KiB (ns per fill)', REPEAT, (u8, _u32, _src, repeat) => () => {
    for (let r = 0; r < repeat; r++) u8.fill(r, 65536, 65536 + 16384);
  }),
  table('the same 16 KiB filled through a Uint32Array (ns per fill)', REPEAT, (_u8, u32, _src, repeat) => () => {
    for (let r = 0; r < repeat; r++) u32.fill(r * 0x01010101, 16384, 16384 + 4096);
  }),
  table('set of 16 KiB from a plain Uint8Array (ns per copy)', REPEAT, (u8, _u32, src, repeat) => () => {
    for (let r = 0; r < repeat; r++) u8.set(src, 65536 + (r & 1) * 16384);
  }),
  table('copyWithin of 16 KiB (ns per copy)', REPEAT, (u8, _u32, _src, repeat) => () => {
    for (let r = 0; r < repeat; r++) u8.copyWithin(262144 + (r & 1) * 16384, 65536, 65536 + 16384);
  }),
];

reportSuite({
  suite: 'store',
  title: 'Backing stores: typed-array work over each kind of buffer (× the plain ArrayBuffer)',
  timing,
  notes: [
    'Views are fixed-length, as the library takes them, except in the last row: `new Uint8Array(heap.buffer)` over a growable buffer makes a length-tracking view, which costs this much on every access (use `heap.bytes(ptr)` or a view with an explicit length). V8 checks an access to a view of a resizable ArrayBuffer against a length that may shrink; fixed-length views of a growable SharedArrayBuffer never go out of bounds, so they run as fast as a plain buffer. Bulk operations on shared memory are done element by element (relaxed atomics), so they are slower however the buffer grows.',
  ],
});
