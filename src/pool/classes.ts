/**
 * Size classes of a buffer pool: powers of two from 16 bytes to the pool's largest class.
 *
 * ```
 *  request bytes    class size   class index
 *  0 .. 16          16           0
 *  17 .. 32         32           1
 *  33 .. 64         64           2
 *  ...              ...          ...
 *  2^(k-1)+1 .. 2^k 2^k          k - 4
 * ```
 *
 * Powers of two waste up to half of a block on a request just above a class, and buy two things a
 * finer grid would not: a payload released by one request fits any later request of its class, so
 * a server whose bodies vary in size still reuses its cached blocks (and their views), and the
 * class index is one `Math.clz32`.
 *
 * @module
 */

/** The smallest class, in bytes: the heap's payload alignment, so no two leases share 16 bytes. */
export const MIN_CLASS_BYTES = 16;

/** log2 of {@link MIN_CLASS_BYTES}. */
const MIN_CLASS_SHIFT = 4;

/** The default largest class: 256 KiB, the largest HTTP body or frame most services move whole. */
export const DEFAULT_MAX_CLASS_BYTES = 256 * 1024;

/** The largest class a pool may be configured with: 16 MiB. */
export const MAX_CLASS_BYTES_LIMIT = 16 * 1024 * 1024;

/** Index of the class that serves `size` bytes (`size` at most the largest class). */
export function classIndex(size: number): number {
  return size <= MIN_CLASS_BYTES ? 0 : 32 - Math.clz32(size - 1) - MIN_CLASS_SHIFT;
}

/** Block size of class `index`. */
export function classBytes(index: number): number {
  return MIN_CLASS_BYTES << index;
}
