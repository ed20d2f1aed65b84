/**
 * Per-type free lists: dead objects kept whole for the next `create` of their type, as CPython
 * keeps freed floats and tuples.
 *
 * A type declared with `freeListSize: n` parks up to `n` of its dead objects instead of freeing
 * their blocks; `create` takes the most recently parked one back (LIFO: the block most likely to
 * be in cache) and skips the allocator altogether. The list is threaded through the objects'
 * headers and its head and counters sit in the type's record, so it lives in the buffer like
 * everything else:
 *
 * ```
 *  record[T_FREE_HEAD] ─▶ obj ──freeNext──▶ obj ──freeNext──▶ obj ──freeNext──▶ 0
 *  record[T_FREE_LENGTH] = 3,  record[T_FREE_MAX] = n
 * ```
 *
 * `freeNext` is the word a live object calls `serial` (`O_FREE_NEXT` and `O_SERIAL` name the same
 * word: `layout.ts` says why that is safe). A parked object has refcount 0 and keeps its type id
 * and tag, so `retain`/`release` of a stale pointer to it still raise `ERR_USE_AFTER_FREE`; it is
 * untracked and counted out (`T_LIVE`, the freed counter) like any dead object, and parked blocks
 * stay allocated as far as the heap is concerned.
 *
 * Invariants: `freeLength ≤ freeMax ≤ 2^20`; the list from `freeHead` has exactly `freeLength`
 * objects, each of the record's type with refcount 0 (`Rc.checkObjects` walks it).
 *
 * The functions here trust their callers: `rec` is a valid record, `ptr` a dead object of it.
 *
 * @internal
 * @module
 */

import { release as releaseBlock } from '../port';
import { O_FREE_NEXT, T_FREE_HEAD, T_FREE_LENGTH, T_FREE_MAX, T_HEADER_BYTES } from './layout';
import type { Rc } from './rc';
import { recordOf } from './registry';

/** Takes the most recently parked object of record `rec` off its list; 0 when the list is empty. */
export function unpark(u32: Uint32Array, rec: number): number {
  const head = u32[rec + T_FREE_HEAD] as number;
  if (head !== 0) {
    u32[rec + T_FREE_HEAD] = u32[(head >>> 2) + O_FREE_NEXT] as number;
    u32[rec + T_FREE_LENGTH] = (u32[rec + T_FREE_LENGTH] as number) - 1;
  }
  return head;
}

/** Parks dead object `ptr` of record `rec` if its list has room; returns whether it did. */
export function park(u32: Uint32Array, rec: number, ptr: number): boolean {
  const freeLength = u32[rec + T_FREE_LENGTH] as number;
  if (freeLength >= (u32[rec + T_FREE_MAX] as number)) return false;
  u32[(ptr >>> 2) + O_FREE_NEXT] = u32[rec + T_FREE_HEAD] as number;
  u32[rec + T_FREE_HEAD] = ptr;
  u32[rec + T_FREE_LENGTH] = freeLength + 1;
  return true;
}

/** Frees parked objects of type `id` (through the heap's hooks) until at most `keep` remain. */
export function trimFreeList(rc: Rc, id: number, keep: number): void {
  const heap = rc.heap;
  const u32 = rc._mem.u32;
  const rec = recordOf(u32, rc._root, id);
  const headerBytes = u32[rec + T_HEADER_BYTES] as number;
  while ((u32[rec + T_FREE_LENGTH] as number) > keep) {
    const ptr = unpark(u32, rec);
    u32[(ptr >>> 2) + O_FREE_NEXT] = 0;
    releaseBlock(heap, ptr - headerBytes);
  }
}
