/**
 * Deliberately broken variants of the threaded heap, for the stress test's mutation check
 * (`test/threads/mutants.test.ts`): the stress must fail on each of them, or it could not catch
 * the bug it names. Only slow paths test the switch (taking remote frees back, the lock); the
 * owner's fast paths never read it.
 *
 * @internal
 * @module
 */

/** The variants. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler
export const enum Mutant {
  NONE = 0,
  /**
   * The owner, taking remote frees back, clears a word of the pending bitmap with a plain store
   * of 0 instead of an atomic and of the bits it took: a bit another thread set in between is
   * lost (a lost update, the bug class of a compare-and-swap that does not retry).
   */
  LOST_CLEAR = 1,
  /**
   * No re-bind after another thread grew the store (the stress worker switches off
   * `Memory.refresh` for it: every such re-bind goes through that one function).
   */
  NO_REBIND = 2,
  /** A large malloc or free releases the heap lock before TLSF is done with its lists. */
  EARLY_UNLOCK = 3,
}

/** The variant in force in this thread (NONE outside the mutation test). */
export let mutant: Mutant = Mutant.NONE;

/** Switches in a broken variant for this thread. Test-only. @internal */
export function setThreadsMutant(variant: Mutant): void {
  mutant = variant;
}
