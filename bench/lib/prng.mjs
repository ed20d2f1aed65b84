/**
 * A seeded pseudo-random generator for the benchmarks, so that every run (and every contender in
 * a run) sees the same sizes and the same order. xorshift32 (Marsaglia, 2003) over a seed mixed
 * by a 32-bit integer hash, so that nearby seeds give unrelated streams.
 *
 * Sequences are drawn before timing starts and stored in typed arrays; nothing here runs inside
 * a measured loop.
 */

/** Mixes a seed into a non-zero 32-bit state. */
function mixSeed(seed) {
  let x = (seed | 0) ^ 0x9e3779b9;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  return x === 0 ? 0x6d2b79f5 : x;
}

/**
 * A generator with `next()` (a uint32), `int(lo, hi)` (an integer in `[lo, hi]`, both included)
 * and `shuffle(array)` (Fisher–Yates in place).
 */
export function createRng(seed) {
  let state = mixSeed(seed);
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const int = (lo, hi) => lo + Math.floor((next() / 0x1_0000_0000) * (hi - lo + 1));
  const shuffle = (array) => {
    for (let i = array.length - 1; i > 0; i--) {
      const j = int(0, i);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  };
  return { next, int, shuffle };
}

/** An `Int32Array` of `count` integers drawn from `[lo, hi]`. */
export function randomInts(rng, count, lo, hi) {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.int(lo, hi);
  return out;
}

/** A random permutation of `0 .. count - 1` as an `Int32Array`. */
export function permutation(rng, count) {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = i;
  return rng.shuffle(out);
}
