/**
 * A probe of one case of the `threads` suite (not part of bench/run.mjs): runs it ROUNDS times
 * with fresh workers and prints each run's wall time, the per-thread wall times and the process's
 * CPU time over the run (user + system, all threads), so that time lost to waiting (no core free,
 * or a thread blocked) shows as wall time well above CPU time / threads. With PROFILE=dir each
 * worker writes a V8 CPU profile there (`--cpu-prof`); with WORKER_IMPORT=file each worker loads
 * that module first (`--import`), for example one that counts `Atomics` calls.
 *
 *   node bench/threads-probe.mjs threaded 2 B cross [rounds] [pairs]
 *   node bench/threads-probe.mjs locked 2 B cross
 *   node bench/threads-probe.mjs threaded 2 P                 (a pipeline of frames)
 *   node bench/threads-probe.mjs threaded 1 F
 *   DIST=/tmp/old-dist node bench/threads-probe.mjs threaded 2 B cross
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';

const [heapKind = 'threaded', threadsText = '2', work = 'B', crossText = '', roundsText = '5', pairsText = ''] = process.argv.slice(2);
const threads = Number(threadsText);
const cross = crossText === 'cross';
const rounds = Number(roundsText);
const pairs = pairsText !== '' ? Number(pairsText) : work === 'F' || work === 'P' ? 600_000 : 3_000_000;
// DIST=path picks another build of the library (default: ../dist).
const DIST = process.env.DIST ? new URL(`file://${process.env.DIST.replace(/\/?$/, '/')}`) : new URL('../dist/', import.meta.url);
const LIB = new URL('index.js', DIST).href;
const THREADS_LIB = new URL('threads.js', DIST).href;
const { createHeap } = await import(LIB);
await import(THREADS_LIB);
const WORKER = new URL('./lib/threads-worker.mjs', import.meta.url);
const execArgv = [
  ...(process.env.PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE}`] : []),
  ...(process.env.WORKER_IMPORT ? ['--import', process.env.WORKER_IMPORT] : []),
];

async function waitFor(ctl, at, n) {
  for (;;) {
    const v = Atomics.load(ctl, at);
    if (v >= n) return;
    const r = Atomics.waitAsync(ctl, at, v, 50);
    if (r.async) await r.value;
  }
}

for (let round = 0; round < rounds; round++) {
  const heap = createHeap({ threads: heapKind === 'threaded', store: 'shared', initialBytes: 16 << 20, maxBytes: 256 << 20 });
  const control = new SharedArrayBuffer((16 + 2 * ((1 << 15) + 2)) * 4);
  const ctl = new Int32Array(control);
  const workers = [];
  const results = [];
  for (let index = 0; index < threads; index++) {
    const w = new Worker(WORKER, {
      execArgv,
      workerData: { lib: LIB, threadsLib: THREADS_LIB, buffer: heap.buffer, control, index, threads, heapKind, work, pairs, cross },
    });
    results.push(
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }),
    );
    workers.push(new Promise((resolve) => w.once('exit', resolve)));
  }
  await waitFor(ctl, 0, threads);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  Atomics.store(ctl, 1, 1);
  Atomics.notify(ctl, 1);
  await waitFor(ctl, 2, threads);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const reports = await Promise.all(results);
  await Promise.all(workers); // the profiles are written as the workers exit
  if (heapKind === 'threaded') heap.check();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `${heapKind} ${threads}t ${work}${cross ? ' cross' : ''}: wall ${wall.toFixed(0)} ms, threads ${reports.map((r) => r.elapsed.toFixed(0)).join('/')} ms, ` +
      `cpu ${cpuMs.toFixed(0)} ms (${(cpuMs / wall).toFixed(2)} cores), ${((wall * 1e6) / pairs).toFixed(1)} ns/pair/thread, ` +
      `${((pairs * (work === 'P' ? 1 : threads)) / (wall * 1000)).toFixed(2)} pairs/µs, load ${os.loadavg()[0].toFixed(2)}` +
      (reports[0].stats ? ` ${JSON.stringify(reports.map((r) => r.stats))}` : ''),
  );
}
