/**
 * arenalloc/gc: the opt-in cycle detector. CPython's generational collector over the refcounted
 * objects of `arenalloc/rc`, with the surface of Python's `gc` module. Code that never imports it
 * pays nothing.
 *
 * Its essay opens `src/gc/gc.ts` (the `gc`-module surface), which names the files of the
 * machinery: `layout.ts` (the table and the meaning of every gc bit), `lists.ts`, `types.ts` and
 * `collect.ts` (the traversal and the passes).
 *
 * @module arenalloc/gc
 */

export { createGc, DEBUG_SAVEALL, DEFAULT_THRESHOLDS, Gc, type GcCallback, type GcInfo, type GenerationStats } from './gc';
