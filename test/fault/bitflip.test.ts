// @browser-skip: runs each trial in a node:worker_threads worker
// Issue 13 §4: random single-bit flips of a saved heap (header, pools, TLSF chunks, the rc
// registry, the gc table, objects), each followed by attach, check() and every layer's check in a
// worker with a timeout. Every trial must end in a typed error (an ArenallocError) or a clean
// pass, in bounded time: never a hang, never an engine error. Seeded; `SOAK=1` runs many more.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGc } from '../../src/gc/index';
import { createHeap } from '../../src/index';
import { Word } from '../../src/layout';
import { createRc } from '../../src/rc/index';
import { seededRandom } from '../support/helpers';

const TRIALS = process.env.SOAK ? 3000 : 48;
const TIMEOUT_MS = 10_000;

let dir = '';
let workerFile = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'arenalloc-bitflip-'));
  workerFile = join(dir, 'worker.mjs');
  buildSync({
    entryPoints: [join(__dirname, 'bitflip-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: workerFile,
    logLevel: 'silent',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A saved heap with every layer in use: raw blocks small and large, objects, cycles, a free list. */
function savedHeap() {
  const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
  const rc = createRc(heap);
  const gc = createGc(rc);
  gc.disable();
  const Node = rc.struct('Node', { next: { ref: 'Node' }, other: 'ref', value: 'f64' });
  const Leaf = rc.struct('Leaf', { x: 'u32', y: 'f32[3]' }, { freeListSize: 4 });
  const raw = [heap.malloc(24), heap.malloc(300), heap.malloc(2000), heap.malloc(40_000)];
  heap.free(raw[1] as number);
  const holds = new Map<number, number>();
  const nodes: number[] = [];
  for (let i = 0; i < 12; i++) {
    const n = Node.create();
    nodes.push(n);
    holds.set(n, 1);
  }
  for (let i = 0; i < nodes.length; i++) Node.fields.next.set(nodes[i] as number, nodes[(i + 1) % nodes.length] as number);
  const leaves: number[] = [];
  for (let i = 0; i < 6; i++) leaves.push(Leaf.create());
  for (const l of leaves.slice(0, 3)) rc.release(l); // parked on the free list
  for (const l of leaves.slice(3)) holds.set(l, 1);
  Node.fields.other.set(nodes[0] as number, leaves[3] as number);
  rc.checkObjects(holds);
  return { bytes: heap.buffer.slice(0) as ArrayBuffer, holds: [...holds], tracked: gc.check(), heapEnd: heap.stats().backingBytes };
}

/** Byte ranges worth damaging: the header, the rc registry and gc table, and the used heap. */
function regions(bytes: ArrayBuffer): [number, number][] {
  const u32 = new Uint32Array(bytes);
  const rcRoot = u32[Word.RC_ROOT] as number;
  const gcRoot = u32[Word.GC_ROOT] as number;
  const types = u32[(rcRoot >>> 2) + 4] as number;
  return [
    [0, 256],
    [rcRoot - 16, rcRoot + 64],
    [types - 16, types + 8 * 64],
    [gcRoot - 16, gcRoot + 320],
    [8192, 8192 + 128 * 1024],
  ];
}

function trial(data: object): Promise<{ kind: string; code?: string; name?: string; message?: string }> {
  return new Promise((resolve) => {
    const worker = new Worker(workerFile, { workerData: data });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ kind: 'hang' });
    }, TIMEOUT_MS);
    worker.once('message', (outcome) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      resolve({ kind: 'engine', name: error.name, message: error.message });
    });
  });
}

describe('single-bit flips of a saved heap', () => {
  it(
    `${TRIALS} trials end in a typed error or a clean pass, never a hang or an engine error`,
    async () => {
      const saved = savedHeap();
      // The undamaged copy passes every check.
      expect(await trial({ bytes: saved.bytes.slice(0), holds: saved.holds, tracked: saved.tracked })).toEqual({ kind: 'clean' });
      const random = seededRandom(13);
      const areas = regions(saved.bytes);
      const tally = new Map<string, number>();
      const bad: string[] = [];
      const parallel = 2;
      for (let done = 0; done < TRIALS; done += parallel) {
        const batch = [];
        for (let k = 0; k < parallel && done + k < TRIALS; k++) {
          const [from, to] = areas[Math.floor(random() * areas.length)] as [number, number];
          const bit = from * 8 + Math.floor(random() * (to - from) * 8);
          const bytes = saved.bytes.slice(0);
          const u8 = new Uint8Array(bytes);
          u8[bit >>> 3] = (u8[bit >>> 3] as number) ^ (1 << (bit & 7));
          batch.push(trial({ bytes, holds: saved.holds, tracked: saved.tracked }).then((o) => [bit, o] as const));
        }
        for (const [bit, outcome] of await Promise.all(batch)) {
          const key = outcome.kind === 'typed' ? (outcome.code as string) : outcome.kind;
          tally.set(key, (tally.get(key) ?? 0) + 1);
          if (outcome.kind !== 'typed' && outcome.kind !== 'clean')
            bad.push(`bit ${bit} (byte ${bit >>> 3}): ${outcome.kind} ${outcome.name ?? ''} ${outcome.message ?? ''}`);
        }
      }
      expect(bad).toEqual([]);
      // Most flips in these regions are detected: a suite where every trial passed clean would test nothing.
      expect([...tally.keys()].some((k) => k.startsWith('ERR_'))).toBe(true);
    },
    TRIALS * TIMEOUT_MS,
  );
});
