// @browser-skip: runs a node:worker_threads worker
// The threaded heap lives in arenalloc/threads, which the core does not import: until a thread
// loads it, createHeap({ threads: true }) and Heap.attach of a threaded heap throw
// ThreadsNotLoadedError (ERR_THREADS_NOT_LOADED), naming the import, and change nothing.
// This file must not import src/threads before its first test (vitest isolates each file).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createHeap, ThreadsNotLoadedError } from '../../src/index';
import { buildWorker } from './build';

describe('a threaded heap without arenalloc/threads loaded', () => {
  it('createHeap({ threads: true }) throws ERR_THREADS_NOT_LOADED naming the import; the core heap still works', () => {
    let error: unknown;
    try {
      createHeap({ threads: true, initialBytes: 1 << 20 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ThreadsNotLoadedError);
    expect((error as ThreadsNotLoadedError).code).toBe('ERR_THREADS_NOT_LOADED');
    expect((error as Error).message).toContain("import 'arenalloc/threads'");
    // Bad options are still reported as such before the missing module is.
    expect(() => createHeap({ threads: 'yes' as unknown as boolean })).toThrow(/threads must be a boolean/);
    const heap = createHeap({ initialBytes: 1 << 20 });
    heap.free(heap.malloc(64));
    heap.check();
    expect(heap.threaded).toBe(false);
  });

  it('Heap.attach of a threaded heap in a worker that did not load it throws ERR_THREADS_NOT_LOADED and takes no slot', async () => {
    await import('../../src/threads/index');
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxThreads: 2 });
    const { file, remove } = buildWorker(join(__dirname, 'not-loaded-worker.ts'));
    try {
      const report = await new Promise<{ code: string; message: string }>((resolve, reject) => {
        const worker = new Worker(file, { workerData: { buffer: heap.buffer } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(report.code).toBe('ERR_THREADS_NOT_LOADED');
      expect(report.message).toContain("import 'arenalloc/threads'");
    } finally {
      remove();
    }
    // The worker took no slot: with maxThreads 2, one more thread can still join here.
    const second = (await import('../../src/index')).Heap.attach(heap.buffer);
    expect(second.threadId).toBe(1);
    second.close();
    heap.check();
  });
});
