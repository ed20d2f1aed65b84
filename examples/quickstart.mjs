// A short tour: allocate, write, free, and print the heap's figures. Run with `npm start`.
import { createHeap } from '../dist/index.js';

const heap = createHeap({ initialBytes: 1 << 20 });

const small = heap.malloc(64);
const big = heap.calloc(1000, 8);
new Float64Array(heap.buffer, big, 1000).fill(Math.PI);
console.log(`malloc(64) -> ${small}, calloc(1000, 8) -> ${big}`);

const grown = heap.realloc(big, 16_000);
console.log(`realloc(${big}, 16000) -> ${grown} (first element ${new Float64Array(heap.buffer, grown, 1)[0]})`);

heap.free(small);
heap.check();
console.log('while one block is live:', heap.stats());
heap.free(grown);
heap.check();
console.log('after freeing everything:', heap.stats());
