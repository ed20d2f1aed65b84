/**
 * Small objects (issue 3 §6, with the targets of issue 14 §3).
 *
 * - A. a steady alloc+free pair of 16, 64 and 256 bytes; A′ the same while another block of the
 *   class stays live;
 * - B. 10,000 seeded random sizes of 8–512 bytes allocated, then freed in a seeded random order
 *   (ns per alloc+free pair);
 * - D. 1,000,000 live 32-byte blocks: backing bytes per block (a measurement, not a timing).
 *
 * arenalloc runs with its default store (a growable SharedArrayBuffer in Node) and, for comparison,
 * a fixed one and a resizable ArrayBuffer (the default before, which V8 reads several times more
 * slowly); the targets are checked on the default. Baselines in the same run: a minimal LIFO free list over an Int32Array (one class for A and D,
 * 16-byte classes for B: the floor, which checks nothing), the checked pymalloc reference
 * (bench/baselines/checked-pymalloc.mjs: pools, a live bitmap, counters in the buffer, every check
 * arenalloc's free makes, over the same kind of store as the default), `new Uint8Array(n)`,
 * `Buffer.allocUnsafe(n)`, and the peer allocator `@thi.ng/malloc` (`MemPool`).
 *
 * Targets (issue 14 §3, ratios to the checked reference in the same run): A′ at most 1.3×, A at
 * most 1.5×, B at most 1.05×; B at least 50× faster than `new Uint8Array` (issue 3); D at most 33
 * bytes per 32-byte block.
 */

import { MemPool } from '@thi.ng/malloc';
import { createHeap } from '../dist/index.js';
import '../dist/inspect.js'; // heap.check() (arenalloc/inspect)
import { CheckedPymalloc } from './baselines/checked-pymalloc.mjs';
import { LifoFreeList, SizeClassFreeList } from './baselines/lifo-free-list.mjs';
import {
  atLeast,
  atMost,
  collectGarbage,
  footprintOf,
  freshArenalloc,
  isolated,
  QUICK,
  rowOf,
  timeCases,
  withRatios,
} from './lib/measure.mjs';
import { createRng, permutation, randomInts } from './lib/prng.mjs';
import { reportSuite } from './lib/results.mjs';

const ARENALLOC = 'arenalloc';
/** arenalloc over a fixed ArrayBuffer, whose typed views V8 reads faster than a resizable one's. */
const ARENALLOC_FIXED = 'arenalloc (fixed store)';
const ARENALLOC_RESIZABLE = 'arenalloc (resizable store)';
// Each store kind runs on its own copy of the library (see freshArenalloc): one program, one kind.
const fixedLib = freshArenalloc();
const resizableLib = freshArenalloc();
const THING = '@thi.ng/malloc';
const UINT8 = 'new Uint8Array';
const BUFFER = 'Buffer.allocUnsafe';

// ─── A: a steady alloc+free pair ─────────────────────────────────────────────────────────────

const PAIRS_PER_CALL = 1000;

function pairCase(name, allocator, size) {
  const fn = isolated((allocator, size, count) => () => {
    for (let n = 0; n < count; n++) allocator.free(allocator.malloc(size));
  })(allocator, size, PAIRS_PER_CALL);
  return { name, opsPerCall: PAIRS_PER_CALL, fn, footprint: footprintOf(allocator) };
}

function pairObjectCase(name, make, size) {
  // The last array made stays referenced (until the next one replaces it), so that the
  // allocation cannot be optimised away.
  const fn = isolated((make, size, count, keep) => () => {
    for (let n = 0; n < count; n++) keep[0] = make(size);
  })(make, size, PAIRS_PER_CALL, [null]);
  return { name, opsPerCall: PAIRS_PER_CALL, fn, garbage: true };
}

const ONE_CLASS = 'free list (one class)';
/** The checked reference (bench/baselines/checked-pymalloc.mjs): the limit the targets are set against. */
const CHECKED = 'checked pymalloc (reference)';
const timing = [];
const checks = [];
for (const size of [16, 64, 256]) {
  const rows = withRatios(
    timeCases([
      pairCase(ONE_CLASS, new LifoFreeList(size), size),
      pairCase(CHECKED, new CheckedPymalloc(), size),
      pairCase(ARENALLOC, createHeap(), size),
      pairCase(ARENALLOC_FIXED, fixedLib.createHeap({ store: 'fixed', initialBytes: 1 << 24 }), size),
      pairCase(ARENALLOC_RESIZABLE, resizableLib.createHeap({ store: 'resizable' }), size),
      pairCase(THING, new MemPool({ size: 1 << 20 }), size),
      pairObjectCase(UINT8, (n) => new Uint8Array(n), size),
      pairObjectCase(BUFFER, (n) => Buffer.allocUnsafe(n), size),
    ]),
    ONE_CLASS,
  );
  timing.push({ title: `A. malloc(${size}) + free, repeated (ns per pair)`, reference: ONE_CLASS, rows });
  checks.push(
    atMost(`A ${size} B: arenalloc vs the checked reference`, rowOf(rows, ARENALLOC).nsPerOp / rowOf(rows, CHECKED).nsPerOp, 1.5, '×'),
  );
}

// A′: the same pair while another block of the class stays live. In A the pair is the only use
// of its size class, so each free empties the pool and each malloc takes it back (CPython's
// used → empty → used transitions, with the arena bookkeeping); here the pool stays in use, as it
// does in a program that keeps other objects of that size, and only the fast paths run. The
// target is checked on A; this shows what the fast paths cost.
const withLive = (allocator, size) => {
  allocator.malloc(size);
  return allocator;
};
for (const size of [16, 256]) {
  const rows = withRatios(
    timeCases([
      pairCase(ONE_CLASS, new LifoFreeList(size), size),
      pairCase(CHECKED, withLive(new CheckedPymalloc(), size), size),
      pairCase(ARENALLOC, withLive(createHeap(), size), size),
      pairCase(ARENALLOC_FIXED, withLive(fixedLib.createHeap({ store: 'fixed', initialBytes: 1 << 24 }), size), size),
      pairCase(ARENALLOC_RESIZABLE, withLive(resizableLib.createHeap({ store: 'resizable' }), size), size),
      pairCase(THING, withLive(new MemPool({ size: 1 << 20 }), size), size),
    ]),
    ONE_CLASS,
  );
  timing.push({
    title: `A′. malloc(${size}) + free while another block of the class stays live (ns per pair)`,
    reference: ONE_CLASS,
    rows,
  });
  checks.push(
    atMost(`A′ ${size} B: arenalloc vs the checked reference`, rowOf(rows, ARENALLOC).nsPerOp / rowOf(rows, CHECKED).nsPerOp, 1.3, '×'),
  );
}

// ─── B: 10,000 random sizes, allocated then freed in random order ───────────────────────────

const B_COUNT = 10_000;
const rng = createRng(3);
const bSizes = randomInts(rng, B_COUNT, 8, 512);
const bOrder = permutation(rng, B_COUNT);

function batchCase(name, allocator) {
  const fn = isolated((allocator, sizes, order, ptrs) => () => {
    const count = sizes.length;
    for (let i = 0; i < count; i++) ptrs[i] = allocator.malloc(sizes[i]);
    for (let i = 0; i < count; i++) allocator.free(ptrs[order[i]]);
  })(allocator, bSizes, bOrder, new Int32Array(B_COUNT));
  return { name, opsPerCall: B_COUNT, fn, footprint: footprintOf(allocator) };
}

function batchObjectCase(name, make) {
  const fn = isolated((make, sizes, order, live) => () => {
    const count = sizes.length;
    for (let i = 0; i < count; i++) live[i] = make(sizes[i]);
    for (let i = 0; i < count; i++) live[order[i]] = null;
  })(make, bSizes, bOrder, new Array(B_COUNT).fill(null));
  return { name, opsPerCall: B_COUNT, fn, garbage: true };
}

// ─── the cost of free's check ────────────────────────────────────────────────────────────────
// free(ptr) finds the pool from the address and verifies it (poolOf: the pool header's arena
// index against the arena table), then tests and clears the block's bitmap bit. Measured on the
// small allocator itself (internals, fixed store, its own copy of the library, a live block
// keeping the pool in use): with poolOf, and with the pool passed in (the address check skipped).
{
  const heap = freshArenalloc().createHeap({ store: 'fixed', initialBytes: 1 << 24 });
  const small = heap._small;
  const keep = heap.malloc(16);
  const pool = small.poolOf(keep);
  const checkRows = timeCases([
    {
      name: 'small.malloc + small.free(ptr, poolOf(ptr))',
      opsPerCall: PAIRS_PER_CALL,
      fn: isolated((small, count) => () => {
        for (let n = 0; n < count; n++) {
          const p = small.malloc(16);
          small.free(p, small.poolOf(p));
        }
      })(small, PAIRS_PER_CALL),
    },
    {
      name: 'small.malloc + small.free(ptr, pool) (no address check)',
      opsPerCall: PAIRS_PER_CALL,
      fn: isolated((small, pool, count) => () => {
        for (let n = 0; n < count; n++) small.free(small.malloc(16), pool);
      })(small, pool, PAIRS_PER_CALL),
    },
    {
      name: 'heap.malloc + heap.free (the public, checked entries)',
      opsPerCall: PAIRS_PER_CALL,
      fn: isolated((heap, count) => () => {
        for (let n = 0; n < count; n++) heap.free(heap.malloc(16));
      })(heap, PAIRS_PER_CALL),
    },
  ]);
  timing.push({
    title: "Cost of free's check: 16-byte pairs on the small allocator's internals (ns per pair)",
    reference: 'small.malloc + small.free(ptr, pool) (no address check)',
    rows: withRatios(checkRows, 'small.malloc + small.free(ptr, pool) (no address check)'),
  });
  heap.free(keep);
}

const SIZE_CLASSES = 'size-class free list';
const bRows = withRatios(
  timeCases([
    batchCase(SIZE_CLASSES, new SizeClassFreeList()),
    batchCase(CHECKED, new CheckedPymalloc()),
    batchCase(ARENALLOC, createHeap()),
    batchCase(ARENALLOC_FIXED, fixedLib.createHeap({ store: 'fixed', initialBytes: 1 << 24 })),
    batchCase(ARENALLOC_RESIZABLE, resizableLib.createHeap({ store: 'resizable' })),
    batchCase(THING, new MemPool({ size: 16 << 20 })),
    batchObjectCase(UINT8, (n) => new Uint8Array(n)),
    batchObjectCase(BUFFER, (n) => Buffer.allocUnsafe(n)),
  ]),
  SIZE_CLASSES,
);
timing.push({
  title: `B. ${B_COUNT.toLocaleString('en')} random sizes 8–512 B allocated, then freed in random order (ns per alloc+free pair)`,
  reference: SIZE_CLASSES,
  rows: bRows,
});
const bArenalloc = rowOf(bRows, ARENALLOC);
checks.push(atMost('B: arenalloc vs the checked reference', bArenalloc.nsPerOp / rowOf(bRows, CHECKED).nsPerOp, 1.05, '×'));
checks.push(atLeast('B: arenalloc speed-up over new Uint8Array', rowOf(bRows, UINT8).nsPerOp / bArenalloc.nsPerOp, 50, '×'));

// ─── D: bytes per live 32-byte block ─────────────────────────────────────────────────────────

const D_COUNT = QUICK ? 100_000 : 1_000_000;
const perBlock = (bytes) => (bytes / D_COUNT).toFixed(2);

function fillAllocator(allocator, usable) {
  let highWater = 0;
  for (let i = 0; i < D_COUNT; i++) {
    const p = allocator.malloc(32);
    if (p === 0) throw new Error('out of memory in benchmark D');
    if (p + usable(p) > highWater) highWater = p + usable(p);
  }
  return highWater;
}

/** Bytes the JS engine holds for `D_COUNT` live arrays of 32 bytes, from `process.memoryUsage()`. */
function jsBytes(make) {
  const live = new Array(D_COUNT).fill(null);
  collectGarbage();
  const before = process.memoryUsage();
  for (let i = 0; i < D_COUNT; i++) live[i] = make(32);
  collectGarbage();
  const after = process.memoryUsage();
  // Reading `live` after the measurement keeps every array alive through it.
  if (live[D_COUNT - 1] === null) throw new Error('benchmark D lost an array');
  return after.heapUsed + after.external - (before.heapUsed + before.external);
}

// The default store (in Node a growable SharedArrayBuffer, which cannot shrink), and a resizable
// one, which trim() can shrink once the blocks are in: the store grows by at least a sixteenth at
// a time, and trim() hands the free space above the top block back.
const dHeap = createHeap();
const dHeapHigh = fillAllocator(dHeap, (p) => dHeap.usableSize(p));
dHeap.check();
const dHeapGrown = dHeap.stats().backingBytes;
const dResizable = createHeap({ store: 'resizable' });
const dResizableHigh = fillAllocator(dResizable, (p) => dResizable.usableSize(p));
const dResizableGrown = dResizable.stats().backingBytes;
dResizable.trim();
dResizable.check();
const dResizableTrimmed = dResizable.stats().backingBytes;
const dList = new LifoFreeList(32);
const dListHigh = fillAllocator(dList, () => 32);
const dPool = new MemPool({ size: D_COUNT * 64 });
const dPoolHigh = fillAllocator(dPool, () => 32);
const dRows = [
  [ARENALLOC, perBlock(dHeapGrown), '—', perBlock(dHeapHigh)],
  [ARENALLOC_RESIZABLE, perBlock(dResizableGrown), perBlock(dResizableTrimmed), perBlock(dResizableHigh)],
  [ONE_CLASS, perBlock(dList.backingBytes), '—', perBlock(dListHigh)],
  [THING, '—', '—', perBlock(dPoolHigh)],
  [UINT8, perBlock(jsBytes((n) => new Uint8Array(n))), '—', '—'],
  [BUFFER, perBlock(jsBytes((n) => Buffer.allocUnsafe(n))), '—', '—'],
];
checks.push(atMost('D: arenalloc backing bytes per 32-byte block (default store)', dHeapGrown / D_COUNT, 33, 'B'));

reportSuite({
  suite: 'small',
  title: 'Small objects: steady pairs (A), random batches (B), bytes per block (D)',
  timing,
  measurements: [
    {
      title: `D. ${D_COUNT.toLocaleString('en')} live 32-byte blocks: bytes per block`,
      columns: ['allocator', 'backing / block', 'after trim() / block', 'high-water / block'],
      rows: dRows,
    },
  ],
  checks,
  notes: [
    "D: backing = the whole store once the blocks are allocated (arenalloc: its store, which grows in place by at least a sixteenth; the free list: an Int32Array that doubles; the target is checked on arenalloc's default store); after trim() = the resizable store once heap.trim() has given the free space above the top block back (only a resizable store can shrink); high-water = highest byte handed out. @thi.ng/malloc works in a fixed buffer its caller sizes, so only its top is shown. JS arrays: heapUsed + external from process.memoryUsage() after a forced GC, an estimate.",
    '@thi.ng/malloc frees by searching its list of used blocks (O(live blocks)), which B shows.',
  ],
});
