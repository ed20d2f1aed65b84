// The cost of tracing per allocation: a malloc + free pair on a plain heap, on a heap traced with
// 1 frame and with 10 frames, and on a heap under measure() (counting hooks, no stacks), beside
// the plain-JS baseline of a GC-managed `new Uint8Array(64)`.
//
// Run alone with `npm run build && node bench/profile.bench.mjs`; `bench/run.mjs` runs it with
// the other suites. Set BENCH_QUICK=1 for a short run.
import Benchmark from 'benchmark';
import { createHeap } from '../dist/index.js';
import { measure, start } from '../dist/profile.js';
import { withRatios } from './lib/measure.mjs';
import { reportSuite } from './lib/results.mjs';

const SIZE = 64;
const maxTime = process.env.BENCH_QUICK ? 0.5 : 2;

function heap() {
  return createHeap({ store: 'fixed', initialBytes: 1 << 22 });
}

const plain = heap();
const traced1 = heap();
start(traced1, 1);
const traced10 = heap();
start(traced10, 10);
const measured = heap();

let sink = 0;
const suite = new Benchmark.Suite('profile: malloc + free of 64 bytes');
suite
  .add(
    'baseline: new Uint8Array(64)',
    () => {
      sink += new Uint8Array(SIZE).length;
    },
    { maxTime },
  )
  .add(
    'plain heap',
    () => {
      const p = plain.malloc(SIZE);
      plain.free(p);
      sink += p;
    },
    { maxTime },
  )
  .add(
    'traced, 1 frame',
    () => {
      const p = traced1.malloc(SIZE);
      traced1.free(p);
      sink += p;
    },
    { maxTime },
  )
  .add(
    'traced, 10 frames',
    () => {
      const p = traced10.malloc(SIZE);
      traced10.free(p);
      sink += p;
    },
    { maxTime },
  );

// measure() keeps its counting hooks installed while its call runs: the whole suite runs inside
// one measured call (see the end of this file), and this case allocates on the measured heap.
suite.add(
  'under measure()',
  () => {
    const p = measured.malloc(SIZE);
    measured.free(p);
    sink += p;
  },
  { maxTime },
);

const rows = [];
suite
  .on('cycle', (event) => {
    const b = event.target;
    rows.push({ name: b.name, ns: 1e9 / b.hz, rme: b.stats.rme });
    console.log(String(b));
  })
  .on('complete', () => {
    const plainNs = rows.find((r) => r.name === 'plain heap')?.ns ?? Number.NaN;
    console.log(`\n${suite.name}`);
    for (const r of rows) {
      const extra =
        r.name === 'plain heap' || r.name.startsWith('baseline')
          ? ''
          : `  (+${(r.ns - plainNs).toFixed(0)} ns per pair over the plain heap)`;
      console.log(`  ${r.name.padEnd(30)} ${r.ns.toFixed(1).padStart(9)} ns/op ±${r.rme.toFixed(1)}%${extra}`);
    }
    if (sink === 0.5) console.log(sink);
    reportSuite({
      suite: 'profile',
      title: 'Profiling: the cost of tracing and measure() per malloc + free of 64 bytes',
      timing: [
        {
          title: `${suite.name} (ns per pair)`,
          reference: 'plain heap',
          rows: withRatios(
            rows.map((r) => ({ name: r.name, nsPerOp: r.ns, rme: r.rme })),
            'plain heap',
          ),
        },
      ],
      notes: [
        'Each heap is a fixed 4 MiB store. Tracing captures a JS stack per allocation (Error.captureStackTrace) and formats it, which is most of its cost (each distinct stack is parsed once); measure() counts through hooks installed for the duration of its call.',
      ],
    });
  });

// Run the "under measure()" case inside one measured call spanning the whole suite.
measure(measured, () => {
  suite.run({ async: false });
});
