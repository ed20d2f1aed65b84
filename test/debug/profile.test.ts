// Debug mode and tracing together: the guard-byte error names the site the real tracer recorded.
import { describe, expect, it } from 'vitest';
import { createDebugHeap, FORBIDDEN_BYTE, GuardBytesError } from '../../src/debug/index';
import { start, stop, takeSnapshot } from '../../src/profile/index';
import { IN_BROWSER } from '../support/helpers';

describe('debug mode with tracing on', () => {
  it('names the allocation site of an overrun block, and the tracer sees user sizes', () => {
    const heap = createDebugHeap();
    start(heap, 4);
    const p = heap.malloc(24);
    const snap = takeSnapshot(heap);
    expect(snap.statistics('lineno').reduce((n, s) => n + s.count, 0)).toBe(1);
    const u8 = new Uint8Array(heap.buffer);
    u8[p + 24] = 0; // one byte past the end, where the first guard byte sits
    let caught: unknown;
    try {
      heap.free(p);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GuardBytesError);
    // In the browser the site is the test bundle's URL; in Node it names this file.
    expect((caught as GuardBytesError).message).toContain(IN_BROWSER ? 'allocated at:' : 'debug/profile.test.ts');
    u8[p + 24] = FORBIDDEN_BYTE;
    heap.free(p);
    heap.check();
    stop(heap);
  });
});
