/** Types of the benchmarks' seeded generator (see prng.mjs). */
export interface Rng {
  next(): number;
  int(lo: number, hi: number): number;
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T;
}
export declare function createRng(seed: number): Rng;
export declare function randomInts(rng: Rng, count: number, lo: number, hi: number): Int32Array;
export declare function permutation(rng: Rng, count: number): Int32Array;
