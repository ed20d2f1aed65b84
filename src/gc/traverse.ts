/**
 * Following an object's `ref` fields: the per-type tables the collector reads them from, and the
 * one traversal every pass uses (CPython's `tp_traverse` with a `visitproc`).
 *
 * A pass hands {@link traverse} a module-level visitor; V8 inlines `traverse` into the pass and,
 * the visitor being a constant there, the visitor into it, so each pass runs the loop it would
 * have written out.
 *
 * @internal
 * @module
 */

import { O_TYPE, R_TYPES, T_FLAGS, T_HEADER_BYTES, T_REF_COUNT, T_REFS, TYPE_HAS_FINALIZER, TYPE_WORDS } from '../rc/layout';
import type { Gc } from './gc';

/**
 * Called by {@link traverse} for each non-null `ref` field of an object: `u32` is the heap's view
 * as of this call, `target` the object the field points at, `at` the word index of the field,
 * `arg` the pass's own argument (CPython's `void *arg`). A visitor that runs user code (a release)
 * may leave `u32` stale; {@link traverse} reads the view again for the next field.
 */
export type VisitProc = (gc: Gc, u32: Uint32Array, target: number, at: number, arg: number) => void;

/** Calls `visit` for every non-null `ref` field of object `p`, in field order. */
export function traverse(gc: Gc, p: number, visit: VisitProc, arg: number): void {
  const mem = gc._mem;
  const id = mem.u32[(p >>> 2) + O_TYPE] as number;
  const first = gc._refWords[id] as number;
  const end = first + (gc._refCount[id] as number);
  const offsets = gc._refOffsets;
  for (let k = first; k < end; k++) {
    const u32 = mem.u32;
    const at = (p + (offsets[k] as number)) >>> 2;
    const target = u32[at] as number;
    if (target !== 0) visit(gc, u32, target, at, arg);
  }
}

/**
 * Whether `target` carries gc words (its type has `ref` fields): only then may its gcFlags be
 * read, the words in front of any other object being its rc header or the block before it.
 */
export function isGcObject(gc: Gc, u32: Uint32Array, target: number): boolean {
  return gc._hasGc[u32[(target >>> 2) + O_TYPE] as number] === 1;
}

/** Whether objects of type `id` declared a finalizer (as of the last {@link prepareTypes}). */
export function hasFinalizer(gc: Gc, id: number): boolean {
  return gc._hasFinalizer[id] === 1;
}

/** Word index of the registry record of type `id`. */
export function typeRecord(gc: Gc, id: number): number {
  return (((gc._mem.u32[gc.rc._root + R_TYPES] as number) >>> 2) + id * TYPE_WORDS) | 0;
}

/**
 * Refreshes the per-type tables that {@link traverse} and the passes index by type id, read from
 * rc's registry once per collection (and again after finalizers, which may declare types); the
 * arrays are reused while the number of types fits. For each type: ref-field count, index of its
 * ref-field byte offsets in one flat array (plain arrays, which V8 reads faster than the heap's
 * views over a resizable buffer, and the passes read them once per field), whether its objects
 * carry gc words, whether it declared a finalizer.
 */
export function prepareTypes(gc: Gc): void {
  const u32 = gc._mem.u32;
  const count = gc.rc._typeCount();
  let any = 0;
  if (gc._refCount.length <= count) {
    const size = Math.max(count + 1, gc._refCount.length * 2);
    gc._refCount = new Uint32Array(size);
    gc._refWords = new Uint32Array(size);
    gc._hasGc = new Uint8Array(size);
    gc._hasFinalizer = new Uint8Array(size);
  }
  let fields = 0;
  for (let id = 1; id <= count; id++) fields += u32[typeRecord(gc, id) + T_REF_COUNT] as number;
  if (gc._refOffsets.length < fields) gc._refOffsets = new Int32Array(Math.max(fields, gc._refOffsets.length * 2));
  let at = 0;
  for (let id = 1; id <= count; id++) {
    const rec = typeRecord(gc, id);
    const refs = u32[rec + T_REF_COUNT] as number;
    const words = (u32[rec + T_REFS] as number) >>> 2;
    gc._refCount[id] = refs;
    gc._refWords[id] = at;
    for (let k = 0; k < refs; k++) gc._refOffsets[at++] = u32[words + k] as number;
    gc._hasGc[id] = (u32[rec + T_HEADER_BYTES] as number) > 16 ? 1 : 0;
    gc._hasFinalizer[id] = ((u32[rec + T_FLAGS] as number) & TYPE_HAS_FINALIZER) !== 0 ? 1 : 0;
    any |= gc._hasFinalizer[id] as number;
  }
  gc._anyFinalizer = any;
}
