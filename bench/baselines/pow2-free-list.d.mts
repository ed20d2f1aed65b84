/** Types of the large-block baseline (see pow2-free-list.mjs). */
export declare class Pow2FreeList {
  constructor(initialBytes?: number);
  mem: Int32Array;
  readonly backingBytes: number;
  readonly top: number;
  static usableSize(size: number): number;
  malloc(size: number): number;
  free(ptr: number): void;
}
