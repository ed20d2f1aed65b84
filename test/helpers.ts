import { createHeap, type Heap, type HeapOptions, type StoreKind } from '../src/index';

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
