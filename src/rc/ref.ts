/**
 * `Ref` handles: JS objects that own references to a heap object, for code that prefers safety
 * and ergonomics to raw speed.
 *
 * A handle remembers the object's serial (its generation). Every access checks that the block
 * still holds that object with a live refcount, so a handle whose object was destroyed (by an
 * unbalanced `release` elsewhere) and whose block now belongs to another object throws
 * `ERR_USE_AFTER_FREE` instead of reading the new owner's data.
 *
 * ```
 *  Ref ──▶ HandleState { ptr, serial, holds, site } ◀── FinalizationRegistry (held value)
 * ```
 *
 * The registry holds the state, never the handle, so dropping the handle lets it be collected;
 * if it still held references then, the safety net reports it (and can release them).
 *
 * @module
 */

import { describeValue, InvalidArgumentError, UseAfterFreeError } from '../errors';
import type { ArrayField, BigArrayField } from './fields';
import type { HandleState } from './handles';
import { O_REFCOUNT, O_SERIAL } from './layout';
import type { Rc } from './rc';
import type { ScalarKind, Schema } from './schema';
import type { StructType } from './struct';

declare global {
  interface SymbolConstructor {
    /**
     * The well-known symbol of explicit resource management (`using`). Declared here, exactly as
     * the `esnext.disposable` lib declares it, so that {@link Ref}'s types compile for programs
     * whose libs predate it. Node 20 and current browsers define it at run time.
     */
    readonly dispose: unique symbol;
  }
}

/** The JS value type of a (non-array) field spec. */
export type ValueOf<F> = F extends 'i64' | 'u64' ? bigint : F extends 'bool' ? boolean : number;

/** The names of a schema's single-valued (non-array) fields. */
export type ScalarFieldNames<S extends Schema> = { [K in keyof S]: S[K] extends `${ScalarKind}[${number}]` ? never : K }[keyof S];

/** The names of a schema's array fields. */
export type ArrayFieldNames<S extends Schema> = { [K in keyof S]: S[K] extends `${ScalarKind}[${number}]` ? K : never }[keyof S];

/** The element value type of an array field spec. */
export type ElementOf<F> = F extends `${'i64' | 'u64'}[${number}]` ? bigint : number;

/**
 * A handle that owns references to one object. Made by `StructType.createRef()` or
 * `Rc.handle(ptr)`, it starts with one reference; `retain()` adds one, `release()` drops one, and
 * `[Symbol.dispose]` drops all it still holds, so `using` releases the object at scope end.
 *
 * @example
 * ```ts
 * {
 *   using p = Point.createRef();
 *   p.set('x', 1);
 * } // released here
 * ```
 */
export class Ref<S extends Schema = Schema> {
  /** The object's struct type. */
  readonly type: StructType<S>;
  /** @internal */
  readonly _state: HandleState;

  /** @internal Use `StructType.createRef` or `Rc.handle`. */
  constructor(type: StructType<S>, state: HandleState) {
    this.type = type;
    this._state = state;
  }

  /**
   * The object's pointer, after the generation check.
   * @throws `UseAfterFreeError` when the handle was released or its object destroyed
   */
  get ptr(): number {
    return this._check();
  }

  /** References this handle still holds (0 once released). */
  get holds(): number {
    return this._state.holds;
  }

  /** Whether the handle holds a reference and its object is still the one it was made for. */
  get alive(): boolean {
    return this._state.holds > 0 && generationMatches(this.type.rc, this._state);
  }

  /**
   * Reads a field.
   * @throws `UseAfterFreeError` as {@link Ref.ptr}
   */
  get<K extends ScalarFieldNames<S>>(name: K): ValueOf<S[K]> {
    const ptr = this._check();
    return (this._field(name, false) as unknown as { get(ptr: number): ValueOf<S[K]> }).get(ptr);
  }

  /**
   * Writes a field (a `ref` field takes a pointer or another handle, or 0 / null to clear it).
   * @throws `UseAfterFreeError` as {@link Ref.ptr}
   */
  set<K extends ScalarFieldNames<S>>(name: K, value: ValueOf<S[K]> | Ref | null): void {
    const field = this._field(name, false);
    const ptr = this._check();
    const v = value === null ? 0 : value instanceof Ref ? value._check() : value;
    (field as unknown as { set(ptr: number, v: unknown): void }).set(ptr, v);
  }

  /** Reads element `index` of an array field. @throws `UseAfterFreeError` as {@link Ref.ptr} */
  getAt<K extends ArrayFieldNames<S>>(name: K, index: number): ElementOf<S[K]> {
    const ptr = this._check();
    return (this._field(name, true) as unknown as ArrayField | BigArrayField).get(ptr, index) as ElementOf<S[K]>;
  }

  /** Writes element `index` of an array field. @throws `UseAfterFreeError` as {@link Ref.ptr} */
  setAt<K extends ArrayFieldNames<S>>(name: K, index: number, value: ElementOf<S[K]>): void {
    const ptr = this._check();
    (this._field(name, true) as unknown as { set(ptr: number, i: number, v: unknown): void }).set(ptr, index, value);
  }

  /** Adds a reference, owned by this handle. @throws `UseAfterFreeError` as {@link Ref.ptr} */
  retain(): this {
    const ptr = this._check();
    this.type.rc.retain(ptr);
    this._state.holds++;
    return this;
  }

  /**
   * Drops one of this handle's references (the object is destroyed if it was the last one).
   * @throws `UseAfterFreeError` when the handle holds none or its object is gone
   */
  release(): void {
    const ptr = this._check();
    const state = this._state;
    state.holds--;
    if (state.holds === 0) this.type.rc._registry.unregister(state);
    this.type.rc.release(ptr);
  }

  /** Drops every reference the handle still holds; does nothing on a released handle. */
  [Symbol.dispose](): void {
    while (this._state.holds > 0) this.release();
  }

  /** @internal The accessor of field `name` (an array field if `array`), or an `InvalidArgumentError` naming it. */
  _field(name: unknown, array: boolean): unknown {
    const fields = this.type.fields as unknown as Record<string, unknown>;
    const field = typeof name === 'string' && Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (field === undefined || (typeof field === 'object' && field !== null && 'length' in field) !== array) {
      throw new InvalidArgumentError(
        `${this.type.name} has no ${array ? 'array' : 'single-valued'} field named ${typeof name === 'string' ? name : describeValue(name)}`,
        'name',
      );
    }
    return field;
  }

  /** @internal The generation check. */
  _check(): number {
    const state = this._state;
    if (state.holds <= 0) throw new UseAfterFreeError(`this handle to ${state.type} ${state.ptr} has been released`, state.ptr);
    if (!generationMatches(this.type.rc, state)) {
      throw new UseAfterFreeError(`the ${state.type} object ${state.ptr} this handle refers to has been destroyed`, state.ptr);
    }
    return state.ptr;
  }
}

/**
 * The generation check: whether the block a handle points at still holds the object the handle
 * was made for (same serial, refcount not 0). A destroyed object fails on its refcount, parked or
 * freed; a reused block fails on its new owner's serial. @internal
 */
export function generationMatches(rc: Rc, state: HandleState): boolean {
  const ptr = state.ptr;
  const mem = rc._mem;
  mem.reach(ptr);
  const u32 = mem.u32;
  const w = ptr >>> 2;
  return ptr + 4 <= mem.byteLength && u32[w + O_SERIAL] === state.serial && u32[w + O_REFCOUNT] !== 0;
}
