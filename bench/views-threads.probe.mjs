/**
 * A probe (not part of bench/run.mjs): two threads each write to words of their own, 64 KiB
 * apart, in one growable SharedArrayBuffer, through fixed-length views or through length-tracking
 * views (`new Uint32Array(buffer)`, what `new Uint32Array(heap.buffer)` makes over the default
 * store); and, for comparison, each thread in a buffer of its own. Prints the best of four timed
 * runs of each thread (wall time from a common start signal; Node 20 has no per-thread CPU clock).
 *
 * Found while measuring the `threads` suite: its frame workload wrote through length-tracking
 * views, and two threads ran at 1.0× of one. The words the threads touch share no cache line;
 * the slowdown is the engine's, and goes away with fixed-length views or with separate buffers.
 *
 *   node bench/views-threads.probe.mjs
 */
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { shared, views, index, ctl: control } = workerData;
const buffer = shared ?? new SharedArrayBuffer(16 << 20, { maxByteLength: 64 << 20 });
const u32 = views === 'tracking' ? new Uint32Array(buffer) : new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
const ctl = new Int32Array(control);
const base = (65536 + index * 65536) >>> 2;
function run(n) {
  for (let i = 0; i < n; i++) {
    const k = u32[base + 4];
    u32[base + 4] = k + 1;
    u32[base + 36] = i;
    u32[base + 40] = (u32[base + 40] + k) >>> 0;
  }
}
run(1_000_000);
const times = [];
for (let r = 0; r < 4; r++) {
  Atomics.add(ctl, 0, 1);
  while (Atomics.load(ctl, 1) <= r) Atomics.wait(ctl, 1, r);
  const t0 = performance.now();
  run(10_000_000);
  times.push(performance.now() - t0);
}
parentPort.postMessage(Math.min(...times));
`;

async function once(threads, views, layout) {
  const shared = layout === 'one buffer' ? new SharedArrayBuffer(16 << 20, { maxByteLength: 64 << 20 }) : undefined;
  const control = new SharedArrayBuffer(8);
  const ctl = new Int32Array(control);
  const workers = [];
  for (let index = 0; index < threads; index++) {
    workers.push(new Worker(WORKER, { eval: true, workerData: { shared, views, index, ctl: control } }));
  }
  const done = workers.map(
    (w) =>
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }),
  );
  for (let r = 0; r < 4; r++) {
    while (Atomics.load(ctl, 0) < threads * (r + 1)) await new Promise((resolve) => setTimeout(resolve, 1));
    Atomics.store(ctl, 1, r + 1);
    Atomics.notify(ctl, 1);
  }
  const ms = await Promise.all(done);
  await Promise.all(workers.map((w) => w.terminate()));
  return ms;
}

for (const views of ['fixed', 'tracking']) {
  const alone = await once(1, views, 'one buffer');
  const together = await once(2, views, 'one buffer');
  const apart = await once(2, views, 'a buffer each');
  const f = (ms) => ms.map((m) => m.toFixed(0)).join('/');
  console.log(
    `${views.padEnd(8)} views, 10M iterations of 3 loads + 3 stores: 1 thread ${f(alone)} ms; ` +
      `2 threads in one buffer ${f(together)} ms; 2 threads, a buffer each ${f(apart)} ms`,
  );
}
