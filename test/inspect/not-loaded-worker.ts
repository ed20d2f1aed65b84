// A thread that has not loaded arenalloc/inspect: heap.check() and heap.debugMallocStats() throw
// ERR_INSPECT_NOT_LOADED and change nothing; after `import('../../src/inspect/index')` they run.
import { parentPort } from 'node:worker_threads';
import { createHeap } from '../../src/index';

const heap = createHeap({ initialBytes: 1 << 20 });
const p = heap.malloc(64);
const before = JSON.stringify(heap.stats());
const bytes = new Uint8Array(heap.buffer.slice(0));
const codes: string[] = [];
const messages: string[] = [];
for (const call of [() => heap.check(), () => heap.debugMallocStats()]) {
  try {
    call();
    codes.push('none');
  } catch (e) {
    codes.push((e as { code?: string }).code ?? String(e));
    messages.push((e as Error).message);
  }
}
const after = new Uint8Array(heap.buffer.slice(0));
const unchanged = JSON.stringify(heap.stats()) === before && bytes.length === after.length && bytes.every((b, i) => b === after[i]);
await import('../../src/inspect/index');
heap.check();
const report = heap.debugMallocStats();
heap.free(p);
heap.check();
parentPort!.postMessage({ codes, messages, unchanged, reportHasClasses: report.includes('class') });
