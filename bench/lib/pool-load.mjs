/**
 * The processes of the pool suite's load proof (bench/pool.bench.mjs), each started by the suite
 * as a child `node --expose-gc` and driven over IPC, so that the CPU, GC pauses and memory of a
 * server are its own and not the load generator's.
 *
 *   node pool-load.mjs http <variant>      HTTP server: copy the body, reverse it, answer it
 *   node pool-load.mjs echo <variant>      net echo server: copy each chunk, reverse, write back
 *   node pool-load.mjs blaster             writes 64 KiB chunks to every client as fast as it drains
 *   node pool-load.mjs reader <variant> <port> <ms>   reads from the blaster (stream or onread)
 *   node pool-load.mjs keep <variant>         keeps 200,000 values of 32 bytes; RSS and full-GC time
 *
 * Variants: `allocUnsafe` (Buffer.allocUnsafe per body), `alloc` (Buffer.alloc, zero-filled),
 * `pool` (a BufferPool lease, released when the write completes), and for HTTP `freelist`: exact-size
 * Buffers kept in a plain JS free list per body size and reused, released on the response's
 * 'close' — the least a pool of any design could cost, the floor for the pool variant — and
 * `allocUnsafe-control`, the same as `allocUnsafe` (the suite's A/A control for noise). Readers: `stream` ('data'
 * events, a Buffer per chunk) or `onread` (Node reads into one leased chunk of pool memory).
 *
 * Every server listens on 127.0.0.1 only and exits when the suite says so or its parent dies.
 */

import http from 'node:http';
import net from 'node:net';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { createHeap } from '../../dist/index.js';
import { BufferPool, endWithLease, KeptBytes, readIntoPool, writeLease } from '../../dist/pool.js';

const [mode, variant, portArg, msArg] = process.argv.slice(2);

// GC pauses, from perf_hooks 'gc' entries (each is one pause of the main thread).
let gcMs = 0;
let gcCount = 0;
let gcMaxMs = 0;
let gcMajor = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMs += entry.duration;
    gcCount++;
    if (entry.duration > gcMaxMs) gcMaxMs = entry.duration;
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcMajor++;
  }
}).observe({ entryTypes: ['gc'] });

let requests = 0;
let cpuStart = process.cpuUsage();
let rssPeak = 0;
let externalPeak = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  rssPeak = Math.max(rssPeak, m.rss);
  externalPeak = Math.max(externalPeak, m.external);
}, 100);
sampler.unref();

const pool = new BufferPool();
const freeLists = new Map();

/** The body buffer of one request, by variant (a lease for `pool`, else a Buffer). */
function takeBuffer(size) {
  if (variant === 'pool') return pool.lease(size);
  if (variant === 'freelist') return freeLists.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
  return variant === 'alloc' ? Buffer.alloc(size) : Buffer.allocUnsafe(size); // allocUnsafe, allocUnsafe-control
}

function giveBack(buffer) {
  let list = freeLists.get(buffer.length);
  if (list === undefined) freeLists.set(buffer.length, (list = []));
  list.push(buffer);
}

function httpServer() {
  return http.createServer((req, res) => {
    const size = Number(req.headers['content-length'] ?? 0);
    const body = takeBuffer(size);
    const bytes = variant === 'pool' ? body.bytes : body;
    let at = 0;
    req.on('data', (chunk) => {
      at += chunk.copy(bytes, at);
    });
    req.on('end', () => {
      bytes.reverse();
      requests++;
      res.writeHead(200, { 'content-length': size });
      if (variant === 'pool') endWithLease(res, body);
      else if (variant === 'freelist') {
        res.once('close', () => giveBack(body));
        res.end(bytes);
      } else res.end(bytes);
    });
  });
}

function echoServer() {
  return net.createServer((socket) => {
    socket.on('data', (chunk) => {
      const body = takeBuffer(chunk.length);
      const bytes = variant === 'pool' ? body.bytes : body;
      chunk.copy(bytes);
      bytes.reverse();
      requests++;
      if (variant === 'pool') writeLease(socket, body);
      else socket.write(bytes);
    });
    socket.on('error', () => {});
  });
}

function blaster() {
  const chunk = Buffer.alloc(65536, 0x5a);
  return net.createServer((socket) => {
    socket.on('error', () => {});
    const pump = () => {
      while (!socket.destroyed && socket.write(chunk));
    };
    socket.on('drain', pump);
    pump();
  });
}

function reader() {
  const deadline = Number(msArg);
  let bytes = 0;
  const read = variant === 'onread' ? readIntoPool(pool, 65536, (_b, n) => void (bytes += n)) : null;
  const socket = net.connect(
    read === null ? { host: '127.0.0.1', port: Number(portArg) } : { host: '127.0.0.1', port: Number(portArg), onread: read },
  );
  if (read === null) socket.on('data', (chunk) => void (bytes += chunk.length));
  socket.on('error', () => {});
  socket.on('connect', () => {
    const before = process.cpuUsage();
    const gcBefore = gcCount;
    const gcMsBefore = gcMs;
    setTimeout(() => {
      const cpu = process.cpuUsage(before);
      socket.destroy();
      read?.release();
      // 'gc' entries are delivered asynchronously: let them arrive before reporting.
      setTimeout(() => {
        process.send({ bytes, cpuMicros: cpu.user + cpu.system, gcCount: gcCount - gcBefore, gcMs: gcMs - gcMsBefore });
        process.disconnect();
      }, 50);
    }, deadline);
  });
}

/**
 * Keeps 200,000 values of 32 bytes alive, as a cache of keys or small records does, and reports
 * what that costs: RSS and external memory over a collected baseline, and the time of a full GC.
 */
function keep() {
  const COUNT = 200_000;
  const SIZE = 32;
  const source = Buffer.alloc(SIZE, 7);
  const gc = globalThis.gc;
  gc();
  gc();
  const before = process.memoryUsage();
  const kept = new Array(COUNT);
  let heap = null;
  if (variant === 'allocUnsafe')
    for (let i = 0; i < COUNT; i++) kept[i] = Buffer.from(source); // slices of Node's slab
  else if (variant === 'allocUnsafeSlow') for (let i = 0; i < COUNT; i++) source.copy((kept[i] = Buffer.allocUnsafeSlow(SIZE)));
  else if (variant === 'pool') {
    for (let i = 0; i < COUNT; i++) source.copy((kept[i] = pool.lease(SIZE)).bytes);
  } else if (variant === 'kept') {
    const store = new KeptBytes();
    for (let i = 0; i < COUNT; i++) kept[i] = store.keep(source);
  } else {
    heap = createHeap({ store: 'fixed', initialBytes: 16 << 20 });
    const u8 = new Uint8Array(heap.buffer);
    for (let i = 0; i < COUNT; i++) u8.set(source, (kept[i] = heap.malloc(SIZE)));
  }
  gc();
  let fullGcMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    gc();
    fullGcMs = Math.min(fullGcMs, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const after = process.memoryUsage();
  process.send({
    rss: after.rss - before.rss,
    external: after.external - before.external,
    heapUsed: after.heapUsed - before.heapUsed,
    fullGcMs,
    kept: kept.length,
  });
  process.disconnect();
}

if (mode === 'reader') {
  reader();
} else if (mode === 'keep') {
  keep();
} else {
  const server = mode === 'http' ? httpServer() : mode === 'echo' ? echoServer() : blaster();
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message) => {
    if (message === 'reset') {
      globalThis.gc?.();
      // The forced collection's 'gc' entry arrives asynchronously: let it land before zeroing, or
      // it counts (tens of ms) against the round that follows.
      setTimeout(() => {
        requests = 0;
        gcMs = 0;
        gcCount = 0;
        gcMaxMs = 0;
        gcMajor = 0;
        rssPeak = 0;
        externalPeak = 0;
        cpuStart = process.cpuUsage();
        process.send({ reset: true });
      }, 50);
    } else if (message === 'report') {
      const cpu = process.cpuUsage(cpuStart);
      setTimeout(() => {
        const m = process.memoryUsage();
        process.send({
          requests,
          cpuMicros: cpu.user + cpu.system,
          gcMs,
          gcCount,
          gcMaxMs,
          gcMajor,
          rss: Math.max(rssPeak, m.rss),
          external: Math.max(externalPeak, m.external),
          pool: variant === 'pool' ? pool.stats().segmentBytes : 0,
        });
      }, 50);
    } else if (message === 'exit') {
      process.exit(0);
    }
  });
}
