/**
 * arenalloc/gc: the opt-in cycle detector. CPython's generational collector over the refcounted
 * objects of `arenalloc/rc`, with the surface of Python's `gc` module. Code that never imports it
 * pays nothing.
 *
 * @module arenalloc/gc
 */

export { createGc, DEBUG_SAVEALL, DEFAULT_THRESHOLDS, Gc, type GcCallback, type GcInfo, type GenerationStats } from './gc';
