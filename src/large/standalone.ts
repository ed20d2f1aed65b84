/**
 * A port for layers that want the TLSF allocator on its own, without the small-object allocator
 * in front of it (`arenalloc/strategies` runs it as the `tlsf` strategy, for every size).
 *
 * The allocator keeps its bitmaps and list heads in the heap header (see `layout.ts`), so a
 * standalone one still gets a whole header: the buffer looks like a heap whose small-object
 * allocator was never formatted. Nothing here is public API.
 *
 * @internal
 * @module
 */

import { Counter, HEADER_BYTES } from '../layout';
import { createMemory, type StoreOptions } from '../memory/store';
import { CHUNK_HEADER, Tlsf } from './tlsf';

export { CHUNK_HEADER } from './tlsf';

/** A formatted TLSF allocator over a new store of its own. @internal */
export function createStandaloneTlsf(options: StoreOptions, align: 8 | 16): Tlsf {
  const mem = createMemory(options);
  mem.u32.fill(0, 0, HEADER_BYTES >>> 2);
  const tlsf = new Tlsf(mem, align);
  tlsf.format();
  return tlsf;
}

/** Bytes of a standalone TLSF store that are not chunks (the header and the end sentinel). @internal */
export const STANDALONE_OVERHEAD = HEADER_BYTES + CHUNK_HEADER;

/** Bytes in the free chunks of `tlsf`, headers included. @internal */
export function freeChunkBytes(tlsf: Tlsf): number {
  return tlsf.mem.f64[Counter.LARGE_FREE_BYTES] as number;
}
