/**
 * The refcounting layer of one heap: the type registry, object creation, `retain`/`release`, and
 * the iterative deallocator.
 *
 * ## Releasing to zero without recursion
 *
 * CPython's `Py_DECREF` on the head of a long chain would recurse once per link; its "trashcan"
 * defers the deep part. Here a release to zero pushes the object on an explicit work stack (a
 * `Uint32Array` reused by every call, doubled when full) and a loop pops objects, runs their
 * finalizer, clears their `ref` fields (pushing each target whose count falls to zero) and frees
 * the block. A million-long chain is one loop of a million steps, and the stack never holds more
 * than the objects freed but not yet visited.
 *
 * A finalizer may release other objects (nested deallocations push above the outer loop's part of
 * the stack and pop back to it) and may resurrect its object by retaining it: the object is then
 * not freed, and its finalizer never runs again (PEP 442). A reference it takes and drops again
 * (`retain(p); release(p)`, a `Ref` disposed) is neither: the object's `OBJ_IN_FINALIZER` flag
 * keeps the release back to 0 from starting a second deallocation.
 *
 * ## One way to die
 *
 * An object whose refcount reaches 0 is untracked at once (taken off the cycle detector's lists,
 * as CPython does before a finalizer runs), so that a collection started by user code while it
 * waits on the work stack, or while its finalizer runs, cannot take it for garbage and free it
 * under the deallocator. Then: `Rc._finalize` (once), clear its `ref` fields, and
 * `Rc._retire` (count it, park it on its type's free list or hand back its block). The
 * cycle detector retires its garbage through the same two functions.
 *
 * @module
 */

import {
  describeValue,
  expectHeap,
  expectSingleThreaded,
  HeapCorruptedError,
  InvalidArgumentError,
  InvalidPointerError,
  OUT_OF_MEMORY_HINT,
  OutOfMemoryError,
  UseAfterFreeError,
} from '../errors';
import { type Heap, INTERNAL_REQUEST } from '../heap';
import { Counter, HEADER_BYTES, Word } from '../layout';
import type { Memory } from '../memory/store';
import { allocate, release } from '../port';
import { ExtraViews, type RefField } from './fields';
import {
  GC_HEADER,
  GC_TRACKED,
  O_FLAGS,
  O_GC_FLAGS,
  O_GC_NEXT,
  O_GC_PREV,
  O_REFCOUNT,
  O_SERIAL,
  O_TYPE,
  OBJ_FINALIZED,
  OBJ_IN_FINALIZER,
  OBJ_TAG_KEY,
  OBJECT_HEADER,
  R_MAGIC,
  R_SERIAL,
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
  T_FREE_HEAD,
  T_FREE_LENGTH,
  T_FREE_MAX,
  T_HEADER_BYTES,
  T_HITS,
  T_LIVE,
  T_MISSES,
  T_REF_COUNT,
  T_REFS,
  T_SIZE,
  TYPE_ACYCLIC,
  TYPE_HAS_FINALIZER,
  TYPE_HAS_REFS,
  TYPE_WORDS,
} from './layout';
import { Ref } from './ref';
import { fingerprintOf, layoutOf, type Schema, type StructLayout } from './schema';
import { type StructOptions, StructType, type TypeStats } from './struct';

/** A leak found by the `Ref` safety net, passed to {@link RcOptions.onLeak}. */
export interface LeakReport {
  /** The object the dropped handle pointed at. */
  ptr: number;
  /** Name of the object's struct type. */
  type: string;
  /** References the handle still held when it was garbage-collected. */
  holds: number;
  /** Where the handle was made (when tracing or `traceHandles` is on), else undefined. */
  site: string | undefined;
  /** Whether the safety net released those references ({@link RcOptions.releaseLeaked}). */
  released: boolean;
}

/** Options of {@link createRc}. */
export interface RcOptions {
  /**
   * Called when a `Ref` handle is garbage-collected while it still holds references.
   * @defaultValue a `console.warn` of the report
   */
  onLeak?: (report: LeakReport) => void;
  /**
   * Whether the safety net releases the references of a leaked handle (after reporting it).
   * @defaultValue `false`
   */
  releaseLeaked?: boolean;
  /**
   * Record a stack trace when each `Ref` handle is made, for the leak report. Costs a stack capture
   * per handle. Not needed when `arenalloc/profile` tracing is on (its allocation site is used).
   * @defaultValue `false`
   */
  traceHandles?: boolean;
}

/** Figures of the refcounting layer, from {@link Rc.stats}. */
export interface RcStats {
  /** Objects created since the heap was made. */
  created: number;
  /** Objects whose refcount reached zero and were destroyed. */
  destroyed: number;
  /** Objects alive now. */
  live: number;
  /** Free-list hits over all types. */
  freeListHits: number;
  /** Free-list misses over all types. */
  freeListMisses: number;
  /** Per declared type. */
  types: TypeStats[];
}

const registries = new WeakMap<Heap, Rc>();

/**
 * The refcounting layer of a heap: declares struct types, creates objects, counts references.
 * Get one with {@link createRc}.
 *
 * Not thread-safe: on a shared heap, use objects from one thread at a time.
 */
export class Rc {
  /** The heap the objects live in. */
  readonly heap: Heap;
  /** @internal */
  readonly _mem: Memory;
  /** @internal */
  readonly _views: ExtraViews;
  /** @internal Word index of the registry root. */
  readonly _root: number;
  /** @internal JS-side types by id (undefined for types in the buffer not declared this session). */
  readonly _types: (StructType | undefined)[];
  /** @internal */
  readonly _byName: Map<string, StructType>;
  /** @internal The deallocator's work stack. */
  _stack: Uint32Array;
  /** @internal Top of the work stack. */
  _top: number;
  /** @internal The cycle detector attached to this layer (`arenalloc/gc`), or null. */
  _gc: GcLink | null;
  /** @internal */
  readonly _options: RcOptions;
  /** @internal */
  readonly _registry: FinalizationRegistry<HandleState>;

  /** @internal Use {@link createRc}. */
  constructor(heap: Heap, options: RcOptions) {
    this.heap = heap;
    this._mem = heap._mem;
    this._views = new ExtraViews(heap._mem);
    this._types = [undefined];
    this._byName = new Map();
    this._stack = new Uint32Array(1024);
    this._top = 0;
    this._gc = null;
    this._options = options;
    this._registry = new FinalizationRegistry((state) => this._leaked(state));
    let root = this._mem.head[Word.RC_ROOT] as number;
    if (root === 0) {
      root = allocInternal(heap, ROOT_WORDS * 4);
      let types: number;
      try {
        types = allocInternal(heap, 8 * TYPE_WORDS * 4);
      } catch (error) {
        heap._large.free(root); // out of memory: leave the heap as it was
        throw error;
      }
      const u32 = this._mem.u32;
      const header = this._mem.head;
      u32.fill(0, root >>> 2, (root >>> 2) + ROOT_WORDS);
      u32.fill(0, types >>> 2, (types >>> 2) + 8 * TYPE_WORDS);
      u32[(root >>> 2) + R_MAGIC] = RC_MAGIC;
      u32[(root >>> 2) + R_VERSION] = RC_VERSION;
      u32[(root >>> 2) + R_TYPE_CAPACITY] = 8;
      u32[(root >>> 2) + R_TYPES] = types;
      header[Word.RC_ROOT] = root;
    } else if (this._mem.u32[(root >>> 2) + R_MAGIC] !== RC_MAGIC || this._mem.u32[(root >>> 2) + R_VERSION] !== RC_VERSION) {
      throw new HeapCorruptedError('the refcounting registry of this heap is damaged or of another version', root);
    }
    this._root = root >>> 2;
    this._checkRegistry();
  }

  /**
   * @internal Range-checks every word of the registry that other code uses as a loop bound, a
   * pointer or an offset, so that a damaged registry (a flipped bit of a saved heap) gives
   * `HeapCorruptedError` at once instead of a loop of 2^32 steps or a read far outside the store.
   * O(types). Run when a heap's registry is found again and by {@link Rc.checkObjects}.
   */
  _checkRegistry(): void {
    const u32 = this._mem.u32;
    const bytes = this._mem.byteLength;
    const root = this._root;
    const capacity = u32[root + R_TYPE_CAPACITY] as number;
    const types = u32[root + R_TYPES] as number;
    const count = u32[root + R_TYPE_COUNT] as number;
    if (capacity < 8 || (capacity & (capacity - 1)) !== 0 || capacity > bytes / (TYPE_WORDS * 4)) {
      throw corrupted(`the type registry's capacity word is damaged (${capacity})`);
    }
    if ((types & 15) !== 0 || types < this._mem.base + HEADER_BYTES || types + capacity * TYPE_WORDS * 4 > bytes) {
      throw corrupted(`the type registry's table pointer is damaged (${types})`, types);
    }
    if (count >= capacity) throw corrupted(`the type registry counts ${count} types in a table of ${capacity}`);
    for (let id = 1; id <= count; id++) {
      const rec = this._record(id);
      const size = u32[rec + T_SIZE] as number;
      const refs = u32[rec + T_REF_COUNT] as number;
      const header = u32[rec + T_HEADER_BYTES] as number;
      const refsBlock = u32[rec + T_REFS] as number;
      if (size > bytes || refs * 4 > size || header !== (refs > 0 ? OBJECT_HEADER + GC_HEADER : OBJECT_HEADER)) {
        throw corrupted(`type record ${id} is damaged (size ${size}, ${refs} ref fields, header ${header} bytes)`);
      }
      if (refs > 0) {
        if ((refsBlock & 3) !== 0 || refsBlock < this._mem.base + HEADER_BYTES || refsBlock + refs * 4 > bytes) {
          throw corrupted(`type record ${id}: its ref-field table pointer is damaged (${refsBlock})`, refsBlock);
        }
        for (let i = 0; i < refs; i++) {
          const offset = u32[(refsBlock >>> 2) + i] as number;
          if ((offset & 3) !== 0 || offset + 4 > size) throw corrupted(`type record ${id}: ref field ${i} has a damaged offset ${offset}`);
        }
      }
      const freeMax = u32[rec + T_FREE_MAX] as number;
      if (freeMax > 1 << 20 || (u32[rec + T_FREE_LENGTH] as number) > freeMax) {
        throw corrupted(`type record ${id}: its free list counters are damaged`);
      }
    }
  }

  /** @internal The number of types in the registry, checked against its capacity before any loop uses it. */
  _typeCount(): number {
    const u32 = this._mem.u32;
    const count = u32[this._root + R_TYPE_COUNT] as number;
    if (count >= (u32[this._root + R_TYPE_CAPACITY] as number)) throw corrupted(`the type registry counts ${count} types: damaged`);
    return count;
  }

  /**
   * Declares a struct type (or finds it again: declaring the same name and schema on a heap that
   * already has it, say after `Heap.attach`, returns a type with the same id, so objects made
   * before keep working).
   *
   * @param name - a C identifier, unique among this heap's types
   * @param schema - field names to kinds, in C order (see {@link FieldSpec})
   * @throws `InvalidArgumentError` for a bad schema, or a name declared with another schema
   * @example
   * ```ts
   * const Node = rc.struct('Node', { value: 'f64', next: { ref: 'Node' } });
   * ```
   */
  struct<const S extends Schema>(name: string, schema: S, options: StructOptions = {}): StructType<S> {
    if (typeof name !== 'string') throw new InvalidArgumentError(`struct: name must be a string, got ${describeValue(name)}`, 'name');
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
      throw new InvalidArgumentError(`struct: schema must be an object of field names to kinds, got ${describeValue(schema)}`, 'schema');
    }
    const layout = layoutOf(name, schema);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    if (options.finalizer !== undefined && typeof options.finalizer !== 'function') {
      throw new InvalidArgumentError('finalizer must be a function');
    }
    const freeListSize = options.freeListSize ?? 0;
    if (typeof freeListSize !== 'number' || freeListSize >>> 0 !== freeListSize || freeListSize > 1 << 20) {
      throw new InvalidArgumentError(`freeListSize must be an integer from 0 to 2^20, got ${String(freeListSize)}`);
    }
    const fingerprint = fingerprintOf(layout);
    const existing = this._byName.get(name);
    if (existing !== undefined) {
      throw new InvalidArgumentError(`struct ${name} is already declared on this heap in this session`);
    }
    const u32 = this._mem.u32;
    const count = this._typeCount();
    let id = 0;
    for (let i = 1; i <= count; i++) {
      if (u32[this._record(i) + T_FINGERPRINT] === fingerprint) id = i;
    }
    if (id === 0) id = this._register(layout, fingerprint, options);
    const rec = this._record(id);
    const mem = this._mem.u32;
    if (options.finalizer !== undefined) mem[rec + T_FLAGS] = (mem[rec + T_FLAGS] as number) | TYPE_HAS_FINALIZER;
    if (options.freeListSize !== undefined) mem[rec + T_FREE_MAX] = freeListSize;
    const type = new StructType<S>(this, id, layout, options);
    this._types[id] = type as unknown as StructType;
    this._byName.set(name, type as unknown as StructType);
    return type;
  }

  /** @internal Writes a new type record (growing the table if needed); returns its id. */
  _register(layout: StructLayout, fingerprint: number, options: StructOptions): number {
    const heap = this.heap;
    let u32 = this._mem.u32;
    const count = u32[this._root + R_TYPE_COUNT] as number;
    const capacity = u32[this._root + R_TYPE_CAPACITY] as number;
    const refs = layout.refOffsets.length;
    // Allocate everything first, so that an out-of-memory leaves the registry as it was.
    const refsBlock = refs > 0 ? allocInternal(heap, refs * 4) : 0;
    if (count + 1 >= capacity) {
      let bigger: number;
      try {
        bigger = allocInternal(heap, capacity * 2 * TYPE_WORDS * 4);
      } catch (error) {
        if (refsBlock !== 0) heap._large.free(refsBlock);
        throw error;
      }
      u32 = this._mem.u32;
      const old = u32[this._root + R_TYPES] as number;
      u32.fill(0, bigger >>> 2, (bigger >>> 2) + capacity * 2 * TYPE_WORDS);
      u32.copyWithin(bigger >>> 2, old >>> 2, (old >>> 2) + capacity * TYPE_WORDS);
      u32[this._root + R_TYPES] = bigger;
      u32[this._root + R_TYPE_CAPACITY] = capacity * 2;
      heap._large.free(old);
    }
    u32 = this._mem.u32;
    const id = count + 1;
    const rec = this._record(id);
    u32.fill(0, rec, rec + TYPE_WORDS);
    for (let i = 0; i < refs; i++) u32[(refsBlock >>> 2) + i] = layout.refOffsets[i] as number;
    u32[rec + T_FINGERPRINT] = fingerprint;
    u32[rec + T_SIZE] = layout.size;
    u32[rec + T_HEADER_BYTES] = refs > 0 ? OBJECT_HEADER + GC_HEADER : OBJECT_HEADER;
    u32[rec + T_FLAGS] = (refs > 0 ? TYPE_HAS_REFS : 0) | (options.acyclic === true ? TYPE_ACYCLIC : 0);
    u32[rec + T_REF_COUNT] = refs;
    u32[rec + T_REFS] = refsBlock;
    u32[rec + T_ALIGN] = layout.align;
    u32[this._root + R_TYPE_COUNT] = id;
    return id;
  }

  /** @internal Word index of the record of type `id`. */
  _record(id: number): number {
    return ((this._mem.u32[this._root + R_TYPES] as number) >>> 2) + id * TYPE_WORDS;
  }

  /** The struct type declared under `name` in this session, if any. */
  typeNamed(name: string): StructType | undefined {
    if (typeof name !== 'string') throw new InvalidArgumentError(`typeNamed: name must be a string, got ${describeValue(name)}`, 'name');
    return this._byName.get(name);
  }

  // ─── objects ───────────────────────────────────────────────────────────────────────────────

  /** @internal Creates an object of a validated type. */
  _create(id: number, size: number, headerBytes: number): number {
    const heap = this.heap;
    const mem = this._mem;
    let u32 = mem.u32;
    const rec = ((u32[this._root + R_TYPES] as number) >>> 2) + id * TYPE_WORDS;
    let ptr = 0;
    const freeListed = u32[rec + T_FREE_MAX] !== 0;
    if (freeListed) {
      const head = u32[rec + T_FREE_HEAD] as number;
      if (head !== 0) {
        ptr = head;
        u32[rec + T_FREE_HEAD] = u32[(head >>> 2) + O_SERIAL] as number;
        u32[rec + T_FREE_LENGTH] = (u32[rec + T_FREE_LENGTH] as number) - 1;
        u32[rec + T_HITS] = (u32[rec + T_HITS] as number) + 1;
        mem.counters[Counter.RC_FREELIST_HITS] = (mem.counters[Counter.RC_FREELIST_HITS] as number) + 1;
      }
    }
    if (ptr === 0) {
      // At least one payload byte: an empty struct's pointer must lie inside its own block, not
      // at the start of the next one (where `free` would take it for that block).
      const bytes = headerBytes + (size === 0 ? 1 : size);
      const block = allocate(heap, bytes);
      if (block === 0) throw new OutOfMemoryError(`out of memory: cannot create an object of ${bytes} bytes${OUT_OF_MEMORY_HINT}`, bytes);
      u32 = mem.u32;
      if (freeListed) {
        // A miss is counted once the call can no longer fail: a failed create changes nothing.
        u32[rec + T_MISSES] = (u32[rec + T_MISSES] as number) + 1;
        mem.counters[Counter.RC_FREELIST_MISSES] = (mem.counters[Counter.RC_FREELIST_MISSES] as number) + 1;
      }
      ptr = block + headerBytes;
      for (let w = block >>> 2, end = ptr >>> 2; w < end; w++) u32[w] = 0;
      // With tracing on, statistics and leak reports name the object's type as well as its site.
      const tracer = heap._tracer;
      if (tracer !== null) tracer.tagType(block, (this._types[id] as StructType).name);
    }
    for (let w = ptr >>> 2, end = (ptr + size + 3) >>> 2; w < end; w++) u32[w] = 0;
    const w = ptr >>> 2;
    const serial = ((u32[this._root + R_SERIAL] as number) + 1) >>> 0 || 1;
    u32[this._root + R_SERIAL] = serial;
    u32[w + O_SERIAL] = serial;
    u32[w + O_FLAGS] = objectTag(ptr);
    u32[w + O_REFCOUNT] = 1;
    u32[w + O_TYPE] = id;
    u32[rec + T_LIVE] = (u32[rec + T_LIVE] as number) + 1;
    mem.counters[Counter.RC_CREATED] = (mem.counters[Counter.RC_CREATED] as number) + 1;
    if (this._gc !== null && headerBytes !== OBJECT_HEADER && ((u32[rec + T_FLAGS] as number) & TYPE_ACYCLIC) === 0) {
      this._gc._track(ptr);
    }
    return ptr;
  }

  /**
   * Adds a reference to the object at `ptr`.
   *
   * Cost: a few loads and one store; the checks catch a non-object pointer in most cases and a
   * freed object until its block is handed out again.
   * @throws `InvalidPointerError` when `ptr` is not an object of this heap
   * @throws `UseAfterFreeError` when the object has been destroyed
   */
  retain(ptr: number): void {
    const w = this._validate(ptr);
    const u32 = this._mem.u32;
    const count = u32[w + O_REFCOUNT] as number;
    if (count === 0 && ((u32[w + O_FLAGS] as number) & OBJ_IN_FINALIZER) === 0) throw destroyed(ptr);
    u32[w + O_REFCOUNT] = count + 1;
  }

  /**
   * Drops a reference to the object at `ptr`. At zero the object's finalizer runs, its `ref`
   * fields are released and its block is freed (or parked on its type's free list); objects only
   * it kept alive follow, iteratively.
   *
   * @throws `InvalidPointerError` when `ptr` is not an object of this heap
   * @throws `UseAfterFreeError` when the object has already been destroyed (refcount underflow)
   */
  release(ptr: number): void {
    const w = this._validate(ptr);
    const u32 = this._mem.u32;
    const count = u32[w + O_REFCOUNT] as number;
    if (count > 1) u32[w + O_REFCOUNT] = count - 1;
    else if (count === 1) {
      u32[w + O_REFCOUNT] = 0;
      this._dealloc(ptr);
    } else throw destroyed(ptr);
  }

  /**
   * The refcount of the object at `ptr` (0 only while its finalizer runs).
   * @throws `InvalidPointerError` for a non-object
   * @throws `UseAfterFreeError` for a destroyed object
   */
  refcount(ptr: number): number {
    const w = this._validate(ptr);
    const u32 = this._mem.u32;
    const count = u32[w + O_REFCOUNT] as number;
    if (count === 0 && ((u32[w + O_FLAGS] as number) & OBJ_IN_FINALIZER) === 0) throw destroyed(ptr);
    return count;
  }

  /**
   * The struct type of the object at `ptr`, or undefined when the type is in the heap's registry
   * but was not declared in this session.
   * @throws `InvalidPointerError` for a non-object
   */
  typeOf(ptr: number): StructType | undefined {
    const w = this._validate(ptr); // first: it re-binds the views that the load below reads
    return this._types[this._mem.u32[w + O_TYPE] as number];
  }

  /** The objects the `ref` fields of `ptr` point at, in field order, zeros left out (borrowed). */
  referents(ptr: number): number[] {
    const w = this._validate(ptr);
    const u32 = this._mem.u32;
    const rec = this._record(u32[w + O_TYPE] as number);
    const refs = u32[rec + T_REF_COUNT] as number;
    const offsets = (u32[rec + T_REFS] as number) >>> 2;
    const out: number[] = [];
    for (let i = 0; i < refs; i++) {
      const target = u32[(ptr + (u32[offsets + i] as number)) >>> 2] as number;
      if (target !== 0) out.push(target);
    }
    return out;
  }

  /**
   * Wraps a new reference to `ptr` in a {@link Ref} handle (the object is retained; the handle's
   * `release` or `using` drops it again).
   * @throws `InvalidPointerError` / `UseAfterFreeError` as {@link Rc.retain}
   */
  handle(ptr: number): Ref {
    this.retain(ptr);
    const type = this._types[this._mem.u32[(ptr >>> 2) + O_TYPE] as number];
    if (type === undefined) {
      this.release(ptr);
      throw new InvalidArgumentError(`object ${ptr} has a type that was not declared in this session`);
    }
    return this._adopt(ptr, type);
  }

  /** @internal Wraps a reference the caller already owns. */
  _adopt(ptr: number, type: StructType): Ref {
    const u32 = this._mem.u32;
    const site =
      this.heap._tracer?.tracebackOf(ptr - type.headerBytes) ??
      (this._options.traceHandles === true ? (new Error('handle made here').stack ?? undefined) : undefined);
    const state: HandleState = { ptr, serial: u32[(ptr >>> 2) + O_SERIAL] as number, holds: 1, site, type: type.name };
    const ref = new Ref(type, state);
    this._registry.register(ref, state, state);
    return ref;
  }

  /** @internal Called by the FinalizationRegistry for a handle dropped without release. */
  _leaked(state: HandleState): void {
    const holds = state.holds;
    if (holds <= 0) return;
    let released = false;
    if (this._options.releaseLeaked === true && this._matches(state)) {
      released = true;
      while (state.holds > 0) {
        state.holds--;
        try {
          this.release(state.ptr);
        } catch {
          released = false;
        }
      }
    }
    const report: LeakReport = { ptr: state.ptr, type: state.type, holds, site: state.site, released };
    const onLeak = this._options.onLeak;
    if (onLeak !== undefined) onLeak(report);
    else {
      const where =
        state.site === undefined
          ? ' (createRc(heap, { traceHandles: true }), or arenalloc/profile tracing, fills in report.site: where the Ref was made)'
          : '';
      console.warn(
        `arenalloc/rc: a Ref to ${state.type} object ${state.ptr} was dropped while holding ${holds} reference(s)${where}`,
        report,
      );
    }
  }

  /** @internal Whether a handle's object is still the one it was made for (generation check). */
  _matches(state: HandleState): boolean {
    const ptr = state.ptr;
    this._mem.reach(ptr);
    const u32 = this._mem.u32;
    const w = ptr >>> 2;
    return ptr + 4 <= this._mem.byteLength && u32[w + O_SERIAL] === state.serial && u32[w + O_REFCOUNT] !== 0;
  }

  /** @internal Validates an object pointer; returns its word index. */
  _validate(ptr: number): number {
    // Past the views: the store may have grown behind the heap's back (WASM code, another thread).
    if (typeof ptr === 'number') this._mem.reach(ptr);
    if (
      typeof ptr !== 'number' ||
      ptr >>> 0 !== ptr ||
      (ptr & (this.heap.align - 1)) !== 0 ||
      ptr >= this._mem.byteLength ||
      ptr < this._mem.base + HEADER_BYTES + 32
    ) {
      throw new InvalidPointerError(`not an object pointer: ${String(ptr)}`, typeof ptr === 'number' ? ptr : undefined);
    }
    const w = ptr >>> 2;
    const u32 = this._mem.u32;
    const id = u32[w + O_TYPE] as number;
    if (id === 0 || id > (u32[this._root + R_TYPE_COUNT] as number)) {
      throw new InvalidPointerError(`pointer ${ptr} is not an object of this heap`, ptr);
    }
    // The header words alone can look like an object's (a raw block's `requested` word can be a
    // valid type id); the tag in the flags word, derived from the object's own address, cannot.
    if (((u32[w + O_FLAGS] as number) ^ objectTag(ptr)) >>> 8 !== 0) {
      // A destroyed object's refcount word survives the free (see layout.ts): name it as such.
      if (u32[w + O_REFCOUNT] === 0) throw destroyed(ptr);
      throw new InvalidPointerError(`pointer ${ptr} is not an object of this heap`, ptr);
    }
    return w;
  }

  /** @internal Points the ref field at `ptr + offset` at `target`: retain new, then release old. */
  _setRef(ptr: number, offset: number, target: number, field: RefField): void {
    const w = this._validate(ptr);
    const u32 = this._mem.u32;
    if (u32[w + O_TYPE] !== field._ownerId || (u32[w + O_REFCOUNT] === 0 && ((u32[w + O_FLAGS] as number) & OBJ_IN_FINALIZER) === 0)) {
      if (u32[w + O_REFCOUNT] === 0) throw destroyed(ptr);
      throw new InvalidPointerError(`object ${ptr} is not of the type that owns this field`, ptr);
    }
    if (target !== 0) {
      const t = this._validate(target);
      if (field.target !== '') {
        if (field._targetId === 0) {
          const type = this._byName.get(field.target);
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
        this._dealloc(old);
      }
    }
  }

  /**
   * @internal Destroys an object whose refcount is already 0, and every object that only it kept
   * alive, with an explicit stack. Trusts its caller. A release to 0 of an object whose finalizer
   * is running (a temporary reference dropped) does nothing here: the deallocator running that
   * finalizer goes on once it returns. A finalizer that throws does not stop the loop; the first
   * error is rethrown once every object is dealt with.
   */
  _dealloc(first: number): void {
    let u32 = this._mem.u32;
    if (((u32[(first >>> 2) + O_FLAGS] as number) & OBJ_IN_FINALIZER) !== 0) return;
    const base = this._top;
    let top = base;
    let stack = this._stack;
    if (top === stack.length) stack = this._growStack();
    this._untrack(first);
    stack[top++] = first;
    const heap = this.heap;
    let failure: unknown = null;
    while (top > base) {
      const ptr = stack[--top] as number;
      u32 = this._mem.u32;
      const w = ptr >>> 2;
      const id = u32[w + O_TYPE] as number;
      let rec = ((u32[this._root + R_TYPES] as number) >>> 2) + id * TYPE_WORDS;
      if (((u32[rec + T_FLAGS] as number) & TYPE_HAS_FINALIZER) !== 0 && ((u32[w + O_FLAGS] as number) & OBJ_FINALIZED) === 0) {
        this._top = top;
        const error = this._finalize(ptr, id);
        if (error !== null && failure === null) failure = error;
        stack = this._stack;
        u32 = this._mem.u32;
        rec = ((u32[this._root + R_TYPES] as number) >>> 2) + id * TYPE_WORDS;
        if (u32[w + O_REFCOUNT] !== 0) {
          this._retrack(ptr, rec); // resurrected
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
            this._untrack(target);
            if (top === stack.length) {
              this._top = top;
              stack = this._growStack();
            }
            stack[top++] = target;
          }
        }
      }
      const block = this._retire(ptr, rec);
      if (block !== 0) {
        release(heap, block);
      }
    }
    this._top = base;
    if (failure !== null) throw failure;
  }

  /**
   * @internal Runs the finalizer of object `ptr` (of type `id`) unless it has run before, and
   * marks it as run (PEP 442: once per object, even if the object is resurrected). While it runs
   * the object may be retained at refcount 0. Returns what the finalizer threw, or null: the
   * callers finish their work before they rethrow it.
   */
  _finalize(ptr: number, id: number): unknown {
    const type = this._types[id];
    if (type === undefined || type._finalizer === null) return null;
    const w = ptr >>> 2;
    let u32 = this._mem.u32;
    if (((u32[w + O_FLAGS] as number) & OBJ_FINALIZED) !== 0) return null;
    u32[w + O_FLAGS] = (u32[w + O_FLAGS] as number) | OBJ_FINALIZED | OBJ_IN_FINALIZER;
    let failure: unknown = null;
    try {
      type._finalizer(ptr);
    } catch (error) {
      failure = error ?? new Error('a finalizer threw a nullish value');
    }
    u32 = this._mem.u32;
    u32[w + O_FLAGS] = (u32[w + O_FLAGS] as number) & ~OBJ_IN_FINALIZER;
    return failure;
  }

  /**
   * @internal Takes object `ptr` off the cycle detector's list it is on, if any (done here, not by
   * the detector, so that a heap attached without it stays consistent). Trusts its caller.
   */
  _untrack(ptr: number): void {
    const u32 = this._mem.u32;
    const w = ptr >>> 2;
    if (((u32[w + O_GC_FLAGS] as number) & GC_TRACKED) === 0) return;
    const id = u32[w + O_TYPE] as number;
    const rec = ((u32[this._root + R_TYPES] as number) >>> 2) + id * TYPE_WORDS;
    if (((u32[rec + T_FLAGS] as number) & TYPE_HAS_REFS) === 0) return; // no gc words: the flag is payload
    const next = u32[w + O_GC_NEXT] as number;
    const prev = u32[w + O_GC_PREV] as number;
    u32[(prev >>> 2) + O_GC_NEXT] = next;
    u32[(next >>> 2) + O_GC_PREV] = prev;
    u32[w + O_GC_FLAGS] = 0;
    if (this._gc !== null) this._gc._untracked();
  }

  /** @internal Tracks again an object that its finalizer resurrected (it was untracked at refcount 0). */
  _retrack(ptr: number, rec: number): void {
    const u32 = this._mem.u32;
    if (this._gc === null || ((u32[rec + T_FLAGS] as number) & (TYPE_HAS_REFS | TYPE_ACYCLIC)) !== TYPE_HAS_REFS) return;
    if (((u32[(ptr >>> 2) + O_GC_FLAGS] as number) & GC_TRACKED) === 0) this._gc._relink(ptr);
  }

  /**
   * @internal The last step of every death, for rc's deallocator and the cycle detector alike:
   * object `ptr` of type record `rec` (refcount 0, finalized, `ref` fields cleared) is untracked,
   * counted out, and parked on its type's free list (returns 0) or not (returns its block, which
   * the caller frees: one at a time, or the collector in a batch). Trusts its caller.
   */
  _retire(ptr: number, rec: number): number {
    const mem = this._mem;
    const u32 = mem.u32;
    if (((u32[(ptr >>> 2) + O_GC_FLAGS] as number) & GC_TRACKED) !== 0) this._untrack(ptr);
    u32[rec + T_LIVE] = (u32[rec + T_LIVE] as number) - 1;
    mem.counters[Counter.RC_FREED] = (mem.counters[Counter.RC_FREED] as number) + 1;
    const freeLength = u32[rec + T_FREE_LENGTH] as number;
    if (freeLength < (u32[rec + T_FREE_MAX] as number)) {
      u32[(ptr >>> 2) + O_SERIAL] = u32[rec + T_FREE_HEAD] as number;
      u32[rec + T_FREE_HEAD] = ptr;
      u32[rec + T_FREE_LENGTH] = freeLength + 1;
      return 0;
    }
    return ptr - (u32[rec + T_HEADER_BYTES] as number);
  }

  /** @internal Doubles the work stack, keeping its contents up to `_top`. */
  _growStack(): Uint32Array {
    const bigger = new Uint32Array(this._stack.length * 2);
    bigger.set(this._stack);
    this._stack = bigger;
    return bigger;
  }

  /** @internal Frees parked objects of type `id` until at most `keep` remain. */
  _trimFreeList(id: number, keep: number): void {
    const heap = this.heap;
    const u32 = this._mem.u32;
    const rec = this._record(id);
    const headerBytes = u32[rec + T_HEADER_BYTES] as number;
    while ((u32[rec + T_FREE_LENGTH] as number) > keep) {
      const ptr = u32[rec + T_FREE_HEAD] as number;
      u32[rec + T_FREE_HEAD] = u32[(ptr >>> 2) + O_SERIAL] as number;
      u32[rec + T_FREE_LENGTH] = (u32[rec + T_FREE_LENGTH] as number) - 1;
      u32[(ptr >>> 2) + O_SERIAL] = 0;
      release(heap, ptr - headerBytes);
    }
  }

  /** Frees every object parked on every type's free list. */
  clearFreeLists(): void {
    const count = this._typeCount();
    for (let id = 1; id <= count; id++) this._trimFreeList(id, 0);
  }

  /** The layer's figures: objects created, destroyed and alive; free-list hits and misses. */
  stats(): RcStats {
    const counters = this._mem.counters;
    const created = counters[Counter.RC_CREATED] as number;
    const destroyed = counters[Counter.RC_FREED] as number;
    const types: TypeStats[] = [];
    for (const type of this._byName.values()) types.push(type.stats());
    return {
      created,
      destroyed,
      live: created - destroyed,
      freeListHits: counters[Counter.RC_FREELIST_HITS] as number,
      freeListMisses: counters[Counter.RC_FREELIST_MISSES] as number,
      types,
    };
  }

  /**
   * Checks every live object against what its owner expects: `holds` maps each live object to
   * the references held on it from outside the heap (JS variables, handles; 0 for an object kept
   * alive only by other objects). Walks the object graph from those objects (iteratively) and
   * throws `HeapCorruptedError` unless every object reached is in the map with a valid
   * header, every refcount equals its holds plus the `ref` fields that point at it, the map holds
   * exactly as many objects as are alive, and the per-type counters agree. Also runs
   * `heap.check()`. O(objects): for tests and debugging.
   */
  checkObjects(holds: ReadonlyMap<number, number>): void {
    if (!(holds instanceof Map))
      throw new InvalidArgumentError(`checkObjects: holds must be a Map of pointers to counts, got ${describeValue(holds)}`, 'holds');
    this.heap.check();
    this._checkRegistry();
    const u32 = this._mem.u32;
    const incoming = new Map<number, number>();
    for (const ptr of holds.keys()) incoming.set(ptr, 0);
    for (const ptr of holds.keys()) {
      let w: number;
      try {
        w = this._validate(ptr);
      } catch (error) {
        throw corrupted(`object ${ptr}: ${(error as Error).message}`, ptr);
      }
      if (u32[w + O_REFCOUNT] === 0) throw corrupted(`object ${ptr} has refcount 0 but is expected alive`, ptr);
      const block = ptr - (u32[this._record(u32[w + O_TYPE] as number) + T_HEADER_BYTES] as number);
      if (!this.heap.isLive(block)) throw corrupted(`object ${ptr} is not a live block`, ptr);
      for (const target of this.referents(ptr)) {
        const seen = incoming.get(target);
        if (seen === undefined) throw corrupted(`object ${ptr} points at ${target}, which is not an expected live object`, target);
        incoming.set(target, seen + 1);
      }
    }
    for (const [ptr, external] of holds) {
      const count = u32[(ptr >>> 2) + O_REFCOUNT] as number;
      const expected = external + (incoming.get(ptr) as number);
      if (count !== expected) {
        throw corrupted(`object ${ptr} has refcount ${count}; ${external} holds + ${incoming.get(ptr)} incoming refs = ${expected}`, ptr);
      }
    }
    const stats = this.stats();
    if (stats.live !== holds.size) throw corrupted(`${stats.live} objects are alive; ${holds.size} were expected`);
    let perType = 0;
    const typeCount = this._typeCount();
    for (let id = 1; id <= typeCount; id++) {
      const rec = this._record(id);
      perType += u32[rec + T_LIVE] as number;
      let length = 0;
      for (let p = u32[rec + T_FREE_HEAD] as number; p !== 0; p = u32[(p >>> 2) + O_SERIAL] as number) {
        if (u32[(p >>> 2) + O_REFCOUNT] !== 0 || u32[(p >>> 2) + O_TYPE] !== id)
          throw corrupted(`free list of type ${id} holds a bad object ${p}`, p);
        if (++length > (u32[rec + T_FREE_LENGTH] as number)) break;
      }
      if (length !== u32[rec + T_FREE_LENGTH])
        throw corrupted(`free list of type ${id} has ${length} objects, its counter says ${u32[rec + T_FREE_LENGTH]}`);
    }
    if (perType !== stats.live) throw corrupted(`per-type live counters sum to ${perType}, the layer counts ${stats.live}`);
  }
}

/** @internal What the cycle detector gives the refcounting layer. */
export interface GcLink {
  /** Links a new object of a tracked type into the youngest generation. */
  _track(ptr: number): void;
  /** Links a resurrected object into the youngest generation again (never starts a collection). */
  _relink(ptr: number): void;
  /** A tracked object was destroyed (already unlinked). */
  _untracked(): void;
}

/** @internal What a {@link Ref} handle and the leak safety net share. */
export interface HandleState {
  ptr: number;
  serial: number;
  holds: number;
  site: string | undefined;
  type: string;
}

/**
 * The refcounting layer of `heap`: the same object for every call with the same heap (options
 * apply at the first call). On a heap re-opened with `Heap.attach`, the objects and registry in
 * the buffer are found again; declare the same struct types again to get their accessors.
 *
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * import { createRc } from 'arenalloc/rc';
 * const rc = createRc(createHeap());
 * const Point = rc.struct('Point', { x: 'f64', y: 'f64' });
 * const p = Point.create();
 * Point.fields.x.set(p, 3);
 * rc.release(p);
 * ```
 */
export function createRc(heap: Heap, options: RcOptions = {}): Rc {
  expectHeap(heap, 'createRc');
  expectSingleThreaded(heap, 'createRc');
  let rc = registries.get(heap);
  if (rc === undefined) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    rc = new Rc(heap, options);
    registries.set(heap, rc);
  }
  return rc;
}

/** Allocates a block that `free` refuses (the library's own table). @internal */
export function allocInternal(heap: Heap, bytes: number): number {
  const ptr = heap._large.malloc(bytes);
  if (ptr === 0) throw new OutOfMemoryError(`out of memory: cannot allocate the refcounting registry (${bytes} bytes)`, bytes);
  heap._mem.u32[((ptr - 16) >>> 2) + 3] = INTERNAL_REQUEST;
  return ptr;
}

/** The tag an object at `ptr` carries in the high 24 bits of its flags word. */
function objectTag(ptr: number): number {
  return ((ptr ^ OBJ_TAG_KEY) & ~0xff) >>> 0;
}

function destroyed(ptr: number): UseAfterFreeError {
  return new UseAfterFreeError(`object ${ptr} has already been destroyed (refcount 0)`, ptr);
}

function corrupted(message: string, ptr?: number): HeapCorruptedError {
  return new HeapCorruptedError(message, ptr);
}
