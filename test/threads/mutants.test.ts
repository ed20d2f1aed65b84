// @browser-skip: runs node:worker_threads workers
// Issue 16 §3, the mutation check: the stress of stress.test.ts must fail on each deliberately
// broken variant of the threaded heap (src/threads/mutants.ts), or it could not catch the bug the
// variant plants. A variant counts as caught when the run ends in any failure: a worker's error
// (a typed error, a byte that was overwritten, an engine error), a failed check(), or a hang cut
// off by the timeout. The message of each failure is printed, for the note.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mutant } from '../../src/threads/mutants';
import { buildWorker } from './build';
import { runStress, STRESS_WORKER } from './stress';

let file = '';
let remove: () => void = () => {};
beforeAll(() => {
  ({ file, remove } = buildWorker(STRESS_WORKER));
});
afterAll(() => remove());

describe('the stress catches broken variants', () => {
  it.each([
    ['a pending word cleared with a plain store, losing a remote free made meanwhile', Mutant.LOST_CLEAR],
    ['no re-bind after another thread grew the store', Mutant.NO_REBIND],
    ['the lock released before TLSF is done', Mutant.EARLY_UNLOCK],
  ])(
    '%s',
    async (_name, mutant) => {
      const result = await runStress({
        workerFile: file,
        roles: 4,
        rounds: 10,
        opsPerRound: 6000,
        seed: 3,
        mutant,
        retire: new Map([[4, 1]]),
        timeoutMs: 60_000,
        ballastStep: (80 << 20) / 4 / 8,
      });
      console.log(`mutant ${mutant}: ${String(result.error).split('\n')[0]}`);
      expect(result.error).toBeDefined();
    },
    120_000,
  );
});
