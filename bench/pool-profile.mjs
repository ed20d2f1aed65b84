/**
 * Where an HTTP echo request's CPU goes, per body-buffer variant: the pool suite's `node:http`
 * server (bench/lib/pool-load.mjs) run under `--cpu-prof` and loaded by autocannon on 127.0.0.1,
 * then its profile's samples sorted into the frames that differ between variants. Opt-in, not a
 * suite of `bench/run.mjs` (it writes nothing to the results files):
 *
 *   npm run build && node bench/pool-profile.mjs [rounds=3] [seconds=4]
 *
 * Rounds alternate the order of the variants. It prints, per variant, the median over rounds of
 * CPU µs per request (samples that are not idle) and the share of it in each group of frames:
 *
 * - body allocation: `createUnsafeBuffer`, `createUnsafeArrayBuffer`, `allocate`, `createPool`
 * - copy into the body: `_copyActual` / `_copy` (`chunk.copy(body)`): fresh memory faults here
 * - GC: the `(garbage collector)` pseudo-frame
 * - arenalloc: any frame in `dist/` (the pool and the heap under it)
 * - kernel write: `writev` (the response going to the socket)
 *
 * The first two are all that a pool can save against `Buffer.allocUnsafe`; GC here is mostly the
 * collection of the `Buffer`s node:http makes per socket read, which every variant pays alike.
 */

import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const LOAD = join(here, 'lib', 'pool-load.mjs');
const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 4);
const VARIANTS = ['allocUnsafe', 'pool', 'freelist'];
const bodies = [1024, 4096, 16384, 65536, 262144].map((n) => Buffer.alloc(n, n & 0xff));
const GROUPS = {
  'body allocation': (fn) => /^(createUnsafeBuffer|createUnsafeArrayBuffer|allocate|createPool|allocUnsafe)$/.test(fn),
  'copy into the body': (fn) => fn === '_copyActual' || fn === '_copy',
  GC: (fn) => fn === '(garbage collector)',
  arenalloc: (_fn, url) => url.includes('/dist/'),
  'kernel write': (fn) => fn === 'writev',
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Busy µs and µs per group in one .cpuprofile. */
function attribute(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const time = new Map();
  for (let i = 0; i < profile.samples.length; i++)
    time.set(profile.samples[i], (time.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const out = { busy: 0, ...Object.fromEntries(Object.keys(GROUPS).map((g) => [g, 0])) };
  for (const node of profile.nodes) {
    const t = time.get(node.id) ?? 0;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)') continue;
    out.busy += t;
    for (const [group, test] of Object.entries(GROUPS)) {
      if (test(functionName, url)) {
        out[group] += t;
        break;
      }
    }
  }
  return out;
}

async function profileOnce(variant) {
  const dir = mkdtempSync(join(os.tmpdir(), 'arenalloc-pool-prof-'));
  const proc = fork(LOAD, ['http', variant], {
    execArgv: ['--expose-gc', '--cpu-prof', `--cpu-prof-dir=${dir}`],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [{ port }] = await once(proc, 'message');
  const ask = async (message) => {
    const answer = once(proc, 'message');
    proc.send(message);
    return (await answer)[0];
  };
  const load = (duration) =>
    autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: 16,
      duration,
      requests: bodies.map((body) => ({ method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })),
    });
  await load(1); // warm-up; the profile covers it, and so does the count of requests
  await load(SECONDS);
  const { requests } = await ask('report'); // every request since the server started
  proc.send('exit');
  await once(proc, 'exit');
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const result = attribute(join(dir, file));
  rmSync(dir, { recursive: true, force: true });
  return { requests, ...result };
}

const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const v of r % 2 ? [...VARIANTS].reverse() : VARIANTS) runs[v].push({ ...(await profileOnce(v)), load: os.loadavg()[0] });
}

console.log(`HTTP echo under --cpu-prof, ${ROUNDS} alternating rounds of ${SECONDS} s (+1 s warm-up) at 16 connections`);
console.log(`1-minute load per round: ${runs.allocUnsafe.map((r) => r.load.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
const header = ['variant', 'busy µs/request', ...Object.keys(GROUPS).map((g) => `${g} %`)];
console.log(header.join(' | '));
for (const v of VARIANTS) {
  const perRequest = median(runs[v].map((r) => r.busy / r.requests));
  const shares = Object.keys(GROUPS).map((g) => (median(runs[v].map((r) => r[g] / r.busy)) * 100).toFixed(1));
  console.log([v, perRequest.toFixed(1), ...shares].join(' | '));
}
