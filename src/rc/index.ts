/**
 * arenalloc/rc: refcounted objects in a heap. Struct types declared from a schema, with C layout
 * and allocation-free field accessors; `retain`/`release` with iterative destruction; `Ref`
 * handles with a generation check, `using` support and a leak safety net; per-type free lists.
 *
 * The core (`arenalloc`) does not import this module: a bundle that uses only `createHeap` carries
 * none of it.
 *
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * import { createRc } from 'arenalloc/rc';
 *
 * const rc = createRc(createHeap());
 * const Node = rc.struct('Node', { value: 'f64', next: { ref: 'Node' } });
 * const a = Node.create();
 * const b = Node.create();
 * Node.fields.next.set(a, b); // a holds b
 * rc.release(b);              // still alive through a
 * rc.release(a);              // frees a, then b
 * ```
 *
 * @module arenalloc/rc
 */

export { ArrayField, BigArrayField, BigField, BoolField, NumberField, RefField } from './fields';
export { createRc, type LeakReport, Rc, type RcOptions, type RcStats } from './rc';
export { type ArrayFieldNames, type ElementOf, Ref, type ScalarFieldNames, type ValueOf } from './ref';
export type { FieldSpec, RefSpec, ScalarKind, Schema } from './schema';
export { type FieldOf, type Fields, type StructOptions, StructType, type TypeStats } from './struct';
