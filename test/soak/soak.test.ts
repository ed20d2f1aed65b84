// @browser-skip: the opt-in soak reads process.env (npm run soak, in Node)
// The long model test: the same checks as test/core/property.test.ts, many more and longer runs over
// several seeds. Opt-in: `npm run soak` (SOAK=1).
import { describe, it } from 'vitest';
import { STORES } from '../support/helpers';
import { coreSpec } from '../support/model';
import { propertyTest } from '../support/property';

const SEEDS = [1, 42, 2024, 31337];
const BATCHES = 8;
const RUNS_PER_BATCH = 25;

describe.skipIf(!process.env.SOAK).each(STORES)('soak over a %s store', (store) => {
  it.each(SEEDS)(
    'seed %i',
    async (seed) => {
      // Alternate 16- and 8-byte alignment, and the raw and the hooks path, from run to run.
      let run = 0;
      for (let batch = 0; batch < BATCHES; batch++) {
        propertyTest(
          {
            ...coreSpec(store),
            minSteps: 50,
            maxSteps: 400,
            setup: () => {
              run++;
              return coreSpec(store, run % 2 === 0 ? 16 : 8, run % 3 === 0).setup();
            },
          },
          { seed: seed * 1000 + batch, numRuns: RUNS_PER_BATCH },
        );
        // Let the test runner's worker answer its supervisor between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    30 * 60_000,
  );
});
