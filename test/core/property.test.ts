// Seeded model tests (issue 2, section 7): random malloc/calloc/realloc/free/alignedAlloc
// sequences over the four stores, checked against a model of the live blocks after every step.
// The long version is test/soak (npm run soak).
import { describe, it } from 'vitest';
import { STORES } from '../support/helpers';
import { coreSpec, runOps } from '../support/model';
import { propertyTest } from '../support/property';

describe.each(STORES)('model test over a %s store', (store) => {
  it('every live block keeps its bytes, none overlap, the counters equal the model', () => {
    propertyTest(coreSpec(store), { seed: 42, numRuns: 150 });
  });
});

describe.each(STORES)('model test over a %s store with 8-byte alignment', (store) => {
  it('every live block keeps its bytes, none overlap, the counters equal the model', () => {
    propertyTest(coreSpec(store, 8), { seed: 42, numRuns: 40 });
  });
});

describe('model test through the hooks path (what tracing and debug mode wrap)', () => {
  it.each(['resizable', 'wasm'] as const)('%s store', (store) => {
    propertyTest(coreSpec(store, 16, true), { seed: 7, numRuns: 40 });
  });
});

describe('cases the model tests found', () => {
  it('alignedAlloc(n, 16) on an 8-aligned heap: the free gap in front of the block is a whole chunk', () => {
    // 49 bytes take a 72-byte chunk, so the next payload is 8 bytes past a multiple of 16; the
    // gap to the next 16-aligned payload must still hold a free chunk of at least 32 bytes.
    runOps(
      'resizable',
      [
        { op: 'calloc', count: 1, size: 49 },
        { op: 'aligned', size: 0, alignment: 16 },
      ],
      8,
    );
    for (const store of ['fixed', 'wasm'] as const) {
      runOps(
        store,
        [
          { op: 'malloc', size: 49 },
          { op: 'aligned', size: 700, alignment: 16 },
          { op: 'free', pick: 0 },
        ],
        8,
      );
    }
  });
});
