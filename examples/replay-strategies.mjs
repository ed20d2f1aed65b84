// Records the allocation trace of a small program (a growing table of strings, a queue of
// messages) on an arenalloc heap, then replays it through several allocation strategies and
// prints, for each, the time per operation, the peak footprint and the fragmentation.
// Run it with `node examples/replay-strategies.mjs` after `npm run build`.
import { createHeap } from 'arenalloc';
import { recordTrace, replayAll, traceStats } from 'arenalloc/strategies';

const heap = createHeap();
const recorder = recordTrace(heap);

// The program: a table that doubles as it fills, and a queue of messages of mixed sizes.
let table = heap.malloc(16 * 4);
let capacity = 16;
const queue = [];
for (let i = 0; i < 20_000; i++) {
  if (i === capacity) {
    capacity *= 2;
    table = heap.realloc(table, capacity * 4);
  }
  queue.push(heap.malloc(32 + ((i * 37) % 900)));
  if (queue.length > 500) heap.free(queue.shift());
}
for (const p of queue) heap.free(p);
heap.free(table);

const trace = recorder.stop();
const stats = traceStats(trace);
console.log(`${trace.length} operations, peak live ${stats.peakLiveBytes} bytes`);

const { strategies } = replayAll(trace, ['heap', 'tlsf', 'segregated', 'first-fit', 'buddy', 'uint8array'], { rounds: 3 });
for (const s of strategies) {
  if (s.error !== undefined) throw new Error(`${s.name}: ${s.error}`);
  if (!s.verified) throw new Error(`${s.name} damaged a block`);
  const fragmentation = s.name === 'uint8array' ? '—' : `${(s.externalFragmentation / 1024).toFixed(1)} KiB free inside`;
  console.log(
    `${s.name.padEnd(11)} ${s.nsPerOp.toFixed(1).padStart(7)} ns/op  footprint ${s.footprintRatio.toFixed(2)}× peak live  ${fragmentation}`,
  );
}
heap.check();
console.log(`replayed through ${strategies.length} strategies, every block verified`);
