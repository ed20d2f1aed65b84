// A game loop over struct types: entities with a position, a velocity and a target live in the
// heap as refcounted objects (arenalloc/rc), are spawned and despawned every frame, and are
// updated through accessors that allocate nothing per access. Run with
// `node scripts/start.mjs examples/game-loop.mjs`; copied into a project that depends on
// arenalloc, it runs as it is.
import { createHeap } from 'arenalloc';
import { createRc } from 'arenalloc/rc';

const heap = createHeap({ initialBytes: 1 << 20 });
const rc = createRc(heap);

// One declaration: C layout, generated accessors. `target` is a counted reference to another
// entity: writing it retains the new target and releases the old one.
const Entity = rc.struct('Entity', {
  x: 'f32',
  y: 'f32',
  vx: 'f32',
  vy: 'f32',
  hp: 'u16',
  target: { ref: 'Entity' },
});
const { x, y, vx, vy, hp, target } = Entity.fields;

const FRAMES = 600;
const SPAWN_PER_FRAME = 8;
const alive = []; // the pointers the game itself holds (one reference each)
let seed = 1;
const random = () => {
  seed = (seed * 1103515245 + 12345) >>> 0; // deterministic, so the run checks itself
  return seed / 2 ** 32;
};

function spawn() {
  const e = Entity.create(); // refcount 1: the game's reference
  x.set(e, random() * 100);
  y.set(e, random() * 100);
  vx.set(e, random() - 0.5);
  vy.set(e, random() - 0.5);
  hp.set(e, 1 + Math.floor(random() * 120));
  if (alive.length > 0) target.set(e, alive[Math.floor(random() * alive.length)]);
  alive.push(e);
}

let despawned = 0;
for (let frame = 0; frame < FRAMES; frame++) {
  for (let i = 0; i < SPAWN_PER_FRAME; i++) spawn();
  for (let i = alive.length - 1; i >= 0; i--) {
    const e = alive[i];
    x.set(e, x.get(e) + vx.get(e));
    y.set(e, y.get(e) + vy.get(e));
    const left = hp.get(e) - 1;
    if (left > 0) {
      hp.set(e, left);
      continue;
    }
    // Dead: the game drops its reference. An entity that others still target lives on until
    // they retarget or die too; then its target is released with it.
    alive[i] = alive[alive.length - 1];
    alive.pop();
    rc.release(e);
    despawned++;
  }
}

const during = rc.stats();
console.log(`after ${FRAMES} frames: ${alive.length} entities alive, ${despawned} despawned, ${during.live} objects in the heap`);
for (const e of alive) rc.release(e);
alive.length = 0;

const after = rc.stats();
heap.check();
if (after.live !== 0 || heap.stats().liveBlocks !== 0) throw new Error('every entity should be freed once the game drops them');
if (after.created !== FRAMES * SPAWN_PER_FRAME) throw new Error('one object per spawn');
console.log(`all ${after.created} entities freed; heap.check() passed; liveBlocks 0`);
