/**
 * Two builds of the library in one run: this checkout's `dist/` against another build (a copy of
 * `dist/` from an earlier commit), on the hot-path pairs of the small and large suites. For a
 * change that must not make the hot paths slower, this is "before and after in the same run":
 * both builds' contenders alternate round by round (`timeCases`), each build from a private copy
 * of its CommonJS files, so that neither shares type feedback with the other.
 *
 *   cp -r dist /tmp/dist-before          # at the commit before the change
 *   npm run build && node bench/builds.bench.mjs /tmp/dist-before
 *
 * Opt-in (not in `bench/run.mjs`): it needs a second build. Cases: A′ 16 B (a pair while another
 * block of the class stays live), A 16 B (the pair alone in its class), B (10,000 random sizes
 * of 8 to 512 bytes allocated, then freed in random order), L (1,000 live blocks of 1 to 64 KiB,
 * one freed and one allocated per step).
 */

import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { isolated, timeCases } from './lib/measure.mjs';
import { createRng, permutation, randomInts } from './lib/prng.mjs';

const require = createRequire(import.meta.url);
const other = process.argv[2];
if (other === undefined) {
  console.error('usage: node bench/builds.bench.mjs OTHER_DIST_DIR   (compares ./dist with it)');
  process.exit(2);
}

/** A private copy of the build in `dir`: its CommonJS index, loaded afresh. */
function load(dir) {
  const entry = resolve(dir, 'index.cjs');
  const base = dirname(entry);
  const drop = () => {
    for (const key of Object.keys(require.cache)) if (key.startsWith(base)) delete require.cache[key];
  };
  drop();
  const lib = require(entry);
  drop();
  return lib;
}

const builds = [
  ['this build', () => load(new URL('../dist/', import.meta.url).pathname)],
  ['other build', () => load(other)],
];
// BUILDS_SWAP=1 times the other build first in every round, to see that the order does not decide a ratio.
const swap = process.env.BUILDS_SWAP === '1';
// BUILDS_CASES names the cases to run (for example `A′ 16 B,B`); all of them by default.
const only = process.env.BUILDS_CASES?.split(',');

const PAIRS = 1000;
const pair = (name, heap, size) => ({
  name,
  opsPerCall: PAIRS,
  fn: isolated((heap, size, count) => () => {
    for (let n = 0; n < count; n++) heap.free(heap.malloc(size));
  })(heap, size, PAIRS),
  footprint: () => heap.stats().backingBytes,
});

const rng = createRng(3);
const bSizes = randomInts(rng, 10_000, 8, 512);
const bOrder = permutation(rng, 10_000);
const batch = (name, heap) => ({
  name,
  opsPerCall: bSizes.length,
  fn: isolated((heap, sizes, order, ptrs) => () => {
    for (let i = 0; i < sizes.length; i++) ptrs[i] = heap.malloc(sizes[i]);
    for (let i = 0; i < sizes.length; i++) heap.free(ptrs[order[i]]);
  })(heap, bSizes, bOrder, new Int32Array(bSizes.length)),
  footprint: () => heap.stats().backingBytes,
});

const lRng = createRng(2);
const initial = randomInts(lRng, 1000, 1024, 65536);
const slots = randomInts(lRng, 1 << 16, 0, 999);
const sizes = randomInts(lRng, 1 << 16, 1024, 65536);
const large = (name, heap) => {
  const ptrs = new Int32Array(1000);
  for (let i = 0; i < 1000; i++) ptrs[i] = heap.malloc(initial[i]);
  return {
    name,
    opsPerCall: 100,
    fn: isolated((heap, ptrs, slots, sizes, count, mask) => {
      let step = 0;
      return () => {
        for (let n = 0; n < count; n++) {
          const slot = slots[step];
          heap.free(ptrs[slot]);
          ptrs[slot] = heap.malloc(sizes[step]);
          step = (step + 1) & mask;
        }
      };
    })(heap, ptrs, slots, sizes, 100, (1 << 16) - 1),
    footprint: () => heap.stats().backingBytes,
  };
};

const CASES = [
  [
    'A′ 16 B',
    (lib) => {
      const heap = lib.createHeap();
      heap.malloc(16);
      return (name) => pair(name, heap, 16);
    },
  ],
  ['A 16 B', (lib) => (name) => pair(name, lib.createHeap(), 16)],
  ['B', (lib) => (name) => batch(name, lib.createHeap())],
  ['L', (lib) => (name) => large(name, lib.createHeap())],
];

console.log(`this build (dist/) against ${other}: ns per operation, best round (median)`);
// The contender timed first in each round comes out slower on L by 10-20% on this machine,
// whichever build it is: every case runs in both orders, and the ratio reported is the geometric
// mean of the two (BUILDS_SWAP=1 runs the swapped order alone).
const orders = process.env.BUILDS_SWAP === undefined ? [false, true] : [swap];
for (const [title, make] of CASES) {
  if (only !== undefined && !only.includes(title)) continue;
  const ratios = [];
  for (const swapped of orders) {
    // Each run gets fresh copies of both builds: its own code, its own type feedback.
    const order = swapped ? [...builds].reverse() : builds;
    const rows = timeCases(order.map(([name, loadBuild]) => make(loadBuild())(name)));
    const mine = rows.find((r) => r.name === 'this build');
    const theirs = rows.find((r) => r.name === 'other build');
    ratios.push(mine.nsPerOp / theirs.nsPerOp);
    console.log(
      `${title.padEnd(8)} ${swapped ? 'other first' : 'this first '}  this ${mine.nsPerOp.toFixed(2)} (${mine.medianNsPerOp.toFixed(2)})  other ${theirs.nsPerOp.toFixed(2)} (${theirs.medianNsPerOp.toFixed(2)})  ratio ${(mine.nsPerOp / theirs.nsPerOp).toFixed(3)}`,
    );
  }
  const mean = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  console.log(`${title.padEnd(8)} ratio, this / other: ${mean.toFixed(3)}`);
}
