// A Web Worker of test/browser/threads.test.ts: joins the page's threaded heap and, without
// yielding, allocates blocks of seeded sizes, fills them, hands every other one to the other
// worker through a ring in shared memory, frees the rest itself, and frees what the other
// worker hands over after checking its bytes (a cross-thread free, made while the owner is
// allocating and taking its remote frees back). Then it closes its place.
import { Heap } from '../../src/index';
import '../../src/threads/index';
import { setThreadsMutant } from '../../src/threads/mutants';

interface Start {
  buffer: SharedArrayBuffer;
  rings: SharedArrayBuffer;
  index: number;
  rounds: number;
  blocks: number;
  ring: number;
  mutant: number;
}

const scope = self as unknown as { onmessage: ((e: MessageEvent<Start>) => void) | null; postMessage(m: unknown): void };

scope.onmessage = (event) => {
  const { buffer, rings, ring: RING, index, rounds, blocks, mutant } = event.data;
  try {
    setThreadsMutant(mutant);
    const heap = Heap.attach(buffer);
    const ring = new Int32Array(rings);
    const out = (1 - index) * (2 + 3 * RING); // the other worker's inbox
    const inbox = index * (2 + 3 * RING);
    let x = 7 + index;
    const rnd = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    let remoteFrees = 0;
    const check = (ptr: number, size: number, tag: number) => {
      const bytes = heap.bytes(ptr, size);
      for (let i = 0; i < size; i++) if (bytes[i] !== ((tag + i) & 255)) throw new Error(`worker ${index}: block ${ptr} lost byte ${i}`);
    };
    const drain = () => {
      let head = ring[inbox]!;
      const tail = Atomics.load(ring, inbox + 1);
      for (; head !== tail; head++) {
        const at = inbox + 2 + 3 * (head % RING);
        check(ring[at]!, ring[at + 1]!, ring[at + 2]!);
        heap.free(ring[at]!); // another thread's block
        remoteFrees++;
      }
      Atomics.store(ring, inbox, head);
    };
    const send = (ptr: number, size: number, tag: number) => {
      const tail = ring[out + 1]!;
      while (tail - Atomics.load(ring, out) >= RING) drain(); // full: work on our own inbox meanwhile
      const at = out + 2 + 3 * (tail % RING);
      ring[at] = ptr;
      ring[at + 1] = size;
      ring[at + 2] = tag;
      Atomics.store(ring, out + 1, tail + 1);
    };
    let allocated = 0;
    for (let r = 0; r < rounds; r++) {
      const mine: number[] = [];
      for (let i = 0; i < blocks; i++) {
        // Mostly small blocks, some large ones (the large-chunk cache and the lock).
        const size = i % 50 === 0 ? 4096 + (rnd() % 70_000) : 8 + (rnd() % 505);
        const ptr = heap.malloc(size);
        const tag = rnd() & 255;
        const bytes = heap.bytes(ptr, size);
        for (let k = 0; k < size; k++) bytes[k] = (tag + k) & 255;
        if ((i & 1) === 1) send(ptr, size, tag);
        else mine.push(ptr);
        allocated++;
        if ((i & 15) === 0) drain();
      }
      for (const p of mine) heap.free(p);
      drain();
    }
    // Wait for the rest of the other worker's hand-over (it sends as many as this one).
    const expected = rounds * (blocks >>> 1);
    while (remoteFrees < expected) drain();
    heap.close();
    scope.postMessage({ index, allocated, remoteFrees });
  } catch (e) {
    scope.postMessage({ index, error: String((e as Error)?.stack ?? e) });
  }
};
