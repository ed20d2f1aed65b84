/**
 * The collector's passes (CPython's `Python/gc.c`; the `gc`-module surface is `gc.ts`). No pass
 * recurses: lists are the work queues, and the one explicit stack is rc's work stack.
 *
 * ## A collection of generation g ({@link collectGeneration})
 *
 * ```
 *  merge gens 0..g-1 into g ─▶ updateRefs ─▶ subtractRefs ─▶ moveUnreachable ─▶ young → older
 *                                                                  │
 *                                 unreachable: the cyclic garbage ◀┘
 *  no finalizer type, no SAVEALL:  clearUnheld ─▶ freeGarbage | releaseGarbage            (2 passes)
 *  otherwise:  listGarbage (hold) ─▶ finalizeGarbage ─▶ [handleResurrected] ─▶ SAVEALL: keep
 *                                                                            └▶ clearHeld ─▶ free
 * ```
 *
 * What each flag bit and gcRefs hold between passes is tabled in `layout.ts`; each pass below
 * states the state it needs and the state it leaves.
 *
 * ## User code during a collection
 *
 * Finalizers (and, through them, releases and allocations, which may grow the store and re-bind
 * the views) run only in {@link finalizeGarbage} and through {@link releaseOutside}. Every loop
 * that can reach either re-reads the `u32` view and the scratch list after it. What user code
 * throws is kept ({@link keepFailure}) and rethrown by `Gc.collect` once the bookkeeping is done.
 *
 * @internal
 * @module
 */

import { freeBatch, hooksOf } from '../port';
import { O_REFCOUNT, O_TYPE, R_TYPES, TYPE_WORDS } from '../rc/layout';
import type { Gc } from './gc';
import { GcList, GcTable, TableFlag } from './layout';
import {
  decRefs,
  gcNext,
  getRefs,
  hasTableFlag,
  isCollecting,
  isReachable,
  isTentative,
  listMerge,
  listMove,
  resetRefs,
  setCollecting,
  setReachable,
  setRefs,
  setSettled,
  setTentative,
  wasFinalized,
} from './lists';
import { hasFinalizer, isGcObject, prepareTypes } from './types';

// ── following ref fields ────────────────────────────────────────────────────────────────────────

/**
 * The visitors {@link traverse} can call for each `ref` field (CPython passes a `visitproc`
 * function pointer). A number, not a function: every pass passes a literal, so where V8 inlines
 * `traverse` into a pass (subtractRefs and moveUnreachable, the loops over the whole young set)
 * the switch folds away and the visitor, a direct call, is inlined too; elsewhere the switch costs
 * a compare or two per field. A function passed as an argument was one call site shared by every
 * pass, which V8 saw megamorphic and called out of line: a full collection then took 17% more
 * instructions than with the loops written out (callgrind, Node 20). With this switch and the
 * tables below it takes about 1% more than the loops written out, and a young collection 4% more
 * (issue-19 note): not yet the same.
 */
// biome-ignore lint/suspicious/noConstEnum: folded at each call site (see above)
const enum Visit {
  /** {@link visitDecref}. */
  DECREF = 0,
  /** {@link visitReachable}; arg: the young list. */
  REACHABLE = 1,
  /** {@link visitMark}. */
  MARK = 2,
  /** {@link visitClear}; arg: the temporary hold of each garbage object (1) or 0. */
  CLEAR = 3,
}

/** The per-type tables `traverse` reads, taken once per pass. */
interface Tables {
  count: Uint32Array;
  words: Uint32Array;
  offsets: Int32Array;
  hasGc: Uint8Array;
}

/**
 * The tables of `gc` for one pass. A fresh object the pass only hands to `traverse`: where V8
 * inlines `traverse`, it keeps the four arrays in registers (escape analysis) instead of loading
 * them from the detector for each object and each field, as the loops written out did with locals.
 */
function tables(gc: Gc): Tables {
  return { count: gc._refCount, words: gc._refWords, offsets: gc._refOffsets, hasGc: gc._hasGc };
}

/**
 * Calls visitor `visit` for every non-null `ref` field of object `p`, in field order (CPython's
 * `tp_traverse`). `u32` is the heap's view; the one returned is the view as it is afterwards (a
 * visitor that releases may have run user code that grew the store), for the caller to go on with.
 */
function traverse(gc: Gc, u32: Uint32Array, p: number, visit: Visit, arg: number, types: Tables): Uint32Array {
  const id = u32[(p >>> 2) + O_TYPE] as number;
  const first = types.words[id] as number;
  const end = first + (types.count[id] as number);
  const offsets = types.offsets;
  const hasGc = types.hasGc;
  for (let k = first; k < end; k++) {
    const at = (p + (offsets[k] as number)) >>> 2;
    const target = u32[at] as number;
    if (target === 0) continue;
    switch (visit) {
      case Visit.DECREF:
        visitDecref(hasGc, u32, target);
        break;
      case Visit.REACHABLE:
        visitReachable(hasGc, u32, target, arg);
        break;
      case Visit.MARK:
        visitMark(gc, hasGc, u32, target);
        break;
      default:
        u32 = visitClear(gc, hasGc, u32, target, at, arg);
    }
  }
  return u32;
}

// ── the passes ──────────────────────────────────────────────────────────────────────────────────

/**
 * Collects generations 0..`generation` (CPython's `gc_collect_main`); returns [unreachable
 * found, kept by `DEBUG_SAVEALL`]. Needs: the collecting word set, no object COLLECTING, the
 * unreachable list empty. Leaves: every survivor settled (TRACKED) on generation
 * `generation + 1` (or 2), the garbage freed, or settled on the saved list; the unreachable list
 * empty; the counts of generations 0..`generation` zeroed and the next one's counted up.
 */
export function collectGeneration(gc: Gc, generation: number): [number, number] {
  let u32 = gc._mem.u32;
  const t = gc._table;
  const young = gc._head(generation);
  for (let g = 0; g < generation; g++) listMerge(u32, gc._head(g), young);
  if (generation < 2) u32[t + GcTable.COUNT + generation + 1] = (u32[t + GcTable.COUNT + generation + 1] as number) + 1;
  for (let g = 0; g <= generation; g++) u32[t + GcTable.COUNT + g] = 0;
  prepareTypes(gc);
  const older = gc._head(generation < 2 ? generation + 1 : 2);

  // Find what is unreachable from outside the young set.
  updateRefs(gc, young, 0);
  subtractRefs(gc, young);
  const unreachable = gc._head(GcList.UNREACHABLE);
  moveUnreachable(gc, young, unreachable);
  if (generation < 2) listMerge(u32, young, older);

  // When no type has a finalizer no user code can run while the garbage is cleared, so the
  // garbage needs no temporary holds, and finding, clearing and freeing take two passes.
  if (gc._anyFinalizer === 0 && !hasTableFlag(u32, t, TableFlag.SAVEALL)) {
    const cleared = clearUnheld(gc, unreachable);
    if (cleared === 0) return [0, 0];
    if (hooksOf(gc.rc.heap) === null) freeGarbage(gc, cleared, older, 0);
    else releaseGarbage(gc, cleared, older, 0);
    return [cleared, 0];
  }

  let n = listGarbage(gc, unreachable, true);
  if (n === 0) return [0, 0];
  if (finalizeGarbage(gc, n)) n = handleResurrected(gc, unreachable, older);

  // The flag read again: a finalizer may have changed it.
  u32 = gc._mem.u32;
  if (hasTableFlag(u32, t, TableFlag.SAVEALL)) {
    const list = gc._scratch;
    for (let i = 0; i < n; i++) setSettled(u32, list[i] as number);
    listMerge(u32, unreachable, gc._head(GcList.SAVED));
    return [n, n];
  }
  clearHeld(gc, n);
  if (hooksOf(gc.rc.heap) === null) freeGarbage(gc, n, older, 1);
  else releaseGarbage(gc, n, older, 1);
  return [n, 0];
}

/**
 * CPython's `update_refs`. Needs: `head` a list of live objects, none COLLECTING. Leaves: each
 * COLLECTING (in the set), gcRefs = refcount - `bias` (the temporary hold each carries, or 0).
 */
export function updateRefs(gc: Gc, head: number, bias: number): void {
  const u32 = gc._mem.u32;
  for (let p = gcNext(u32, head); p !== head; p = gcNext(u32, p)) {
    resetRefs(u32, p, bias);
    setCollecting(u32, p);
  }
}

/**
 * CPython's `subtract_refs`. Needs: {@link updateRefs} on `head`. Leaves: gcRefs of each member =
 * the references to it from outside the set (each `ref` field of a member pointing at a member
 * subtracted once). Flags unchanged. Runs no user code.
 */
export function subtractRefs(gc: Gc, head: number): void {
  const u32 = gc._mem.u32;
  const types = tables(gc);
  for (let p = gcNext(u32, head); p !== head; p = gcNext(u32, p)) traverse(gc, u32, p, Visit.DECREF, 0, types);
}

/** A reference from inside the set: one less from outside. */
function visitDecref(hasGc: Uint8Array, u32: Uint32Array, target: number): void {
  if (isGcObject(hasGc, u32, target) && isCollecting(u32, target)) decRefs(u32, target);
}

/**
 * CPython's `move_unreachable`: one pass over `young` that leaves there what is reachable from
 * outside the set and moves the rest to `unreachable`. Needs: {@link subtractRefs} on `young`,
 * `unreachable` empty. Leaves: `young` = the reachable members, settled (TRACKED); `unreachable` =
 * the cyclic garbage, TRACKED|COLLECTING|TENTATIVE with gcRefs 0. Runs no user code.
 *
 * Loop invariant: the members of `young` before `p` are reachable and settled; those from `p` on
 * are COLLECTING with gcRefs > 0 if known reachable; the members of `unreachable` were passed
 * over with gcRefs 0 (TENTATIVE). A visited member with gcRefs > 0 makes each member it refers to
 * reachable: gcRefs 1 if it is ahead, or back from `unreachable` to the tail of `young` (to be
 * visited again) if it was passed over. No stack: the list is the work queue.
 */
export function moveUnreachable(gc: Gc, young: number, unreachable: number): void {
  const u32 = gc._mem.u32;
  const types = tables(gc);
  let p = gcNext(u32, young);
  while (p !== young) {
    if (getRefs(u32, p) === 0) {
      const next = gcNext(u32, p);
      listMove(u32, p, unreachable);
      setTentative(u32, p);
      p = next;
      continue;
    }
    traverse(gc, u32, p, Visit.REACHABLE, young, types);
    setSettled(u32, p);
    // Read after the visit: a referent moved back to the tail may have been p's successor.
    p = gcNext(u32, p);
  }
}

/** Referred to by a reachable member of `young`: reachable too, and visited in its turn. */
function visitReachable(hasGc: Uint8Array, u32: Uint32Array, target: number, young: number): void {
  if (!isGcObject(hasGc, u32, target) || !isCollecting(u32, target)) return;
  if (isTentative(u32, target)) {
    listMove(u32, target, young);
    setCollecting(u32, target);
    setRefs(u32, target, 1);
  } else if (getRefs(u32, target) === 0) setRefs(u32, target, 1);
}

/**
 * Clears the garbage of a collection where no type has a finalizer (and `DEBUG_SAVEALL` is off),
 * in one pass, without temporary holds: lists each member of `head` in the scratch list and
 * clears its `ref` fields. Needs: `head` = the output of {@link moveUnreachable}. A target that is
 * garbage itself (COLLECTING) only loses the count and ends at exactly 0 once all the garbage is
 * cleared (only garbage refers to garbage); an outside target is released as usual, which runs
 * no user code since no type has a finalizer. Leaves: the members on `head`, their fields null,
 * flags as they were. Returns how many; {@link freeGarbage} or {@link releaseGarbage} (bias 0)
 * frees them.
 */
export function clearUnheld(gc: Gc, head: number): number {
  let u32 = gc._mem.u32;
  const types = tables(gc);
  let list = gc._scratch;
  let n = 0;
  for (let p = gcNext(u32, head); p !== head; p = gcNext(u32, p)) {
    if (n === list.length) list = growScratch(gc, n);
    list[n++] = p;
    u32 = traverse(gc, u32, p, Visit.CLEAR, 0, types);
    list = gc._scratch;
  }
  return n;
}

/**
 * Clears one `ref` field of a garbage object. `arg`: the temporary hold each garbage object
 * carries (1), or 0 when there is none and a garbage target is told by its COLLECTING bit. A
 * target that keeps a reference only loses the count; the last reference of an outside object is
 * released (which may run its finalizer).
 */
function visitClear(gc: Gc, hasGc: Uint8Array, u32: Uint32Array, target: number, at: number, bias: number): Uint32Array {
  u32[at] = 0;
  const w = target >>> 2;
  const count = u32[w + O_REFCOUNT] as number;
  if (count > 1 || (bias === 0 && isGcObject(hasGc, u32, target) && isCollecting(u32, target))) {
    u32[w + O_REFCOUNT] = count - 1;
    return u32;
  }
  releaseOutside(gc, target);
  return gc._mem.u32;
}

/**
 * Lists the members of `head` in the scratch list; returns how many. With `hold`, each gets a
 * temporary reference (refcount + 1) and the flags TRACKED|COLLECTING, so that no finalizer or
 * release can destroy a member while the collector still holds its pointer.
 */
export function listGarbage(gc: Gc, head: number, hold: boolean): number {
  const u32 = gc._mem.u32;
  let list = gc._scratch;
  let n = 0;
  for (let p = gcNext(u32, head); p !== head; p = gcNext(u32, p)) {
    if (n === list.length) list = growScratch(gc, n);
    list[n++] = p;
    if (hold) {
      const w = p >>> 2;
      u32[w + O_REFCOUNT] = (u32[w + O_REFCOUNT] as number) + 1;
      setCollecting(u32, p);
    }
  }
  return n;
}

/**
 * CPython's `finalize_garbage` (PEP 442). Needs: the `n` held members of the unreachable list in
 * the scratch list. Runs the finalizer of each that has one and has not run it (once per object,
 * ever); returns whether any ran. Leaves: those finalized (OBJ_FINALIZED); anything else is user
 * code's doing, which {@link handleResurrected} sorts out.
 */
export function finalizeGarbage(gc: Gc, n: number): boolean {
  let u32 = gc._mem.u32;
  let list = gc._scratch;
  let pending = false;
  for (let i = 0; i < n; i++) {
    const p = list[i] as number;
    if (hasFinalizer(gc, u32[(p >>> 2) + O_TYPE] as number) && !wasFinalized(u32, p)) {
      pending = true;
      break;
    }
  }
  let finalized = false;
  for (let i = 0; pending && i < n; i++) {
    const p = list[i] as number;
    const id = u32[(p >>> 2) + O_TYPE] as number;
    if (!hasFinalizer(gc, id) || wasFinalized(u32, p)) continue;
    const type = gc.rc._types[id];
    if (type === undefined || type._finalizer === null) continue;
    finalized = true;
    const error = gc.rc._finalize(p, id);
    if (error !== null) keepFailure(gc, error);
    u32 = gc._mem.u32;
    list = gc._scratch;
  }
  return finalized;
}

/**
 * CPython's `handle_resurrected_objects`. Needs: finalizers have run on the held members of
 * `unreachable`. Finds what they made reachable again from outside (the temporary hold counts
 * one, so it is subtracted too), moves it, with everything it reaches, to `older`, and drops its
 * holds. Leaves: `unreachable` = what is still garbage, held, TRACKED|COLLECTING, listed again in
 * the scratch list; returns how many.
 */
export function handleResurrected(gc: Gc, unreachable: number, older: number): number {
  prepareTypes(gc); // a finalizer may have declared types
  updateRefs(gc, unreachable, 1);
  subtractRefs(gc, unreachable);
  markReachable(gc, unreachable);
  const u32 = gc._mem.u32;
  const back: number[] = [];
  for (let p = gcNext(u32, unreachable); p !== unreachable; ) {
    const next = gcNext(u32, p);
    if (isReachable(u32, p)) {
      listMove(u32, p, older);
      setSettled(u32, p);
      back.push(p);
    } else setCollecting(u32, p);
    p = next;
  }
  for (const p of back) releaseOutside(gc, p);
  return listGarbage(gc, unreachable, false);
}

/**
 * Marks REACHABLE every member of `head` with gcRefs > 0 and every member reachable from one,
 * with rc's work stack. Needs: {@link subtractRefs} on `head`, no member REACHABLE. Runs no user
 * code.
 */
export function markReachable(gc: Gc, head: number): void {
  const u32 = gc._mem.u32;
  const types = tables(gc);
  const rc = gc.rc;
  const base = rc._top;
  for (let p = gcNext(u32, head); p !== head; p = gcNext(u32, p)) {
    if (getRefs(u32, p) === 0 || isReachable(u32, p)) continue;
    setReachable(u32, p);
    pushWork(gc, p);
    while (rc._top > base) traverse(gc, u32, rc._stack[--rc._top] as number, Visit.MARK, 0, types);
  }
  rc._top = base;
}

/** Reached from a reachable member: marked, and pushed to be followed in its turn. */
function visitMark(gc: Gc, hasGc: Uint8Array, u32: Uint32Array, target: number): void {
  if (!isGcObject(hasGc, u32, target) || !isCollecting(u32, target) || isReachable(u32, target)) return;
  setReachable(u32, target);
  pushWork(gc, target);
}

/** Pushes `p` on rc's work stack, growing it when full. */
function pushWork(gc: Gc, p: number): void {
  const rc = gc.rc;
  if (rc._top === rc._stack.length) rc._growStack();
  rc._stack[rc._top++] = p;
}

/**
 * CPython's `delete_garbage` (its `tp_clear`). Needs: the `n` held garbage objects in the scratch
 * list. Settles each (TRACKED) and clears its `ref` fields: garbage targets still carry their
 * hold, so only outside targets can die here. Leaves: every field of the garbage null, each
 * member's refcount its hold plus what outside finalizers retained meanwhile.
 */
export function clearHeld(gc: Gc, n: number): void {
  let u32 = gc._mem.u32;
  const types = tables(gc);
  for (let i = 0; i < n; i++) {
    const p = gc._scratch[i] as number;
    setSettled(u32, p);
    u32 = traverse(gc, u32, p, Visit.CLEAR, 1, types);
  }
}

/**
 * Drops the temporary holds of the `n` cleared garbage objects in the scratch list, one by one
 * through rc's deallocator: the path for heaps with hooks installed (tracing, debug mode), which
 * must see every free. Objects still referenced (a finalizer of an outside object retained them
 * while the garbage was cleared) go to generation `older`. `bias` is the temporary hold each
 * object carries (1), or 0 when there were none. Leaves: the unreachable list empty.
 */
export function releaseGarbage(gc: Gc, n: number, older: number, bias: number): void {
  const rc = gc.rc;
  let u32 = gc._mem.u32;
  let list = gc._scratch;
  for (let i = 0; i < n; i++) {
    const p = list[i] as number;
    const w = p >>> 2;
    const count = u32[w + O_REFCOUNT] as number;
    setSettled(u32, p);
    if (count > bias) {
      u32[w + O_REFCOUNT] = count - bias;
      listMove(u32, p, older);
    } else {
      u32[w + O_REFCOUNT] = 0;
      try {
        rc._dealloc(p);
      } catch (error) {
        keepFailure(gc, error);
      }
      u32 = gc._mem.u32;
      list = gc._scratch;
    }
  }
}

/**
 * The fast path of {@link releaseGarbage} for a heap without hooks: the same effects as rc's
 * deallocator, in one loop that runs no JS callback. It can skip what the deallocator tests per
 * object because the collector already knows it: the ref fields are cleared (nothing to cascade)
 * and the finalizers have run. Each dead object is retired by rc's `_retire`, like every other
 * death; the blocks it hands back go to the core in one batch (the port's `freeBatch`), which
 * writes the heap's counters once. `bias` as in {@link releaseGarbage}.
 */
export function freeGarbage(gc: Gc, n: number, older: number, bias: number): void {
  const rc = gc.rc;
  const u32 = gc._mem.u32;
  const list = gc._scratch;
  const types = ((u32[rc._root + R_TYPES] as number) >>> 2) | 0;
  for (let i = 0; i < n; i++) {
    const p = list[i] as number;
    const w = p >>> 2;
    const count = u32[w + O_REFCOUNT] as number;
    setSettled(u32, p);
    if (count > bias) {
      // Retained while the garbage was cleared (by a finalizer of an outside object): survives.
      u32[w + O_REFCOUNT] = count - bias;
      listMove(u32, p, older);
      list[i] = 0;
      continue;
    }
    u32[w + O_REFCOUNT] = 0;
    list[i] = rc._retire(p, types + (u32[w + O_TYPE] as number) * TYPE_WORDS);
  }
  freeBatch(rc.heap, list, n);
}

/**
 * Releases an object from outside the garbage (its refcount may reach 0 and run a finalizer):
 * what that throws is kept for the end of the collection, whose bookkeeping goes on.
 */
export function releaseOutside(gc: Gc, ptr: number): void {
  try {
    gc.rc.release(ptr);
  } catch (error) {
    keepFailure(gc, error);
  }
}

/** Remembers the first error of user code in this collection, to rethrow at its end. */
export function keepFailure(gc: Gc, error: unknown): void {
  if (gc._failure === null) gc._failure = error ?? new Error('user code threw a nullish value');
}

/** Doubles the scratch list, keeping its first `n` entries; returns the new list. */
export function growScratch(gc: Gc, n: number): Uint32Array {
  const bigger = new Uint32Array(Math.max(1024, n * 2));
  bigger.set(gc._scratch.subarray(0, n));
  gc._scratch = bigger;
  return bigger;
}
