// check() as a heap fsck: whatever single word of a heap is damaged, attaching and checking it
// either succeed (the word was payload or unused) or raise a typed error that says what was
// found; never a TypeError, a RangeError or a hang.
import { describe, expect, it } from 'vitest';
import { ArenallocError, createHeap, Heap } from '../../src/index';
import { fillPattern, seededRandom } from '../support/helpers';

function damagedCopies(words: number[], value: (word: number, old: number) => number) {
  const heap = createHeap({ store: 'resizable', initialBytes: 1 << 16, maxBytes: 1 << 22 });
  const blocks = [1000, 600, 5000, 3000, 700, 2000].map((size, i) => {
    const p = heap.malloc(size);
    fillPattern(heap, p, size, i);
    return p;
  });
  heap.free(blocks[1] as number);
  heap.free(blocks[4] as number);
  heap.alignedAlloc(800, 4096);
  heap.check();
  const original = new Uint8Array(heap.buffer).slice();
  const outcomes = { clean: 0, detected: 0 };
  for (const word of words) {
    const copy = original.slice();
    const u32 = new Uint32Array(copy.buffer);
    u32[word] = value(word, u32[word] as number);
    let error: unknown = null;
    try {
      Heap.attach(copy.buffer).check();
    } catch (e) {
      error = e;
    }
    if (error === null) outcomes.clean++;
    else {
      expect(error, `word ${word}: ${String(error)}`).toBeInstanceOf(ArenallocError);
      expect(['ERR_HEAP_CORRUPTED', 'ERR_NOT_A_HEAP', 'ERR_LAYOUT_VERSION']).toContain((error as ArenallocError).code);
      outcomes.detected++;
    }
  }
  return { heap, outcomes };
}

describe('check() on a damaged heap', () => {
  it('every word of the header and of the first chunks, overwritten with noise', () => {
    const random = seededRandom(42);
    const words = Array.from({ length: (8192 + 16384) / 4 }, (_, i) => i);
    const { outcomes } = damagedCopies(words, (_w, old) => (old ^ (1 + Math.floor(random() * 0xffff_fffe))) >>> 0);
    // The header words and every chunk header and free-list link must be caught.
    expect(outcomes.detected).toBeGreaterThan(100);
    expect(outcomes.clean).toBeGreaterThan(1000); // user payload is not the checker's business
  });

  it('small changes to every word of the chunk area (off by one, by the alignment, zeroed)', () => {
    const words = Array.from({ length: 16384 / 4 }, (_, i) => 2048 + i);
    for (const delta of [1, 16, -16]) damagedCopies(words, (_w, old) => (old + delta) >>> 0);
    damagedCopies(words, () => 0);
  });
});

describe('check() names what it found', () => {
  it('a PREV_FREE bit that disagrees with the chunk before it, in the words of the chunk layout', () => {
    const heap = createHeap({ store: 'fixed', initialBytes: 1 << 16 });
    const a = heap.malloc(1000);
    const b = heap.malloc(1000);
    heap.check();
    // The size word of b's chunk header (word 2 of the chunk, 16 bytes before the payload):
    // claim that a, which is live, is free.
    const u32 = heap._mem.u32;
    const w = ((b - 16) >>> 2) + 2;
    u32[w] = (u32[w] as number) | 2;
    let message = '';
    try {
      heap.check();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^chunk \d+: PREV_FREE bit disagrees with the chunk before it/);
    u32[w] = (u32[w] as number) & ~2;
    heap.check();
    heap.free(a);
    heap.free(b);
  });
});
