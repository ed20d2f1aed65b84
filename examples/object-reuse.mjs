// Object reuse through a type's free list (arenalloc/rc): short-lived objects of one type, such as
// bullets or network messages, are parked when released and handed out again by the next
// create(), without a trip through the allocator. Run with
// `node scripts/start.mjs examples/object-reuse.mjs`; copied into a project that depends on
// arenalloc, it runs as it is.
import { createHeap } from 'arenalloc';
import { createRc } from 'arenalloc/rc';

const heap = createHeap({ initialBytes: 1 << 20 });
const rc = createRc(heap);
const Bullet = rc.struct('Bullet', { x: 'f32', y: 'f32', dx: 'f32', dy: 'f32', ttl: 'u16' }, { freeListSize: 256 });
const { x, y, dx, dy, ttl } = Bullet.fields;

const flying = [];
for (let frame = 0; frame < 1000; frame++) {
  for (let i = 0; i < 4; i++) {
    const b = Bullet.create(); // a parked bullet when there is one
    x.set(b, 0);
    y.set(b, 0);
    dx.set(b, Math.cos(frame + i));
    dy.set(b, Math.sin(frame + i));
    ttl.set(b, 30 + ((frame * 7 + i) % 40));
    flying.push(b);
  }
  for (let i = flying.length - 1; i >= 0; i--) {
    const b = flying[i];
    x.set(b, x.get(b) + dx.get(b));
    y.set(b, y.get(b) + dy.get(b));
    const left = ttl.get(b) - 1;
    ttl.set(b, left);
    if (left === 0) {
      flying[i] = flying[flying.length - 1];
      flying.pop();
      rc.release(b); // parked on the free list, not freed
    }
  }
}

const stats = Bullet.stats();
console.log(
  `4000 bullets created: ${stats.hits} reused from the free list, ${stats.misses} newly allocated; ${stats.live} flying, ${stats.freeListLength} parked`,
);
if (stats.hits < 3000) throw new Error('most bullets should come from the free list once it fills');
for (const b of flying) rc.release(b);
Bullet.clearFreeList(); // give the parked blocks back to the heap
heap.check();
if (heap.stats().liveBlocks !== 0) throw new Error('nothing left after clearing the free list');
console.log('all bullets released, free list cleared; heap.check() passed; liveBlocks 0');
