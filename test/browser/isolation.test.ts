// Runs only in the browser suite (vitest.browser.config.ts): the page is cross-origin isolated, so
// SharedArrayBuffer exists and a heap gets the default 'shared' store, as in Node.
import { describe, expect, it } from 'vitest';
import { createHeap } from '../../src/index';

describe('the browser test page', () => {
  it('is cross-origin isolated, so the default store is a growable SharedArrayBuffer', () => {
    expect(globalThis.crossOriginIsolated).toBe(true);
    expect(typeof SharedArrayBuffer).toBe('function');
    const heap = createHeap();
    expect(heap.store).toBe('shared');
    expect(heap.buffer).toBeInstanceOf(SharedArrayBuffer);
    heap.free(heap.malloc(100));
    heap.check();
  });
});
