// @browser-skip: runs node:worker_threads workers
// Issue 16 §3: seeded 2- and 4-thread stress of the threaded heap with real workers, against a
// per-thread model, with cross-thread frees and reallocs (pointers passed through shared
// rings), growth from 1 MiB past 64 MiB during the run, threads closing and new ones joining and
// inheriting their blocks, every block's bytes verified, and check() at every barrier (all
// workers parked). `SOAK=1` runs longer. mutants.test.ts shows it fails on broken variants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorker } from './build';
import { runStress, STRESS_WORKER } from './stress';

const SOAK = process.env.SOAK !== undefined;
let file = '';
let remove: () => void = () => {};
beforeAll(() => {
  ({ file, remove } = buildWorker(STRESS_WORKER));
});
afterAll(() => remove());

describe('threaded heap stress', () => {
  it.each([
    [2, 1],
    [4, 2],
  ])(
    '%i threads, seed %i: no error, every check passes, the store grows past 64 MiB, everything freed at the end',
    async (roles, seed) => {
      const result = await runStress({
        workerFile: file,
        roles,
        rounds: SOAK ? 40 : 10,
        opsPerRound: SOAK ? 40_000 : 6000,
        seed,
        mutant: 0,
        retire: new Map([
          [2, 0],
          [5, roles - 1],
          [7, 1 % roles],
        ]),
        timeoutMs: SOAK ? 600_000 : 100_000,
        ballastStep: (80 << 20) / roles / 8,
      });
      expect(result.error).toBeUndefined();
      expect(result.maxStoreBytes).toBeGreaterThan(64 << 20);
      expect(result.checks).toBeGreaterThanOrEqual(13);
      expect(result.joins).toBe(roles + 3);
      expect(result.remoteFrees).toBeGreaterThan(1000);
    },
    200_000,
  );
});
