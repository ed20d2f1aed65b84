// A short tour: allocate, write, free, and print the heap's figures. Run with `npm start`;
// copied into a project that depends on arenalloc, it runs as it is.
import { createHeap } from 'arenalloc';
import 'arenalloc/inspect'; // heap.check()

const heap = createHeap({ initialBytes: 1 << 20 });

const small = heap.malloc(64);
const big = heap.calloc(1000, 8);
new Float64Array(heap.buffer, big, 1000).fill(Math.PI);
console.log(`malloc(64) -> ${small}, calloc(1000, 8) -> ${big}`);

const grown = heap.realloc(big, 16_000);
console.log(`realloc(${big}, 16000) -> ${grown} (first element ${new Float64Array(heap.buffer, grown, 1)[0]})`);

const many = Array.from({ length: 1000 }, (_, i) => heap.malloc(8 + (i % 64) * 8)); // small objects: pools
console.log(heap.debugMallocStats().split('\n').slice(0, 12).join('\n'), '\n...');
for (const p of many) heap.free(p);

heap.free(small);
heap.check();
const { small: smallStats, ...figures } = heap.stats();
console.log('while one block is live:', figures, `(${smallStats.arenas} arena(s) of small objects)`);
heap.free(grown);
heap.check();
const { small: _, ...after } = heap.stats();
console.log('after freeing everything:', after);
