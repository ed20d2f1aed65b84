// The seeded model test (test/support/model.ts: every live block keeps its bytes, none overlap, counters
// equal the model, check() after every step) over heaps above a base, in a memory they adopted:
// at base 0 the header view and the address views coincide, so only a base can show a header
// word read or written at its absolute index. The bytes below the base must never change.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHeap, type Heap } from '../../src/index';
import { opArb, runOps } from '../support/model';

const BASES = [16, 4096 + 48, 66560, 3 * 65536];

describe.each(BASES)('model test over a wasm heap at base %d', (base) => {
  it.each([16, 8] as const)('align %d: blocks, counters and check() agree with the model; nothing below the base changes', (align) => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.boolean(), (ops, shared) => {
        const memory = new WebAssembly.Memory({ initial: Math.ceil((base + 16384) / 65536), maximum: 1024, shared });
        const below = new Uint8Array(memory.buffer, 0, base);
        for (let i = 0; i < base; i++) below[i] = (i * 29 + base) & 0xff;
        const snapshot = below.slice();
        let heap: Heap | null = null;
        runOps('wasm', ops, align, false, (_store, a) => {
          heap = createHeap({ store: 'wasm', align: a, memory, base, maxBytes: 64 << 20 });
          return heap;
        });
        expect(heap).not.toBeNull();
        const after = new Uint8Array(memory.buffer, 0, base);
        let changed = -1;
        for (let i = 0; i < base && changed < 0; i++) if (after[i] !== snapshot[i]) changed = i;
        expect(changed, 'first byte below the base that changed').toBe(-1);
      }),
      { seed: 15, numRuns: 25 },
    );
  });
});
