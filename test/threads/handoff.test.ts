// @browser-skip: runs a node:worker_threads worker
// Issue 16 §1: a heap over a growable SharedArrayBuffer handed back and forth between the main
// thread and a real worker, one thread at a time. Each side keeps the heap object it had, so each
// time the other side grew the store its views are too short; every read path must re-bind
// before it reads: check() (the heap end in the header lies past the views), malloc (class lists
// and free-list links in pools past the views), free and usableSize (pointers past the views),
// and Heap.attach of the same buffer in the same thread (a cached Memory).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeap, type Heap } from '../../src/index';
import { buildWorker } from './build';
import { act, type Report, type Step } from './handoff-actor';

let worker: Worker;
let file = '';
let remove: () => void = () => {};
beforeAll(() => {
  ({ file, remove } = buildWorker(join(__dirname, 'handoff-worker.ts')));
});
afterAll(() => remove());

function start(buffer: SharedArrayBuffer): void {
  worker = new Worker(file, { workerData: { buffer } });
  worker.setMaxListeners(0);
}

function inWorker(step: Step): Promise<Report> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(error);
    worker.once('error', fail);
    worker.once('message', (report: Report) => {
      worker.off('error', fail);
      resolve(report);
    });
    worker.postMessage(step);
  });
}

function expectOk(report: Report): Report {
  expect(report.error).toBeUndefined();
  return report;
}

describe('a shared heap handed between the main thread and a worker', () => {
  let heap: Heap;
  let buffer: SharedArrayBuffer;
  const inMain = (step: Step): Report => {
    const done = act(heap, buffer, step);
    heap = done.heap;
    return done.report;
  };

  it('survives growth by the worker, growth by the main thread and several hand-offs, check() on both sides', async () => {
    heap = createHeap({ store: 'shared', initialBytes: 1 << 20, maxBytes: 64 << 20 });
    buffer = heap.buffer as SharedArrayBuffer;
    start(buffer);
    try {
      const a = expectOk(inMain({ op: 'alloc', count: 200, size: 400, seed: 1 })).blocks;
      // The worker attaches once, reads the main thread's blocks, and grows the store.
      expectOk(await inWorker({ op: 'attach' }));
      expectOk(await inWorker({ op: 'verify', blocks: a }));
      const w = expectOk(await inWorker({ op: 'alloc', count: 3000, size: 3000, seed: 2 }));
      const w2 = expectOk(await inWorker({ op: 'alloc', count: 4000, size: 200, seed: 3 }));
      expect(w.storeBytes).toBeGreaterThan(1 << 20);
      expectOk(await inWorker({ op: 'check' }));
      // The main thread's heap object still has 1 MiB views.
      expectOk(inMain({ op: 'check' }));
      expectOk(inMain({ op: 'verify', blocks: w.blocks }));
      expectOk(inMain({ op: 'free', blocks: w2.blocks.filter((_, i) => i % 2 === 0) }));
      expectOk(inMain({ op: 'free', blocks: w.blocks.filter((_, i) => i % 3 === 0) }));
      const m = expectOk(inMain({ op: 'alloc', count: 4000, size: 200, seed: 4 })).blocks;
      expectOk(inMain({ op: 'check' }));
      // Growth by the main thread; the worker's heap object is the stale one now.
      const big = expectOk(inMain({ op: 'alloc', count: 6, size: 2 << 20, seed: 5 }));
      expect(big.storeBytes).toBeGreaterThan(w2.storeBytes);
      expectOk(await inWorker({ op: 'check' }));
      expectOk(await inWorker({ op: 'verify', blocks: big.blocks }));
      expectOk(await inWorker({ op: 'free', blocks: big.blocks.slice(0, 3) }));
      expectOk(await inWorker({ op: 'free', blocks: m.filter((_, i) => i % 2 === 1) }));
      let live = [
        ...a,
        ...w.blocks.filter((_, i) => i % 3 !== 0),
        ...w2.blocks.filter((_, i) => i % 2 === 1),
        ...m.filter((_, i) => i % 2 === 0),
        ...big.blocks.slice(3),
      ];
      // Several more hand-offs, each side growing the store in turn.
      for (let round = 0; round < 6; round++) {
        const side = round % 2 === 0 ? (s: Step) => inWorker(s) : async (s: Step) => inMain(s);
        const grown = expectOk(await side({ op: 'alloc', count: 300, size: 20_000 + round * 5000, seed: 10 + round }));
        const small = expectOk(await side({ op: 'alloc', count: 2000, size: 500, seed: 20 + round }));
        expectOk(await side({ op: 'check' }));
        const other = round % 2 === 0 ? async (s: Step) => inMain(s) : (s: Step) => inWorker(s);
        expectOk(await other({ op: 'check' }));
        expectOk(await other({ op: 'verify', blocks: live }));
        expectOk(await other({ op: 'free', blocks: grown.blocks.filter((_, i) => i % 2 === 0) }));
        expectOk(await other({ op: 'free', blocks: small.blocks.filter((_, i) => i % 2 === 0) }));
        live = [...live, ...grown.blocks.filter((_, i) => i % 2 === 1), ...small.blocks.filter((_, i) => i % 2 === 1)];
        expectOk(await other({ op: 'check' }));
      }
      expect(buffer.byteLength).toBeGreaterThan(16 << 20);
      expectOk(await inWorker({ op: 'free', blocks: live }));
      expectOk(inMain({ op: 'check' }));
      expect(heap.stats().liveBlocks).toBe(0);
    } finally {
      await worker.terminate();
    }
  });

  // The first call after a hand-off is the one that finds the views short: one test per entry.
  it.each([
    ['malloc of a small size (a class list names a pool past the views)', { op: 'alloc', count: 3000, size: 200, seed: 30 }],
    ['malloc of a large size (the TLSF lists name chunks past the views)', { op: 'alloc', count: 200, size: 6000, seed: 31 }],
    ['free', { op: 'free', blocks: [] }],
    ['check()', { op: 'check' }],
  ] as [string, Step][])('the first call after growth by the worker is %s', async (_name, first) => {
    heap = createHeap({ store: 'shared', initialBytes: 1 << 20, maxBytes: 64 << 20 });
    buffer = heap.buffer as SharedArrayBuffer;
    start(buffer);
    try {
      expectOk(await inWorker({ op: 'attach' }));
      // Small blocks of every class and large ones, past the main thread's 1 MiB views.
      const w = expectOk(await inWorker({ op: 'alloc', count: 6000, size: 512, seed: 32 }));
      const wl = expectOk(await inWorker({ op: 'alloc', count: 400, size: 9000, seed: 33 }));
      // Free some so the class lists and TLSF lists hold blocks past the old end.
      expectOk(await inWorker({ op: 'free', blocks: w.blocks.filter((_, i) => i % 2 === 0) }));
      expectOk(await inWorker({ op: 'free', blocks: wl.blocks.filter((_, i) => i % 2 === 0) }));
      expect(buffer.byteLength).toBeGreaterThan(2 << 20);
      const step = first.op === 'free' ? { op: 'free' as const, blocks: w.blocks.filter((_, i) => i % 2 === 1).slice(-500) } : first;
      // No other call first: the heap object's views are exactly as short as they were.
      const before = heap.stats; // not called: stats() would re-bind
      expect(typeof before).toBe('function');
      const made = expectOk(inMain(step));
      expectOk(inMain({ op: 'check' }));
      expectOk(await inWorker({ op: 'check' }));
      expectOk(await inWorker({ op: 'verify', blocks: made.blocks }));
    } finally {
      await worker.terminate();
    }
  });

  it('the first call after growth by the worker frees a block whose free neighbour now ends past the views', async () => {
    heap = createHeap({ store: 'shared', initialBytes: 1 << 20, maxBytes: 64 << 20 });
    buffer = heap.buffer as SharedArrayBuffer;
    start(buffer);
    try {
      const a = expectOk(inMain({ op: 'alloc', count: 1, size: 600_000, seed: 40 })).blocks;
      expectOk(await inWorker({ op: 'attach' }));
      // The worker grows the store and gives the room back: the free chunk after the main
      // thread's block now runs to a sentinel past the main thread's views.
      const w = expectOk(await inWorker({ op: 'alloc', count: 10, size: 3 << 20, seed: 41 }));
      expectOk(await inWorker({ op: 'free', blocks: w.blocks }));
      expect(buffer.byteLength).toBeGreaterThan(3 << 20);
      heap.free((a[0] as [number, number, number])[0]); // merges with that chunk
      expectOk(inMain({ op: 'check' }));
      expectOk(await inWorker({ op: 'check' }));
      expect(heap.stats().liveBlocks).toBe(0);
    } finally {
      await worker.terminate();
    }
  });

  it('Heap.attach of the same buffer in the same thread re-binds the cached views after a worker grew it', async () => {
    heap = createHeap({ store: 'shared', initialBytes: 1 << 20, maxBytes: 64 << 20 });
    buffer = heap.buffer as SharedArrayBuffer;
    start(buffer);
    try {
      expectOk(await inWorker({ op: 'attach' }));
      const w = expectOk(await inWorker({ op: 'alloc', count: 50, size: 200_000, seed: 7 }));
      expect(w.storeBytes).toBeGreaterThan(4 << 20);
      expectOk(inMain({ op: 'attach' })); // attach + check
      expect(heap.stats().backingBytes).toBe(buffer.byteLength);
      expectOk(inMain({ op: 'verify', blocks: w.blocks }));
      expectOk(inMain({ op: 'free', blocks: w.blocks }));
      expectOk(inMain({ op: 'check' }));
    } finally {
      await worker.terminate();
    }
  });
});
