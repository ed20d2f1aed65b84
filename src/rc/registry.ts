/**
 * The type registry: what the buffer knows about every struct type declared on a heap.
 *
 * A struct type has two halves. The JS half (`StructType`: accessors, the finalizer function)
 * lives in one session; the buffer half, its *type record*, lives in the heap, so that a heap
 * re-opened with `Heap.attach` (a copy, a worker, a saved file) can release and traverse its
 * objects before any type is declared again. This module owns the buffer half: the registry root
 * reached from header word `Word.RC_ROOT`, the table of records, the ref-offset tables, and their
 * growth and validation. The word layout is drawn in `layout.ts`.
 *
 * ```
 *  header[Word.RC_ROOT] ─▶ root ──R_TYPES──▶ table: record 0 (unused) | record 1 | ... | record cap-1
 *                                                   └─T_REFS─▶ ref offsets (one word per ref field)
 * ```
 *
 * ## Invariants (checked by {@link checkRegistry})
 *
 * 1. The root carries `RC_MAGIC` and `RC_VERSION`; anything else is another heap's data.
 * 2. The table's capacity is a power of two, at least 8; the table is 16-byte aligned and lies
 *    inside the store, above the heap header.
 * 3. Type ids run from 1 to `typeCount`, and `typeCount < capacity` (record 0 is never used: a type
 *    id of 0 in an object header means "not an object").
 * 4. A record's header size is `OBJECT_HEADER`, plus `GC_HEADER` exactly when it has `ref` fields;
 *    its ref offsets are word-aligned and lie inside its payload.
 * 5. A free list holds at most `freeMax ≤ 2^20` objects, and `freeLength ≤ freeMax`.
 *
 * Every word that other code uses as a loop bound, a pointer or an offset is covered, so a damaged
 * registry (a flipped bit in a saved heap) gives `HeapCorruptedError` when it is found again,
 * instead of a loop of 2^32 steps or a read far outside the store.
 *
 * ## Finding a type again, and growing
 *
 * A record is identified by its layout's fingerprint, not by its name: declaring the same name and
 * schema on an attached heap finds the old id, so objects made before keep their type. The table
 * and the ref-offset tables are library blocks from the core port (`allocInternal`): `free`
 * refuses them and the pictures draw them as the library's. The table doubles when full; a
 * registration allocates everything it needs before it writes a word, so running out of memory
 * leaves the registry exactly as it was.
 *
 * @internal
 * @module
 */

import { HeapCorruptedError } from '../errors';
import type { Heap } from '../heap';
import { HEADER_BYTES, Word } from '../layout';
import type { Memory } from '../memory/store';
import { allocInternal, freeInternal } from '../port';
import {
  GC_HEADER,
  OBJECT_HEADER,
  R_MAGIC,
  R_TYPE_CAPACITY,
  R_TYPE_COUNT,
  R_TYPES,
  R_VERSION,
  RC_MAGIC,
  RC_VERSION,
  ROOT_WORDS,
  T_ALIGN,
  T_FINGERPRINT,
  T_FLAGS,
  T_FREE_LENGTH,
  T_FREE_MAX,
  T_HEADER_BYTES,
  T_REF_COUNT,
  T_REFS,
  T_SIZE,
  TYPE_ACYCLIC,
  TYPE_HAS_REFS,
  TYPE_WORDS,
} from './layout';
import type { StructLayout } from './schema';

/** What an out-of-memory error names when a registry block cannot be had. */
const WHAT = 'the refcounting registry';
/** Records in a new table. */
const FIRST_CAPACITY = 8;

/**
 * The word index of the heap's registry root: found in the header and its magic and version
 * checked, or created (root and an empty table of 8 records) when the heap has none. Throws
 * `OutOfMemoryError` with the heap as it was, or `HeapCorruptedError` for a foreign root.
 */
export function openRegistry(heap: Heap, mem: Memory): number {
  let root = mem.head[Word.RC_ROOT] as number;
  if (root === 0) {
    root = allocInternal(heap, ROOT_WORDS * 4, WHAT);
    let types: number;
    try {
      types = allocInternal(heap, FIRST_CAPACITY * TYPE_WORDS * 4, WHAT);
    } catch (error) {
      freeInternal(heap, root); // out of memory: leave the heap as it was
      throw error;
    }
    const u32 = mem.u32;
    u32.fill(0, root >>> 2, (root >>> 2) + ROOT_WORDS);
    u32.fill(0, types >>> 2, (types >>> 2) + FIRST_CAPACITY * TYPE_WORDS);
    u32[(root >>> 2) + R_MAGIC] = RC_MAGIC;
    u32[(root >>> 2) + R_VERSION] = RC_VERSION;
    u32[(root >>> 2) + R_TYPE_CAPACITY] = FIRST_CAPACITY;
    u32[(root >>> 2) + R_TYPES] = types;
    mem.head[Word.RC_ROOT] = root;
  } else if (mem.u32[(root >>> 2) + R_MAGIC] !== RC_MAGIC || mem.u32[(root >>> 2) + R_VERSION] !== RC_VERSION) {
    throw new HeapCorruptedError('the refcounting registry of this heap is damaged or of another version', root);
  }
  return root >>> 2;
}

/**
 * Word index of the record of type `id` in the registry at word `root`. Trusts `id`: the hot
 * paths call it with the type id of a validated object.
 */
export function recordOf(u32: Uint32Array, root: number, id: number): number {
  return ((u32[root + R_TYPES] as number) >>> 2) + id * TYPE_WORDS;
}

/** The number of types in the registry, checked against its capacity before any loop uses it. */
export function typeCount(mem: Memory, root: number): number {
  const u32 = mem.u32;
  const count = u32[root + R_TYPE_COUNT] as number;
  if (count >= (u32[root + R_TYPE_CAPACITY] as number)) throw corrupted(`the type registry counts ${count} types: damaged`);
  return count;
}

/** The id of the type whose layout has `fingerprint` (the last one, if several), or 0. */
export function findType(mem: Memory, root: number, fingerprint: number): number {
  const count = typeCount(mem, root);
  const u32 = mem.u32;
  let id = 0;
  for (let i = 1; i <= count; i++) {
    if (u32[recordOf(u32, root, i) + T_FINGERPRINT] === fingerprint) id = i;
  }
  return id;
}

/**
 * Writes the record of a new type (growing the table first if it is full) and returns its id.
 * Allocates everything before it writes, so an `OutOfMemoryError` leaves the registry as it was.
 */
export function registerType(heap: Heap, mem: Memory, root: number, layout: StructLayout, fingerprint: number, acyclic: boolean): number {
  let u32 = mem.u32;
  const count = u32[root + R_TYPE_COUNT] as number;
  const capacity = u32[root + R_TYPE_CAPACITY] as number;
  const refs = layout.refOffsets.length;
  const refsBlock = refs > 0 ? allocInternal(heap, refs * 4, WHAT) : 0;
  if (count + 1 >= capacity) {
    let bigger: number;
    try {
      bigger = allocInternal(heap, capacity * 2 * TYPE_WORDS * 4, WHAT);
    } catch (error) {
      if (refsBlock !== 0) freeInternal(heap, refsBlock);
      throw error;
    }
    u32 = mem.u32;
    const old = u32[root + R_TYPES] as number;
    u32.fill(0, bigger >>> 2, (bigger >>> 2) + capacity * 2 * TYPE_WORDS);
    u32.copyWithin(bigger >>> 2, old >>> 2, (old >>> 2) + capacity * TYPE_WORDS);
    u32[root + R_TYPES] = bigger;
    u32[root + R_TYPE_CAPACITY] = capacity * 2;
    freeInternal(heap, old);
  }
  u32 = mem.u32;
  const id = count + 1;
  const rec = recordOf(u32, root, id);
  u32.fill(0, rec, rec + TYPE_WORDS);
  for (let i = 0; i < refs; i++) u32[(refsBlock >>> 2) + i] = layout.refOffsets[i] as number;
  u32[rec + T_FINGERPRINT] = fingerprint;
  u32[rec + T_SIZE] = layout.size;
  u32[rec + T_HEADER_BYTES] = refs > 0 ? OBJECT_HEADER + GC_HEADER : OBJECT_HEADER;
  u32[rec + T_FLAGS] = (refs > 0 ? TYPE_HAS_REFS : 0) | (acyclic ? TYPE_ACYCLIC : 0);
  u32[rec + T_REF_COUNT] = refs;
  u32[rec + T_REFS] = refsBlock;
  u32[rec + T_ALIGN] = layout.align;
  u32[root + R_TYPE_COUNT] = id;
  return id;
}

/**
 * Range-checks the registry at word `root` against invariants 2 to 5 of this module's essay
 * (the first is checked by {@link openRegistry}); throws `HeapCorruptedError` for the first one
 * broken. O(types + ref fields). Run when a heap's registry is found again and by
 * `Rc.checkObjects`.
 */
export function checkRegistry(mem: Memory, root: number): void {
  const u32 = mem.u32;
  const bytes = mem.byteLength;
  const capacity = u32[root + R_TYPE_CAPACITY] as number;
  const types = u32[root + R_TYPES] as number;
  const count = u32[root + R_TYPE_COUNT] as number;
  // 2. The table.
  if (capacity < FIRST_CAPACITY || (capacity & (capacity - 1)) !== 0 || capacity > bytes / (TYPE_WORDS * 4)) {
    throw corrupted(`the type registry's capacity word is damaged (${capacity})`);
  }
  if ((types & 15) !== 0 || types < mem.base + HEADER_BYTES || types + capacity * TYPE_WORDS * 4 > bytes) {
    throw corrupted(`the type registry's table pointer is damaged (${types})`, types);
  }
  // 3. The type count.
  if (count >= capacity) throw corrupted(`the type registry counts ${count} types in a table of ${capacity}`);
  for (let id = 1; id <= count; id++) {
    const rec = recordOf(u32, root, id);
    // 4. The record's sizes and its ref offsets.
    const size = u32[rec + T_SIZE] as number;
    const refs = u32[rec + T_REF_COUNT] as number;
    const header = u32[rec + T_HEADER_BYTES] as number;
    const refsBlock = u32[rec + T_REFS] as number;
    if (size > bytes || refs * 4 > size || header !== (refs > 0 ? OBJECT_HEADER + GC_HEADER : OBJECT_HEADER)) {
      throw corrupted(`type record ${id} is damaged (size ${size}, ${refs} ref fields, header ${header} bytes)`);
    }
    if (refs > 0) {
      if ((refsBlock & 3) !== 0 || refsBlock < mem.base + HEADER_BYTES || refsBlock + refs * 4 > bytes) {
        throw corrupted(`type record ${id}: its ref-field table pointer is damaged (${refsBlock})`, refsBlock);
      }
      for (let i = 0; i < refs; i++) {
        const offset = u32[(refsBlock >>> 2) + i] as number;
        if ((offset & 3) !== 0 || offset + 4 > size) throw corrupted(`type record ${id}: ref field ${i} has a damaged offset ${offset}`);
      }
    }
    // 5. The free-list counters.
    const freeMax = u32[rec + T_FREE_MAX] as number;
    if (freeMax > 1 << 20 || (u32[rec + T_FREE_LENGTH] as number) > freeMax) {
      throw corrupted(`type record ${id}: its free list counters are damaged`);
    }
  }
}

/** A `HeapCorruptedError` about the registry (or, with `ptr`, the word it names). */
export function corrupted(message: string, ptr?: number): HeapCorruptedError {
  return new HeapCorruptedError(message, ptr);
}
