// Seeded model tests (issue 2, section 7): random malloc/calloc/realloc/free/alignedAlloc
// sequences over the four stores, checked against a model of the live blocks after every step.
// The long version is test/soak (npm run soak).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { STORES } from './helpers';
import { opArb, runOps } from './model';

describe.each(STORES)('model test over a %s store', (store) => {
  it('every live block keeps its bytes, none overlap, the counters equal the model', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => runOps(store, ops)),
      { seed: 42, numRuns: 150 },
    );
  });
});
