/**
 * Struct schemas: the field kinds a struct type may have, and the C layout they get.
 *
 * Layout follows the C rules every ABI we target agrees on (System V, wasm32): each field is placed
 * at the next offset that is a multiple of its alignment (its element size; `bool` is one byte,
 * `ref` a 4-byte pointer), a fixed array aligns like its element, and the struct's size is rounded
 * up to its largest field alignment. Fields keep the order of the schema, as in C, so
 * {@link StructLayout.toC} prints a declaration that a WASM module compiled from C, Rust
 * (`#[repr(C)]`) or AssemblyScript can share.
 *
 * @module
 */

import { InvalidArgumentError } from '../errors';

/** The scalar field kinds. `i64`/`u64` read and write `bigint`; `bool` is one byte (0 or 1). */
export type ScalarKind = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'f32' | 'f64' | 'bool' | 'i64' | 'u64';

/**
 * One field of a struct schema:
 * - a scalar kind (`'f64'`);
 * - a fixed-length array of a scalar kind (`'f32[4]'`);
 * - `'ref'`: a counted reference to any object (a pointer, 0 for none);
 * - `{ ref: 'Name' }`: a counted reference to objects of the struct type declared under that name
 *   (it may be declared later, or be the type itself).
 */
export type FieldSpec = ScalarKind | `${ScalarKind}[${number}]` | 'ref' | RefSpec;

/** A `ref` field restricted to one struct type. */
export interface RefSpec {
  /** Name of the struct type the field points at (declared before or after, or the type itself). */
  readonly ref: string;
}

/** A struct schema: field names to field kinds, in C declaration order. */
export type Schema = Readonly<Record<string, FieldSpec>>;

/** Bytes and alignment of each scalar kind. */
const SCALAR_SIZE: Readonly<Record<ScalarKind, number>> = {
  i8: 1,
  u8: 1,
  bool: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  f32: 4,
  f64: 8,
  i64: 8,
  u64: 8,
};

const C_NAME: Readonly<Record<ScalarKind, string>> = {
  i8: 'int8_t',
  u8: 'uint8_t',
  bool: 'bool',
  i16: 'int16_t',
  u16: 'uint16_t',
  i32: 'int32_t',
  u32: 'uint32_t',
  f32: 'float',
  f64: 'double',
  i64: 'int64_t',
  u64: 'uint64_t',
};

/** A field after layout. @internal */
export interface FieldLayout {
  readonly name: string;
  /** Element kind, or `'ref'`. */
  readonly kind: ScalarKind | 'ref';
  /** Array length, or 0 for a single value. */
  readonly length: number;
  /** Byte offset inside the payload. */
  readonly offset: number;
  /** Bytes of one element. */
  readonly size: number;
  /** For `{ ref: 'Name' }`: the target type's name; `''` for any object or a scalar. */
  readonly target: string;
}

/** A struct's computed layout. @internal */
export interface StructLayout {
  readonly name: string;
  readonly fields: readonly FieldLayout[];
  /** Payload bytes, rounded up to `align`. */
  readonly size: number;
  /** Largest field alignment (1 for an empty struct). */
  readonly align: number;
  /** Byte offsets of the `ref` fields, in order. */
  readonly refOffsets: readonly number[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ARRAY_SPEC = /^(i8|u8|i16|u16|i32|u32|f32|f64|bool|i64|u64)\[(\d+)\]$/;

/** Lays out a schema with C rules; throws `InvalidArgumentError` for a bad schema. @internal */
export function layoutOf(name: string, schema: Schema): StructLayout {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new InvalidArgumentError(`a struct name must be a C identifier, got ${JSON.stringify(name)}`);
  }
  if (schema === null || typeof schema !== 'object') throw new InvalidArgumentError('a struct schema must be an object');
  const fields: FieldLayout[] = [];
  const refOffsets: number[] = [];
  let offset = 0;
  let align = 1;
  for (const field of Object.keys(schema)) {
    if (!IDENTIFIER.test(field)) throw new InvalidArgumentError(`${name}.${field}: a field name must be a C identifier`);
    const spec = schema[field] as unknown;
    let kind: ScalarKind | 'ref';
    let length = 0;
    let target = '';
    if (spec === 'ref') {
      kind = 'ref';
    } else if (spec !== null && typeof spec === 'object' && typeof (spec as { ref?: unknown }).ref === 'string') {
      kind = 'ref';
      target = (spec as { ref: string }).ref;
      if (!IDENTIFIER.test(target)) throw new InvalidArgumentError(`${name}.${field}: ref target must be a struct name`);
    } else if (typeof spec === 'string' && spec in SCALAR_SIZE) {
      kind = spec as ScalarKind;
    } else {
      const match = typeof spec === 'string' ? ARRAY_SPEC.exec(spec) : null;
      if (match === null) throw new InvalidArgumentError(`${name}.${field}: unknown field kind ${JSON.stringify(spec)}`);
      kind = match[1] as ScalarKind;
      length = Number(match[2]);
      if (length < 1 || length > 1 << 20) throw new InvalidArgumentError(`${name}.${field}: array length must be 1 to 2^20`);
    }
    const size = kind === 'ref' ? 4 : SCALAR_SIZE[kind];
    offset = (offset + size - 1) & -size;
    if (kind === 'ref') refOffsets.push(offset);
    fields.push({ name: field, kind, length, offset, size, target });
    offset += size * (length === 0 ? 1 : length);
    if (size > align) align = size;
  }
  const size = (offset + align - 1) & -align;
  return { name, fields, size, align, refOffsets };
}

/** The C declaration of a layout. @internal */
export function cDeclaration(layout: StructLayout): string {
  const lines = [`struct ${layout.name} {`];
  for (const f of layout.fields) {
    const type = f.kind === 'ref' ? (f.target === '' ? 'void *' : `struct ${f.target} *`) : `${C_NAME[f.kind]} `;
    const array = f.length === 0 ? '' : `[${f.length}]`;
    lines.push(`  ${type}${f.name}${array}; /* offset ${f.offset} */`);
  }
  lines.push(`}; /* size ${layout.size}, align ${layout.align} */`);
  return lines.join('\n');
}

/** A 32-bit FNV-1a hash of the name and layout, so a re-declared type finds its record again. @internal */
export function fingerprintOf(layout: StructLayout): number {
  const text = `${layout.name}{${layout.fields.map((f) => `${f.name}:${f.kind}[${f.length}]@${f.offset}>${f.target}`).join(',')}}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0 || 1;
}
