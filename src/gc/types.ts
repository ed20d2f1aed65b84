/**
 * The per-type tables the collector reads while it follows `ref` fields: copied out of rc's
 * registry once per collection ({@link prepareTypes}) into plain arrays indexed by type id, which
 * `traverse` (in `collect.ts`) and the passes read once per object and per field.
 *
 * @internal
 * @module
 */

import { O_TYPE, R_TYPES, T_FLAGS, T_HEADER_BYTES, T_REF_COUNT, T_REFS, TYPE_HAS_FINALIZER, TYPE_WORDS } from '../rc/layout';
import type { Gc } from './gc';

/**
 * Whether `target` carries gc words (its type has `ref` fields): only then may its gcFlags be
 * read, the words in front of any other object being its rc header or the block before it.
 * `hasGc`: the detector's `_hasGc` table.
 */
export function isGcObject(hasGc: Uint8Array, u32: Uint32Array, target: number): boolean {
  return hasGc[u32[(target >>> 2) + O_TYPE] as number] === 1;
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
 * Refreshes the per-type tables that `traverse` and the passes index by type id, read from
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
