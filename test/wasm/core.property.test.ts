// The WebAssembly fast path (src/wasm/core) against the JavaScript heap: the same seeded
// sequence of calls through wasmImports with the fast path on and with it off, over two heaps
// made alike, must leave the two memories byte for byte the same after every step, return the
// same pointers, report the same errors, and pass check(). Small tunables (4 KiB pools, four to
// an arena) make every pool transition, arena move, spare arena and arena release frequent. Calls
// from JavaScript (heap.malloc, heap.free) are mixed in, as a program's glue code makes them.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHeap, type Heap } from '../../src/index';
import { currentHooks } from '../../src/port';
import { type WasmImports, wasmImports } from '../../src/wasm/index';
import { propertyTest } from '../support/property';

type Step =
  | { op: 'malloc'; size: number }
  | { op: 'calloc'; count: number; size: number }
  | { op: 'free'; pick: number }
  | { op: 'bad'; pick: number; kind: 'interior' | 'double' | 'header' | 'foreign' }
  | { op: 'jsMalloc'; size: number }
  | { op: 'jsFree'; pick: number }
  | { op: 'aligned'; alignment: number; size: number }
  | { op: 'posix'; out: number; alignment: number; size: number }
  | { op: 'hooks'; on: boolean };

/** Where posix_memalign writes its block: below the heap, in the module's part of the memory. */
const OUT = 1024;
const small = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 512 }) },
  { weight: 2, arbitrary: fc.integer({ min: 513, max: 3000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 3000, max: 70000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0xffffffff, -1, 2 ** 31, 0xfffffff0 | 0, 40 << 20) },
);
const alignment = fc.constantFrom(0, 1, 2, 3, 4, 8, 16, 24, 32, 64, 128, 4096, 1 << 20, 1 << 21, -1);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('malloc' as const), size: small }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('calloc' as const),
      count: fc.integer({ min: 0, max: 40 }),
      size: fc.integer({ min: 0, max: 40 }),
    }),
  },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('free' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('bad' as const),
      pick: fc.nat(),
      kind: fc.constantFrom('interior', 'double', 'header', 'foreign') as fc.Arbitrary<'interior' | 'double' | 'header' | 'foreign'>,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('jsMalloc' as const), size: small }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('jsFree' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('aligned' as const), alignment, size: small }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('posix' as const), out: fc.constantFrom(OUT, 0, 3, 0xfffffffc | 0), alignment, size: small }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('hooks' as const), on: fc.boolean() }) },
);

const BASE = 66560;

interface Side {
  heap: Heap;
  env: WasmImports;
  errors: string[];
  hookCalls: number;
  memory: WebAssembly.Memory;
}

function side(fastPath: boolean, align: 8 | 16): Side {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 512 });
  const heap = createHeap({ store: 'wasm', memory, base: BASE, align, poolSize: 4096, arenaSize: 16384, maxBytes: 32 << 20 });
  const s: Side = { heap, env: null as unknown as WasmImports, errors: [], hookCalls: 0, memory };
  s.env = wasmImports(heap, { fastPath, onError: (e) => s.errors.push(`${(e as { code?: string }).code}: ${e.message}`) });
  return s;
}

/** A pointer that is not a live block, of the kind asked for; null when there is none to make. */
function badPointer(live: number[], freed: number[], pick: number, kind: string): number | null {
  if (kind === 'foreign') return BASE + 8192 + 16 * (pick % 4096);
  if (kind === 'double') return freed.length === 0 ? null : (freed[pick % freed.length] as number);
  if (live.length === 0) return null;
  const p = live[pick % live.length] as number;
  return kind === 'interior' ? p + 8 : (p & ~4095) + 16;
}

function sameMemory(a: Side, b: Side): number {
  // Word by word (a memory is a whole number of 64 KiB pages), then the byte in the word.
  const x = new Int32Array(a.memory.buffer);
  const y = new Int32Array(b.memory.buffer);
  if (x.length !== y.length) return -2;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) {
      const bx = new Uint8Array(a.memory.buffer, 4 * i, 4);
      const by = new Uint8Array(b.memory.buffer, 4 * i, 4);
      return 4 * i + bx.findIndex((v, k) => v !== by[k]);
    }
  }
  return -1;
}

/** The two heaps, fast path on and off, and the blocks the program holds. */
interface World {
  fast: Side;
  slow: Side;
  live: number[];
  freed: number[];
  /** The index of the step being applied. */
  i: number;
}

function apply(w: World, step: Step): void {
  const { fast, slow, live, freed } = w;
  const i = w.i++;
  const both = (f: (s: Side) => number | undefined): number | undefined => {
    const r1 = f(fast);
    const r2 = f(slow);
    expect(r1, `step ${i} ${JSON.stringify(step)}: result`).toBe(r2);
    return r1;
  };
  if (step.op === 'malloc' || step.op === 'calloc' || step.op === 'jsMalloc' || step.op === 'aligned' || step.op === 'posix') {
    const p = both((s) => {
      if (step.op === 'malloc') return s.env.malloc(step.size) >>> 0;
      if (step.op === 'calloc') return s.env.calloc(step.count, step.size) >>> 0;
      if (step.op === 'aligned') return s.env.aligned_alloc(step.alignment, step.size) >>> 0;
      if (step.op === 'jsMalloc') return step.size >>> 0 > 1 << 20 ? 0 : s.heap.malloc(step.size >>> 0);
      const rc = s.env.posix_memalign(step.out, step.alignment, step.size);
      return rc !== 0 ? -rc : new DataView(s.memory.buffer).getUint32(step.out >>> 0, true);
    }) as number;
    if (p > 0) {
      live.push(p);
      const at = freed.indexOf(p);
      if (at >= 0) freed.splice(at, 1);
      // The block's bytes are the program's: write them, so that the memories compare them too.
      for (const s of [fast, slow]) s.heap.bytes(p, 1).fill(i & 0xff);
    }
  } else if (step.op === 'free' || step.op === 'jsFree') {
    if (live.length === 0) return;
    const p = live.splice(step.pick % live.length, 1)[0] as number;
    both((s) => {
      if (step.op === 'free') s.env.free(p);
      else s.heap.free(p);
      return undefined;
    });
    freed.push(p);
  } else if (step.op === 'bad') {
    const p = badPointer(live, freed, step.pick, step.kind);
    if (p === null || live.includes(p)) return;
    both((s) => {
      s.env.free(p);
      return undefined;
    });
  } else {
    for (const s of [fast, slow]) {
      if (step.on && s.heap._hooks === null) {
        const inner = currentHooks(s.heap);
        s.heap._hooks = {
          ...inner,
          malloc: (n) => {
            s.hookCalls++;
            return inner.malloc(n);
          },
          free: (p) => {
            s.hookCalls++;
            inner.free(p);
          },
        };
      } else if (!step.on) s.heap._hooks = null;
    }
  }
}

/** The fast path against its model, the JavaScript heap: the same errors, the same calls through the hooks, the same bytes. */
function verify({ fast, slow, i }: World): void {
  expect(fast.errors, `step ${i - 1}: errors`).toEqual(slow.errors);
  expect(fast.hookCalls, `step ${i - 1}: calls through the hooks`).toBe(slow.hookCalls);
  expect(sameMemory(fast, slow), `step ${i - 1}: first differing byte`).toBe(-1);
}

describe('the WebAssembly fast path', () => {
  it.each([16, 8] as const)('align %d: leaves the memory byte for byte as the JavaScript heap does, step after step', (align) => {
    propertyTest<Step, World>(
      {
        step: stepArb,
        minSteps: 1,
        maxSteps: 200,
        size: 'max',
        setup: () => ({ fast: side(true, align), slow: side(false, align), live: [], freed: [], i: 0 }),
        apply,
        layers: ({ fast, slow }) => ({ heaps: [fast.heap, slow.heap] }),
        verify,
        finish: ({ fast, live }) => {
          for (const p of live) fast.env.free(p);
          fast.heap.check();
          expect(fast.heap.stats().liveBlocks).toBe(0);
        },
      },
      { seed: 0x15c0, numRuns: 30 },
    );
  });
});
