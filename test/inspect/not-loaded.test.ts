// @browser-skip: runs a node:worker_threads worker
// heap.check() and heap.debugMallocStats() keep their code in arenalloc/inspect, which the core does
// not import. Every other test file loads it (test/support/setup-inspect.ts); a worker has modules of its
// own, so it is where the thread that has not loaded it is seen.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { buildWorker } from '../threads/build';

describe('a thread that has not loaded arenalloc/inspect', () => {
  it('gets ERR_INSPECT_NOT_LOADED from check() and debugMallocStats(), naming the import, with the heap unchanged; both run once it is loaded', async () => {
    const { file, remove } = buildWorker(join(__dirname, 'not-loaded-worker.ts'));
    try {
      const result = await new Promise<{ codes: string[]; messages: string[]; unchanged: boolean; reportHasClasses: boolean }>(
        (resolve, reject) => {
          const worker = new Worker(file);
          worker.once('message', resolve);
          worker.once('error', reject);
        },
      );
      expect(result.codes).toEqual(['ERR_INSPECT_NOT_LOADED', 'ERR_INSPECT_NOT_LOADED']);
      for (const message of result.messages) expect(message).toContain("import 'arenalloc/inspect'");
      expect(result.unchanged).toBe(true);
      expect(result.reportHasClasses).toBe(true);
    } finally {
      remove();
    }
  });
});
