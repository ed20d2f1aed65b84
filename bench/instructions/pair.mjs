/**
 * One contender of the instruction counts (run by count.sh under callgrind, not by bench/run.mjs):
 * `node pair.mjs CONTENDER CASE N` warms the case for 300,000 operations, then runs N more.
 * CONTENDER: heap (the built library's default store), threaded (a threaded heap, one thread), fixed, pym (the checked pymalloc
 * reference), tlsf (the checked TLSF reference). CASE: Ap (A′), A, B, L, as in small/large.bench.
 * LIB=path/to/index.js picks another build of the library (default: ../../dist/index.js).
 */
const [contender, kase, nText] = process.argv.slice(2);
const N = Number(nText);
const LIB = process.env.LIB ?? new URL('../../dist/index.js', import.meta.url).href;
let a;
if (contender === 'heap') a = (await import(LIB)).createHeap();
else if (contender === 'threaded') {
  await import(LIB.replace(/index\.js$/, 'threads.js')); // arenalloc/threads installs the threaded heap
  a = (await import(LIB)).createHeap({ threads: true });
} else if (contender === 'fixed') a = (await import(LIB)).createHeap({ store: 'fixed', initialBytes: 1 << 27 });
else if (contender === 'pym') a = new (await import('../baselines/checked-pymalloc.mjs')).CheckedPymalloc();
else if (contender === 'tlsf') a = new (await import('../baselines/checked-tlsf.mjs')).CheckedTlsf();
let run;
if (kase === 'Ap') {
  a.malloc(16);
  run = (n) => {
    for (let i = 0; i < n; i++) a.free(a.malloc(16));
  };
} else if (kase === 'A') {
  run = (n) => {
    for (let i = 0; i < n; i++) a.free(a.malloc(16));
  };
} else if (kase === 'B') {
  let x = 3;
  const sizes = new Int32Array(10000),
    order = new Int32Array(10000),
    ptrs = new Int32Array(10000);
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < 10000; i++) {
    sizes[i] = 8 + (rnd() % 505);
    order[i] = i;
  }
  for (let i = 9999; i > 0; i--) {
    const j = rnd() % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  run = (n) => {
    for (let r = 0; r < n / 10000; r++) {
      for (let i = 0; i < 10000; i++) ptrs[i] = a.malloc(sizes[i]);
      for (let i = 0; i < 10000; i++) a.free(ptrs[order[i]]);
    }
  };
} else if (kase === 'L') {
  let x = 2;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const S = 1 << 16,
    slots = new Int32Array(S),
    sizes = new Int32Array(S),
    ptrs = new Int32Array(1000);
  for (let i = 0; i < S; i++) {
    slots[i] = rnd() % 1000;
    sizes[i] = 1024 + (rnd() % 64513);
  }
  for (let i = 0; i < 1000; i++) ptrs[i] = a.malloc(1024 + (rnd() % 64513));
  let step = 0;
  run = (n) => {
    for (let i = 0; i < n; i++) {
      const s = slots[step];
      a.free(ptrs[s]);
      ptrs[s] = a.malloc(sizes[step]);
      step = (step + 1) & (S - 1);
    }
  };
}
run(300000);
run(N);
