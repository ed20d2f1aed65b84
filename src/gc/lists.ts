/**
 * The detector's lists and the gc words of an object, one named helper per bit test and per
 * link operation (what each word and bit means in each phase: `layout.ts`). They take the heap's
 * `u32` view and an object (or list head) pointer, trust their caller, and are small enough for
 * V8 to inline into the collection loops, where they cost what the bit test written out would.
 *
 * ```
 *  listAppend(head, p):   … ⇄ last ⇄ head        →   … ⇄ last ⇄ p ⇄ head
 *  listRemove(p):         … ⇄ prev ⇄ p ⇄ next ⇄ …  →   … ⇄ prev ⇄ next ⇄ …   (p's links left stale)
 *  listMerge(from, to):   to's members, then from's, on `to`; `from` left empty, in O(1)
 * ```
 *
 * @internal
 * @module
 */

import { HeapCorruptedError } from '../errors';
import { GC_TRACKED, O_FLAGS, O_GC_FLAGS, O_GC_NEXT, O_GC_PREV, O_GC_REFS, O_REFCOUNT, OBJ_FINALIZED } from '../rc/layout';
import { GcBit, GcList, GcTable, type TableFlag } from './layout';

// ── the table's flags ───────────────────────────────────────────────────────────────────────────

/** Whether table flag `flag` is set (`t`: word index of the table). */
export function hasTableFlag(u32: Uint32Array, t: number, flag: TableFlag): boolean {
  return ((u32[t + GcTable.FLAGS] as number) & flag) !== 0;
}

/** Sets or clears table flag `flag`. */
export function setTableFlag(u32: Uint32Array, t: number, flag: TableFlag, on: boolean): void {
  const w = t + GcTable.FLAGS;
  u32[w] = on ? (u32[w] as number) | flag : (u32[w] as number) & ~flag;
}

// ── the flag bits ───────────────────────────────────────────────────────────────────────────────

/** In the set being collected. */
export function isCollecting(u32: Uint32Array, p: number): boolean {
  return ((u32[(p >>> 2) + O_GC_FLAGS] as number) & GcBit.COLLECTING) !== 0;
}

/** Passed over by `moveUnreachable` (on the unreachable list, may yet be reached). */
export function isTentative(u32: Uint32Array, p: number): boolean {
  return ((u32[(p >>> 2) + O_GC_FLAGS] as number) & GcBit.TENTATIVE) !== 0;
}

/** Marked reachable by the resurrection pass. */
export function isReachable(u32: Uint32Array, p: number): boolean {
  return ((u32[(p >>> 2) + O_GC_FLAGS] as number) & GcBit.REACHABLE) !== 0;
}

/** On one of the detector's lists (rc's bit). */
export function isTracked(u32: Uint32Array, p: number): boolean {
  return ((u32[(p >>> 2) + O_GC_FLAGS] as number) & GC_TRACKED) !== 0;
}

/** Puts `p` in the set being collected. */
export function setCollecting(u32: Uint32Array, p: number): void {
  u32[(p >>> 2) + O_GC_FLAGS] = GC_TRACKED | GcBit.COLLECTING;
}

/** Marks `p` passed over: in the set, on the unreachable list, not yet known to be garbage. */
export function setTentative(u32: Uint32Array, p: number): void {
  u32[(p >>> 2) + O_GC_FLAGS] = GC_TRACKED | GcBit.COLLECTING | GcBit.TENTATIVE;
}

/** Marks `p` reachable (its other bits kept). */
export function setReachable(u32: Uint32Array, p: number): void {
  const w = (p >>> 2) + O_GC_FLAGS;
  u32[w] = (u32[w] as number) | GcBit.REACHABLE;
}

/** Takes `p` out of the set: tracked, no detector bit (its resting state). */
export function setSettled(u32: Uint32Array, p: number): void {
  u32[(p >>> 2) + O_GC_FLAGS] = GC_TRACKED;
}

/** Whether the finalizer of `p` has run (rc's object flag; it runs once per object, ever). */
export function wasFinalized(u32: Uint32Array, p: number): boolean {
  return ((u32[(p >>> 2) + O_FLAGS] as number) & OBJ_FINALIZED) !== 0;
}

// ── gcRefs ──────────────────────────────────────────────────────────────────────────────────────

/** The gcRefs of `p` (meaningful while it is COLLECTING). */
export function getRefs(u32: Uint32Array, p: number): number {
  return u32[(p >>> 2) + O_GC_REFS] as number;
}

/** Sets the gcRefs of `p`. */
export function setRefs(u32: Uint32Array, p: number, refs: number): void {
  u32[(p >>> 2) + O_GC_REFS] = refs;
}

/** gcRefs of `p` minus one: a reference from inside the set. */
export function decRefs(u32: Uint32Array, p: number): void {
  const w = (p >>> 2) + O_GC_REFS;
  u32[w] = (u32[w] as number) - 1;
}

/** gcRefs of `p` = its refcount minus `bias` (the collector's temporary hold, or 0). */
export function resetRefs(u32: Uint32Array, p: number, bias: number): void {
  const w = p >>> 2;
  u32[w + O_GC_REFS] = (u32[w + O_REFCOUNT] as number) - bias;
}

// ── the lists ───────────────────────────────────────────────────────────────────────────────────

/** The member after `p` on its list (the head when `p` is the last). */
export function gcNext(u32: Uint32Array, p: number): number {
  return u32[(p >>> 2) + O_GC_NEXT] as number;
}

/** The member before `p` on its list. */
export function gcPrev(u32: Uint32Array, p: number): number {
  return u32[(p >>> 2) + O_GC_PREV] as number;
}

/** Makes `head` an empty list. */
export function listInit(u32: Uint32Array, head: number): void {
  u32[(head >>> 2) + O_GC_NEXT] = head;
  u32[(head >>> 2) + O_GC_PREV] = head;
}

/** Whether the list is empty. */
export function listIsEmpty(u32: Uint32Array, head: number): boolean {
  return u32[(head >>> 2) + O_GC_NEXT] === head;
}

/** Links `p` (on no list) at the end of list `head`. */
export function listAppend(u32: Uint32Array, head: number, p: number): void {
  const last = u32[(head >>> 2) + O_GC_PREV] as number;
  u32[(p >>> 2) + O_GC_NEXT] = head;
  u32[(p >>> 2) + O_GC_PREV] = last;
  u32[(last >>> 2) + O_GC_NEXT] = p;
  u32[(head >>> 2) + O_GC_PREV] = p;
}

/** Unlinks `p` from its list; its own links are left as they were. */
export function listRemove(u32: Uint32Array, p: number): void {
  const w = p >>> 2;
  const next = u32[w + O_GC_NEXT] as number;
  const prev = u32[w + O_GC_PREV] as number;
  u32[(prev >>> 2) + O_GC_NEXT] = next;
  u32[(next >>> 2) + O_GC_PREV] = prev;
}

/** Moves `p` from its list to the end of list `head`. */
export function listMove(u32: Uint32Array, p: number, head: number): void {
  listRemove(u32, p);
  listAppend(u32, head, p);
}

/** Moves every member of list `from` to the end of list `to`, in O(1); `from` is left empty. */
export function listMerge(u32: Uint32Array, from: number, to: number): void {
  const first = u32[(from >>> 2) + O_GC_NEXT] as number;
  if (first === from) return;
  const last = u32[(from >>> 2) + O_GC_PREV] as number;
  const tail = u32[(to >>> 2) + O_GC_PREV] as number;
  u32[(tail >>> 2) + O_GC_NEXT] = first;
  u32[(first >>> 2) + O_GC_PREV] = tail;
  u32[(last >>> 2) + O_GC_NEXT] = to;
  u32[(to >>> 2) + O_GC_PREV] = last;
  listInit(u32, from);
}

/**
 * Walks list `index` (at `head`) and throws `HeapCorruptedError` unless it is a ring of live
 * objects in their resting state (gcFlags exactly TRACKED), with every back link right, of at
 * most `limit` members, and — for the unreachable list — empty. Returns its length. (CPython's
 * `validate_list`, for the one state a list can be in between collections.)
 */
export function validateList(u32: Uint32Array, index: number, head: number, limit: number): number {
  let prev = head;
  let n = 0;
  for (let p = gcNext(u32, head); p !== head; p = gcNext(u32, p)) {
    const w = p >>> 2;
    if (u32[w + O_GC_PREV] !== prev) throw new HeapCorruptedError(`gc list ${index}: broken back link at ${p}`, p);
    if (u32[w + O_GC_FLAGS] !== GC_TRACKED)
      throw new HeapCorruptedError(`gc list ${index}: object ${p} has gc flags ${u32[w + O_GC_FLAGS]}`, p);
    if (u32[w + O_REFCOUNT] === 0) throw new HeapCorruptedError(`gc list ${index}: object ${p} is destroyed`, p);
    if (index === GcList.UNREACHABLE) throw new HeapCorruptedError(`object ${p} was left on the unreachable list`, p);
    if (++n > limit) throw new HeapCorruptedError(`gc list ${index} does not end`);
    prev = p;
  }
  if (gcPrev(u32, head) !== prev) throw new HeapCorruptedError(`gc list ${index}: head's back link is wrong`);
  return n;
}
