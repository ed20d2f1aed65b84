/**
 * The `Ref` safety net: making handles, and reporting the ones dropped while they still hold
 * references.
 *
 * A handle's state (`HandleState`: the pointer, the serial it was made for, the references it
 * holds, where it was made) is a plain object that both the `Ref` and the layer's
 * `FinalizationRegistry` point at; the registry holds the state, never the handle, so dropping the
 * handle lets it be collected. When it is collected while `holds > 0`, {@link reportLeak} runs:
 * it reports the leak (to `onLeak`, or `console.warn`), and with `releaseLeaked` releases what the
 * handle held, if its object is still the one it was made for. A handle released to 0 unregisters
 * itself, so a balanced handle costs the registry nothing when it dies.
 *
 * Where a handle was made: the allocation site that `arenalloc/profile` tracing recorded for the
 * object's block, else (with `traceHandles`) a stack captured when the handle is made, else
 * nothing. The generation check itself is the `Ref`'s (`ref.ts`).
 *
 * @internal
 * @module
 */

import { tracerOf } from '../port';
import { O_SERIAL } from './layout';
import type { LeakReport, Rc } from './rc';
import { generationMatches, Ref } from './ref';
import type { StructType } from './struct';

/** What a {@link Ref} handle and the leak safety net share. */
export interface HandleState {
  ptr: number;
  serial: number;
  holds: number;
  site: string | undefined;
  type: string;
}

/** Wraps in a new handle a reference to `ptr` (of `type`) that the caller already owns. */
export function adoptHandle(rc: Rc, ptr: number, type: StructType): Ref {
  const u32 = rc._mem.u32;
  const site =
    tracerOf(rc.heap)?.tracebackOf(ptr - type.headerBytes) ??
    (rc._options.traceHandles === true ? (new Error('handle made here').stack ?? undefined) : undefined);
  const state: HandleState = { ptr, serial: u32[(ptr >>> 2) + O_SERIAL] as number, holds: 1, site, type: type.name };
  const ref = new Ref(type, state);
  rc._registry.register(ref, state, state);
  return ref;
}

/** Called by the layer's `FinalizationRegistry` for a handle that was collected. */
export function reportLeak(rc: Rc, state: HandleState): void {
  const holds = state.holds;
  if (holds <= 0) return;
  const options = rc._options;
  let released = false;
  if (options.releaseLeaked === true && generationMatches(rc, state)) {
    released = true;
    while (state.holds > 0) {
      state.holds--;
      try {
        rc.release(state.ptr);
      } catch {
        released = false;
      }
    }
  }
  const report: LeakReport = { ptr: state.ptr, type: state.type, holds, site: state.site, released };
  const onLeak = options.onLeak;
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
