/**
 * Struct types: a declared schema's layout, its field accessors, and its object factory.
 *
 * @module
 */

import { InvalidArgumentError } from '../errors';
import { ArrayField, BigArrayField, BigField, BoolField, type NumberField, numberField, RefField } from './fields';
import { trimFreeList } from './freelist';
import { adoptHandle } from './handles';
import { GC_HEADER, OBJECT_HEADER, T_FREE_LENGTH, T_FREE_MAX, T_HITS, T_LIVE, T_MISSES } from './layout';
import { createObject } from './object';
import type { Rc } from './rc';
import type { Ref } from './ref';
import { recordOf } from './registry';
import { cDeclaration, type RefSpec, type Schema, type StructLayout } from './schema';

/** The accessor a field spec produces. */
export type FieldOf<F> = F extends 'i64' | 'u64'
  ? BigField
  : F extends 'bool'
    ? BoolField
    : F extends 'ref' | RefSpec
      ? RefField
      : F extends `${'i64' | 'u64'}[${number}]`
        ? BigArrayField
        : F extends `${string}[${number}]`
          ? ArrayField
          : NumberField;

/** The accessors of a schema's fields, by name. */
export type Fields<S extends Schema> = { readonly [K in keyof S]: FieldOf<S[K]> };

/** Options of {@link Rc.struct}. */
export interface StructOptions {
  /**
   * Called once with the object's pointer when its refcount reaches zero, before its `ref` fields
   * are released and its block freed. It may read the fields, release other objects, and
   * resurrect the object by retaining it (it is then not freed, and the finalizer does not run
   * again). Finalizers are JS functions: after `Heap.attach`, declare the type again with its
   * finalizer, or objects of it are freed without one.
   * @defaultValue none
   */
  finalizer?: (ptr: number) => void;
  /**
   * Declares that objects of this type never take part in a reference cycle, so the cycle
   * detector (`arenalloc/gc`) never tracks them. Ignored for types without `ref` fields, which
   * are never tracked anyway.
   * @defaultValue `false`
   */
  acyclic?: boolean;
  /**
   * Size of the type's free list: up to this many freed objects are kept and handed out again
   * by `create` without touching the allocator. MUST be an integer from 0 to 2^20.
   * @defaultValue `0` (no free list)
   */
  freeListSize?: number;
}

/** Free-list and population figures of one struct type. */
export interface TypeStats {
  /** Type name. */
  name: string;
  /** Objects of the type alive now (not counting those parked on its free list). */
  live: number;
  /** Objects parked on the free list. */
  freeListLength: number;
  /** Free-list capacity. */
  freeListSize: number;
  /** `create` calls served from the free list. */
  hits: number;
  /** `create` calls that found the free list (enabled but) empty. */
  misses: number;
}

/**
 * A struct type: its layout, field accessors, and object factory. Declare one with
 * {@link Rc.struct}.
 */
export class StructType<S extends Schema = Schema> {
  /** The type's id in the heap's registry (stable across `Heap.attach`). */
  readonly id: number;
  /** The struct's name (a C identifier). */
  readonly name: string;
  /** Payload bytes (C `sizeof`). */
  readonly size: number;
  /** Payload alignment (C `alignof`). */
  readonly align: number;
  /** Header bytes in front of each object's payload: 16, or 32 for types with `ref` fields. */
  readonly headerBytes: number;
  /** Field accessors by name. */
  readonly fields: Fields<S>;
  /** The refcounting layer the type belongs to. */
  readonly rc: Rc;
  /** @internal */
  readonly _layout: StructLayout;
  /** @internal */
  readonly _finalizer: ((ptr: number) => void) | null;
  /** @internal */
  readonly _refFields: RefField[];

  /** @internal Use {@link Rc.struct}. */
  constructor(rc: Rc, id: number, layout: StructLayout, options: StructOptions) {
    this.rc = rc;
    this.id = id;
    this.name = layout.name;
    this.size = layout.size;
    this.align = layout.align;
    this.headerBytes = layout.refOffsets.length > 0 ? OBJECT_HEADER + GC_HEADER : OBJECT_HEADER;
    this._layout = layout;
    this._finalizer = options.finalizer ?? null;
    this._refFields = [];
    const mem = rc._mem;
    const views = rc._views;
    const fields: Record<string, unknown> = {};
    for (const f of layout.fields) {
      let accessor: unknown;
      if (f.kind === 'ref') {
        const ref = new RefField(rc, f.offset, f.target, id);
        this._refFields.push(ref);
        accessor = ref;
      } else if (f.kind === 'bool' && f.length === 0) accessor = new BoolField(mem, f.offset);
      else if (f.kind === 'i64' || f.kind === 'u64') {
        const element = new BigField(mem, views, f.offset, f.kind === 'i64');
        accessor = f.length === 0 ? element : new BigArrayField(new BigField(mem, views, f.offset, f.kind === 'i64'), f.offset, f.length);
      } else {
        const element = numberField(mem, views, f.offset, NUMBER_KIND[f.kind] as number);
        accessor = f.length === 0 ? element : new ArrayField(element, f.offset, f.length, f.size);
      }
      fields[f.name] = accessor;
    }
    this.fields = Object.freeze(fields) as Fields<S>;
  }

  /**
   * Creates an object with every field zero and a refcount of 1 (the caller's reference).
   *
   * @returns the object's pointer (its payload address)
   * @throws `OutOfMemoryError` when the heap cannot grow; nothing changes
   * @example
   * ```ts
   * const p = Point.create();
   * Point.fields.x.set(p, 1.5);
   * rc.release(p);
   * ```
   */
  create(): number {
    return createObject(this.rc, this.id, this.size, this.headerBytes);
  }

  /** Creates an object and wraps its one reference in a {@link Ref} handle. */
  createRef(): Ref<S> {
    const ptr = this.create();
    return adoptHandle(this.rc, ptr, this as unknown as StructType) as Ref<S>;
  }

  /**
   * The C declaration of the struct (payload only; the header lies before the pointer), for a
   * WASM module (wasm32) that shares the objects. `ref` fields are 32-bit pointers.
   */
  toC(): string {
    return cDeclaration(this._layout);
  }

  /**
   * Sets how many freed objects of this type are kept for reuse (0 turns the free list off and
   * frees what it held).
   * @throws `InvalidArgumentError` for a size that is not an integer from 0 to 2^20
   */
  setFreeListSize(size: number): void {
    if (typeof size !== 'number' || size >>> 0 !== size || size > 1 << 20) {
      throw new InvalidArgumentError(`free-list size must be an integer from 0 to 2^20, got ${String(size)}`);
    }
    const u32 = this.rc._mem.u32;
    u32[recordOf(u32, this.rc._root, this.id) + T_FREE_MAX] = size;
    trimFreeList(this.rc, this.id, size);
  }

  /** Frees every object parked on the type's free list. */
  clearFreeList(): void {
    trimFreeList(this.rc, this.id, 0);
  }

  /** This type's population and free-list figures. */
  stats(): TypeStats {
    const u32 = this.rc._mem.u32;
    const rec = recordOf(u32, this.rc._root, this.id);
    return {
      name: this.name,
      live: u32[rec + T_LIVE] as number,
      freeListLength: u32[rec + T_FREE_LENGTH] as number,
      freeListSize: u32[rec + T_FREE_MAX] as number,
      hits: u32[rec + T_HITS] as number,
      misses: u32[rec + T_MISSES] as number,
    };
  }
}

const NUMBER_KIND: Readonly<Record<string, number>> = { u8: 0, bool: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, f64: 7 };
