/**
 * What `arenalloc/inspect` installs: the inspect port of `src/heap.ts`, filled in with the
 * integrity walk and the text report of `./check`. The layers that check heaps call
 * {@link installInspect} when they load.
 *
 * @internal
 * @module
 */

import { _registerInspect, type InspectPort } from '../heap';
import { checkHeap, heapReport } from './check';

const port: InspectPort = { check: checkHeap, report: heapReport };

/**
 * Lets `heap.check()` and `heap.debugMallocStats()` run in this thread. Importing
 * `arenalloc/inspect` calls it; call it yourself only where a bundler dropped the bare import.
 */
export function installInspect(): void {
  _registerInspect(port);
}
