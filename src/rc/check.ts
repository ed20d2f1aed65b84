/**
 * The refcounting layer's integrity walk, `Rc.checkObjects`: an fsck of the object graph against
 * what its owner says is alive.
 *
 * The caller gives the live objects and, for each, the references held on it from outside the
 * heap (JS variables, handles; 0 for an object kept alive only by other objects). Nothing in the
 * buffer lists the live objects (only the cycle detector's lists know the tracked ones), so the
 * walk needs that map; the checks are numbered as they run:
 *
 * 1. the heap's own structures (`heap.check()`) and the registry's invariants (`registry.ts`);
 * 2. every listed object is an object (`validateObject`), alive, and a live block of the heap;
 *    every `ref` field of it points at a listed object;
 * 3. every listed object's refcount is its outside holds plus the `ref` fields that point at it;
 * 4. the layer's live count is the number of listed objects;
 * 5. each type's free list is a well-formed chain of exactly `freeLength` dead objects of that
 *    type, and the per-type live counters sum to the layer's.
 *
 * O(objects + ref fields + parked objects): for tests and debugging. Throws `HeapCorruptedError`
 * naming the first thing found wrong; changes nothing.
 *
 * @internal
 * @module
 */

import { O_FREE_NEXT, O_REFCOUNT, O_TYPE, T_FREE_HEAD, T_FREE_LENGTH, T_HEADER_BYTES, T_LIVE } from './layout';
import { validateObject } from './object';
import type { Rc } from './rc';
import { checkRegistry, corrupted, recordOf, typeCount } from './registry';

/** Runs checks 1 to 5 of the essay against `holds` (live object → references held from outside). */
export function checkObjects(rc: Rc, holds: ReadonlyMap<number, number>): void {
  // 1. The heap, then the registry.
  rc.heap.check();
  checkRegistry(rc._mem, rc._root);
  const u32 = rc._mem.u32;
  const root = rc._root;
  // 2. Each listed object, and the ref fields out of it.
  const incoming = new Map<number, number>();
  for (const ptr of holds.keys()) incoming.set(ptr, 0);
  for (const ptr of holds.keys()) {
    let w: number;
    try {
      w = validateObject(rc, ptr);
    } catch (error) {
      throw corrupted(`object ${ptr}: ${(error as Error).message}`, ptr);
    }
    if (u32[w + O_REFCOUNT] === 0) throw corrupted(`object ${ptr} has refcount 0 but is expected alive`, ptr);
    const block = ptr - (u32[recordOf(u32, root, u32[w + O_TYPE] as number) + T_HEADER_BYTES] as number);
    if (!rc.heap.isLive(block)) throw corrupted(`object ${ptr} is not a live block`, ptr);
    for (const target of rc.referents(ptr)) {
      const seen = incoming.get(target);
      if (seen === undefined) throw corrupted(`object ${ptr} points at ${target}, which is not an expected live object`, target);
      incoming.set(target, seen + 1);
    }
  }
  // 3. Refcounts.
  for (const [ptr, external] of holds) {
    const count = u32[(ptr >>> 2) + O_REFCOUNT] as number;
    const expected = external + (incoming.get(ptr) as number);
    if (count !== expected) {
      throw corrupted(`object ${ptr} has refcount ${count}; ${external} holds + ${incoming.get(ptr)} incoming refs = ${expected}`, ptr);
    }
  }
  // 4. The layer's live count.
  const live = rc.stats().live;
  if (live !== holds.size) throw corrupted(`${live} objects are alive; ${holds.size} were expected`);
  // 5. Free lists and per-type counters.
  let perType = 0;
  const types = typeCount(rc._mem, root);
  for (let id = 1; id <= types; id++) {
    const rec = recordOf(u32, root, id);
    perType += u32[rec + T_LIVE] as number;
    const freeLength = u32[rec + T_FREE_LENGTH] as number;
    let length = 0;
    for (let p = u32[rec + T_FREE_HEAD] as number; p !== 0; p = u32[(p >>> 2) + O_FREE_NEXT] as number) {
      if (u32[(p >>> 2) + O_REFCOUNT] !== 0 || u32[(p >>> 2) + O_TYPE] !== id)
        throw corrupted(`free list of type ${id} holds a bad object ${p}`, p);
      if (++length > freeLength) break;
    }
    if (length !== freeLength) throw corrupted(`free list of type ${id} has ${length} objects, its counter says ${freeLength}`);
  }
  if (perType !== live) throw corrupted(`per-type live counters sum to ${perType}, the layer counts ${live}`);
}
