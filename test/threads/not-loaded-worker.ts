// A worker that joins a threaded heap without loading arenalloc/threads: Heap.attach must refuse
// with ERR_THREADS_NOT_LOADED and leave the heap as it was (no slot taken).
import { parentPort, workerData } from 'node:worker_threads';
import { ArenallocError, Heap } from '../../src/index';

let code = 'none';
let message = '';
try {
  Heap.attach(workerData.buffer as SharedArrayBuffer);
} catch (error) {
  code = error instanceof ArenallocError ? error.code : `not typed: ${String(error)}`;
  message = (error as Error).message;
}
parentPort!.postMessage({ code, message });
