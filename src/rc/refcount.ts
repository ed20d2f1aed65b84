/**
 * Reference counting: `retain`, `release`, `ref` field stores, and the deallocator that runs when
 * a count reaches zero.
 *
 * ## Counting
 *
 * The refcount is one word of the object header. `retain` and `release` validate the pointer
 * (`validateObject`, O(1)) and add or subtract one; a `ref` field store retains the new target
 * before it releases the old one, so that pointing a field at the object it already holds never
 * frees it. A count of 0 is legal in one state only: while the object's finalizer runs
 * (`OBJ_IN_FINALIZER`), when it may be retained (a resurrection, or a temporary reference).
 * Anywhere else, 0 means destroyed, and `retain`/`release` raise `ERR_USE_AFTER_FREE`.
 *
 * ## Releasing to zero without recursion
 *
 * CPython's `Py_DECREF` on the head of a long chain would recurse once per link; its "trashcan"
 * defers the deep part. Here a release to zero pushes the object on an explicit work stack
 * (`Rc._stack`, a `Uint32Array` reused by every call, doubled when full; `Rc._top` is its top)
 * and a loop pops objects, runs their finalizer, clears their `ref` fields (pushing each target
 * whose count falls to zero) and frees the block. A million-long chain is one loop of a million
 * steps, and the stack never holds more than the objects freed but not yet visited. A leaf, an
 * object whose type has neither `ref` fields nor a finalizer, skips the stack: it is retired at
 * once, which is what the loop would do with it.
 *
 * The stack is shared by nested deallocations: a finalizer may release other objects, and that
 * deallocation pushes above the outer loop's part of the stack (`_top` is stored before every
 * call out) and pops back down to where it started. The cycle detector pushes its garbage's
 * targets on the same stack. Invariant: the slots below `_top` belong to the loops that are
 * running; each loop stores its top in `_top` before every call out and puts `_top` back to
 * where it found it when it is done.
 *
 * A finalizer may resurrect its object by retaining it: the object is then not freed, its
 * finalizer never runs again (PEP 442), and it is tracked again. A reference it takes and drops
 * again (`retain(p); release(p)`, a `Ref` disposed) is neither: the object's `OBJ_IN_FINALIZER`
 * flag keeps the release back to 0 from starting a second deallocation. A finalizer that throws
 * does not stop the loop; the first error is rethrown once every object is dealt with.
 *
 * ## One way to die
 *
 * An object whose refcount reaches 0 is untracked at once (taken off the cycle detector's lists,
 * as CPython does before a finalizer runs), so that a collection started by user code while it
 * waits on the work stack, or while its finalizer runs, cannot take it for garbage and free it
 * under the deallocator. Then: {@link finalize} (once), clear its `ref` fields, and {@link retire}
 * (count it, park it on its type's free list or hand back its block). The cycle detector retires
 * its garbage through the same two functions (`Rc._finalize`, `Rc._retire`).
 *
 * Everything below the public entries trusts its caller: pointers are validated objects, `rec`
 * the record of their type.
 *
 * @internal
 * @module
 */

import { InvalidArgumentError, InvalidPointerError } from '../errors';
import { Counter } from '../layout';
import { release as releaseBlock } from '../port';
import type { RefField } from './fields';
import { park } from './freelist';
import {
  GC_TRACKED,
  O_FLAGS,
  O_GC_FLAGS,
  O_GC_NEXT,
  O_GC_PREV,
  O_REFCOUNT,
  O_TYPE,
  OBJ_FINALIZED,
  OBJ_IN_FINALIZER,
  T_FLAGS,
  T_HEADER_BYTES,
  T_LIVE,
  T_REF_COUNT,
  T_REFS,
  TYPE_ACYCLIC,
  TYPE_HAS_FINALIZER,
  TYPE_HAS_REFS,
} from './layout';
import { destroyed, validateObject } from './object';
import type { Rc } from './rc';
import { recordOf } from './registry';

/** Adds a reference to object `ptr` (see `Rc.retain`). */
export function retainObject(rc: Rc, ptr: number): void {
  const w = validateObject(rc, ptr);
  const u32 = rc._mem.u32;
  const count = u32[w + O_REFCOUNT] as number;
  if (count === 0 && ((u32[w + O_FLAGS] as number) & OBJ_IN_FINALIZER) === 0) throw destroyed(ptr);
  u32[w + O_REFCOUNT] = count + 1;
}

/** Drops a reference to object `ptr`, deallocating at zero (see `Rc.release`). */
export function releaseObject(rc: Rc, ptr: number): void {
  const w = validateObject(rc, ptr);
  const u32 = rc._mem.u32;
  const count = u32[w + O_REFCOUNT] as number;
  if (count > 1) u32[w + O_REFCOUNT] = count - 1;
  else if (count === 1) {
    u32[w + O_REFCOUNT] = 0;
    deallocate(rc, ptr);
  } else throw destroyed(ptr);
}

/** The refcount of object `ptr` (see `Rc.refcount`). */
export function refcountOf(rc: Rc, ptr: number): number {
  const w = validateObject(rc, ptr);
  const u32 = rc._mem.u32;
  const count = u32[w + O_REFCOUNT] as number;
  if (count === 0 && ((u32[w + O_FLAGS] as number) & OBJ_IN_FINALIZER) === 0) throw destroyed(ptr);
  return count;
}

/**
 * Points `field` (at `ptr + offset`) of object `ptr` at `target` (0 clears it): checks both
 * objects and the target's type, retains the new target, then releases the old one.
 */
export function setRef(rc: Rc, ptr: number, offset: number, target: number, field: RefField): void {
  const w = validateObject(rc, ptr);
  const u32 = rc._mem.u32;
  if (u32[w + O_TYPE] !== field._ownerId || (u32[w + O_REFCOUNT] === 0 && ((u32[w + O_FLAGS] as number) & OBJ_IN_FINALIZER) === 0)) {
    if (u32[w + O_REFCOUNT] === 0) throw destroyed(ptr);
    throw new InvalidPointerError(`object ${ptr} is not of the type that owns this field`, ptr);
  }
  if (target !== 0) {
    const t = validateObject(rc, target);
    if (field.target !== '') {
      if (field._targetId === 0) {
        const type = rc._byName.get(field.target);
        if (type === undefined) throw new InvalidArgumentError(`ref target type ${field.target} has not been declared`);
        field._targetId = type.id;
      }
      if (u32[t + O_TYPE] !== field._targetId) {
        throw new InvalidPointerError(`object ${target} is not a ${field.target}`, target);
      }
    }
    const count = u32[t + O_REFCOUNT] as number;
    if (count === 0 && ((u32[t + O_FLAGS] as number) & OBJ_IN_FINALIZER) === 0) throw destroyed(target);
    u32[t + O_REFCOUNT] = count + 1;
  }
  const at = (ptr + offset) >>> 2;
  const old = u32[at] as number;
  u32[at] = target;
  if (old !== 0) {
    const ow = old >>> 2;
    const count = u32[ow + O_REFCOUNT] as number;
    if (count > 1) u32[ow + O_REFCOUNT] = count - 1;
    else if (count === 1) {
      u32[ow + O_REFCOUNT] = 0;
      deallocate(rc, old);
    }
  }
}

/**
 * Destroys object `first`, whose refcount is already 0, and every object that only it kept alive,
 * with the work stack (see the essay). A release to 0 of an object whose finalizer is running (a
 * temporary reference dropped) does nothing here: the deallocator running that finalizer goes on
 * once it returns.
 *
 * Loop invariant: every object on the stack between `base` and `top` has refcount 0, is
 * untracked, and is reached by nothing but the stack; objects below `base` belong to an outer
 * loop and are not touched.
 */
export function deallocate(rc: Rc, first: number): void {
  let u32 = rc._mem.u32;
  if (((u32[(first >>> 2) + O_FLAGS] as number) & OBJ_IN_FINALIZER) !== 0) return;
  const firstRec = recordOf(u32, rc._root, u32[(first >>> 2) + O_TYPE] as number);
  if ((u32[firstRec + T_REF_COUNT] as number) === 0 && ((u32[firstRec + T_FLAGS] as number) & TYPE_HAS_FINALIZER) === 0) {
    // A leaf (no ref fields, no finalizer) dies alone: the loop below would push it, pop it and
    // retire it, and nothing else.
    const block = retire(rc, first, firstRec);
    if (block !== 0) releaseBlock(rc.heap, block);
    return;
  }
  const base = rc._top;
  let top = base;
  let stack = rc._stack;
  if (top === stack.length) stack = growStack(rc);
  untrack(rc, first);
  stack[top++] = first;
  const heap = rc.heap;
  let failure: unknown = null;
  while (top > base) {
    const ptr = stack[--top] as number;
    u32 = rc._mem.u32;
    const w = ptr >>> 2;
    const id = u32[w + O_TYPE] as number;
    let rec = recordOf(u32, rc._root, id);
    if (((u32[rec + T_FLAGS] as number) & TYPE_HAS_FINALIZER) !== 0 && ((u32[w + O_FLAGS] as number) & OBJ_FINALIZED) === 0) {
      rc._top = top;
      const error = finalize(rc, ptr, id);
      if (error !== null && failure === null) failure = error;
      stack = rc._stack;
      u32 = rc._mem.u32;
      rec = recordOf(u32, rc._root, id);
      if (u32[w + O_REFCOUNT] !== 0) {
        retrack(rc, ptr, rec); // resurrected
        continue;
      }
    }
    const refs = u32[rec + T_REF_COUNT] as number;
    if (refs !== 0) {
      const offsets = (u32[rec + T_REFS] as number) >>> 2;
      for (let i = 0; i < refs; i++) {
        const at = (ptr + (u32[offsets + i] as number)) >>> 2;
        const target = u32[at] as number;
        if (target === 0) continue;
        u32[at] = 0;
        const tw = target >>> 2;
        const count = u32[tw + O_REFCOUNT] as number;
        if (count > 1) u32[tw + O_REFCOUNT] = count - 1;
        else if (count === 1) {
          u32[tw + O_REFCOUNT] = 0;
          // An object in its finalizer (retained there, now dropped) is its deallocator's.
          if (((u32[tw + O_FLAGS] as number) & OBJ_IN_FINALIZER) !== 0) continue;
          untrack(rc, target);
          if (top === stack.length) {
            rc._top = top;
            stack = growStack(rc);
          }
          stack[top++] = target;
        }
      }
    }
    const block = retire(rc, ptr, rec);
    if (block !== 0) releaseBlock(heap, block);
  }
  rc._top = base;
  if (failure !== null) throw failure;
}

/**
 * Runs the finalizer of object `ptr` (of type `id`) unless it has run before, and marks it as run
 * (PEP 442: once per object, even if the object is resurrected). While it runs the object may be
 * retained at refcount 0. Returns what the finalizer threw, or null: the callers finish their work
 * before they rethrow it.
 */
export function finalize(rc: Rc, ptr: number, id: number): unknown {
  const type = rc._types[id];
  if (type === undefined || type._finalizer === null) return null;
  const w = ptr >>> 2;
  let u32 = rc._mem.u32;
  if (((u32[w + O_FLAGS] as number) & OBJ_FINALIZED) !== 0) return null;
  u32[w + O_FLAGS] = (u32[w + O_FLAGS] as number) | OBJ_FINALIZED | OBJ_IN_FINALIZER;
  let failure: unknown = null;
  try {
    type._finalizer(ptr);
  } catch (error) {
    failure = error ?? new Error('a finalizer threw a nullish value');
  }
  u32 = rc._mem.u32;
  u32[w + O_FLAGS] = (u32[w + O_FLAGS] as number) & ~OBJ_IN_FINALIZER;
  return failure;
}

/**
 * Takes object `ptr` off the cycle detector's list it is on, if any (done here, not by the
 * detector, so that a heap attached without it stays consistent).
 */
export function untrack(rc: Rc, ptr: number): void {
  const u32 = rc._mem.u32;
  const w = ptr >>> 2;
  if (((u32[w + O_GC_FLAGS] as number) & GC_TRACKED) === 0) return;
  const rec = recordOf(u32, rc._root, u32[w + O_TYPE] as number);
  if (((u32[rec + T_FLAGS] as number) & TYPE_HAS_REFS) === 0) return; // no gc words: the flag is payload
  const next = u32[w + O_GC_NEXT] as number;
  const prev = u32[w + O_GC_PREV] as number;
  u32[(prev >>> 2) + O_GC_NEXT] = next;
  u32[(next >>> 2) + O_GC_PREV] = prev;
  u32[w + O_GC_FLAGS] = 0;
  if (rc._gc !== null) rc._gc._untracked();
}

/** Tracks again an object that its finalizer resurrected (it was untracked at refcount 0). */
function retrack(rc: Rc, ptr: number, rec: number): void {
  const u32 = rc._mem.u32;
  const gc = rc._gc;
  if (gc === null || ((u32[rec + T_FLAGS] as number) & (TYPE_HAS_REFS | TYPE_ACYCLIC)) !== TYPE_HAS_REFS) return;
  if (((u32[(ptr >>> 2) + O_GC_FLAGS] as number) & GC_TRACKED) === 0) gc._relink(ptr);
}

/**
 * The last step of every death, for the deallocator and the cycle detector alike: object `ptr`
 * of type record `rec` (refcount 0, finalized, `ref` fields cleared) is untracked, counted out,
 * and parked on its type's free list (returns 0) or not (returns its block, which the caller
 * frees: one at a time, or the collector in a batch).
 */
export function retire(rc: Rc, ptr: number, rec: number): number {
  const mem = rc._mem;
  const u32 = mem.u32;
  if (((u32[(ptr >>> 2) + O_GC_FLAGS] as number) & GC_TRACKED) !== 0) untrack(rc, ptr);
  u32[rec + T_LIVE] = (u32[rec + T_LIVE] as number) - 1;
  mem.counters[Counter.RC_FREED] = (mem.counters[Counter.RC_FREED] as number) + 1;
  if (park(u32, rec, ptr)) return 0;
  return ptr - (u32[rec + T_HEADER_BYTES] as number);
}

/** Doubles the work stack, keeping its contents up to `_top`; returns the new stack. */
export function growStack(rc: Rc): Uint32Array {
  const bigger = new Uint32Array(rc._stack.length * 2);
  bigger.set(rc._stack);
  rc._stack = bigger;
  return bigger;
}
