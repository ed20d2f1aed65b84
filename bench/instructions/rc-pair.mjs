/**
 * The refcounting layer's hot paths under callgrind (run by count.sh with PAIR=rc-pair.mjs, not by
 * bench/run.mjs): `node rc-pair.mjs rc CASE N` warms the case for 300,000 operations, then runs N
 * more, on a fixed 128 MiB store. CASE:
 * - R: `rc.retain(p); rc.release(p)` on one live object;
 * - C: release the oldest of 1,024 live `Vec`s (three f64 fields), create a new one, set its x;
 * - F: C with a free list of 64 (every create a hit after the warm-up);
 * - S: point a `ref` field at an object and clear it again (a retain and a release through it);
 * - D: one link of a long chain freed: a chain of 1,000 `Node`s built and released from its head,
 *   per 1,000 operations (the iterative deallocator's loop, with its free list off).
 * LIB=path/to/index.js picks another build of the library (default: ../../dist/index.js); rc.js is
 * taken from the same folder.
 */
const [, kase, nText] = process.argv.slice(2);
const N = Number(nText);
const LIB = process.env.LIB ?? new URL('../../dist/index.js', import.meta.url).href;
const { createHeap } = await import(LIB);
const { createRc } = await import(LIB.replace(/index\.js$/, 'rc.js'));
const heap = createHeap({ store: 'fixed', initialBytes: 1 << 27 });
const rc = createRc(heap);
let run;
if (kase === 'R') {
  const Vec = rc.struct('Vec', { x: 'f64', y: 'f64', z: 'f64' });
  const p = Vec.create();
  run = (n) => {
    for (let i = 0; i < n; i++) {
      rc.retain(p);
      rc.release(p);
    }
  };
} else if (kase === 'C' || kase === 'F') {
  const Vec = rc.struct('Vec', { x: 'f64', y: 'f64', z: 'f64' }, { freeListSize: kase === 'F' ? 64 : 0 });
  const x = Vec.fields.x;
  const ring = new Uint32Array(1024);
  for (let i = 0; i < 1024; i++) ring[i] = Vec.create();
  let slot = 0;
  run = (n) => {
    for (let i = 0; i < n; i++) {
      rc.release(ring[slot]);
      const p = Vec.create();
      x.set(p, i);
      ring[slot] = p;
      slot = (slot + 1) & 1023;
    }
  };
} else if (kase === 'S') {
  const Node = rc.struct('Node', { value: 'f64', next: { ref: 'Node' } });
  const next = Node.fields.next;
  const a = Node.create();
  const b = Node.create();
  run = (n) => {
    for (let i = 0; i < n; i++) {
      next.set(a, b);
      next.set(a, 0);
    }
  };
} else if (kase === 'D') {
  const Node = rc.struct('Node', { value: 'f64', next: { ref: 'Node' } });
  const next = Node.fields.next;
  run = (n) => {
    for (let r = 0; r < n / 1000; r++) {
      const head = Node.create();
      let tail = head;
      for (let i = 1; i < 1000; i++) {
        const p = Node.create();
        next.set(tail, p);
        rc.release(p);
        tail = p;
      }
      rc.release(head);
    }
  };
} else throw new Error(`unknown case ${kase}`);
run(300_000);
run(N);
if (rc.stats().live > 1024 + 2) throw new Error('objects leaked');
