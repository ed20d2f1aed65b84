/**
 * The heap's integrity walk, behind `heap.check()`: the header, the null-pointer guard, every
 * structure of the small-object allocator (`smallCheck` of `src/small/check.ts`, against the
 * invariants S1 to S11 of `src/small/layout.ts`), every chunk of the large-object heap
 * (`checkTlsf` of `src/large/check.ts`, against T1 to T8 of `src/large/tlsf.ts`), and the
 * facade's counters against what the walk found. A threaded heap hands the walk to its threads
 * module.
 *
 * It lives outside the core bundle (see the architecture guide, "What the core bundle holds"):
 * `heap.check()` reaches it through the inspect port that `arenalloc/inspect` fills in.
 *
 * @internal
 * @module
 */

import { HeapCorruptedError, ThreadsActiveError } from '../errors';
import { checkGuardLow } from '../guard';
import { _threadsPort, type Heap, type ThreadsPort } from '../heap';
import { checkTlsf } from '../large/check';
import { Chunk } from '../large/tlsf';
import { INTERNAL_REQUEST, LAYOUT_VERSION, MAGIC, Word } from '../layout';
import { smallCheck } from '../small/check';
import { debugMallocStats } from '../small/inspect';

/** {@link Heap.check}: throws {@link HeapCorruptedError} naming the first broken invariant. O(heap size). */
export function checkHeap(heap: Heap): void {
  const mem = heap._mem;
  mem.refresh();
  const header = mem.head;
  if (
    header[Word.MAGIC] !== MAGIC ||
    header[Word.VERSION] !== LAYOUT_VERSION ||
    header[Word.ALIGN] !== heap.align ||
    header[Word.BASE] !== mem.base
  ) {
    throw new HeapCorruptedError('the heap header has been overwritten');
  }
  checkGuardLow(heap);
  if (heap._threads !== null) {
    if (!heap._threads.open) throw new ThreadsActiveError('check(): this thread closed its place in the heap; attach again');
    (_threadsPort() as ThreadsPort).check(heap._threads);
    return;
  }
  const small = smallCheck(heap._small);
  let blocks = small.blocks;
  let bytes = small.bytes;
  const large = heap._large;
  checkTlsf(large, (payload, chunkSize) => {
    if (large.requestedOf(payload) === INTERNAL_REQUEST) return;
    blocks++;
    bytes += chunkSize - Chunk.HEADER;
  });
  const stats = heap.stats();
  if (stats.liveBlocks !== blocks || stats.liveBytes !== bytes) {
    throw new HeapCorruptedError(
      `counters say ${stats.liveBlocks} live blocks of ${stats.liveBytes} bytes; the walk found ${blocks} of ${bytes}`,
    );
  }
}

/** {@link Heap.debugMallocStats}: the small-object allocator's text report. O(pools). */
export function heapReport(heap: Heap): string {
  return heap._threads === null ? debugMallocStats(heap._small) : (_threadsPort() as ThreadsPort).report(heap._threads);
}
