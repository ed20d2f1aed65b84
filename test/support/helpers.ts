import { expect } from 'vitest';
import { ArenallocError, createHeap, type ErrorCode, type Heap, type HeapOptions, type StoreKind } from '../../src/index';

/** The four backing stores every allocator test runs over. */
export const STORES: StoreKind[] = ['fixed', 'resizable', 'shared', 'wasm'];

/** A heap for a test: small initial store so growth is exercised early. */
export function heapOf(store: StoreKind, options: HeapOptions = {}): Heap {
  return createHeap({
    store,
    initialBytes: 1 << 16,
    maxBytes: 1 << 26,
    ...(store === 'fixed' ? { initialBytes: 1 << 24 } : {}),
    ...options,
  });
}

/** Fills a block with a pattern derived from its id, so overlaps and moves are visible. */
export function fillPattern(heap: Heap, ptr: number, length: number, id: number): void {
  const u8 = new Uint8Array(heap.buffer);
  for (let i = 0; i < length; i++) u8[ptr + i] = (id * 31 + i * 7) & 0xff;
}

/** Index of the first byte that does not match the pattern, or -1. */
export function checkPattern(heap: Heap, ptr: number, length: number, id: number): number {
  const u8 = new Uint8Array(heap.buffer);
  for (let i = 0; i < length; i++) if (u8[ptr + i] !== ((id * 31 + i * 7) & 0xff)) return i;
  return -1;
}

/** What a failed call must leave as it was: the counters and every byte of the store. */
export interface HeapSnapshot {
  stats: ReturnType<Heap['stats']>;
  bytes: Uint8Array;
}

/** Copies the heap's figures and its whole store. */
export function snapshot(heap: Heap): HeapSnapshot {
  return { stats: heap.stats(), bytes: new Uint8Array(heap.buffer).slice() };
}

/** True when the suite runs in the headless browser (`npm run test:browser`), where stack frames name the test bundle, not the test files. */
export const IN_BROWSER = typeof window !== 'undefined' && typeof document !== 'undefined';

/** Whether two byte arrays hold the same bytes (word by word where aligned; no Node `Buffer`, so it runs in browsers). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = a.length >>> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset, words);
    const wb = new Int32Array(b.buffer, b.byteOffset, words);
    for (; i < words; i++) if (wa[i] !== wb[i]) return false;
    i = words << 2;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Index of the first byte of the store that differs from the snapshot, or -1 (length counts). */
export function firstDifference(heap: Heap, snap: HeapSnapshot): number {
  const now = new Uint8Array(heap.buffer);
  if (now.length !== snap.bytes.length) return Math.min(now.length, snap.bytes.length);
  if (bytesEqual(now, snap.bytes)) return -1;
  for (let i = 0; i < now.length; i++) if (now[i] !== snap.bytes[i]) return i;
  return -1;
}

/** Asserts that `check()` passes and that the stats and every byte equal the snapshot. */
export function expectUnchanged(heap: Heap, snap: HeapSnapshot): void {
  heap.check();
  expect(heap.stats()).toEqual(snap.stats);
  expect(firstDifference(heap, snap)).toBe(-1);
}

/** Runs `fn`, which must throw an ArenallocError of class `cls` and `code`, and returns the error. */
export function expectError(fn: () => unknown, cls: new (...args: never[]) => ArenallocError, code: ErrorCode): ArenallocError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'the call should have thrown').toBeInstanceOf(ArenallocError);
  const error = thrown as ArenallocError;
  expect(error).toBeInstanceOf(cls);
  expect(error.code).toBe(code);
  return error;
}

/** Like {@link expectError}, and the heap is exactly as it was before the call. */
export function expectRejected(
  heap: Heap,
  fn: () => unknown,
  cls: new (...args: never[]) => ArenallocError,
  code: ErrorCode,
): ArenallocError {
  const snap = snapshot(heap);
  const error = expectError(fn, cls, code);
  expectUnchanged(heap, snap);
  return error;
}

/** A seeded 32-bit generator (mulberry32), for deterministic random buffers and sizes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
