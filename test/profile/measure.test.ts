import { describe, expect, it } from 'vitest';
import { createHeap, type Heap, InvalidArgumentError } from '../../src/index';
import { getTraceback, measure, start, stop } from '../../src/profile/index';
import { CountingLayer, here } from '../support/profile-helpers';

function newHeap(): Heap {
  return createHeap({ store: 'fixed', initialBytes: 1 << 20 });
}

describe('measure', () => {
  it('counts blocks and usable bytes allocated, freed, net and the peak of a sync call', () => {
    const heap = newHeap();
    const kept = heap.malloc(1000); // usable 1008
    const { value, usage } = measure(heap, () => {
      const a = heap.malloc(1000); // 1008
      const b = heap.malloc(3000); // 3008
      heap.free(a);
      heap.free(kept);
      const c = heap.calloc(10, 10);
      return [b, c];
    });
    const usableC = heap.usableSize(value[1]!);
    expect(usage.heap).toBe(heap);
    expect(usage).toMatchObject({
      allocatedBlocks: 3,
      allocatedBytes: 1008 + 3008 + usableC,
      freedBlocks: 2,
      freedBytes: 2016,
      netBlocks: 1,
      netBytes: 3008 + usableC - 1008,
      peakBytes: 1008 + 3008,
      liveBytesBefore: 1008,
    });
    expect(usage.liveBytesAfter - usage.liveBytesBefore).toBe(usage.netBytes);
    expect(heap._hooks).toBeNull();
    heap.check();
  });

  it('counts a realloc as one block freed and one allocated', () => {
    const heap = newHeap();
    const p = heap.malloc(1000);
    const { usage } = measure(heap, () => heap.realloc(p, 5000));
    expect(usage).toMatchObject({
      allocatedBlocks: 1,
      freedBlocks: 1,
      freedBytes: 1008,
      allocatedBytes: 5008,
      netBytes: 4000,
      netBlocks: 0,
    });
  });

  it('measures an async call until its promise settles', async () => {
    const heap = newHeap();
    const result = measure(heap, async () => {
      const a = heap.malloc(2000);
      await new Promise((r) => setTimeout(r, 5));
      const b = heap.malloc(2000);
      heap.free(a);
      return b;
    });
    expect(result).toBeInstanceOf(Promise);
    const { value, usage } = await result;
    expect(heap.isLive(value)).toBe(true);
    expect(usage).toMatchObject({
      allocatedBlocks: 2,
      freedBlocks: 1,
      allocatedBytes: 4000,
      freedBytes: 2000,
      peakBytes: 4000,
      netBytes: 2000,
    });
    expect(heap._hooks).toBeNull();
  });

  it('removes its hooks when the call throws or rejects', async () => {
    const heap = newHeap();
    expect(() =>
      measure(heap, () => {
        heap.malloc(10);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(heap._hooks).toBeNull();
    await expect(measure(heap, () => Promise.reject(new Error('later')))).rejects.toThrow('later');
    expect(heap._hooks).toBeNull();
  });

  it('measures several heaps at once, nests, and keeps layers below it working', () => {
    const h1 = newHeap();
    const h2 = newHeap();
    const layer = new CountingLayer(h1);
    start(h1);
    const { usage } = measure([h1, h2], () => {
      const inner = measure(h1, () => h1.malloc(100));
      const [p, line] = [h1.malloc(200), here().line];
      expect(getTraceback(h1, p)?.frames[0]?.lineno).toBe(line); // tracing still names the user line
      h2.malloc(5000);
      return inner.usage;
    });
    expect(usage.map((u) => [u.allocatedBlocks, u.allocatedBytes])).toEqual([
      [2, 112 + 208],
      [1, 5008],
    ]);
    expect(layer.calls).toBe(2);
    stop(h1);
    expect(h1._hooks).toBe(layer);
    expect(h2._hooks).toBeNull();
  });

  it('rejects what is not a heap or not a function, changing nothing', () => {
    const heap = newHeap();
    expect(() => measure({} as Heap, () => 1)).toThrow(InvalidArgumentError);
    expect(() => measure([], () => 1)).toThrow(InvalidArgumentError);
    expect(() => measure([heap, heap], () => 1)).toThrow(InvalidArgumentError);
    expect(() => measure(heap, 3 as unknown as () => number)).toThrow(InvalidArgumentError);
    expect(heap._hooks).toBeNull();
  });
});
