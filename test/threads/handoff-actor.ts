// What one side of a hand-off does with a heap over a growable SharedArrayBuffer that another
// thread also uses (one at a time): the same steps run in the main thread and in a worker
// (handoff-worker.ts), so that each side grows the store under the other.
import { Heap } from '../../src/index';
// The actor checks the heap after every step: that walk lives in arenalloc/inspect.
import '../../src/inspect/index';

/** A step of a hand-off, run by {@link act}. */
export type Step =
  | { op: 'alloc'; count: number; size: number; seed: number }
  | { op: 'verify'; blocks: [number, number, number][] }
  | { op: 'free'; blocks: [number, number, number][] }
  | { op: 'check' }
  | { op: 'attach' };

/** What a step reports back: the blocks it made (pointer, size, seed), the store length it saw. */
export interface Report {
  blocks: [number, number, number][];
  storeBytes: number;
  error?: string;
}

function fill(heap: Heap, ptr: number, size: number, seed: number): void {
  const view = heap.bytes(ptr, size);
  for (let i = 0; i < size; i++) view[i] = (seed + i * 13) & 0xff;
}

function verify(heap: Heap, ptr: number, size: number, seed: number): void {
  const view = heap.bytes(ptr, size);
  for (let i = 0; i < size; i++) {
    if (view[i] !== ((seed + i * 13) & 0xff)) throw new Error(`block ${ptr} byte ${i} is ${view[i]}`);
  }
}

/** Runs `step` on `heap` (or re-attaches `buffer` for 'attach'); returns the heap to use next. */
export function act(heap: Heap | null, buffer: SharedArrayBuffer, step: Step): { heap: Heap; report: Report } {
  const blocks: [number, number, number][] = [];
  let h = heap ?? Heap.attach(buffer);
  try {
    switch (step.op) {
      case 'attach':
        h = Heap.attach(buffer);
        h.check();
        break;
      case 'alloc':
        for (let i = 0; i < step.count; i++) {
          const size = 1 + ((step.seed * 7919 + i * 104729) % step.size);
          const ptr = h.malloc(size);
          fill(h, ptr, size, step.seed + i);
          blocks.push([ptr, size, step.seed + i]);
        }
        break;
      case 'verify':
        for (const [ptr, size, seed] of step.blocks) verify(h, ptr, size, seed);
        break;
      case 'free':
        for (const [ptr, size, seed] of step.blocks) {
          verify(h, ptr, size, seed);
          h.free(ptr);
        }
        break;
      case 'check':
        h.check();
        break;
    }
    return { heap: h, report: { blocks, storeBytes: buffer.byteLength } };
  } catch (error) {
    return { heap: h, report: { blocks, storeBytes: buffer.byteLength, error: `${(error as Error).name}: ${(error as Error).message}` } };
  }
}
