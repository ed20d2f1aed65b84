/**
 * arenalloc/gc: the opt-in cycle detector. CPython's generational collector over the refcounted
 * objects of `arenalloc/rc`, with the surface of Python's `gc` module. Code that never imports it
 * pays nothing.
 *
 * @module arenalloc/gc
 */

import { installInspect } from '../inspect/install';

export { createGc, DEBUG_SAVEALL, DEFAULT_THRESHOLDS, Gc, type GcCallback, type GcInfo, type GenerationStats } from './gc';

// This layer checks heaps (`heap.check()`), whose integrity walk lives in `arenalloc/inspect`.
installInspect();
