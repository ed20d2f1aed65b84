// A C program compiled to WebAssembly whose malloc is arenalloc: one heap in the module's memory,
// above its data and stack, serving both the C code's malloc/calloc/realloc/free and the blocks
// JavaScript allocates for it. JavaScript writes a text into a heap block, the C function counts
// its words in a hash table it mallocs, and returns a report in a block JavaScript then frees.
// The C source and its build script are in examples/wasm/ (word-count.c, build.sh); the compiled
// module is carried below, so that this file runs wherever it is copied.
import { createHeap } from 'arenalloc';
import { wasmImports } from 'arenalloc/wasm';
import 'arenalloc/inspect'; // heap.check()

// examples/wasm/word-count.wasm, base64 (build.sh writes this line).
const WORD_COUNT_WASM =
  'AGFzbQEAAAABGARgAn9/AX9gAX8Bf2ABfwBgBH9/f38BfwJCBQNlbnYGbWVtb3J5AgACA2VudgZjYWxsb2MAAANlbnYGbWFsbG9jAAEDZW52BGZyZWUAAgNlbnYHcmVhbGxvYwAAAwIBAwQFAXABAQEGDwJ/AUGAiAQLfwBBgIgECwcbAgl0b3Bfd29yZHMABAtfX2hlYXBfYmFzZQMBCs0UAcoUARJ/I4CAgIAAQRBrIgQkgICAgABBECEFAkACQAJAAkBBEEEEEICAgIAAIgZFDQAgAUUNACAGQQBHIQdBECEFQQAhCEEAIQkDQAJAIAggAU8NAANAIAAgCGotAAAiCkEnRg0BIApB3wFxQaV/akH/AXFB5QFLDQEgASAIQQFqIghHDQALIAUhCwwECwJAAkACQCAIIAFJDQAgCCEMDAELIAghDAJAA0ACQCAAIAxqLQAAIgpBJ0YNACAKQd8BcUGlf2pB/wFxQeYBSQ0CCyABIAxBAWoiDEcNAAsgASEMCyAMIAhNDQAgACAIaiENAkACQCAMIAhrIg4NAEHFu/KIeCEPDAELIA5BAXEhCwJAAkAgDCAIQQFqRw0AQcW78oh4IQ9BACEKDAELIA5BfnEhEEHFu/KIeCEPQQAhCgNAIA8gDSAKaiIRLQAAIgdBIGogByAHQb9/akH/AXFBGkkbQf8BcXNBk4OACGwgEUEBai0AACIHQSBqIAcgB0G/f2pB/wFxQRpJG0H/AXFzQZODgAhsIQ8gECAKQQJqIgpHDQALCyALRQ0AIA8gDSAKai0AACIKQSBqIAogCkG/f2pB/wFxQRpJG0H/AXFzQZODgAhsIQ8LAkAgBiAPIAVBf2pxQQJ0aiISKAIAIhBFDQADQCANIQogECgCBCILIQcgDiERAkACQCAORQ0AA0AgCi0AACIPQSBqIA8gD0G/f2pB/wFxQRpJG0H/AXEgBy0AAEcNAiAKQQFqIQogB0EBaiEHIBFBf2oiEQ0ACwsgCyAOai0AAA0AQQEhByAQIBAoAghBAWo2AggMAwsgECgCACIQDQALC0EMEIGAgIAAIQsgDkEBahCBgICAACEQAkAgC0UNACAQRQ0AAkAgDkUNACAOQQFxIRNBACEKAkAgDCAIQQFqRg0AIA5BfnEhCEEAIQoDQCAQIApqIg8gDSAKaiIRLQAAIgdBIGogByAHQb9/akH/AXFBGkkbOgAAIA9BAWogEUEBai0AACIHQSBqIAcgB0G/f2pB/wFxQRpJGzoAACAIIApBAmoiCkcNAAsLIBNFDQAgECAKaiANIApqLQAAIgpBIGogCiAKQb9/akH/AXFBGkkbOgAACyAQIA5qQQA6AAAgCyAQNgIEIAsgEigCADYCAEEBIQcgC0EBNgIIIBIgCzYCACAJQQFqIglBAnQgBUEDbEkNAQJAIAVBAXQiC0EEEICAgIAAIhMNACAFIQsgE0EARyEHDAMLAkAgBUUNACALQX9qIRRBACEVA0ACQCAGIBVBAnRqKAIAIg1FDQADQCANIg4oAgQhESAOKAIAIQ1BfyEKQQAhBwNAIAciEEEBaiEHIBEgCmohDyAKQQFqIgghCiAPQQFqLQAADQALAkACQCAIDQBBxbvyiHghDwwBCyAIQQFxIRICQAJAIAhBAUcNAEHFu/KIeCEPQQAhCgwBCyAQQX5xIRBBxbvyiHghD0EAIQoDQCAPIBEgCmoiCC0AACIHQSBqIAcgB0G/f2pB/wFxQRpJG0H/AXFzQZODgAhsIAhBAWotAAAiB0EgaiAHIAdBv39qQf8BcUEaSRtB/wFxc0GTg4AIbCEPIBAgCkECaiIKRw0ACwsgEkUNACAPIBEgCmotAAAiCkEgaiAKIApBv39qQf8BcUEaSRtB/wFxc0GTg4AIbCEPCyAOIBMgDyAUcUECdGoiCigCADYCACAKIA42AgAgDQ0ACwsgFUEBaiIVIAVHDQALCyAGEIKAgIAAIBMhBiATQQBHIQcMAgsgCxCCgICAACAQEIKAgIAAQQEhCAwECyAFIQsLIAdFDQMgDCEIIAshBSAMIAFJDQAMAwsLIAZFIQhBACEJC0EAIRMMAQsgB0UhCEEAIRMCQCACDQAgCyEFDAELAkAgBw0AIAshBQwBCwJAIAkNACALIQUMAQsgBEEGakEJaiEFQQAhAEEAIRRBACEMQQAhEwNAQQAhEUEAIQcDQAJAIAYgEUECdGooAgAiCkUNAANAAkAgCigCCCIPRQ0AAkAgB0UNACAPIAcoAghNDQELIAohBwsgCigCACIKDQALCyARQQFqIhEgC0cNAAsgDEEBdCEPIAcoAgQhCEEAIQoDQCAPQQJqIQ8gCiIRQQFqIQogCCARai0AAA0ACwJAAkACQCAMIApqIBRLDQAgEyENIBQhDwwBCyATIA8Qg4CAgAAiDQ0AQQEhCAwBCwJAAkAgCkEBRw0AIAwhEgwBCyAKQX9qQQNxIRNBACEQAkACQCAKQX5qQQNPDQAgDCESDAELIBFBfHEhEiANIAxqIQFBACEQA0AgASAQaiIKIAggEGoiDi0AADoAACAKQQFqIA5BAWotAAA6AAAgCkECaiAOQQJqLQAAOgAAIApBA2ogDkEDai0AADoAACASIBBBBGoiEEcNAAsgDCAQaiESCyATRQ0AIBFBA3EhESAIIBBqIQoDQCANIBJqIAotAAA6AAAgCkEBaiEKIBJBAWohEiARQX9qIhENAAsLIA0gEmpBADoAAAJAAkAgEkECaiIKIA9LDQAgDSETIA8hFAwBC0EBIQggDSAKQQF0IhQQg4CAgAAiEw0AIA0hEyASIQwgDyEUDAELIBMgEmpBIDsAACASQQFqIQwgEkEBdEEEaiERIAcoAgghCkEAIQ8gBSEIA0AgBEEGaiAPIhBqQQlqIAogCkEKbiIOQQpsa0EwcjoAACAIIgFBf2ohCCAQQX9qIQ8gEUECaiERIApBCUshDSAOIQogDQ0ACwJAAkAgEiAPa0ECaiAUSw0AIBMhDiAUIREMAQsgEyAREIOAgIAAIg4NAEEBIQgMAQsCQCAPRQ0AQQAhCkEAIA9rQQNxIRQCQCAPQX9zQQNJDQAgDiASaiENQQEgEGtBfHEhDCAEQQZqIA9qIRNBACEKA0AgDSAKaiIPQQFqIBMgCmoiCEEKai0AADoAACAPQQJqIAhBC2otAAA6AAAgD0EDaiAIQQxqLQAAOgAAIA9BBGogCEENai0AADoAACAMIApBBGoiCkcNAAsgEiAKakEBaiEMCyAURQ0AIAEgCmohCkEBIBBrQQNxIQ8DQCAOIAxqIAotAAA6AAAgCkEBaiEKIAxBAWohDCAPQX9qIg8NAAsLIA4gDGpBADoAAAJAAkAgDEECaiIKIBFLDQAgDiETIBEhFAwBC0EBIQggDiAKQQF0IhQQg4CAgAAiEw0AIA4hEyARIRQMAQsgEyAMakEKOwAAIAxBAWohDEEAIQgLIAdBADYCCAJAIAhFDQAgCyEFDAILAkAgAEEBaiIAIAJJDQAgCyEFDAILIAAgCUkNAAsgCyEFCyADIAk2AgACQCAGRQ0AIAVFDQBBACEPA0ACQCAGIA9BAnRqKAIAIgpFDQADQCAKKAIAIQcgCigCBBCCgICAACAKEIKAgIAAIAchCiAHDQALCyAPQQFqIg8gBUkNAAsLIAYQgoCAgAACQCAIRQ0AIBMQgoCAgABBACETCyAEQRBqJICAgIAAIBML';
const bytes = Uint8Array.from(atob(WORD_COUNT_WASM), (c) => c.charCodeAt(0));

// The module imports its memory and its allocator. Its `__heap_base` (where its data and stack
// end) is known only once it is instantiated, so the imports resolve the heap at the first call;
// naming the memory lets them serve the module's calls in WebAssembly, without entering JS.
const memory = new WebAssembly.Memory({ initial: 2, maximum: 1024 });
let heap = null;
const env = { ...wasmImports(() => heap, { memory }), memory };
const { instance } = await WebAssembly.instantiate(bytes, { env });
const { exports } = instance;
heap = createHeap({ store: 'wasm', memory, base: exports.__heap_base.value });

const text = `It was the best of times, it was the worst of times, it was the age of wisdom, it was the
age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season
of Light, it was the season of Darkness, it was the spring of hope, it was the winter of despair.`.repeat(50);

// JavaScript allocates the input and the out-parameter in the heap; the C code reads them.
const encoded = new TextEncoder().encode(text);
const input = heap.malloc(encoded.length);
heap.bytes(input, encoded.length).set(encoded);
const distinctOut = heap.malloc(4);

const report = exports.top_words(input, encoded.length, 5, distinctOut) >>> 0;
if (report === 0) throw new Error('the C code ran out of memory');
const view = heap.bytes(report);
const textOut = new TextDecoder().decode(view.subarray(0, view.indexOf(0)));
const distinct = new DataView(memory.buffer).getUint32(distinctOut, true);
console.log(`${encoded.length} bytes of text, ${distinct} distinct words; the five most frequent:`);
console.log(textOut.trimEnd());

// What the C code allocated, JavaScript frees: one heap, one free for both.
const { totalAllocations } = heap.stats();
heap.free(report);
heap.free(input);
heap.free(distinctOut);
heap.check();
console.log(
  `${totalAllocations} allocations (C and JavaScript) served by one heap at ${heap.base}; heap.check() passed; liveBlocks ${heap.stats().liveBlocks}`,
);
