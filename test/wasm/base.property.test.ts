// The seeded model test (test/support/model.ts: every live block keeps its bytes, none overlap, counters
// equal the model, check() after every step) over heaps above a base, in a memory they adopted:
// at base 0 the header view and the address views coincide, so only a base can show a header
// word read or written at its absolute index. The bytes below the base must never change.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHeap } from '../../src/index';
import { type CoreWorld, coreSpec, HeapModel, heapBytes, type Op } from '../support/model';
import { propertyTest } from '../support/property';

const BASES = [16, 4096 + 48, 66560, 3 * 65536];

/** The core model test's world, in a memory with bytes of the module's own below the base. */
interface BaseWorld extends CoreWorld {
  memory: WebAssembly.Memory;
  /** The bytes below the base as the module left them. */
  below: Uint8Array;
}

/** The first byte below the base that changed, or -1. */
function changedBelow({ memory, below }: BaseWorld): number {
  const after = new Uint8Array(memory.buffer, 0, below.length);
  for (let i = 0; i < below.length; i++) if (after[i] !== below[i]) return i;
  return -1;
}

describe.each(BASES)('model test over a wasm heap at base %d', (base) => {
  it.each([16, 8] as const)('align %d: blocks, counters and check() agree with the model; nothing below the base changes', (align) => {
    const core = coreSpec('wasm', align);
    propertyTest<Op, BaseWorld, [boolean]>(
      {
        ...core,
        maxSteps: 60,
        inputs: [fc.boolean()],
        setup: (shared) => {
          const memory = new WebAssembly.Memory({ initial: Math.ceil((base + 16384) / 65536), maximum: 1024, shared });
          const bytes = new Uint8Array(memory.buffer, 0, base);
          for (let i = 0; i < base; i++) bytes[i] = (i * 29 + base) & 0xff;
          const heap = createHeap({ store: 'wasm', align, memory, base, maxBytes: 64 << 20 });
          return { heap, model: new HeapModel(heapBytes(heap)), store: 'wasm', memory, below: bytes.slice() };
        },
        verify: (w) => {
          core.verify?.(w);
          expect(changedBelow(w), 'first byte below the base that changed').toBe(-1);
        },
        finish: (w) => {
          core.finish?.(w);
          expect(changedBelow(w), 'first byte below the base that changed').toBe(-1);
        },
      },
      { seed: 15, numRuns: 25 },
    );
  });
});
