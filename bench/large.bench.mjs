/**
 * Large blocks (issue 2 §8): 1,000 live blocks of seeded random sizes from 1 KiB to 64 KiB; each
 * operation frees a random live block and allocates a new one in its place.
 *
 * Contenders in the same run: arenalloc (TLSF; its default store, a growable SharedArrayBuffer in
 * Node, and for comparison a fixed 128 MiB store and a resizable ArrayBuffer, which V8 reads several
 * times more slowly), a plain power-of-two segregated free list over an
 * Int32Array (the floor: it checks nothing, splits and merges nothing), the checked TLSF reference
 * (bench/baselines/checked-tlsf.mjs: boundary tags, immediate coalescing, every check arenalloc's
 * large free makes, over the same kind of store as the default), `new Uint8Array` and
 * `Buffer.allocUnsafeSlow` (which "free" by dropping the reference, leaving the work to the GC).
 *
 * Targets: L (this pair) at most 1.3× the checked reference (issue 14 §3); at least 50× faster
 * than `new Uint8Array` (issue 2); peak backing size at most 1.2× the peak live bytes (measured in
 * an untimed replay of the same sequence on a fresh heap).
 */

import { createHeap } from '../dist/index.js';
import '../dist/inspect.js'; // heap.check() (arenalloc/inspect)
import { CheckedTlsf } from './baselines/checked-tlsf.mjs';
import { Pow2FreeList } from './baselines/pow2-free-list.mjs';
import { atLeast, atMost, footprintOf, freshArenalloc, isolated, QUICK, rowOf, timeCases, withRatios } from './lib/measure.mjs';
import { createRng, randomInts } from './lib/prng.mjs';
import { reportSuite } from './lib/results.mjs';

const LIVE = 1000;
const MIN_SIZE = 1024;
const MAX_SIZE = 65536;
const STEPS = 1 << 16; // pre-drawn steps, replayed cyclically
const STEP_MASK = STEPS - 1;
const OPS_PER_CALL = 100;
const REPLAY_STEPS = QUICK ? 20_000 : 200_000;

const rng = createRng(2);
const initialSizes = randomInts(rng, LIVE, MIN_SIZE, MAX_SIZE);
const stepSlots = randomInts(rng, STEPS, 0, LIVE - 1);
const stepSizes = randomInts(rng, STEPS, MIN_SIZE, MAX_SIZE);

/** A case over an allocator with `malloc(size)` and `free(ptr)` returning byte offsets. */
function pointerCase(name, allocator) {
  const ptrs = new Int32Array(LIVE);
  for (let i = 0; i < LIVE; i++) ptrs[i] = allocator.malloc(initialSizes[i]);
  const fn = isolated((allocator, ptrs, slots, sizes, count, mask) => {
    let step = 0;
    return () => {
      for (let n = 0; n < count; n++) {
        const slot = slots[step];
        allocator.free(ptrs[slot]);
        ptrs[slot] = allocator.malloc(sizes[step]);
        step = (step + 1) & mask;
      }
    };
  })(allocator, ptrs, stepSlots, stepSizes, OPS_PER_CALL, STEP_MASK);
  return { name, opsPerCall: OPS_PER_CALL, fn, footprint: footprintOf(allocator) };
}

/** A case over a JS constructor of byte arrays; freeing is dropping the reference. */
function objectCase(name, make) {
  const live = new Array(LIVE);
  for (let i = 0; i < LIVE; i++) live[i] = make(initialSizes[i]);
  const fn = isolated((make, live, slots, sizes, count, mask) => {
    let step = 0;
    return () => {
      for (let n = 0; n < count; n++) {
        live[slots[step]] = make(sizes[step]);
        step = (step + 1) & mask;
      }
    };
  })(make, live, stepSlots, stepSizes, OPS_PER_CALL, STEP_MASK);
  return { name, opsPerCall: OPS_PER_CALL, fn, garbage: true };
}

const FREE_LIST = 'power-of-two free list';
/** The checked reference: the limit the L target is set against. */
const CHECKED = 'checked TLSF (reference)';
const ARENALLOC = 'arenalloc';
const UINT8 = 'new Uint8Array';

const rows = withRatios(
  timeCases([
    pointerCase(FREE_LIST, new Pow2FreeList()),
    pointerCase(CHECKED, new CheckedTlsf()),
    pointerCase(ARENALLOC, createHeap()),
    // Each store kind runs on its own copy of the library (see freshArenalloc).
    pointerCase(`${ARENALLOC} (fixed store)`, freshArenalloc().createHeap({ store: 'fixed', initialBytes: 1 << 27 })),
    pointerCase(`${ARENALLOC} (resizable store)`, freshArenalloc().createHeap({ store: 'resizable', maxBytes: 1 << 28 })),
    objectCase(UINT8, (n) => new Uint8Array(n)),
    objectCase('Buffer.allocUnsafeSlow', (n) => Buffer.allocUnsafeSlow(n)),
  ]),
  FREE_LIST,
);

/**
 * Replays the first `REPLAY_STEPS` steps on a fresh allocator, untimed, and returns the peak of
 * the requested live bytes and the peak of the highest byte in use (the heap's high-water mark,
 * which shows fragmentation whatever the store's growth policy).
 */
function replay(allocator, usable) {
  const ptrs = new Int32Array(LIVE);
  const sizes = new Int32Array(LIVE);
  let live = 0;
  let peakLive = 0;
  let highWater = 0;
  const place = (slot, size) => {
    const p = allocator.malloc(size);
    ptrs[slot] = p;
    sizes[slot] = size;
    live += size;
    if (p + usable(p, size) > highWater) highWater = p + usable(p, size);
  };
  for (let i = 0; i < LIVE; i++) place(i, initialSizes[i]);
  peakLive = live;
  for (let s = 0; s < REPLAY_STEPS; s++) {
    const slot = stepSlots[s & STEP_MASK];
    allocator.free(ptrs[slot]);
    live -= sizes[slot];
    place(slot, stepSizes[s & STEP_MASK]);
    if (live > peakLive) peakLive = live;
  }
  return { peakLive, highWater };
}

const heap = createHeap();
const heapReplay = replay(heap, (p) => heap.usableSize(p));
heap.check();
const heapStats = heap.stats();
const list = new Pow2FreeList();
const listReplay = replay(list, (_p, size) => Pow2FreeList.usableSize(size));

const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
const footprintRow = (name, r, peakBacking) => [
  name,
  mib(r.peakLive),
  mib(peakBacking),
  (peakBacking / r.peakLive).toFixed(2),
  (r.highWater / r.peakLive).toFixed(2),
];

const arenalloc = rowOf(rows, ARENALLOC);
reportSuite({
  suite: 'large',
  title: `Large blocks: ${LIVE.toLocaleString('en')} live, 1 KiB–64 KiB, each op frees one and allocates one`,
  timing: [{ title: 'free one random live block + allocate a new one (ns per pair)', reference: FREE_LIST, rows }],
  measurements: [
    {
      title: `Footprint over ${REPLAY_STEPS.toLocaleString('en')} steps of the same sequence (fresh allocator, default options)`,
      columns: ['allocator', 'peak live MiB', 'peak backing MiB', 'backing / live', 'high-water / live'],
      rows: [footprintRow(ARENALLOC, heapReplay, heapStats.peakBackingBytes), footprintRow(FREE_LIST, listReplay, list.backingBytes)],
    },
  ],
  checks: [
    atMost('L: arenalloc vs the checked TLSF reference', arenalloc.nsPerOp / rowOf(rows, CHECKED).nsPerOp, 1.3, '×'),
    atLeast('arenalloc speed-up over new Uint8Array', rowOf(rows, UINT8).nsPerOp / arenalloc.nsPerOp, 50, '×'),
    atMost('arenalloc peak backing / peak live bytes', heapStats.peakBackingBytes / heapReplay.peakLive, 1.2, '×'),
  ],
  notes: [
    'peak live = bytes requested by the live blocks; backing = the store (arenalloc: its default store, which grows in place by at least a sixteenth; the free list: an Int32Array that doubles); high-water = highest byte ever handed out.',
  ],
});
