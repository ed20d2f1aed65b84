// A per-frame (bump) arena: scratch memory that lives exactly one frame. One heap block is taken
// once; each frame hands out pieces of it by bumping an offset, and the frame's end resets the
// offset, so per-frame allocations cost an addition and are never freed one by one. Long-lived
// data still uses malloc/free of the same heap. Run with
// `node scripts/start.mjs examples/frame-arena.mjs`; copied into a project that depends on
// arenalloc, it runs as it is.
import { createHeap, OutOfMemoryError } from 'arenalloc';
import 'arenalloc/inspect'; // heap.check()

const heap = createHeap({ initialBytes: 1 << 20 });

/** A bump arena over one block of `heap`: `alloc` is an addition, `reset` frees everything at once. */
function createFrameArena(heap, bytes, align = 16) {
  const base = heap.malloc(bytes);
  let top = 0;
  let peak = 0;
  return {
    alloc(size) {
      const start = (top + align - 1) & -align;
      if (start + size > bytes)
        throw new OutOfMemoryError(`frame arena: ${size} bytes do not fit (${bytes - start} left this frame)`, size);
      top = start + size;
      if (top > peak) peak = top;
      return base + start;
    },
    reset() {
      top = 0;
    },
    get peak() {
      return peak;
    },
    destroy() {
      heap.free(base);
    },
  };
}

const frame = createFrameArena(heap, 64 * 1024);
const world = heap.calloc(1024, 8); // long-lived: positions of 512 particles (x, y as f32 pairs)
const positions = () => new Float32Array(heap.buffer, world, 1024);

for (let f = 0; f < 120; f++) {
  // Scratch for this frame: a list of the visible particles and a vertex buffer for them.
  const visible = frame.alloc(512 * 4);
  const indices = new Uint32Array(heap.buffer, visible, 512);
  const pos = positions();
  let count = 0;
  for (let i = 0; i < 512; i++) {
    pos[2 * i] += 0.01 * ((i % 7) - 3);
    pos[2 * i + 1] += 0.01 * ((i % 5) - 2);
    if (pos[2 * i] >= 0) indices[count++] = i;
  }
  const vertices = new Float32Array(heap.buffer, frame.alloc(count * 8), count * 2);
  for (let k = 0; k < count; k++) {
    vertices[2 * k] = pos[2 * indices[k]];
    vertices[2 * k + 1] = pos[2 * indices[k] + 1];
  }
  frame.reset(); // the frame is over: all of its scratch is gone, with no free() per piece
}

const liveDuring = heap.stats().liveBlocks;
if (liveDuring !== 2) throw new Error(`the arena is one heap block and the world another, not ${liveDuring}`);
console.log(`120 frames; the frame arena's peak was ${frame.peak} of 65536 bytes; the heap saw 2 live blocks throughout`);
try {
  frame.alloc(1 << 20);
  throw new Error('an oversized frame allocation should fail');
} catch (e) {
  if (!(e instanceof OutOfMemoryError)) throw e;
}
frame.destroy();
heap.free(world);
heap.check();
if (heap.stats().liveBlocks !== 0) throw new Error('nothing left');
console.log('arena and world freed; heap.check() passed');
