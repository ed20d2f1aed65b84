/**
 * Objects: how one comes to be, and how a pointer is recognised as one.
 *
 * ## Creation
 *
 * `StructType.create()` lands in {@link createObject}. The block comes from the type's free list
 * when it has a parked object (a *hit*: no allocator call at all), and otherwise from the heap
 * through the core port's `allocate`, so every installed hook (tracing, debug mode, recording)
 * sees it as a user block (its gc links, if any, are zeroed). Then the header is written (a fresh
 * serial, the tag, refcount 1, the type id), the payload is zeroed, the object is counted, and a type with `ref` fields that is
 * not acyclic is linked into the cycle detector's youngest generation when one is attached.
 *
 * A failed creation (out of memory) changes nothing: the free-list miss is counted only once the
 * block is had. An empty struct still gets one payload byte, so that its pointer lies inside its
 * own block and not at the start of the next one.
 *
 * ## Recognising an object pointer
 *
 * {@link validateObject} is the O(1) check in front of every public entry that takes an object
 * pointer (`retain`, `release`, `refcount`, `typeOf`, `referents`, a `ref` field's `set`). In
 * order: a uint32, aligned to the heap's alignment, inside the store and above the header; a type
 * id in the registry's range; and the tag. The tag is the high 24 bits of the flags word,
 * `(ptr ^ OBJ_TAG_KEY) & ~0xff`: derived from the object's own address, it tells an object from a
 * raw block or an interior pointer whose words merely look like a header, without asking the
 * allocator. A destroyed object keeps its refcount word (0) and its tag across the free (see
 * `layout.ts`), so a stale pointer is named as such (`ERR_USE_AFTER_FREE`) until its block is
 * handed out again.
 *
 * @internal
 * @module
 */

import { InvalidPointerError, OUT_OF_MEMORY_HINT, OutOfMemoryError, UseAfterFreeError } from '../errors';
import { Counter, HEADER_BYTES } from '../layout';
import { allocate, tracerOf } from '../port';
import { unpark } from './freelist';
import {
  O_FLAGS,
  O_REFCOUNT,
  O_SERIAL,
  O_TYPE,
  OBJ_TAG_KEY,
  OBJECT_HEADER,
  R_SERIAL,
  R_TYPE_COUNT,
  T_FLAGS,
  T_FREE_MAX,
  T_HITS,
  T_LIVE,
  T_MISSES,
  TYPE_ACYCLIC,
} from './layout';
import type { Rc } from './rc';
import { recordOf } from './registry';
import type { StructType } from './struct';

/**
 * Creates an object of type `id` (payload `size` bytes, header `headerBytes`) with refcount 1
 * and every field zero; returns its pointer. Trusts its caller (a declared `StructType`).
 * @throws `OutOfMemoryError` when the heap cannot grow; nothing changes
 */
export function createObject(rc: Rc, id: number, size: number, headerBytes: number): number {
  const mem = rc._mem;
  let u32 = mem.u32;
  const rec = recordOf(u32, rc._root, id);
  let ptr = 0;
  const freeListed = u32[rec + T_FREE_MAX] !== 0;
  if (freeListed) {
    ptr = unpark(u32, rec);
    if (ptr !== 0) {
      u32[rec + T_HITS] = (u32[rec + T_HITS] as number) + 1;
      mem.counters[Counter.RC_FREELIST_HITS] = (mem.counters[Counter.RC_FREELIST_HITS] as number) + 1;
    }
  }
  if (ptr === 0) {
    const heap = rc.heap;
    const bytes = headerBytes + (size === 0 ? 1 : size);
    const block = allocate(heap, bytes);
    if (block === 0) throw new OutOfMemoryError(`out of memory: cannot create an object of ${bytes} bytes${OUT_OF_MEMORY_HINT}`, bytes);
    u32 = mem.u32;
    if (freeListed) {
      u32[rec + T_MISSES] = (u32[rec + T_MISSES] as number) + 1;
      mem.counters[Counter.RC_FREELIST_MISSES] = (mem.counters[Counter.RC_FREELIST_MISSES] as number) + 1;
    }
    ptr = block + headerBytes;
    // The gc links (if any) start zeroed; the four words of the object header are written below.
    for (let w = block >>> 2, end = (ptr >>> 2) + O_SERIAL; w < end; w++) u32[w] = 0;
    // With tracing on, statistics and leak reports name the object's type as well as its site.
    const tracer = tracerOf(heap);
    if (tracer !== null) tracer.tagType(block, (rc._types[id] as StructType).name);
  }
  for (let w = ptr >>> 2, end = (ptr + size + 3) >>> 2; w < end; w++) u32[w] = 0;
  const w = ptr >>> 2;
  const root = rc._root;
  const serial = ((u32[root + R_SERIAL] as number) + 1) >>> 0 || 1;
  u32[root + R_SERIAL] = serial;
  u32[w + O_SERIAL] = serial;
  u32[w + O_FLAGS] = objectTag(ptr);
  u32[w + O_REFCOUNT] = 1;
  u32[w + O_TYPE] = id;
  u32[rec + T_LIVE] = (u32[rec + T_LIVE] as number) + 1;
  mem.counters[Counter.RC_CREATED] = (mem.counters[Counter.RC_CREATED] as number) + 1;
  const gc = rc._gc;
  if (gc !== null && headerBytes !== OBJECT_HEADER && ((u32[rec + T_FLAGS] as number) & TYPE_ACYCLIC) === 0) gc._track(ptr);
  return ptr;
}

/**
 * Checks that `ptr` is an object of `rc`'s heap (see the essay: bounds, alignment, type id, tag)
 * and returns its word index, `ptr >>> 2`. Re-binds the views first when `ptr` lies past them.
 * Does not look at the refcount, except to name a destroyed object in the error.
 * @throws `InvalidPointerError` for anything but an object, `UseAfterFreeError` for a destroyed one
 */
export function validateObject(rc: Rc, ptr: number): number {
  const mem = rc._mem;
  // Past the views: the store may have grown behind the heap's back (WASM code, another thread).
  if (typeof ptr === 'number') mem.reach(ptr);
  if (
    typeof ptr !== 'number' ||
    ptr >>> 0 !== ptr ||
    (ptr & (rc.heap.align - 1)) !== 0 ||
    ptr >= mem.byteLength ||
    ptr < mem.base + HEADER_BYTES + 32
  ) {
    throw notAPointer(ptr);
  }
  const w = ptr >>> 2;
  const u32 = mem.u32;
  const id = u32[w + O_TYPE] as number;
  if (id === 0 || id > (u32[rc._root + R_TYPE_COUNT] as number)) throw notAnObject(ptr);
  // The header words alone can look like an object's (a raw block's `requested` word can be a
  // valid type id); the tag in the flags word, derived from the object's own address, cannot.
  if (((u32[w + O_FLAGS] as number) ^ objectTag(ptr)) >>> 8 !== 0) throw u32[w + O_REFCOUNT] === 0 ? destroyed(ptr) : notAnObject(ptr);
  return w;
}

// The errors are made out of line, so that the check above stays small enough to be inlined at
// every call site of a hot path.

function notAPointer(ptr: unknown): InvalidPointerError {
  return new InvalidPointerError(`not an object pointer: ${String(ptr)}`, typeof ptr === 'number' ? ptr : undefined);
}

function notAnObject(ptr: number): InvalidPointerError {
  return new InvalidPointerError(`pointer ${ptr} is not an object of this heap`, ptr);
}

/** The tag an object at `ptr` carries in the high 24 bits of its flags word. */
export function objectTag(ptr: number): number {
  return ((ptr ^ OBJ_TAG_KEY) & ~0xff) >>> 0;
}

/** The error for a pointer to an object that has already been destroyed. */
export function destroyed(ptr: number): UseAfterFreeError {
  return new UseAfterFreeError(`object ${ptr} has already been destroyed (refcount 0)`, ptr);
}
