import { describe, expect, it } from 'vitest';
import { OutOfMemoryError } from '../../src/errors';
import { createGc } from '../../src/gc/index';
import { createHeap } from '../../src/index';
import { createRc } from '../../src/rc/index';

describe('gc: its table', () => {
  it('names the gc table when there is no room for it, and changes nothing', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 20 });
    const rc = createRc(heap);
    // Fill the large-object heap: blocks of 1 KiB, then smaller ones, until nothing is left.
    const held: number[] = [];
    for (const size of [1024, 600]) {
      for (;;) {
        try {
          held.push(heap.malloc(size));
        } catch (e) {
          if (!(e instanceof OutOfMemoryError)) throw e;
          break;
        }
      }
    }
    const before = heap.stats();
    let error: unknown;
    try {
      createGc(rc);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect((error as OutOfMemoryError).code).toBe('ERR_OUT_OF_MEMORY');
    expect((error as Error).message).toBe('out of memory: cannot allocate the gc table (320 bytes)');
    expect(heap.stats()).toEqual(before);
    heap.check();
    // With room again, the detector attaches and works.
    for (const p of held) heap.free(p);
    const gc = createGc(rc);
    const Node = rc.struct('Node', { next: { ref: 'Node' } });
    const a = Node.create();
    Node.fields.next.set(a, a);
    rc.release(a);
    expect(gc.collect()).toBe(1);
    expect(gc.check()).toBe(0);
    heap.check();
  });
});
