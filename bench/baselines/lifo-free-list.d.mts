/** Types of the small-object baselines (see lifo-free-list.mjs). */
export declare class LifoFreeList {
  constructor(blockSize: number, initialBytes?: number);
  readonly blockSize: number;
  mem: Int32Array;
  readonly backingBytes: number;
  readonly top: number;
  malloc(size?: number): number;
  free(ptr: number): void;
}
export declare const PAGE_BYTES: number;
export declare class SizeClassFreeList {
  constructor(initialBytes?: number);
  mem: Int32Array;
  readonly backingBytes: number;
  malloc(size: number): number;
  free(ptr: number): void;
}
