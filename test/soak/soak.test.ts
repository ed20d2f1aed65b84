// The long model test: the same checks as test/property.test.ts, many more and longer runs over
// several seeds. Opt-in: `npm run soak` (SOAK=1).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { STORES } from '../helpers';
import { opArb, runOps } from '../model';

const SEEDS = [1, 42, 2024, 31337];

describe.skipIf(!process.env.SOAK).each(STORES)('soak over a %s store', (store) => {
  it.each(SEEDS)(
    'seed %i',
    (seed) => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 50, maxLength: 400 }), (ops) => runOps(store, ops)),
        { seed, numRuns: 200 },
      );
    },
    30 * 60_000,
  );
});
