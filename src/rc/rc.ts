/**
 * The refcounting layer's public face: the `Rc` class that `createRc` returns, its options and
 * figures. The machinery lives in one module per concern, as CPython keeps `object.c` apart from
 * `typeobject.c`; each opens with an essay of what it owns and the invariants it keeps:
 *
 * ```
 *  rc.ts        Rc: the API, validation of its arguments, the layer's JS-side state
 *   ├─ registry.ts   type records in the buffer: the table, its growth and validation
 *   ├─ object.ts     creating an object; recognising an object pointer
 *   ├─ refcount.ts   retain/release, ref-field stores, the iterative deallocator
 *   ├─ freelist.ts   per-type free lists threaded through dead objects
 *   ├─ handles.ts    making Ref handles; the leak safety net
 *   └─ check.ts      checkObjects: the object graph against its owner's map
 *  layout.ts    every word: the object header, the registry, the header counters rc uses
 *  struct.ts, fields.ts, schema.ts, ref.ts   struct types, accessors, schemas, Ref handles
 * ```
 *
 * The layer reaches the heap only through the core port (`src/port.ts`): the store's views, user
 * blocks through the installed hooks, library blocks for the registry, and the tracer.
 *
 * ## What the cycle detector uses
 *
 * `arenalloc/gc` attaches through `Rc._gc` (a {@link GcLink}) and drives the same machinery:
 * it reads `_root`, `_types`, the work stack (`_stack`, `_top`, `_growStack`) and calls
 * `_typeCount`, `_validate`, `_dealloc`, `_finalize` and `_retire`, so that an object dies the
 * same way whoever finds it dead (see `refcount.ts`).
 *
 * @module
 */

import { describeValue, expectHeap, expectSingleThreaded, InvalidArgumentError } from '../errors';
import type { Heap } from '../heap';
import { installInspect } from '../inspect/install';
import { Counter } from '../layout';
import type { Memory } from '../memory/store';
import { memoryOf } from '../port';
import { checkObjects } from './check';
import { ExtraViews } from './fields';
import { trimFreeList } from './freelist';
import { adoptHandle, type HandleState, reportLeak } from './handles';
import { O_TYPE, T_FLAGS, T_FREE_MAX, T_REF_COUNT, T_REFS, TYPE_HAS_FINALIZER } from './layout';
import { validateObject } from './object';
import type { Ref } from './ref';
import { deallocate, finalize, growStack, refcountOf, releaseObject, retainObject, retire } from './refcount';
import { checkRegistry, findType, openRegistry, recordOf, registerType, typeCount } from './registry';
import { fingerprintOf, layoutOf, type Schema } from './schema';
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
  /** @internal The heap's store (from the core port). */
  readonly _mem: Memory;
  /** @internal */
  readonly _views: ExtraViews;
  /** @internal Word index of the registry root. */
  readonly _root: number;
  /** @internal JS-side types by id (undefined for types in the buffer not declared this session). */
  readonly _types: (StructType | undefined)[];
  /** @internal */
  readonly _byName: Map<string, StructType>;
  /** @internal The deallocator's work stack (see `refcount.ts`). */
  _stack: Uint32Array;
  /** @internal Top of the work stack. */
  _top: number;
  /** @internal The cycle detector attached to this layer (`arenalloc/gc`), or null. */
  _gc: GcLink | null;
  /** @internal */
  readonly _options: RcOptions;
  /** @internal The leak safety net (see `handles.ts`). */
  readonly _registry: FinalizationRegistry<HandleState>;

  /** @internal Use {@link createRc}. */
  constructor(heap: Heap, options: RcOptions) {
    const mem = memoryOf(heap);
    this.heap = heap;
    this._mem = mem;
    this._views = new ExtraViews(mem);
    this._types = [undefined];
    this._byName = new Map();
    this._stack = new Uint32Array(1024);
    this._top = 0;
    this._gc = null;
    this._options = options;
    this._registry = new FinalizationRegistry((state) => reportLeak(this, state));
    this._root = openRegistry(heap, mem);
    checkRegistry(mem, this._root);
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
    if (this._byName.has(name)) throw new InvalidArgumentError(`struct ${name} is already declared on this heap in this session`);
    let id = findType(this._mem, this._root, fingerprint);
    if (id === 0) id = registerType(this.heap, this._mem, this._root, layout, fingerprint, options.acyclic === true);
    const u32 = this._mem.u32;
    const rec = recordOf(u32, this._root, id);
    if (options.finalizer !== undefined) u32[rec + T_FLAGS] = (u32[rec + T_FLAGS] as number) | TYPE_HAS_FINALIZER;
    if (options.freeListSize !== undefined) u32[rec + T_FREE_MAX] = freeListSize;
    const type = new StructType<S>(this, id, layout, options);
    this._types[id] = type as unknown as StructType;
    this._byName.set(name, type as unknown as StructType);
    return type;
  }

  /** The struct type declared under `name` in this session, if any. */
  typeNamed(name: string): StructType | undefined {
    if (typeof name !== 'string') throw new InvalidArgumentError(`typeNamed: name must be a string, got ${describeValue(name)}`, 'name');
    return this._byName.get(name);
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
    retainObject(this, ptr);
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
    releaseObject(this, ptr);
  }

  /**
   * The refcount of the object at `ptr` (0 only while its finalizer runs).
   * @throws `InvalidPointerError` for a non-object
   * @throws `UseAfterFreeError` for a destroyed object
   */
  refcount(ptr: number): number {
    return refcountOf(this, ptr);
  }

  /**
   * The struct type of the object at `ptr`, or undefined when the type is in the heap's registry
   * but was not declared in this session.
   * @throws `InvalidPointerError` for a non-object
   */
  typeOf(ptr: number): StructType | undefined {
    const w = validateObject(this, ptr); // first: it re-binds the views that the load below reads
    return this._types[this._mem.u32[w + O_TYPE] as number];
  }

  /** The objects the `ref` fields of `ptr` point at, in field order, zeros left out (borrowed). */
  referents(ptr: number): number[] {
    const w = validateObject(this, ptr);
    const u32 = this._mem.u32;
    const rec = recordOf(u32, this._root, u32[w + O_TYPE] as number);
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
    return adoptHandle(this, ptr, type);
  }

  /** Frees every object parked on every type's free list. */
  clearFreeLists(): void {
    const count = typeCount(this._mem, this._root);
    for (let id = 1; id <= count; id++) trimFreeList(this, id, 0);
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
    checkObjects(this, holds);
  }

  // ─── the doors of arenalloc/gc (see the module essay) and of tests ──────────────────────────

  /** @internal Word index of the record of type `id` (trusted). */
  _record(id: number): number {
    return recordOf(this._mem.u32, this._root, id);
  }

  /** @internal The number of types in the registry, checked against its capacity. */
  _typeCount(): number {
    return typeCount(this._mem, this._root);
  }

  /** @internal Validates an object pointer; returns its word index (see `object.ts`). */
  _validate(ptr: number): number {
    return validateObject(this, ptr);
  }

  /** @internal Destroys an object whose refcount is already 0, and what only it kept alive. */
  _dealloc(first: number): void {
    deallocate(this, first);
  }

  /** @internal Runs an object's finalizer once; returns what it threw, or null. */
  _finalize(ptr: number, id: number): unknown {
    return finalize(this, ptr, id);
  }

  /** @internal Counts out a dead object and parks it, or returns its block for the caller to free. */
  _retire(ptr: number, rec: number): number {
    return retire(this, ptr, rec);
  }

  /** @internal Doubles the work stack, keeping its contents up to `_top`. */
  _growStack(): Uint32Array {
    return growStack(this);
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
  installInspect(); // heap.check() of this heap's users runs the walk of arenalloc/inspect
  let rc = registries.get(heap);
  if (rc === undefined) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    rc = new Rc(heap, options);
    registries.set(heap, rc);
  }
  return rc;
}
