/**
 * The cycle detector: CPython's generational collector (`Modules/gcmodule.c`) over the heap's
 * refcounted objects.
 *
 * ## What is tracked
 *
 * Once a detector is attached to a refcounting layer ({@link createGc}), every object created
 * from a struct type with `ref` fields (and not declared `acyclic`) is linked into generation 0.
 * The links live in the 16 bytes that rc reserves in front of such objects. Objects created
 * before the detector was attached are not tracked: rc keeps no list of its objects (that is what
 * makes it free for code that never uses the detector), so attach the detector first.
 *
 * ## The lists (all in the buffer, from header word `Word.GC_ROOT`)
 *
 * ```
 *  table: [magic, version, flags, collecting, threshold×3, count×3, ...,
 *          head gen0 | head gen1 | head gen2 | head permanent | head saved | head unreachable,
 *          per generation: collections, collected, uncollectable]
 *
 *  head ⇄ obj ⇄ obj ⇄ obj ⇄ (back to head)     circular, doubly linked through gcNext/gcPrev
 * ```
 *
 * A list head is a fake object whose gcNext/gcPrev words sit inside the table, so the same
 * unlink code works on heads and objects.
 *
 * ## A collection of generation g (no recursion anywhere)
 *
 * 1. Splice the younger generations into g. For each object: gcRefs = refcount.
 * 2. For each object, for each `ref` field pointing into the set: target.gcRefs -= 1.
 *    Whatever is still positive is referenced from outside the set.
 * 3. Mark everything reachable from those (an explicit stack). The rest is cyclic garbage; move it
 *    to the `unreachable` list, and the survivors to generation g + 1.
 * 4. Hold a temporary reference on each garbage object, run the finalizers that have not run
 *    (PEP 442: once per object, ever), then repeat 1–3 on the garbage: anything a finalizer made
 *    reachable again is resurrected with everything it reaches, and survives.
 * 5. Clear the `ref` fields of the rest (releasing their targets), then drop the temporary
 *    references: each object is retired by rc's own `_retire` (the one function that counts an
 *    object out and parks or frees it), and the blocks go back to the heap in one batch
 *    (`freeBatch` of `src/port.ts`). With `DEBUG_SAVEALL`, keep them on the saved list.
 *
 * ## User code during a collection
 *
 * Finalizers and callbacks are user code and may throw, collect, allocate or release. A
 * collection finishes its bookkeeping whatever they do (no object is left on the unreachable
 * list, the collecting flag is cleared) and then rethrows the first error. An automatic
 * collection, started by an allocation, hands such errors to {@link Gc.onUnraisable} instead,
 * as CPython reports them through `sys.unraisablehook`: the allocation itself succeeded.
 *
 * @module
 */

import { describeValue, expectSingleThreaded, HeapCorruptedError, InvalidArgumentError } from '../errors';
import type { Heap } from '../heap';
import { Word } from '../layout';
import type { Memory } from '../memory/store';
import { allocInternal, freeBatch } from '../port';
import {
  GC_TRACKED,
  O_FLAGS,
  O_GC_FLAGS,
  O_GC_NEXT,
  O_GC_PREV,
  O_GC_REFS,
  O_REFCOUNT,
  O_TYPE,
  OBJ_FINALIZED,
  R_TYPES,
  T_FLAGS,
  T_HEADER_BYTES,
  T_REF_COUNT,
  T_REFS,
  TYPE_HAS_FINALIZER,
  TYPE_WORDS,
} from '../rc/layout';
import { Rc } from '../rc/rc';

const GC_MAGIC = 0x47434442;
const GC_VERSION = 1;
const G_MAGIC = 0;
const G_VERSION = 1;
const G_FLAGS = 2;
const G_COLLECTING = 3;
const G_THRESHOLD = 4; // 3 words
const G_COUNT = 7; // 3 words
const G_HEADS = 16; // 6 heads × 8 words
const HEAD_WORDS = 8;
const G_STATS = 64; // per generation: collections, collected, uncollectable
const TABLE_WORDS = 80;

const HEAD_PERMANENT = 3;
const HEAD_SAVED = 4;
const HEAD_UNREACHABLE = 5;

const FLAG_ENABLED = 1 << 0;
const FLAG_SAVEALL = 1 << 1;

// gcFlags bits owned by the detector (bit 0, GC_TRACKED, belongs to rc).
const COLLECTING = 1 << 1;
const REACHABLE = 1 << 2;
/** Passed over by `_moveUnreachable` (on the unreachable list, may yet be reached). */
const TENTATIVE = 1 << 3;

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
  /** @internal Per type id (see {@link Gc._prepareTypes}): number of ref fields. */
  _refCount: Uint32Array;
  /** @internal Per type id: index in {@link Gc._refOffsets} of its ref-field offsets. */
  _refWords: Uint32Array;
  /**
   * @internal The ref-field byte offsets of every type, copied out of the registry by
   * {@link Gc._prepareTypes}: a plain array, which V8 reads faster than the heap's views over a
   * resizable buffer, and the passes read it once per field.
   */
  _refOffsets: Int32Array;
  /** @internal Per type id: bytes in front of the payload. */
  _headerBytes: Uint32Array;
  /** @internal Per type id: 1 if objects carry gc links. */
  _hasGc: Uint8Array;
  /** @internal Per type id: 1 if the type declared a finalizer. */
  _hasFinalizer: Uint8Array;
  /** @internal 1 if any type declared a finalizer (as of the last {@link Gc._prepareTypes}). */
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
    this._mem = heap._mem;
    this._scratch = new Uint32Array(1024);
    this._refCount = new Uint32Array(0);
    this._refWords = new Uint32Array(0);
    this._refOffsets = new Int32Array(0);
    this._headerBytes = new Uint32Array(0);
    this._hasGc = new Uint8Array(0);
    this._hasFinalizer = new Uint8Array(0);
    this._anyFinalizer = 0;
    this._failure = null;
    this.onUnraisable = (error) => console.warn('arenalloc/gc: an error in an automatic collection', error);
    let table = this._mem.head[Word.GC_ROOT] as number;
    if (table === 0) {
      table = allocInternal(heap, TABLE_WORDS * 4, 'the gc table');
      const u32 = this._mem.u32;
      u32.fill(0, table >>> 2, (table >>> 2) + TABLE_WORDS);
      const t = table >>> 2;
      u32[t + G_MAGIC] = GC_MAGIC;
      u32[t + G_VERSION] = GC_VERSION;
      u32[t + G_FLAGS] = FLAG_ENABLED;
      for (let g = 0; g < 3; g++) u32[t + G_THRESHOLD + g] = DEFAULT_THRESHOLDS[g] as number;
      this._mem.head[Word.GC_ROOT] = table;
      this._table = t;
      for (let h = 0; h < 6; h++) {
        const head = this._head(h);
        u32[(head >>> 2) + O_GC_NEXT] = head;
        u32[(head >>> 2) + O_GC_PREV] = head;
      }
    } else {
      if ((table & 15) !== 0 || table + TABLE_WORDS * 4 > this._mem.byteLength || this._mem.u32[(table >>> 2) + G_MAGIC] !== GC_MAGIC) {
        throw new HeapCorruptedError('the gc table of this heap is damaged', table);
      }
      this._table = table >>> 2;
    }
    rc._gc = this;
  }

  /** @internal The fake-object pointer of list head `h`. */
  _head(h: number): number {
    // Its gcNext/gcPrev words (ptr - 32, ptr - 28) are the first two words of the head's slot.
    return (this._table + G_HEADS + h * HEAD_WORDS) * 4 + 32;
  }

  /** @internal Links a new object into generation 0 and collects when its count crosses the threshold. */
  _track(ptr: number): void {
    this._relink(ptr);
    const u32 = this._mem.u32;
    const t = this._table;
    const count = u32[t + G_COUNT] as number;
    if (count > (u32[t + G_THRESHOLD] as number) && (u32[t + G_FLAGS]! & FLAG_ENABLED) !== 0 && u32[t + G_COLLECTING] === 0) {
      if ((u32[t + G_THRESHOLD] as number) !== 0) this._collectGenerations();
    }
  }

  /** @internal Links an object into generation 0 and counts it, without ever collecting. */
  _relink(ptr: number): void {
    const u32 = this._mem.u32;
    const head = this._head(0);
    const w = ptr >>> 2;
    const last = u32[(head >>> 2) + O_GC_PREV] as number;
    u32[w + O_GC_NEXT] = head;
    u32[w + O_GC_PREV] = last;
    u32[(last >>> 2) + O_GC_NEXT] = ptr;
    u32[(head >>> 2) + O_GC_PREV] = ptr;
    u32[w + O_GC_FLAGS] = GC_TRACKED;
    u32[this._table + G_COUNT] = (u32[this._table + G_COUNT] as number) + 1;
  }

  /** @internal */
  _untracked(): void {
    const u32 = this._mem.u32;
    const count = u32[this._table + G_COUNT] as number;
    if (count > 0) u32[this._table + G_COUNT] = count - 1;
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
      if ((u32[t + G_COUNT + g] as number) > (u32[t + G_THRESHOLD + g] as number)) {
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
    this._mem.u32[this._table + G_FLAGS] = (this._mem.u32[this._table + G_FLAGS] as number) | FLAG_ENABLED;
  }

  /** Turns automatic collection off; `collect()` still works. */
  disable(): void {
    this._mem.u32[this._table + G_FLAGS] = (this._mem.u32[this._table + G_FLAGS] as number) & ~FLAG_ENABLED;
  }

  /** Whether automatic collection is on. */
  isEnabled(): boolean {
    return ((this._mem.u32[this._table + G_FLAGS] as number) & FLAG_ENABLED) !== 0;
  }

  /** The current debug flags ({@link DEBUG_SAVEALL} or 0). */
  getDebug(): number {
    return ((this._mem.u32[this._table + G_FLAGS] as number) & FLAG_SAVEALL) !== 0 ? DEBUG_SAVEALL : 0;
  }

  /** Sets the debug flags: {@link DEBUG_SAVEALL} keeps cyclic garbage on {@link Gc.garbage}. */
  setDebug(flags: number): void {
    if (flags !== 0 && flags !== DEBUG_SAVEALL) throw new InvalidArgumentError(`unknown debug flags ${String(flags)}`);
    const u32 = this._mem.u32;
    const t = this._table;
    u32[t + G_FLAGS] = ((u32[t + G_FLAGS] as number) & ~FLAG_SAVEALL) | (flags === DEBUG_SAVEALL ? FLAG_SAVEALL : 0);
  }

  /** The collection counts of the three generations (Python's `gc.get_count()`). */
  getCount(): [number, number, number] {
    const u32 = this._mem.u32;
    const t = this._table;
    return [u32[t + G_COUNT] as number, u32[t + G_COUNT + 1] as number, u32[t + G_COUNT + 2] as number];
  }

  /** The thresholds of the three generations. */
  getThreshold(): [number, number, number] {
    const u32 = this._mem.u32;
    const t = this._table;
    return [u32[t + G_THRESHOLD] as number, u32[t + G_THRESHOLD + 1] as number, u32[t + G_THRESHOLD + 2] as number];
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
    for (let g = 0; g < 3; g++) if (values[g] !== undefined) u32[this._table + G_THRESHOLD + g] = values[g] as number;
  }

  /** Per-generation collections, collected and uncollectable objects (Python's `gc.get_stats()`). */
  getStats(): GenerationStats[] {
    const u32 = this._mem.u32;
    const out: GenerationStats[] = [];
    for (let g = 0; g < 3; g++) {
      const s = this._table + G_STATS + g * 3;
      out.push({ collections: u32[s] as number, collected: u32[s + 1] as number, uncollectable: u32[s + 2] as number });
    }
    return out;
  }

  /** Whether the object at `ptr` is tracked by the detector. */
  isTracked(ptr: number): boolean {
    const w = this.rc._validate(ptr);
    const u32 = this._mem.u32;
    const rec = this._record(u32[w + O_TYPE] as number);
    return (u32[rec + T_HEADER_BYTES] as number) > 16 && ((u32[w + O_GC_FLAGS] as number) & GC_TRACKED) !== 0;
  }

  /** The objects the `ref` fields of `ptr` point at (borrowed). */
  getReferents(ptr: number): number[] {
    return this.rc.referents(ptr);
  }

  /** The tracked objects (in any generation, frozen or saved) with a `ref` field pointing at `ptr`. */
  getReferrers(ptr: number): number[] {
    this.rc._validate(ptr);
    const out: number[] = [];
    for (let h = 0; h < 5; h++) {
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
    for (let g = 0; g < 3; g++) this._splice(this._head(g), this._head(HEAD_PERMANENT));
    const u32 = this._mem.u32;
    u32[this._table + G_COUNT] = 0;
  }

  /** Moves the permanent generation back into the oldest generation. */
  unfreeze(): void {
    this._splice(this._head(HEAD_PERMANENT), this._head(2));
  }

  /** Number of objects in the permanent generation. */
  getFreezeCount(): number {
    return this._length(HEAD_PERMANENT);
  }

  /**
   * Objects kept by {@link DEBUG_SAVEALL} collections (each still holds one reference, the
   * list's). A copy: empty the list with {@link Gc.clearGarbage}.
   */
  get garbage(): number[] {
    const out: number[] = [];
    this._forEach(HEAD_SAVED, (p) => out.push(p));
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
    this._splice(this._head(HEAD_SAVED), this._head(2));
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
    if (u32[t + G_COLLECTING] !== 0) return 0;
    for (const cb of this.callbacks) {
      if (typeof cb !== 'function')
        throw new InvalidArgumentError(`gc.callbacks holds ${describeValue(cb)}, not a callback function`, 'callback');
    }
    u32[t + G_COLLECTING] = 1;
    this._failure = null;
    const started = performance.now();
    let found = 0;
    let kept = 0;
    try {
      this._callBack('start', { generation, collected: 0, uncollectable: 0, duration: 0 });
      [found, kept] = this._collect(generation);
    } finally {
      this._mem.u32[t + G_COLLECTING] = 0;
    }
    const s = t + G_STATS + generation * 3;
    const after = this._mem.u32;
    after[s] = (after[s] as number) + 1;
    after[s + 1] = (after[s + 1] as number) + found - kept;
    after[s + 2] = (after[s + 2] as number) + kept;
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
        this._keep(error);
      }
    }
  }

  /** @internal Remembers the first error of user code in this collection, to rethrow at its end. */
  _keep(error: unknown): void {
    if (this._failure === null) this._failure = error ?? new Error('user code threw a nullish value');
  }

  /**
   * @internal Releases an object from outside the garbage (its refcount may reach 0 and run a
   * finalizer): what that throws is kept for the end of the collection, whose bookkeeping goes on.
   */
  _releaseOutside(ptr: number): void {
    try {
      this.rc.release(ptr);
    } catch (error) {
      this._keep(error);
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
    for (let h = 0; h < 6; h++) {
      const head = this._head(h);
      let prev = head;
      let n = 0;
      for (let p = u32[(head >>> 2) + O_GC_NEXT] as number; p !== head; p = u32[(p >>> 2) + O_GC_NEXT] as number) {
        const w = p >>> 2;
        if (u32[w + O_GC_PREV] !== prev) throw new HeapCorruptedError(`gc list ${h}: broken back link at ${p}`, p);
        if (u32[w + O_GC_FLAGS] !== GC_TRACKED)
          throw new HeapCorruptedError(`gc list ${h}: object ${p} has gc flags ${u32[w + O_GC_FLAGS]}`, p);
        if (u32[w + O_REFCOUNT] === 0) throw new HeapCorruptedError(`gc list ${h}: object ${p} is destroyed`, p);
        if (h === HEAD_UNREACHABLE) throw new HeapCorruptedError(`object ${p} was left on the unreachable list`, p);
        if (++n > limit) throw new HeapCorruptedError(`gc list ${h} does not end`);
        prev = p;
      }
      if (u32[(head >>> 2) + O_GC_PREV] !== prev) throw new HeapCorruptedError(`gc list ${h}: head's back link is wrong`);
      total += n;
    }
    return total;
  }

  /** @internal Returns [unreachable found, kept by DEBUG_SAVEALL]. */
  _collect(generation: number): [number, number] {
    let u32 = this._mem.u32;
    const t = this._table;
    const young = this._head(generation);
    for (let g = 0; g < generation; g++) this._splice(this._head(g), young);
    if (generation < 2) u32[t + G_COUNT + generation + 1] = (u32[t + G_COUNT + generation + 1] as number) + 1;
    for (let g = 0; g <= generation; g++) u32[t + G_COUNT + g] = 0;
    this._prepareTypes();
    const older = this._head(generation < 2 ? generation + 1 : 2);

    // 1-3: find what is unreachable from outside the young set.
    this._subtractInternal(young, 0);
    const unreachable = this._head(HEAD_UNREACHABLE);
    this._moveUnreachable(young, unreachable);
    if (generation < 2) this._splice(young, older);
    // 4-5 when no type has a finalizer: no user code can run while the garbage is cleared, so the
    // garbage needs no temporary holds, and finding, clearing and freeing take two passes.
    if (this._anyFinalizer === 0 && ((u32[t + G_FLAGS] as number) & FLAG_SAVEALL) === 0) {
      const cleared = this._clearUnreachable(unreachable);
      if (cleared === 0) return [0, 0];
      if (this.rc.heap._hooks === null) this._freeGarbage(cleared, older, 0);
      else this._releaseGarbage(cleared, older, 0);
      return [cleared, 0];
    }
    // 4: hold each garbage object, run finalizers once, then find what they resurrected.
    let n = this._snapshot(unreachable, true);
    let found = n;
    if (found === 0) return [0, 0];
    let list = this._scratch;
    const hasFinalizer = this._hasFinalizer;
    let pending = false;
    for (let i = 0; i < n; i++) {
      const w = (list[i] as number) >>> 2;
      if (hasFinalizer[u32[w + O_TYPE] as number] === 1 && ((u32[w + O_FLAGS] as number) & OBJ_FINALIZED) === 0) {
        pending = true;
        break;
      }
    }
    let finalized = false;
    for (let i = 0; pending && i < n; i++) {
      const p = list[i] as number;
      const w = p >>> 2;
      const id = u32[w + O_TYPE] as number;
      if (hasFinalizer[id] !== 1 || ((u32[w + O_FLAGS] as number) & OBJ_FINALIZED) !== 0) continue;
      const type = this.rc._types[id];
      if (type === undefined || type._finalizer === null) continue;
      finalized = true;
      const error = this.rc._finalize(p, id);
      if (error !== null) this._keep(error);
      u32 = this._mem.u32;
      list = this._scratch;
    }
    if (finalized) {
      // Resurrection: the temporary hold counts one, so subtract it too.
      this._prepareTypes(); // a finalizer may have declared types
      this._subtractInternal(unreachable, 1);
      this._markReachable(unreachable);
      u32 = this._mem.u32;
      // Move the marked (resurrected) objects out, dropping their temporary holds afterwards.
      const back: number[] = [];
      for (let p = u32[(unreachable >>> 2) + O_GC_NEXT] as number; p !== unreachable; ) {
        const w = p >>> 2;
        const next = u32[w + O_GC_NEXT] as number;
        if (((u32[w + O_GC_FLAGS] as number) & REACHABLE) !== 0) {
          this._unlink(p);
          this._append(older, p);
          back.push(p);
        }
        u32[w + O_GC_FLAGS] = GC_TRACKED | (((u32[w + O_GC_FLAGS] as number) & REACHABLE) === 0 ? COLLECTING : 0);
        p = next;
      }
      for (const p of back) this._releaseOutside(p);
      u32 = this._mem.u32;
      n = this._snapshot(unreachable, false);
      list = this._scratch;
      found = n;
    }

    // 5: keep (DEBUG_SAVEALL) or clear and free.
    if (((u32[t + G_FLAGS] as number) & FLAG_SAVEALL) !== 0) {
      for (let i = 0; i < n; i++) u32[((list[i] as number) >>> 2) + O_GC_FLAGS] = GC_TRACKED;
      this._splice(unreachable, this._head(HEAD_SAVED));
      return [found, found];
    }
    const refCount = this._refCount;
    const refWords = this._refWords;
    const refOffsets = this._refOffsets;
    for (let i = 0; i < n; i++) {
      const p = list[i] as number;
      u32[(p >>> 2) + O_GC_FLAGS] = GC_TRACKED;
      const id = u32[(p >>> 2) + O_TYPE] as number;
      const refs = refCount[id] as number;
      const offsets = refWords[id] as number;
      for (let k = 0; k < refs; k++) {
        const at = (p + (refOffsets[offsets + k] as number)) >>> 2;
        const target = u32[at] as number;
        if (target === 0) continue;
        u32[at] = 0;
        // Garbage targets still carry the temporary hold, so only outside targets can die here.
        const tw = target >>> 2;
        const count = u32[tw + O_REFCOUNT] as number;
        if (count > 1) u32[tw + O_REFCOUNT] = count - 1;
        else {
          this._releaseOutside(target);
          u32 = this._mem.u32;
          list = this._scratch;
        }
      }
    }
    if (this.rc.heap._hooks === null) this._freeGarbage(n, older, 1);
    else this._releaseGarbage(n, older, 1);
    return [found, 0];
  }

  /**
   * @internal Drops the temporary holds of the `n` cleared garbage objects in the scratch list,
   * one by one through rc's deallocator: the path for heaps with hooks installed (tracing, debug
   * mode), which must see every free. Objects still referenced (a finalizer of an outside object
   * retained them while the garbage was cleared) go to generation `older`. `bias` is the
   * temporary hold each object carries (1), or 0 when there were none.
   */
  _releaseGarbage(n: number, older: number, bias: number): void {
    const rc = this.rc;
    let u32 = this._mem.u32;
    let list = this._scratch;
    for (let i = 0; i < n; i++) {
      const p = list[i] as number;
      const w = p >>> 2;
      const count = u32[w + O_REFCOUNT] as number;
      u32[w + O_GC_FLAGS] = GC_TRACKED;
      if (count > bias) {
        u32[w + O_REFCOUNT] = count - bias;
        this._unlink(p);
        this._append(older, p);
      } else {
        u32[w + O_REFCOUNT] = 0;
        try {
          rc._dealloc(p);
        } catch (error) {
          this._keep(error);
        }
        u32 = this._mem.u32;
        list = this._scratch;
      }
    }
  }

  /**
   * @internal The fast path of {@link Gc._releaseGarbage} for a heap without hooks: the same
   * effects as rc's deallocator, in one loop that runs no JS callback. It can skip what the
   * deallocator tests per object because the collector already knows it: the ref fields are
   * cleared (nothing to cascade) and the finalizers have run (step 4). Each dead object is retired
   * by rc's `_retire`, like every other death; the blocks it hands back go to the heap in one
   * batch, which writes the heap's counters once. `bias` as in {@link Gc._releaseGarbage}.
   */
  _freeGarbage(n: number, older: number, bias: number): void {
    const rc = this.rc;
    const u32 = this._mem.u32;
    const list = this._scratch;
    const types = ((u32[rc._root + R_TYPES] as number) >>> 2) | 0;
    for (let i = 0; i < n; i++) {
      const p = list[i] as number;
      const w = p >>> 2;
      const count = u32[w + O_REFCOUNT] as number;
      u32[w + O_GC_FLAGS] = GC_TRACKED;
      if (count > bias) {
        // Retained while the garbage was cleared (by a finalizer of an outside object): survives.
        u32[w + O_REFCOUNT] = count - bias;
        this._unlink(p);
        this._append(older, p);
        list[i] = 0;
        continue;
      }
      u32[w + O_REFCOUNT] = 0;
      list[i] = rc._retire(p, types + (u32[w + O_TYPE] as number) * TYPE_WORDS);
    }
    freeBatch(rc.heap, list, n);
  }

  /** @internal gcRefs = refcount - bias, minus the references from inside the list; flags COLLECTING. */
  _subtractInternal(head: number, bias: number): void {
    const u32 = this._mem.u32;
    for (let p = u32[(head >>> 2) + O_GC_NEXT] as number; p !== head; p = u32[(p >>> 2) + O_GC_NEXT] as number) {
      const w = p >>> 2;
      u32[w + O_GC_REFS] = (u32[w + O_REFCOUNT] as number) - bias;
      u32[w + O_GC_FLAGS] = GC_TRACKED | COLLECTING;
    }
    const refCount = this._refCount;
    const refWords = this._refWords;
    const refOffsets = this._refOffsets;
    const hasGc = this._hasGc;
    for (let p = u32[(head >>> 2) + O_GC_NEXT] as number; p !== head; p = u32[(p >>> 2) + O_GC_NEXT] as number) {
      const id = u32[(p >>> 2) + O_TYPE] as number;
      const refs = refCount[id] as number;
      const offsets = refWords[id] as number;
      for (let k = 0; k < refs; k++) {
        const target = u32[(p + (refOffsets[offsets + k] as number)) >>> 2] as number;
        if (target === 0) continue;
        const tw = target >>> 2;
        if (hasGc[u32[tw + O_TYPE] as number] === 1 && ((u32[tw + O_GC_FLAGS] as number) & COLLECTING) !== 0) {
          u32[tw + O_GC_REFS] = (u32[tw + O_GC_REFS] as number) - 1;
        }
      }
    }
  }

  /**
   * @internal CPython's `move_unreachable`: one pass over `young` (after
   * {@link Gc._subtractInternal}) that leaves there what is reachable from outside, with its
   * marks cleared, and moves the rest to `unreachable` (flags COLLECTING).
   *
   * An object with gcRefs > 0 is reachable: its referents in the set get gcRefs 1 (they are
   * ahead in `young`, or were passed over and sit on `unreachable` marked TENTATIVE, whence they
   * go back to the tail of `young` to be visited again), and its COLLECTING mark is cleared so
   * nothing visits it twice. An object reached with gcRefs 0 moves to `unreachable` tentatively.
   * No stack: the list is the work queue.
   */
  _moveUnreachable(young: number, unreachable: number): void {
    const u32 = this._mem.u32;
    const refCount = this._refCount;
    const refWords = this._refWords;
    const refOffsets = this._refOffsets;
    const hasGc = this._hasGc;
    const yw = young >>> 2;
    const uw = unreachable >>> 2;
    let p = u32[yw + O_GC_NEXT] as number;
    while (p !== young) {
      const w = p >>> 2;
      const next = u32[w + O_GC_NEXT] as number;
      if ((u32[w + O_GC_REFS] as number) === 0) {
        // Tentatively unreachable: unlink, append to `unreachable`.
        const prev = u32[w + O_GC_PREV] as number;
        u32[(prev >>> 2) + O_GC_NEXT] = next;
        u32[(next >>> 2) + O_GC_PREV] = prev;
        const last = u32[uw + O_GC_PREV] as number;
        u32[w + O_GC_NEXT] = unreachable;
        u32[w + O_GC_PREV] = last;
        u32[(last >>> 2) + O_GC_NEXT] = p;
        u32[uw + O_GC_PREV] = p;
        u32[w + O_GC_FLAGS] = GC_TRACKED | COLLECTING | TENTATIVE;
        p = next;
        continue;
      }
      const id = u32[w + O_TYPE] as number;
      const refs = refCount[id] as number;
      const offsets = refWords[id] as number;
      for (let k = 0; k < refs; k++) {
        const target = u32[(p + (refOffsets[offsets + k] as number)) >>> 2] as number;
        if (target === 0) continue;
        const tw = target >>> 2;
        if (hasGc[u32[tw + O_TYPE] as number] !== 1) continue;
        const flags = u32[tw + O_GC_FLAGS] as number;
        if ((flags & COLLECTING) === 0) continue;
        if ((flags & TENTATIVE) !== 0) {
          // Passed over earlier: back to the tail of `young`, to be visited again.
          const tnext = u32[tw + O_GC_NEXT] as number;
          const tprev = u32[tw + O_GC_PREV] as number;
          u32[(tprev >>> 2) + O_GC_NEXT] = tnext;
          u32[(tnext >>> 2) + O_GC_PREV] = tprev;
          const last = u32[yw + O_GC_PREV] as number;
          u32[tw + O_GC_NEXT] = young;
          u32[tw + O_GC_PREV] = last;
          u32[(last >>> 2) + O_GC_NEXT] = target;
          u32[yw + O_GC_PREV] = target;
          u32[tw + O_GC_FLAGS] = GC_TRACKED | COLLECTING;
          u32[tw + O_GC_REFS] = 1;
        } else if ((u32[tw + O_GC_REFS] as number) === 0) u32[tw + O_GC_REFS] = 1;
      }
      u32[w + O_GC_FLAGS] = GC_TRACKED;
      // Re-read: a referent moved back to the tail may have been this object's successor.
      p = u32[w + O_GC_NEXT] as number;
    }
  }

  /** @internal Marks REACHABLE everything in the set reachable from members with gcRefs > 0. */
  _markReachable(head: number): void {
    const u32 = this._mem.u32;
    const rc = this.rc;
    const refCount = this._refCount;
    const refWords = this._refWords;
    const refOffsets = this._refOffsets;
    const hasGc = this._hasGc;
    let stack = rc._stack;
    const base = rc._top;
    let top = base;
    for (let p = u32[(head >>> 2) + O_GC_NEXT] as number; p !== head; p = u32[(p >>> 2) + O_GC_NEXT] as number) {
      const w = p >>> 2;
      if ((u32[w + O_GC_REFS] as number) > 0 && ((u32[w + O_GC_FLAGS] as number) & REACHABLE) === 0) {
        u32[w + O_GC_FLAGS] = (u32[w + O_GC_FLAGS] as number) | REACHABLE;
        if (top === stack.length) {
          rc._top = top;
          stack = rc._growStack();
        }
        stack[top++] = p;
        while (top > base) {
          const q = stack[--top] as number;
          const id = u32[(q >>> 2) + O_TYPE] as number;
          const refs = refCount[id] as number;
          const offsets = refWords[id] as number;
          for (let k = 0; k < refs; k++) {
            const target = u32[(q + (refOffsets[offsets + k] as number)) >>> 2] as number;
            if (target === 0) continue;
            const tw = target >>> 2;
            if (hasGc[u32[tw + O_TYPE] as number] !== 1) continue;
            const flags = u32[tw + O_GC_FLAGS] as number;
            if ((flags & COLLECTING) === 0 || (flags & REACHABLE) !== 0) continue;
            u32[tw + O_GC_FLAGS] = (u32[tw + O_GC_FLAGS] as number) | REACHABLE;
            if (top === stack.length) {
              rc._top = top;
              stack = rc._growStack();
            }
            stack[top++] = target;
          }
        }
      }
    }
    rc._top = base;
  }

  /**
   * @internal Refreshes the per-type tables the passes index by type id, read from the registry
   * once per collection (the arrays are reused while the number of types fits): ref-field
   * count, word index of the ref offsets, header bytes, whether objects carry gc links (only
   * those have gcFlags to test) and whether the type declared a finalizer.
   */
  _prepareTypes(): void {
    const u32 = this._mem.u32;
    const count = this.rc._typeCount();
    let any = 0;
    if (this._refCount.length <= count) {
      const size = Math.max(count + 1, this._refCount.length * 2);
      this._refCount = new Uint32Array(size);
      this._refWords = new Uint32Array(size);
      this._headerBytes = new Uint32Array(size);
      this._hasGc = new Uint8Array(size);
      this._hasFinalizer = new Uint8Array(size);
    }
    let fields = 0;
    for (let id = 1; id <= count; id++) fields += u32[this._record(id) + T_REF_COUNT] as number;
    if (this._refOffsets.length < fields) this._refOffsets = new Int32Array(Math.max(fields, this._refOffsets.length * 2));
    let at = 0;
    for (let id = 1; id <= count; id++) {
      const rec = this._record(id);
      const refs = u32[rec + T_REF_COUNT] as number;
      const words = (u32[rec + T_REFS] as number) >>> 2;
      this._refCount[id] = refs;
      this._refWords[id] = at;
      for (let k = 0; k < refs; k++) this._refOffsets[at++] = u32[words + k] as number;
      this._headerBytes[id] = u32[rec + T_HEADER_BYTES] as number;
      this._hasGc[id] = (u32[rec + T_HEADER_BYTES] as number) > 16 ? 1 : 0;
      this._hasFinalizer[id] = ((u32[rec + T_FLAGS] as number) & TYPE_HAS_FINALIZER) !== 0 ? 1 : 0;
      any |= this._hasFinalizer[id] as number;
    }
    this._anyFinalizer = any;
  }

  /** @internal */
  _record(id: number): number {
    return (((this._mem.u32[this.rc._root + R_TYPES] as number) >>> 2) + id * TYPE_WORDS) | 0;
  }

  /** @internal */
  _unlink(p: number): void {
    const u32 = this._mem.u32;
    const w = p >>> 2;
    const next = u32[w + O_GC_NEXT] as number;
    const prev = u32[w + O_GC_PREV] as number;
    u32[(prev >>> 2) + O_GC_NEXT] = next;
    u32[(next >>> 2) + O_GC_PREV] = prev;
  }

  /** @internal */
  _append(head: number, p: number): void {
    const u32 = this._mem.u32;
    const last = u32[(head >>> 2) + O_GC_PREV] as number;
    u32[(p >>> 2) + O_GC_NEXT] = head;
    u32[(p >>> 2) + O_GC_PREV] = last;
    u32[(last >>> 2) + O_GC_NEXT] = p;
    u32[(head >>> 2) + O_GC_PREV] = p;
  }

  /** @internal Moves every member of list `from` to the end of list `to`, in O(1). */
  _splice(from: number, to: number): void {
    const u32 = this._mem.u32;
    const first = u32[(from >>> 2) + O_GC_NEXT] as number;
    if (first === from) return;
    const last = u32[(from >>> 2) + O_GC_PREV] as number;
    const tail = u32[(to >>> 2) + O_GC_PREV] as number;
    u32[(tail >>> 2) + O_GC_NEXT] = first;
    u32[(first >>> 2) + O_GC_PREV] = tail;
    u32[(last >>> 2) + O_GC_NEXT] = to;
    u32[(to >>> 2) + O_GC_PREV] = last;
    u32[(from >>> 2) + O_GC_NEXT] = from;
    u32[(from >>> 2) + O_GC_PREV] = from;
  }

  /** @internal Copies list `head` into the scratch array; returns its length. */
  _snapshot(head: number, hold: boolean): number {
    const u32 = this._mem.u32;
    let list = this._scratch;
    let n = 0;
    for (let p = u32[(head >>> 2) + O_GC_NEXT] as number; p !== head; p = u32[(p >>> 2) + O_GC_NEXT] as number) {
      if (n === list.length) list = this._growScratch(n);
      list[n++] = p;
      if (hold) {
        const w = p >>> 2;
        u32[w + O_REFCOUNT] = (u32[w + O_REFCOUNT] as number) + 1;
        u32[w + O_GC_FLAGS] = GC_TRACKED | COLLECTING;
      }
    }
    return n;
  }

  /** @internal Doubles the scratch list, keeping its first `n` entries; returns the new list. */
  _growScratch(n: number): Uint32Array {
    const bigger = new Uint32Array(Math.max(1024, n * 2));
    bigger.set(this._scratch.subarray(0, n));
    this._scratch = bigger;
    return bigger;
  }

  /**
   * @internal Steps 4-5 of a collection when no type has a finalizer: lists the garbage on
   * `head` in the scratch list and clears every ref field of it, in one pass, without temporary
   * holds. A target that is garbage itself (gcFlags COLLECTING) only loses the count, and ends at
   * exactly 0 once all the garbage is cleared (only garbage refers to garbage); an outside target
   * is released as usual, which runs no user code since no type has a finalizer. Returns the
   * number of garbage objects; {@link Gc._freeGarbage} or {@link Gc._releaseGarbage} (bias 0)
   * frees them.
   */
  _clearUnreachable(head: number): number {
    let u32 = this._mem.u32;
    const refCount = this._refCount;
    const refWords = this._refWords;
    const refOffsets = this._refOffsets;
    const hasGc = this._hasGc;
    let list = this._scratch;
    let n = 0;
    for (let p = u32[(head >>> 2) + O_GC_NEXT] as number; p !== head; p = u32[(p >>> 2) + O_GC_NEXT] as number) {
      if (n === list.length) list = this._growScratch(n);
      list[n++] = p;
      const id = u32[(p >>> 2) + O_TYPE] as number;
      const refs = refCount[id] as number;
      const offsets = refWords[id] as number;
      for (let k = 0; k < refs; k++) {
        const at = (p + (refOffsets[offsets + k] as number)) >>> 2;
        const target = u32[at] as number;
        if (target === 0) continue;
        u32[at] = 0;
        const tw = target >>> 2;
        const count = u32[tw + O_REFCOUNT] as number;
        if (count > 1 || (hasGc[u32[tw + O_TYPE] as number] === 1 && ((u32[tw + O_GC_FLAGS] as number) & COLLECTING) !== 0)) {
          u32[tw + O_REFCOUNT] = count - 1;
        } else {
          this._releaseOutside(target);
          u32 = this._mem.u32;
          list = this._scratch;
        }
      }
    }
    return n;
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
    for (let p = u32[(head >>> 2) + O_GC_NEXT] as number; p !== head; p = this._mem.u32[(p >>> 2) + O_GC_NEXT] as number) visit(p);
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
  let gc = detectors.get(rc);
  if (gc === undefined) {
    gc = new Gc(rc);
    detectors.set(rc, gc);
  }
  return gc;
}
