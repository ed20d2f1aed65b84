import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLEAN_BYTE,
  createDebugHeap,
  type DebugLayer,
  debugLayerOf,
  FORBIDDEN_BYTE,
  FreedBlockWrittenError,
  GuardBytesError,
} from '../../src/debug/index';
import { firstMismatch } from '../../src/debug/scan';
import { DoubleFreeError, type Heap } from '../../src/index';
import { bytesEqual } from '../support/helpers';
import { HeapModel, heapBytes } from '../support/model';
import { propertyTest } from '../support/property';

// Sizes biased to the small classes, with large blocks and the class edges in the mix.
const size = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 512 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 32 }).map((c) => c * 16) },
  { weight: 2, arbitrary: fc.integer({ min: 513, max: 9000 }) },
);
const op = fc.oneof(
  fc.record({ kind: fc.constant('malloc' as const), size }),
  fc.record({ kind: fc.constant('calloc' as const), size }),
  fc.record({ kind: fc.constant('realloc' as const), pick: fc.nat(), size }),
  fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('aligned' as const), size, shift: fc.integer({ min: 3, max: 10 }) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** A debug heap, its layer, and the model of what callers hold. */
interface World {
  heap: Heap;
  debug: DebugLayer;
  model: HeapModel;
  quarantineBlocks: number;
}

/** Applies one op; a new block is filled with CLEAN_BYTE (or zeros) and fenced by FORBIDDEN_BYTE. */
function apply({ heap, model }: World, o: Op): void {
  if (o.kind === 'malloc' || o.kind === 'calloc' || o.kind === 'aligned') {
    const p =
      o.kind === 'malloc' ? heap.malloc(o.size) : o.kind === 'calloc' ? heap.calloc(1, o.size) : heap.alignedAlloc(o.size, 1 << o.shift);
    expect(model.blocks.has(p)).toBe(false);
    if (o.kind === 'aligned') expect(p % (1 << o.shift)).toBe(0);
    const u8 = new Uint8Array(heap.buffer);
    const fill = o.kind === 'calloc' ? 0 : CLEAN_BYTE;
    for (let i = 0; i < o.size; i++) if (u8[p + i] !== fill) expect.fail(`byte ${i} of a new block is ${u8[p + i]}`);
    expect(u8[p + o.size]).toBe(FORBIDDEN_BYTE);
    expect(u8[p - 1]).toBe(FORBIDDEN_BYTE);
    model.allocated(p, o.size);
  } else if (model.size === 0) {
    return;
  } else if (o.kind === 'realloc') {
    const p = model.pick(o.pick) as number;
    const q = heap.realloc(p, o.size);
    expect(q).not.toBe(p);
    model.reallocated(p, q, o.size);
  } else {
    const p = model.pick(o.pick) as number;
    heap.free(p);
    model.released(p);
  }
}

/** The layer's figures (caller sizes, not inner blocks) and every block against the model. */
function verify({ heap, debug, model, quarantineBlocks }: World): void {
  expect(debug.stats()).toMatchObject({ liveBlocks: model.size, liveBytes: model.requestedBytes() });
  expect(debug.stats().quarantinedBlocks).toBeLessThanOrEqual(quarantineBlocks);
  for (const [p, b] of model.blocks) expect(heap.usableSize(p)).toBe(b.size);
  model.expectBytes();
  model.expectDisjoint((p) => heap.usableSize(p));
  // A freed pointer that is not live again is refused, whatever the quarantine did with it.
  const last = model.freed[model.freed.length - 1];
  if (last !== undefined && !model.blocks.has(last)) expect(() => heap.free(last)).toThrow();
}

describe('debug mode: property tests', () => {
  it('random malloc/calloc/realloc/free agree with a model, with check() after every step', () => {
    propertyTest<Op, World, [number, boolean]>(
      {
        step: op,
        minSteps: 1,
        maxSteps: 80,
        inputs: [fc.integer({ min: 0, max: 6 }), fc.boolean()],
        setup: (quarantineBlocks, fixed) => {
          const heap = createDebugHeap({
            store: fixed ? 'fixed' : 'resizable',
            initialBytes: fixed ? 1 << 20 : 1 << 16,
            quarantineBlocks,
            quarantineBytes: 20_000,
          });
          return { heap, debug: debugLayerOf(heap)!, model: new HeapModel(heapBytes(heap)), quarantineBlocks };
        },
        apply,
        layers: ({ heap }) => ({ heaps: [heap] }), // the heap's check(), then the debug layer's
        verify,
        finish: ({ heap, debug, model }) => {
          for (const p of model.blocks.keys()) heap.free(p);
          debug.flushQuarantine();
          expect(heap.stats().liveBlocks).toBe(0);
          debug.check();
        },
      },
      { seed: 42, numRuns: 120 },
    );
  });

  it('any single-byte write around a live block, or into a quarantined one, is caught and changes nothing', () => {
    // The steps allocate; the inputs say which block, which byte, and what is written there.
    type Where = 'before' | 'after' | 'freed';
    interface Blocks {
      heap: Heap;
      debug: DebugLayer;
      ptrs: number[];
      sizes: number[];
      damage: [number, number, number, Where];
    }
    propertyTest<number, Blocks, [number, number, number, Where]>(
      {
        step: size,
        minSteps: 1,
        maxSteps: 12,
        inputs: [fc.nat(), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 254 }), fc.constantFrom('before', 'after', 'freed')],
        setup: (...damage) => {
          const heap = createDebugHeap({ initialBytes: 1 << 16 });
          return { heap, debug: debugLayerOf(heap)!, ptrs: [], sizes: [], damage };
        },
        apply: ({ heap, ptrs, sizes }, n) => {
          ptrs.push(heap.malloc(n));
          sizes.push(n);
        },
        layers: ({ heap }) => ({ heaps: [heap] }),
        finish: ({ heap, debug, ptrs, sizes, damage: [pick, distance, value, where] }) => {
          const i = pick % ptrs.length;
          const p = ptrs[i]!;
          const n = sizes[i]!;
          let at: number;
          if (where === 'before') at = p - 1 - (distance % debug.guardBytes);
          else if (where === 'after') at = p + n + (distance % debug.guardBytes);
          else {
            if (n === 0) return;
            heap.free(p);
            at = p + (distance % n);
          }
          const u8 = new Uint8Array(heap.buffer);
          const old = u8[at]!;
          u8[at] = value === old ? old ^ 0xff : value;
          const before = new Uint8Array(heap.buffer.slice(0));
          const stats = heap.stats();
          const expected = where === 'freed' ? FreedBlockWrittenError : GuardBytesError;
          expect(() => debug.check()).toThrow(expected);
          if (where !== 'freed') {
            expect(() => heap.free(p)).toThrow(expected);
            expect(() => heap.realloc(p, n + 1)).toThrow(expected);
          } else {
            expect(() => heap.free(p)).toThrow(DoubleFreeError);
          }
          expect(heap.stats()).toEqual(stats);
          expect(bytesEqual(new Uint8Array(heap.buffer.slice(0)), before)).toBe(true);
          heap.check();
        },
      },
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('debug mode: byte scans', () => {
  it('firstMismatch finds the first byte that differs, at any alignment and length', () => {
    const heap = createDebugHeap({ initialBytes: 1 << 16 });
    const mem = heap._mem;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 }),
        fc.integer({ min: 0, max: 200 }),
        fc.constantFrom(0x00, 0xcd, 0xdd, 0xfd, 0xff),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (start, length, byte, writes) => {
          const from = 20_000 + start;
          mem.u8.fill(byte, from - 16, from + length + 16);
          for (const [at, value] of writes) if (length > 0) mem.u8[from + (at % length)] = value;
          let expected = -1;
          for (let i = from; i < from + length; i++) {
            if (mem.u8[i] !== byte) {
              expected = i;
              break;
            }
          }
          expect(firstMismatch(mem, from, from + length, byte)).toBe(expected);
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });
});
