/**
 * One thread of a run of the `threads` suite (bench/threads.bench.mjs): attaches the heap, warms
 * its workload untimed, waits at the start line, runs it, and says when it is done. Each thread
 * times itself with `performance.now()` between the start signal and its last operation (Node 20
 * has no per-thread CPU clock: this is wall time, which includes any time the thread was not
 * scheduled); the suite takes the throughput from the main thread's wall clock over the whole run.
 *
 * Workloads:
 * - `B`: benchmark B of the small suite: 10,000 seeded sizes of 8–512 bytes allocated, then freed
 *   in a seeded random order. With `cross`, every other free is handed to the other thread
 *   through a ring, which frees it (a cross-thread free), and this thread frees what it is handed.
 * - `F`: 64 KiB frames: allocate one, write its first and last word, free it.
 * - `P`: a pipeline of 64 KiB frames: thread 0 allocates and writes them, thread 1 reads and frees
 *   them (at most 64 in flight).
 *
 * Heaps: `threaded` (joined with Heap.attach), `plain` (the single-threaded heap, one thread),
 * `locked` (the single-threaded heap in every thread, every call under one Atomics lock: the
 * global-lock version of the same heap).
 */

import { parentPort, workerData } from 'node:worker_threads';

const { lib, threadsLib, buffer, control, index, threads, heapKind, work, pairs, cross } = workerData;
const { Heap } = await import(lib);
if (heapKind === 'threaded') await import(threadsLib); // installs the threaded heap in this thread
const heap = Heap.attach(buffer);
const ctl = new Int32Array(control);
// Control words: 0 ready count, 1 start flag, 2 done count, 3 the global lock, rings from 16.
const READY = 0;
const START = 1;
const DONE = 2;
const LOCK = 3;
const RING = 1 << 15;
const ringBase = (to) => 16 + to * (RING + 2);

function lock() {
  if (Atomics.compareExchange(ctl, LOCK, 0, 1) === 0) return;
  for (let i = 0; i < 100; i++) if (Atomics.load(ctl, LOCK) === 0 && Atomics.compareExchange(ctl, LOCK, 0, 1) === 0) return;
  while (Atomics.exchange(ctl, LOCK, 2) !== 0) Atomics.wait(ctl, LOCK, 2);
}
function unlock() {
  if (Atomics.exchange(ctl, LOCK, 0) === 2) Atomics.notify(ctl, LOCK, 1);
}

const locked = heapKind === 'locked';
const malloc = locked
  ? (n) => {
      lock();
      const p = heap.malloc(n);
      unlock();
      return p;
    }
  : (n) => heap.malloc(n);
const free = locked
  ? (p) => {
      lock();
      heap.free(p);
      unlock();
    }
  : (p) => heap.free(p);

// The ring to the other thread (single producer, single consumer) and back.
const other = threads === 2 ? 1 - index : index;
const out = ringBase(other);
const inbox = ringBase(index);
function send(p) {
  const head = Atomics.load(ctl, out);
  const tail = ctl[out + 1];
  if (tail - head >= RING) return false;
  ctl[out + 2 + (tail & (RING - 1))] = p;
  Atomics.store(ctl, out + 1, tail + 1);
  return true;
}
function drain() {
  let head = ctl[inbox];
  const tail = Atomics.load(ctl, inbox + 1);
  while (head !== tail) {
    free(ctl[inbox + 2 + (head & (RING - 1))] >>> 0);
    head++;
  }
  Atomics.store(ctl, inbox, head);
}

let x = 12345 + index;
const rnd = () => {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
};
const N = 10_000;
const sizes = new Int32Array(N);
const order = new Int32Array(N);
const ptrs = new Float64Array(N);
for (let i = 0; i < N; i++) {
  sizes[i] = 8 + (rnd() % 505);
  order[i] = i;
}
for (let i = N - 1; i > 0; i--) {
  const j = rnd() % (i + 1);
  const t = order[i];
  order[i] = order[j];
  order[j] = t;
}

function runB(count) {
  for (let done = 0; done < count; done += N) {
    for (let i = 0; i < N; i++) ptrs[i] = malloc(sizes[i]);
    for (let i = 0; i < N; i++) {
      const p = ptrs[order[i]];
      if (cross && (i & 1) === 1 && send(p)) continue;
      free(p);
    }
    if (cross) drain();
  }
}

// A fixed-length view, re-taken after growth. `new Uint32Array(heap.buffer)` over a growable
// SharedArrayBuffer is a length-tracking view: every access through it costs ~48× a fixed
// view's in Node 20 (the store suite), and two threads using such views of one buffer slow each
// other down (measured with this suite's first version: 2 threads at 1.0× of one).
const u32 = () => {
  const buffer = heap.buffer;
  return new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
};

function runF(count) {
  let words = u32();
  for (let i = 0; i < count; i++) {
    const p = malloc(65536);
    if (p + 65536 > words.length * 4) words = u32();
    words[p >>> 2] = i;
    words[(p + 65532) >>> 2] = i;
    free(p);
  }
}

// A pipeline of frames: thread 0 allocates each frame and writes it, thread 1 reads and frees it
// (at most 64 frames in flight, through the ring).
function runP(count) {
  let words = u32();
  if (index === 0) {
    for (let i = 0; i < count; i++) {
      const p = malloc(65536);
      if (p + 65536 > words.length * 4) words = u32();
      words[p >>> 2] = i;
      words[(p + 65532) >>> 2] = i;
      for (;;) {
        const head = Atomics.load(ctl, out);
        const tail = ctl[out + 1];
        if (tail - head < 64) {
          ctl[out + 2 + (tail & (RING - 1))] = p;
          Atomics.store(ctl, out + 1, tail + 1);
          break;
        }
      }
    }
  } else {
    let head = ctl[inbox];
    for (let got = 0; got < count; ) {
      const tail = Atomics.load(ctl, inbox + 1);
      for (; head !== tail; head++, got++) {
        const p = ctl[inbox + 2 + (head & (RING - 1))] >>> 0;
        if (p + 65536 > words.length * 4) words = u32();
        if (words[p >>> 2] !== words[(p + 65532) >>> 2]) throw new Error(`frame ${p} torn`);
        free(p);
      }
      Atomics.store(ctl, inbox, head);
    }
  }
}

const run = work === 'F' ? runF : work === 'P' ? runP : runB;
run(work === 'F' || work === 'P' ? 20_000 : 200_000);
if (cross) drain();
Atomics.add(ctl, READY, 1);
Atomics.notify(ctl, READY);
while (Atomics.load(ctl, START) === 0) Atomics.wait(ctl, START, 0);
const t0 = performance.now();
run(pairs);
const elapsed = performance.now() - t0;
Atomics.add(ctl, DONE, 1);
Atomics.notify(ctl, DONE);
// The other thread may still hand over blocks: keep draining until both are done.
if (cross) {
  while (Atomics.load(ctl, DONE) < threads) {
    drain();
    Atomics.wait(ctl, DONE, Atomics.load(ctl, DONE), 1);
  }
  drain();
}
if (heapKind === 'threaded') heap.close();
parentPort.postMessage({ elapsed });
