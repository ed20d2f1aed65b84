/**
 * The cycle detector: CPython's generational collector over the heap's refcounted objects, with
 * the surface of Python's `gc` module (`Modules/gcmodule.c`). This file is that surface; the
 * machinery lives beside it, as CPython keeps it in `Python/gc.c`:
 *
 * - `layout.ts`: the table in the buffer, and what every gc word and flag bit means in each phase;
 * - `lists.ts`: the generation lists (link, unlink, move, merge) and one named helper per bit;
 * - `types.ts`: the per-type tables (ref-field offsets, gc words, finalizer) read from rc's registry;
 * - `collect.ts`: the one traversal of an object's `ref` fields with its visitors, and the passes
 *   of a collection, each with its pre- and post-condition.
 *
 * ## What is tracked
 *
 * Once a detector is attached to a refcounting layer ({@link createGc}), every object created
 * from a struct type with `ref` fields (and not declared `acyclic`) is linked into generation 0.
 * The links live in the 16 bytes that rc reserves in front of such objects. Objects created
 * before the detector was attached are not tracked: rc keeps no list of its objects (that is what
 * makes it free for code that never uses the detector), so attach the detector first.
 *
 * ## A collection of generation g (no recursion anywhere)
 *
 * 1. Splice the younger generations into g. For each object: gcRefs = refcount.
 * 2. For each object, for each `ref` field pointing into the set: target.gcRefs -= 1.
 *    Whatever is still positive is referenced from outside the set.
 * 3. Mark everything reachable from those. The rest is cyclic garbage; move it to the
 *    `unreachable` list, and the survivors to generation g + 1.
 * 4. Hold a temporary reference on each garbage object, run the finalizers that have not run
 *    (PEP 442: once per object, ever), then repeat 1–3 on the garbage: anything a finalizer made
 *    reachable again is resurrected with everything it reaches, and survives.
 * 5. Clear the `ref` fields of the rest (releasing their targets), then drop the temporary
 *    references: each object is retired by rc's own `_retire` (the one function that counts an
 *    object out and parks or frees it), and the blocks go back to the heap in one batch (the
 *    port's `freeBatch`). With `DEBUG_SAVEALL`, keep them on the saved list.
 *
 * When no type has a finalizer, step 4 has nothing to do and step 5 needs no holds: the garbage
 * is cleared as it is listed (`collect.ts` draws both paths).
 *
 * ## User code during a collection
 *
 * Finalizers and callbacks are user code and may throw, collect, allocate or release. A
 * collection finishes its bookkeeping whatever they do (no object is left on the unreachable
 * list, the collecting flag is cleared) and then rethrows the first error. An automatic
 * collection, started by an allocation, hands such errors to {@link Gc.onUnraisable} instead,
 * as CPython reports them through `sys.unraisablehook`: the allocation itself succeeded.
 *
 * The detector reaches the heap only through the core's port (`src/port.ts`): the store's views,
 * the installed hooks, a batch free and an internal block for its table.
 *
 * @module
 */

import { describeValue, expectSingleThreaded, HeapCorruptedError, InvalidArgumentError } from '../errors';
import type { Heap } from '../heap';
import { installInspect } from '../inspect/install';
import { Word } from '../layout';
import type { Memory } from '../memory/store';
import { allocInternal, memoryOf } from '../port';
import { O_TYPE, T_HEADER_BYTES } from '../rc/layout';
import { Rc } from '../rc/rc';
import { collectGeneration, keepFailure } from './collect';
import { GC_MAGIC, GC_VERSION, GcList, GcStat, GcTable, HEAD_WORDS, TableFlag } from './layout';
import { gcNext, hasTableFlag, isTracked, listAppend, listInit, listMerge, setSettled, setTableFlag, validateList } from './lists';
import { typeRecord } from './types';

/** Debug flag: keep cyclic garbage on {@link Gc.garbage} instead of freeing it (Python's `gc.DEBUG_SAVEALL`). */
export const DEBUG_SAVEALL = 32;

/** What a {@link GcCallback} is told. */
export interface GcInfo {
  /** The generation being collected. */
  generation: number;
  /** Objects collected (0 in the `start` phase). */
  collected: number;
  /** Objects found unreachable but not freed (kept by `DEBUG_SAVEALL`). */
  uncollectable: number;
  /** Milliseconds the collection took (0 in the `start` phase). */
  duration: number;
}

/** Called before (`start`) and after (`stop`) each collection, as Python's `gc.callbacks`. */
export type GcCallback = (phase: 'start' | 'stop', info: GcInfo) => void;

/** Per-generation figures, as Python's `gc.get_stats()`. */
export interface GenerationStats {
  /** Collections of this generation. */
  collections: number;
  /** Objects freed by those collections. */
  collected: number;
  /** Unreachable objects those collections kept (`DEBUG_SAVEALL`). */
  uncollectable: number;
}

/**
 * Default thresholds: CPython 3.12's `(2000, 10, 10)` (3.11 and older used `(700, 10, 10)`).
 * Generation 0 is collected when tracked allocations minus deallocations since its last
 * collection exceed 2000; generation 1 after 10 collections of generation 0; generation 2 after
 * 10 of generation 1.
 */
export const DEFAULT_THRESHOLDS: readonly [number, number, number] = [2000, 10, 10];

/**
 * The cycle detector of one heap. Get it with {@link createGc}. The surface follows Python's `gc`
 * module.
 */
export class Gc {
  /** The refcounting layer whose objects are collected. */
  readonly rc: Rc;
  /** Functions called before and after each collection (push to add, splice to remove). */
  readonly callbacks: GcCallback[];
  /** @internal */
  readonly _mem: Memory;
  /** @internal Word index of the table. */
  readonly _table: number;
  /** @internal Scratch list of object pointers. */
  _scratch: Uint32Array;
  /** @internal Per type id (filled by `prepareTypes`, `types.ts`): number of ref fields. */
  _refCount: Uint32Array;
  /** @internal Per type id: index in {@link Gc._refOffsets} of its ref-field offsets. */
  _refWords: Uint32Array;
  /**
   * @internal The ref-field byte offsets of every type, copied out of the registry by
   * `prepareTypes`: a plain array, which V8 reads faster than the heap's views over a
   * resizable buffer, and the passes read it once per field.
   */
  _refOffsets: Int32Array;
  /** @internal Per type id: 1 if objects carry gc links. */
  _hasGc: Uint8Array;
  /** @internal Per type id: 1 if the type declared a finalizer. */
  _hasFinalizer: Uint8Array;
  /** @internal 1 if any type declared a finalizer (as of the last `prepareTypes`). */
  _anyFinalizer: number;
  /** @internal The first error user code threw during the current collection, or null. */
  _failure: unknown;
  /**
   * Receives what a finalizer or callback threw during an automatic collection (one started by
   * an allocation, which must not fail because of it), as Python's `sys.unraisablehook`.
   * Replace it to log or rethrow elsewhere. `collect()` itself rethrows instead.
   * @defaultValue a `console.warn` of the error
   */
  onUnraisable: (error: unknown) => void;

  /** @internal Use {@link createGc}. */
  constructor(rc: Rc) {
    this.rc = rc;
    this.callbacks = [];
    const heap: Heap = rc.heap;
    this._mem = memoryOf(heap);
    this._scratch = new Uint32Array(1024);
    this._refCount = new Uint32Array(0);
    this._refWords = new Uint32Array(0);
    this._refOffsets = new Int32Array(0);
    this._hasGc = new Uint8Array(0);
    this._hasFinalizer = new Uint8Array(0);
    this._anyFinalizer = 0;
    this._failure = null;
    this.onUnraisable = (error) => console.warn('arenalloc/gc: an error in an automatic collection', error);
    let table = this._mem.head[Word.GC_ROOT] as number;
    if (table === 0) {
      table = allocInternal(heap, GcTable.WORDS * 4, 'the gc table');
      const u32 = this._mem.u32;
      u32.fill(0, table >>> 2, (table >>> 2) + GcTable.WORDS);
      const t = table >>> 2;
      u32[t + GcTable.MAGIC] = GC_MAGIC;
      u32[t + GcTable.VERSION] = GC_VERSION;
      u32[t + GcTable.FLAGS] = TableFlag.ENABLED;
      for (let g = 0; g < 3; g++) u32[t + GcTable.THRESHOLD + g] = DEFAULT_THRESHOLDS[g] as number;
      this._mem.head[Word.GC_ROOT] = table;
      this._table = t;
      for (let h = 0; h < GcList.COUNT; h++) listInit(u32, this._head(h));
    } else {
      if (
        (table & 15) !== 0 ||
        table + GcTable.WORDS * 4 > this._mem.byteLength ||
        this._mem.u32[(table >>> 2) + GcTable.MAGIC] !== GC_MAGIC
      ) {
        throw new HeapCorruptedError('the gc table of this heap is damaged', table);
      }
      this._table = table >>> 2;
    }
    rc._gc = this;
  }

  /** @internal The fake-object pointer of list head `h`. */
  _head(h: number): number {
    // Its gcNext/gcPrev words (ptr - 32, ptr - 28) are the first two words of the head's slot.
    return (this._table + GcTable.HEADS + h * HEAD_WORDS) * 4 + 32;
  }

  /** @internal Links a new object into generation 0 and collects when its count crosses the threshold. */
  _track(ptr: number): void {
    this._relink(ptr);
    const u32 = this._mem.u32;
    const t = this._table;
    const count = u32[t + GcTable.COUNT] as number;
    if (count > (u32[t + GcTable.THRESHOLD] as number) && hasTableFlag(u32, t, TableFlag.ENABLED) && u32[t + GcTable.COLLECTING] === 0) {
      if ((u32[t + GcTable.THRESHOLD] as number) !== 0) this._collectGenerations();
    }
  }

  /** @internal Links an object into generation 0 and counts it, without ever collecting. */
  _relink(ptr: number): void {
    const u32 = this._mem.u32;
    listAppend(u32, this._head(GcList.GEN0), ptr);
    setSettled(u32, ptr);
    u32[this._table + GcTable.COUNT] = (u32[this._table + GcTable.COUNT] as number) + 1;
  }

  /** @internal */
  _untracked(): void {
    const u32 = this._mem.u32;
    const count = u32[this._table + GcTable.COUNT] as number;
    if (count > 0) u32[this._table + GcTable.COUNT] = count - 1;
  }

  /**
   * @internal Automatic collection: the oldest generation whose count exceeds its threshold.
   * What user code throws goes to {@link Gc.onUnraisable}: the allocation that started the
   * collection has succeeded and must return its object.
   */
  _collectGenerations(): void {
    const u32 = this._mem.u32;
    const t = this._table;
    for (let g = 2; g >= 0; g--) {
      if ((u32[t + GcTable.COUNT + g] as number) > (u32[t + GcTable.THRESHOLD + g] as number)) {
        try {
          this.collect(g);
        } catch (error) {
          this.onUnraisable(error);
        }
        return;
      }
    }
  }

  /** Turns automatic collection on (the default). */
  enable(): void {
    setTableFlag(this._mem.u32, this._table, TableFlag.ENABLED, true);
  }

  /** Turns automatic collection off; `collect()` still works. */
  disable(): void {
    setTableFlag(this._mem.u32, this._table, TableFlag.ENABLED, false);
  }

  /** Whether automatic collection is on. */
  isEnabled(): boolean {
    return hasTableFlag(this._mem.u32, this._table, TableFlag.ENABLED);
  }

  /** The current debug flags ({@link DEBUG_SAVEALL} or 0). */
  getDebug(): number {
    return hasTableFlag(this._mem.u32, this._table, TableFlag.SAVEALL) ? DEBUG_SAVEALL : 0;
  }

  /** Sets the debug flags: {@link DEBUG_SAVEALL} keeps cyclic garbage on {@link Gc.garbage}. */
  setDebug(flags: number): void {
    if (flags !== 0 && flags !== DEBUG_SAVEALL) throw new InvalidArgumentError(`unknown debug flags ${String(flags)}`);
    setTableFlag(this._mem.u32, this._table, TableFlag.SAVEALL, flags === DEBUG_SAVEALL);
  }

  /** The collection counts of the three generations (Python's `gc.get_count()`). */
  getCount(): [number, number, number] {
    const u32 = this._mem.u32;
    const t = this._table;
    return [u32[t + GcTable.COUNT] as number, u32[t + GcTable.COUNT + 1] as number, u32[t + GcTable.COUNT + 2] as number];
  }

  /** The thresholds of the three generations. */
  getThreshold(): [number, number, number] {
    const u32 = this._mem.u32;
    const t = this._table;
    return [u32[t + GcTable.THRESHOLD] as number, u32[t + GcTable.THRESHOLD + 1] as number, u32[t + GcTable.THRESHOLD + 2] as number];
  }

  /**
   * Sets the thresholds (omitted ones keep their value). A threshold0 of 0 turns automatic
   * collection off, as in Python.
   * @throws `InvalidArgumentError` for a value that is not a uint32
   */
  setThreshold(threshold0: number, threshold1?: number, threshold2?: number): void {
    const values = [threshold0, threshold1, threshold2];
    if (threshold0 === undefined) throw new InvalidArgumentError('setThreshold: threshold0 is required', 'threshold0');
    for (let g = 0; g < 3; g++) {
      const v = values[g];
      if (v !== undefined && (typeof v !== 'number' || v >>> 0 !== v))
        throw new InvalidArgumentError(`threshold${g} must be a uint32, got ${describeValue(v)}`, `threshold${g}`);
    }
    const u32 = this._mem.u32;
    for (let g = 0; g < 3; g++) if (values[g] !== undefined) u32[this._table + GcTable.THRESHOLD + g] = values[g] as number;
  }

  /** Per-generation collections, collected and uncollectable objects (Python's `gc.get_stats()`). */
  getStats(): GenerationStats[] {
    const u32 = this._mem.u32;
    const out: GenerationStats[] = [];
    for (let g = 0; g < 3; g++) {
      const s = this._table + GcTable.STATS + g * GcStat.WORDS;
      out.push({
        collections: u32[s + GcStat.COLLECTIONS] as number,
        collected: u32[s + GcStat.COLLECTED] as number,
        uncollectable: u32[s + GcStat.UNCOLLECTABLE] as number,
      });
    }
    return out;
  }

  /** Whether the object at `ptr` is tracked by the detector. */
  isTracked(ptr: number): boolean {
    const w = this.rc._validate(ptr);
    const u32 = this._mem.u32;
    const rec = typeRecord(this, u32[w + O_TYPE] as number);
    return (u32[rec + T_HEADER_BYTES] as number) > 16 && isTracked(u32, ptr);
  }

  /** The objects the `ref` fields of `ptr` point at (borrowed). */
  getReferents(ptr: number): number[] {
    return this.rc.referents(ptr);
  }

  /** The tracked objects (in any generation, frozen or saved) with a `ref` field pointing at `ptr`. */
  getReferrers(ptr: number): number[] {
    this.rc._validate(ptr);
    const out: number[] = [];
    for (let h = 0; h < GcList.UNREACHABLE; h++) {
      this._forEach(h, (p) => {
        for (const target of this.rc.referents(p)) {
          if (target === ptr) {
            out.push(p);
            break;
          }
        }
      });
    }
    return out;
  }

  /** Moves every tracked object to the permanent generation, which collections ignore. */
  freeze(): void {
    const u32 = this._mem.u32;
    for (let g = 0; g < 3; g++) listMerge(u32, this._head(g), this._head(GcList.PERMANENT));
    u32[this._table + GcTable.COUNT] = 0;
  }

  /** Moves the permanent generation back into the oldest generation. */
  unfreeze(): void {
    listMerge(this._mem.u32, this._head(GcList.PERMANENT), this._head(GcList.GEN2));
  }

  /** Number of objects in the permanent generation. */
  getFreezeCount(): number {
    return this._length(GcList.PERMANENT);
  }

  /**
   * Objects kept by {@link DEBUG_SAVEALL} collections (each still holds one reference, the
   * list's). A copy: empty the list with {@link Gc.clearGarbage}.
   */
  get garbage(): number[] {
    const out: number[] = [];
    this._forEach(GcList.SAVED, (p) => out.push(p));
    return out;
  }

  /**
   * Empties {@link Gc.garbage}, as Python's `gc.garbage.clear()`: the saved objects go back to the
   * oldest generation and the list's reference on each is dropped. Objects nothing else keeps
   * alive are freed now; cycles among them are freed by the next collection (or saved again by
   * it, if `DEBUG_SAVEALL` is still on). Their finalizers have run already and do not run again.
   * @returns how many objects the list held
   * @throws what a finalizer of an object freed by the releases threw, after all are released
   * @example
   * ```ts
   * gc.setDebug(0);
   * gc.clearGarbage();
   * gc.collect(); // frees the cycles that were saved
   * ```
   */
  clearGarbage(): number {
    const saved = this.garbage;
    listMerge(this._mem.u32, this._head(GcList.SAVED), this._head(GcList.GEN2));
    let failure: unknown = null;
    for (const p of saved) {
      try {
        this.rc.release(p);
      } catch (error) {
        if (failure === null) failure = error;
      }
    }
    if (failure !== null) throw failure;
    return saved.length;
  }

  /**
   * Collects cyclic garbage in generations 0 to `generation` and returns how many objects were
   * found unreachable (freed, or kept with `DEBUG_SAVEALL`).
   * @throws `InvalidArgumentError` for a generation other than 0, 1 or 2
   */
  collect(generation = 2): number {
    if (generation !== 0 && generation !== 1 && generation !== 2)
      throw new InvalidArgumentError(`generation must be 0, 1 or 2, got ${String(generation)}`);
    // WASM code may have grown the memory since the heap last looked: re-bind before the walk.
    this._mem.refresh();
    const u32 = this._mem.u32;
    const t = this._table;
    if (u32[t + GcTable.COLLECTING] !== 0) return 0;
    for (const cb of this.callbacks) {
      if (typeof cb !== 'function')
        throw new InvalidArgumentError(`gc.callbacks holds ${describeValue(cb)}, not a callback function`, 'callback');
    }
    u32[t + GcTable.COLLECTING] = 1;
    this._failure = null;
    const started = performance.now();
    let found = 0;
    let kept = 0;
    try {
      this._callBack('start', { generation, collected: 0, uncollectable: 0, duration: 0 });
      [found, kept] = collectGeneration(this, generation);
    } finally {
      this._mem.u32[t + GcTable.COLLECTING] = 0;
    }
    const s = t + GcTable.STATS + generation * GcStat.WORDS;
    const after = this._mem.u32;
    after[s + GcStat.COLLECTIONS] = (after[s + GcStat.COLLECTIONS] as number) + 1;
    after[s + GcStat.COLLECTED] = (after[s + GcStat.COLLECTED] as number) + found - kept;
    after[s + GcStat.UNCOLLECTABLE] = (after[s + GcStat.UNCOLLECTABLE] as number) + kept;
    const info = { generation, collected: found - kept, uncollectable: kept, duration: performance.now() - started };
    this._callBack('stop', info);
    const failure = this._failure;
    this._failure = null;
    if (failure !== null) throw failure;
    return found;
  }

  /** @internal Calls every callback (a copy of the list: a callback may edit it), keeping the first error. */
  _callBack(phase: 'start' | 'stop', info: GcInfo): void {
    for (const cb of this.callbacks.slice()) {
      try {
        cb(phase, info);
      } catch (error) {
        keepFailure(this, error);
      }
    }
  }

  /**
   * Walks every list of the detector and throws `HeapCorruptedError` unless each is a consistent
   * ring of live, tracked objects and no collection is half done. For tests and debugging.
   * @returns the number of tracked objects
   */
  check(): number {
    const u32 = this._mem.u32;
    // Each tracked object takes 32 bytes at least: a longer list goes round in a circle.
    const limit = this._mem.byteLength / 32;
    let total = 0;
    for (let h = 0; h < GcList.COUNT; h++) total += validateList(u32, h, this._head(h), limit);
    return total;
  }

  /** @internal */
  _length(h: number): number {
    let n = 0;
    this._forEach(h, () => n++);
    return n;
  }

  /** @internal */
  _forEach(h: number, visit: (ptr: number) => void): void {
    const head = this._head(h);
    const u32 = this._mem.u32;
    for (let p = gcNext(u32, head); p !== head; p = gcNext(this._mem.u32, p)) visit(p);
  }
}

const detectors = new WeakMap<Rc, Gc>();

/**
 * The cycle detector of a refcounting layer (the same object for every call). From this call on,
 * objects of struct types with `ref` fields (not declared `acyclic`) are tracked; automatic
 * collection is on.
 *
 * @example
 * ```ts
 * import { createRc } from 'arenalloc/rc';
 * import { createGc } from 'arenalloc/gc';
 * const rc = createRc(heap);
 * const gc = createGc(rc);
 * const Node = rc.struct('Node', { next: { ref: 'Node' } });
 * const a = Node.create();
 * Node.fields.next.set(a, a); // a cycle
 * rc.release(a);              // refcount 1: still alive
 * gc.collect();               // 1: freed
 * ```
 */
export function createGc(rc: Rc): Gc {
  if (!(rc instanceof Rc))
    throw new InvalidArgumentError(`createGc: rc must be the refcounting layer of a heap (createRc), got ${describeValue(rc)}`, 'rc');
  expectSingleThreaded(rc.heap, 'createGc');
  installInspect(); // heap.check() of this heap's users runs the walk of arenalloc/inspect
  let gc = detectors.get(rc);
  if (gc === undefined) {
    gc = new Gc(rc);
    detectors.set(rc, gc);
  }
  return gc;
}
