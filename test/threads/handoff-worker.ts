// The worker side of handoff.test.ts: attaches the heap once, keeps that heap object across steps
// (its views go stale whenever the main thread grows the store), and runs each step it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import type { Heap } from '../../src/index';
import { act, type Step } from './handoff-actor';

const buffer = (workerData as { buffer: SharedArrayBuffer }).buffer;
let heap: Heap | null = null;
parentPort?.on('message', (step: Step) => {
  const done = act(heap, buffer, step);
  heap = done.heap;
  parentPort?.postMessage(done.report);
});
