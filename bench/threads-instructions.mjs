/**
 * Instructions per pair of the cross-thread protocol, in one thread (run under callgrind by
 * count.sh's method: a run of N pairs minus a run of none, over N; callgrind cannot follow two
 * threads at once, and a count does not move with the machine's load). Two slots of one threaded
 * heap in the same thread stand for the two threads of the `threads` suite's cross-thread churn:
 * each allocates benchmark B's 10,000 blocks; each frees half of its own blocks and half of the
 * other's (remote frees, taken back by the owner's next malloc that finds its list empty).
 *
 *   npm run build
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded bench/threads-instructions.mjs cross 1000000
 *   CASE: local (every free by the owner), cross (half remote)
 */
import { createHeap, Heap } from '../dist/index.js';
import '../dist/threads.js';

const [kase, nText] = process.argv.slice(2);
const N = Number(nText);
const a = createHeap({ threads: true, initialBytes: 16 << 20, maxBytes: 256 << 20 });
const b = Heap.attach(a.buffer);
let x = 3;
const rnd = () => {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
};
const M = 10000;
const sizes = new Int32Array(M);
const order = new Int32Array(M);
for (let i = 0; i < M; i++) {
  sizes[i] = 8 + (rnd() % 505);
  order[i] = i;
}
for (let i = M - 1; i > 0; i--) {
  const j = rnd() % (i + 1);
  const t = order[i];
  order[i] = order[j];
  order[j] = t;
}
const pa = new Float64Array(M);
const pb = new Float64Array(M);
const cross = kase === 'cross';
// Each round: 2 × 10,000 pairs.
function run(n) {
  for (let r = 0; r < n / (2 * M); r++) {
    for (let i = 0; i < M; i++) pa[i] = a.malloc(sizes[i]);
    for (let i = 0; i < M; i++) pb[i] = b.malloc(sizes[i]);
    for (let i = 0; i < M; i++) {
      const k = order[i];
      if (cross && (i & 1) === 1) {
        b.free(pa[k]);
        a.free(pb[k]);
      } else {
        a.free(pa[k]);
        b.free(pb[k]);
      }
    }
  }
}
run(400_000);
run(N);
