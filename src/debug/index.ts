/**
 * arenalloc/debug: debug mode, like CPython's `PYTHONMALLOC=debug`.
 *
 * Every block gets forbidden bytes (0xFD) before and after it; new memory is filled with 0xCD and
 * freed memory with 0xDD; `free`, `realloc` and {@link DebugLayer.check} verify the guards and
 * throw {@link GuardBytesError} naming the pointer, the side, the bad bytes and (when tracing is
 * on) where the block was allocated. Freed blocks wait in a quarantine before the allocator may
 * reuse them; a write to one is caught when it leaves ({@link FreedBlockWrittenError}).
 * `usableSize` reports exactly the size asked for, so a loop that trusts it cannot run into the
 * guard unseen.
 *
 * The core never imports this module: `createHeap({ debug: true })` throws and points here.
 *
 * @example
 * ```ts
 * import { createDebugHeap, debugLayerOf } from 'arenalloc/debug';
 * const heap = createDebugHeap({ quarantineBlocks: 256 });
 * const p = heap.malloc(24);
 * heap.free(p);
 * debugLayerOf(heap)!.check(); // the heap's check, then every guard and every quarantined block
 * ```
 *
 * @module arenalloc/debug
 */

import { InvalidArgumentError } from '../errors';
import { createHeap, type Heap, type HeapOptions } from '../heap';
import { type DebugOptions, enableDebug } from './layer';

export { CLEAN_BYTE, DEAD_BYTE, FORBIDDEN_BYTE } from './bytes';
export { type DamageReport, type DamageSide, FreedBlockWrittenError, GuardBytesError } from './errors';
export { type DebugLayer, type DebugOptions, type DebugStats, debugLayerOf, enableDebug } from './layer';

/** Options of {@link createDebugHeap}: those of `createHeap` and those of debug mode. */
export interface DebugHeapOptions extends HeapOptions, DebugOptions {}

/**
 * Creates a heap with debug mode on: `createHeap(options)` followed by
 * {@link enableDebug}. `debug: true` in the options is accepted and means nothing more.
 *
 * @throws {@link arenalloc!InvalidArgumentError} for an option out of range
 * @example
 * ```ts
 * const heap = createDebugHeap({ initialBytes: 1 << 20, guardBytes: 32 });
 * ```
 */
export function createDebugHeap(options: DebugHeapOptions = {}): Heap {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  const { guardBytes, quarantineBlocks, quarantineBytes, debug: _debug, ...heapOptions } = options;
  const heap = createHeap(heapOptions);
  const debugOptions: DebugOptions = {};
  if (guardBytes !== undefined) debugOptions.guardBytes = guardBytes;
  if (quarantineBlocks !== undefined) debugOptions.quarantineBlocks = quarantineBlocks;
  if (quarantineBytes !== undefined) debugOptions.quarantineBytes = quarantineBytes;
  enableDebug(heap, debugOptions);
  return heap;
}
