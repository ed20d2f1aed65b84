/**
 * arenalloc/threads: the threaded heap, one heap that many threads allocate in at once
 * (`createHeap({ threads: true })`, joined in each worker with `Heap.attach(buffer)`; see the
 * workers guide, and `./layout.ts` for the design).
 *
 * The core does not import this module, so that a program that never uses threads does not
 * bundle it. Loading it installs the threaded heap into the core: import it once in every thread
 * that makes or joins a threaded heap, the main thread and each worker alike. Without it,
 * `createHeap({ threads: true })` and `Heap.attach` of a threaded heap throw
 * {@link ThreadsNotLoadedError}. The package lists this entry under `"sideEffects"`, so bundlers
 * keep a bare `import 'arenalloc/threads'`; {@link installThreads} does the same by a call, for a
 * setup that would drop the import all the same.
 *
 * @example
 * ```ts
 * import 'arenalloc/threads';
 * import { createHeap } from 'arenalloc';
 * const heap = createHeap({ threads: true });
 * const p = heap.malloc(64);
 * heap.free(p);
 * heap.close();
 * ```
 *
 * @module arenalloc/threads
 */

import { ThreadsNotLoadedError } from '../errors';
import { _registerThreads, type ThreadsPort } from '../heap';
import { installInspect } from '../inspect/install';
import { threadedCheck, threadedCounts, threadedReport, threadedSmallStats } from './inspect';
import { DEFAULT_MAX_THREADS } from './layout';
import { joinThreaded, makeThreaded } from './threaded';

/** `maxThreads` of `createHeap({ threads: true })` when the options name none. */
export { DEFAULT_MAX_THREADS };

const port: ThreadsPort = {
  defaultMaxThreads: DEFAULT_MAX_THREADS,
  make: makeThreaded,
  join: joinThreaded,
  check: threadedCheck,
  counts: threadedCounts,
  smallStats: threadedSmallStats,
  report: threadedReport,
};

/**
 * Installs the threaded heap into the core, which loading this module already did: after it,
 * `createHeap({ threads: true })` and `Heap.attach` of a threaded heap work in this thread
 * instead of throwing {@link ThreadsNotLoadedError}. Idempotent. Each thread has its own copy of
 * the modules, so each worker installs it for itself.
 *
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * import { installThreads } from 'arenalloc/threads';
 * installThreads();
 * const heap = createHeap({ threads: true });
 * heap.close();
 * ```
 */
export function installThreads(): void {
  _registerThreads(port);
  // Threaded heaps are checked from any thread (`heap.check()`): its walk lives in arenalloc/inspect.
  installInspect();
}

installThreads();
