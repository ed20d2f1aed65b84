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
import { checkTlsf } from './check';
import { Chunk, ChunkState, Tlsf } from './tlsf';

/** A formatted TLSF allocator over a new store of its own. @internal */
export function createStandaloneTlsf(options: StoreOptions, align: 8 | 16): Tlsf {
  const mem = createMemory(options);
  mem.u32.fill(0, 0, HEADER_BYTES >>> 2);
  const tlsf = new Tlsf(mem, align);
  tlsf.format();
  return tlsf;
}

/** Bytes of a standalone TLSF store that are not chunks (the header and the end sentinel). @internal */
export const STANDALONE_OVERHEAD = HEADER_BYTES + Chunk.HEADER;

/** Bytes in the free chunks of `tlsf`, headers included. @internal */
export function freeChunkBytes(tlsf: Tlsf): number {
  return tlsf.mem.f64[Counter.LARGE_FREE_BYTES] as number;
}

/** The integrity walk of a standalone TLSF (`checkTlsf`: invariants T1 to T8 of `./tlsf.ts`). @internal */
export function checkStandaloneTlsf(tlsf: Tlsf): void {
  checkTlsf(tlsf, () => {});
}

/** What a pointer is to a standalone TLSF: a live block, a freed one (a double free), or neither. @internal */
export type StandalonePointer = 'live' | 'freed' | 'foreign';

/** Classifies `ptr` for a standalone TLSF in O(1) (see `Tlsf.classify`). @internal */
export function standalonePointer(tlsf: Tlsf, ptr: number): StandalonePointer {
  if ((ptr & (tlsf.align - 1)) !== 0) return 'foreign';
  const state = tlsf.classify(ptr);
  return state === ChunkState.LIVE ? 'live' : state === ChunkState.FREE ? 'freed' : 'foreign';
}
