/**
 * arenalloc/pool (issue 17): leases for Node services, beside what Node programs use instead.
 *
 * 1. Micro: lease + release of a 64 KiB frame (beside `Buffer.allocUnsafe`, a JS free list of
 *    Buffers, and a heap `malloc`/`free` with a new view each time), its CPU and GCs in steady
 *    state; copying 64 KiB into a lease, into a plain Buffer, and into a view of each store kind
 *    (the measurement behind the pool's choice of plain fixed-size ArrayBuffers).
 * 2. 200,000 kept 32-byte values: RSS, external memory and full-GC time, each way of keeping them
 *    in a child process of its own.
 * 3. The load proof, loopback only, every round bounded in time: a `node:http` server and a `net`
 *    echo server (bench/lib/pool-load.mjs, each variant its own child process) copy bodies of
 *    1 KiB to 256 KiB into a buffer, reverse them and answer them; variants `Buffer.allocUnsafe`,
 *    `Buffer.alloc`, `BufferPool`; HTTP loaded by autocannon, echo by a client here, both at a
 *    fixed concurrency, in paired rounds that alternate the order of the variants. And a reading
 *    client, stream ('data') against `onread` into pool memory.
 *
 * Figures are medians over rounds; ratios are medians of the per-round ratios (each round runs
 * every variant back to back, so a noisy neighbour hits a pair rather than one side). Each server
 * first runs one uncounted round (JIT warm-up, memory growth). `POOL_ROUNDS` sets the rounds
 * (default 10); each round records the machine's 1-minute load average beside its figures.
 */

import { fork } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createHeap } from '../dist/index.js';
import { BufferPool } from '../dist/pool.js';
import { atMost, collectGarbage, isolated, QUICK, timeCases, withRatios } from './lib/measure.mjs';
import { reportSuite } from './lib/results.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const LOAD = join(here, 'lib', 'pool-load.mjs');
const FRAME = 65536;
const ROUNDS = QUICK ? 1 : Number(process.env.POOL_ROUNDS ?? 10);
const ROUND_MS = QUICK ? 500 : 3000;
const READ_MS = QUICK ? 300 : 2000;
const CONNECTIONS = 16;
const BODY_SIZES = [1024, 4096, 16384, 65536, 262144];
const VARIANTS = ['allocUnsafe', 'alloc', 'pool'];
// `allocUnsafe-control` is a second, identical allocUnsafe server: its ratios to the first are what
// this machine's noise alone gives (an A/A test), to read the other ratios against.
const HTTP_VARIANTS = [...VARIANTS, 'freelist', 'allocUnsafe-control'];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fixed = (n, digits = 1) => n.toFixed(digits);
const mib = (n) => (n / 2 ** 20).toFixed(1);

// --- 1. micro ------------------------------------------------------------------------------

const OPS = 1000;
const pool = new BufferPool();
const jsFree = [];
const frameHeap = createHeap({ store: 'fixed', initialBytes: 4 << 20 });
const leaseRows = withRatios(
  timeCases([
    {
      name: 'BufferPool lease + release',
      opsPerCall: OPS,
      fn: isolated((p, size, n) => () => {
        for (let i = 0; i < n; i++) p.lease(size).release();
      })(pool, FRAME, OPS),
    },
    {
      name: 'Buffer.allocUnsafe (dropped)',
      opsPerCall: OPS,
      garbage: true,
      fn: isolated((size, n) => () => {
        let keep = 0;
        for (let i = 0; i < n; i++) keep += Buffer.allocUnsafe(size).length;
        return keep;
      })(FRAME, OPS),
    },
    {
      name: 'JS free list of Buffers (pop / push)',
      opsPerCall: OPS,
      fn: isolated((list, size, n) => () => {
        for (let i = 0; i < n; i++) list.push(list.pop() ?? Buffer.allocUnsafe(size));
      })(jsFree, FRAME, OPS),
    },
    {
      name: 'heap malloc + new Buffer view + free',
      opsPerCall: OPS,
      garbage: true,
      fn: isolated((heap, size, n) => () => {
        let keep = 0;
        for (let i = 0; i < n; i++) {
          const p = heap.malloc(size);
          keep += Buffer.from(heap.buffer, p, size).length;
          heap.free(p);
        }
        return keep;
      })(frameHeap, FRAME, OPS),
    },
  ]),
  'Buffer.allocUnsafe (dropped)',
);

/** CPU ns per operation and GC pauses over `count` operations of `fn`, after a warm-up. */
async function steadyState(fn, count) {
  // Short calls first, so that V8 optimises the function at its entry and not only its loop
  // (on-stack replacement): until then each lease's handle is a real allocation (lease.ts), and
  // the start of the measured call would allocate a few thousand of them.
  for (let i = 0; i < 200; i++) fn(2000);
  fn(Math.max(count >> 2, 200_000));
  collectGarbage();
  let pauses = 0;
  let pauseMs = 0;
  let major = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      pauses++;
      pauseMs += e.duration;
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const cpu = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn(count);
  const wall = Number(process.hrtime.bigint() - t0);
  const used = process.cpuUsage(cpu);
  await new Promise((r) => setTimeout(r, 100)); // gc entries arrive asynchronously
  observer.disconnect();
  return {
    cpuNs: ((used.user + used.system) * 1000) / count,
    wallNs: wall / count,
    pauses,
    major,
    pauseMs,
    gcShare: pauseMs / (wall / 1e6),
  };
}
const STEADY = QUICK ? 200_000 : 4_000_000;
const steadyPool = await steadyState(
  isolated((p, size) => (n) => {
    for (let i = 0; i < n; i++) p.lease(size).release();
  })(pool, FRAME),
  STEADY,
);
// The same with the lease kept past the call that took it, as a server keeps it in a closure: 16
// leases live in a ring, the oldest released as a new one is taken. Each lease() then makes a
// Lease handle V8 cannot optimise away (see src/pool/lease.ts); what it costs in GC is this row.
const ring = new Array(16);
const steadyEscaping = await steadyState(
  isolated((p, size, live) => (n) => {
    for (let i = 0; i < live.length; i++) live[i] = p.lease(size);
    for (let i = 0; i < n; i++) {
      const k = i & 15;
      live[k].release();
      live[k] = p.lease(size);
    }
    for (let i = 0; i < live.length; i++) live[i].release();
  })(pool, FRAME, ring),
  STEADY,
);
const steadyUnsafe = await steadyState(
  isolated((size) => (n) => {
    let keep = 0;
    for (let i = 0; i < n; i++) keep += Buffer.allocUnsafe(size)[0] ?? 0;
    return keep;
  })(FRAME),
  QUICK ? 20_000 : 200_000,
);

// Copy 64 KiB: `Buffer.copy` and `set` into a plain Buffer, a lease, and a view of each store kind.
const source = Buffer.alloc(FRAME, 0x42);
const copyLease = pool.lease(FRAME);
const STORES = [
  ['plain Buffer (allocUnsafeSlow)', () => Buffer.allocUnsafeSlow(FRAME)],
  ['BufferPool lease (fixed ArrayBuffer segment)', () => copyLease.bytes],
  ['view of a resizable ArrayBuffer', () => Buffer.from(new ArrayBuffer(1 << 20, { maxByteLength: 1 << 24 }), 4096, FRAME)],
  ['view of a growable SharedArrayBuffer', () => Buffer.from(new SharedArrayBuffer(1 << 20, { maxByteLength: 1 << 24 }), 4096, FRAME)],
  ['view of a WebAssembly.Memory', () => Buffer.from(new WebAssembly.Memory({ initial: 16, maximum: 256 }).buffer, 4096, FRAME)],
];
const copyTable = (title, factory) => {
  const rows = timeCases(STORES.map(([name, make]) => ({ name, opsPerCall: 16, fn: isolated(factory)(source, make(), 16) })));
  return { title, reference: STORES[0][0], rows: withRatios(rows, STORES[0][0]) };
};
const copyBuffer = copyTable('Buffer.copy of 64 KiB into … (ns per copy)', (src, dst, n) => () => {
  for (let i = 0; i < n; i++) src.copy(dst, 0);
});
const copySet = copyTable('Uint8Array.set of 64 KiB into … (ns per copy)', (src, dst, n) => () => {
  for (let i = 0; i < n; i++) dst.set(src, 0);
});

// The same copies interleaved in one loop, min of N: every kind sees the same moments of this
// shared machine, so a neighbour's burst cannot favour one of them.
const interleavedCopy = (() => {
  const targets = STORES.map(([name, make]) => ({ name, dst: make(), best: Number.POSITIVE_INFINITY }));
  const REPS = 200;
  for (let round = 0; round < (QUICK ? 5 : 40); round++) {
    for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < REPS; i++) source.copy(t.dst, 0);
      t.best = Math.min(t.best, Number(process.hrtime.bigint() - t0) / REPS);
    }
  }
  return targets.map((t) => ({ name: t.name, ns: t.best, ratio: t.best / targets[0].best }));
})();
copyLease.release();

// --- 2. kept small values --------------------------------------------------------------------

/** Starts a child of pool-load.mjs and resolves with its first message. */
function child(args) {
  const proc = fork(LOAD, args, { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return { proc, first: once(proc, 'message').then(([m]) => m) };
}
const KEEPERS = [
  ['Buffer.from (slices of Node’s slab)', 'allocUnsafe'],
  ['Buffer.allocUnsafeSlow (a store each)', 'allocUnsafeSlow'],
  ['BufferPool leases', 'pool'],
  ['KeptBytes handles (arenalloc/pool)', 'kept'],
  ['heap pointers (malloc, numbers in an array)', 'heap'],
];
const kept = {};
for (const [, variant] of KEEPERS) kept[variant] = await child(['keep', variant]).first;

// --- 3. load ---------------------------------------------------------------------------------

/** Asks a server child for a reset or a report and waits for its answer. */
async function ask(proc, message) {
  const answer = once(proc, 'message');
  proc.send(message);
  return (await answer)[0];
}

async function startServers(mode, variants) {
  const servers = {};
  for (const variant of variants) {
    const { proc, first } = child([mode, variant]);
    servers[variant] = { proc, port: (await first).port };
  }
  return servers;
}

const bodies = BODY_SIZES.map((n) => Buffer.alloc(n, n & 0xff));

async function httpRound(server) {
  await ask(server.proc, 'reset');
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: CONNECTIONS,
    duration: ROUND_MS / 1000,
    requests: bodies.map((body) => ({ method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })),
  });
  const stats = await ask(server.proc, 'report');
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`HTTP round failed: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: result.requests.total / (ROUND_MS / 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    load: os.loadavg()[0],
    ...stats,
  };
}

/** The echo load: CONNECTIONS clients, each sending a frame and waiting for all of it back. */
async function echoRound(server) {
  await ask(server.proc, 'reset');
  const latencies = [];
  let frames = 0;
  const deadline = Date.now() + ROUND_MS;
  await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      (_, c) =>
        new Promise((done, fail) => {
          const socket = net.connect({ host: '127.0.0.1', port: server.port });
          let k = c;
          let expected = 0;
          let sent = 0n;
          const next = () => {
            if (Date.now() >= deadline) return socket.end();
            const body = bodies[k++ % bodies.length];
            expected = body.length;
            sent = process.hrtime.bigint();
            socket.write(body);
          };
          socket.on('data', (chunk) => {
            expected -= chunk.length;
            if (expected === 0) {
              latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
              frames++;
              next();
            }
          });
          socket.on('connect', next);
          socket.on('close', done);
          socket.on('error', fail);
        }),
    ),
  );
  const stats = await ask(server.proc, 'report');
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { rps: frames / (ROUND_MS / 1000), p50: pct(0.5), p99: pct(0.99), load: os.loadavg()[0], ...stats, requests: frames };
}

async function paired(mode, round, variants) {
  const servers = await startServers(mode, variants);
  const runs = Object.fromEntries(variants.map((v) => [v, []]));
  // One round per variant first, not counted: the first round of a fresh server pays for its JIT
  // warm-up and for growing its memory (the pool's segments), which is not the steady state.
  for (const v of variants) await round(servers[v]);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) runs[v].push(await round(servers[v]));
  }
  for (const { proc } of Object.values(servers)) proc.send('exit');
  return runs;
}

const httpRuns = await paired('http', httpRound, HTTP_VARIANTS);
const echoRuns = await paired('echo', echoRound, VARIANTS);

// Readers: stream against onread, alternating, against one blaster.
const blaster = child(['blaster']);
const blasterPort = (await blaster.first).port;
const readRuns = { stream: [], onread: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const v of r % 2 === 0 ? ['stream', 'onread'] : ['onread', 'stream']) {
    readRuns[v].push(await child(['reader', v, String(blasterPort), String(READ_MS)]).first);
  }
}
blaster.proc.send('exit');

// --- report ----------------------------------------------------------------------------------

const perRequest = (run) => run.cpuMicros / run.requests;
const gcPer1k = (run) => (run.gcMs / run.requests) * 1000;
const ratios = (runs, v, f) => runs[v].map((run, i) => f(run) / f(runs.allocUnsafe[i]));
const ratio = (runs, v, f) => median(ratios(runs, v, f));
const spread = (runs, v, f) => {
  const rs = ratios(runs, v, f);
  return `${fixed(Math.min(...rs), 2)}–${fixed(Math.max(...rs), 2)}`;
};

function loadTable(title, runs) {
  return {
    title,
    columns: [
      'variant',
      'requests/s',
      'p50 ms',
      'p99 ms',
      'CPU µs/request',
      'GC ms per 1,000 req',
      'longest GC pause ms',
      'full GCs per round',
      'peak RSS MiB',
      'peak external MiB',
      '× allocUnsafe CPU',
      'CPU ratio, range over rounds',
      '× p99',
      '× RSS',
      'load (1 min)',
    ],
    rows: Object.keys(runs).map((v) => [
      v,
      fixed(median(runs[v].map((r) => r.rps)), 0),
      fixed(median(runs[v].map((r) => r.p50)), 2),
      fixed(median(runs[v].map((r) => r.p99)), 2),
      fixed(median(runs[v].map(perRequest))),
      fixed(median(runs[v].map(gcPer1k)), 2),
      fixed(median(runs[v].map((r) => r.gcMaxMs)), 1),
      fixed(median(runs[v].map((r) => r.gcMajor)), 1),
      mib(median(runs[v].map((r) => r.rss))),
      mib(median(runs[v].map((r) => r.external))),
      fixed(ratio(runs, v, perRequest), 3),
      spread(runs, v, perRequest),
      fixed(
        ratio(runs, v, (r) => r.p99),
        3,
      ),
      fixed(
        ratio(runs, v, (r) => r.rss),
        3,
      ),
      fixed(median(runs[v].map((r) => r.load)), 1),
    ]),
  };
}

const cpuPerMb = (run) => run.cpuMicros / (run.bytes / 2 ** 20);
const gcPerGb = (run) => run.gcCount / (run.bytes / 2 ** 30);
const onreadCpuRatio = median(readRuns.onread.map((run, i) => cpuPerMb(run) / cpuPerMb(readRuns.stream[i])));

const checks = [
  atMost('lease + release of a 64 KiB frame, CPU per operation', steadyPool.cpuNs, 50, 'ns'),
  atMost(`GC pauses over ${STEADY.toLocaleString('en')} lease + release in steady state`, steadyPool.pauses, 0, 'pauses'),
  atMost('lease + release with the lease kept (ring of 16), CPU per operation', steadyEscaping.cpuNs, 50, 'ns'),
  atMost(
    `full GCs over ${STEADY.toLocaleString('en')} lease + release with the lease kept (ring of 16)`,
    steadyEscaping.major,
    0,
    'pauses',
  ),
  atMost('Buffer.copy of 64 KiB into a lease, × into a plain Buffer (interleaved, min of 40)', interleavedCopy[1].ratio, 1.1, '×'),
  atMost('HTTP: CPU per request, × allocUnsafe', ratio(httpRuns, 'pool', perRequest), 0.95, '×'),
  atMost(
    'HTTP: p99 latency, × allocUnsafe',
    ratio(httpRuns, 'pool', (r) => r.p99),
    1.0,
    '×',
  ),
  atMost(
    'HTTP: peak RSS, × allocUnsafe',
    ratio(httpRuns, 'pool', (r) => r.rss),
    0.9,
    '×',
  ),
  atMost('onread reads: CPU per MB, × stream reads', onreadCpuRatio, 0.75, '×'),
  atMost('onread reads: GC pauses per GB', median(readRuns.onread.map(gcPerGb)), 0.99, 'per GB'),
  atMost('200,000 kept 32-byte values as leases: RSS', kept.pool.rss / 2 ** 20, 10, 'MiB'),
  atMost('200,000 kept 32-byte values as leases: full GC', kept.pool.fullGcMs, 5, 'ms'),
  atMost('200,000 kept 32-byte values in KeptBytes: RSS', kept.kept.rss / 2 ** 20, 10, 'MiB'),
  atMost('200,000 kept 32-byte values in KeptBytes: full GC', kept.kept.fullGcMs, 5, 'ms'),
  atMost('200,000 kept 32-byte values as heap pointers: RSS', kept.heap.rss / 2 ** 20, 10, 'MiB'),
  atMost('200,000 kept 32-byte values as heap pointers: full GC', kept.heap.fullGcMs, 5, 'ms'),
];

reportSuite({
  suite: 'pool',
  title: 'Buffer pool: leases for Node services (× Buffer.allocUnsafe / a plain Buffer)',
  timing: [
    { title: 'lease + release of a 64 KiB frame (ns per operation)', reference: 'Buffer.allocUnsafe (dropped)', rows: leaseRows },
    copyBuffer,
    copySet,
  ],
  measurements: [
    {
      title: 'Steady state: CPU and GC pauses per operation',
      columns: ['contender', 'operations', 'CPU ns/op', 'GC pauses', 'of which full GCs', 'GC ms', 'share of time in GC'],
      rows: [
        ['BufferPool lease + release (64 KiB), in one call', STEADY, steadyPool],
        ['BufferPool lease + release (64 KiB), lease kept (ring of 16)', STEADY, steadyEscaping],
        ['Buffer.allocUnsafe(65536)', QUICK ? 20_000 : 200_000, steadyUnsafe],
      ].map(([name, n, m]) => [
        name,
        n.toLocaleString('en'),
        fixed(m.cpuNs),
        String(m.pauses),
        String(m.major),
        fixed(m.pauseMs, 2),
        `${fixed(m.gcShare * 100)}%`,
      ]),
    },
    {
      title: `Buffer.copy of 64 KiB, interleaved over the kinds, min of ${QUICK ? 5 : 40} rounds of 200 copies`,
      columns: ['destination', 'ns per copy', '× plain Buffer'],
      rows: interleavedCopy.map((c) => [c.name, fixed(c.ns, 0), fixed(c.ratio, 2)]),
    },
    {
      title: '200,000 kept 32-byte values (each in a child process; over a collected baseline)',
      columns: ['kept as', 'RSS MiB', 'external MiB', 'JS heap MiB', 'full GC ms (min of 5)'],
      rows: KEEPERS.map(([name, v]) => [name, mib(kept[v].rss), mib(kept[v].external), mib(kept[v].heapUsed), fixed(kept[v].fullGcMs, 2)]),
    },
    loadTable(
      `HTTP echo (node:http, autocannon, ${CONNECTIONS} connections, bodies ${BODY_SIZES.map((n) => n / 1024).join('/')} KiB; median of ${ROUNDS} paired rounds of ${ROUND_MS / 1000} s)`,
      httpRuns,
    ),
    loadTable(
      `net echo (${CONNECTIONS} connections, frames ${BODY_SIZES.map((n) => n / 1024).join('/')} KiB; median of ${ROUNDS} paired rounds of ${ROUND_MS / 1000} s)`,
      echoRuns,
    ),
    {
      title: `Reading client: stream ('data') against onread into pool memory (median of ${ROUNDS} alternating rounds of ${READ_MS / 1000} s)`,
      columns: ['reader', 'MiB/s', 'CPU µs per MiB', 'GC pauses per GiB', '× stream CPU'],
      rows: ['stream', 'onread'].map((v) => [
        v,
        fixed(median(readRuns[v].map((r) => r.bytes / 2 ** 20 / (READ_MS / 1000))), 0),
        fixed(median(readRuns[v].map(cpuPerMb))),
        fixed(median(readRuns[v].map(gcPerGb)), 2),
        v === 'stream' ? '1.000' : fixed(onreadCpuRatio, 3),
      ]),
    },
  ],
  checks,
  notes: [
    'The machine is shared (2 cores, about six engineers running builds and tests): load figures move between runs; ratios are medians of paired rounds.',
    'Server CPU is process.cpuUsage() of the server child over a round; GC is the sum of its perf_hooks gc entries; RSS and external are its peaks, sampled every 100 ms.',
    `HTTP A/A control: a second allocUnsafe server, identical to the first, came out at ${fixed(ratio(httpRuns, 'allocUnsafe-control', perRequest), 3)}× CPU per request (rounds ${spread(httpRuns, 'allocUnsafe-control', perRequest)}) and ${fixed(
      ratio(httpRuns, 'allocUnsafe-control', (r) => r.p99),
      3,
    )}× p99 (rounds ${spread(httpRuns, 'allocUnsafe-control', (r) => r.p99)}): differences between variants smaller than that are this run's noise.`,
    'Pool HTTP server profile (bench/pool-profile.mjs, opt-in) says what a pool can save at most: the frames of allocating the body and of copying into fresh memory.',
  ],
});
