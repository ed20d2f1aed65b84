/**
 * The heap lock of a threaded heap: a word of the thread table, taken and released with
 * `Atomics` (Drepper's three-state mutex, "Futexes Are Tricky", 2011): 0 free, 1 held, 2 held
 * with waiters. The structure is described in `./layout.ts`.
 *
 * @internal
 * @module
 */

import type { Memory } from '../memory/store';
import { LOCK_SPINS } from './layout';

/** Takes the lock at Int32 index `at` of `mem`: one compare-and-swap when it is free. */
export function lock(mem: Memory, at: number, canBlock: boolean): void {
  if (Atomics.compareExchange(mem.i32, at, 0, 1) !== 0) lockSlow(mem, at, canBlock);
  // Another thread may have grown the store while it held the lock: bind the views to all of it.
  mem.refresh();
}

function lockSlow(mem: Memory, at: number, canBlock: boolean): void {
  const i32 = mem.i32;
  for (let spin = 0; spin < LOCK_SPINS; spin++) {
    if (Atomics.load(i32, at) === 0 && Atomics.compareExchange(i32, at, 0, 1) === 0) return;
  }
  // Say there is a waiter (2) and sleep until the holder's release notifies; a thread that may
  // not block (a browser's main thread) keeps trying instead.
  while (Atomics.exchange(i32, at, 2) !== 0) {
    if (canBlock) Atomics.wait(i32, at, 2);
  }
}

/** Releases the lock at Int32 index `at`, waking one waiter if there is one. */
export function unlock(mem: Memory, at: number): void {
  if (Atomics.exchange(mem.i32, at, 0) === 2) Atomics.notify(mem.i32, at, 1);
}

/** Whether this thread may block in `Atomics.wait` (not a browser's main thread), probed on a word that is 0. */
export function mayBlock(mem: Memory, zeroWord: number): boolean {
  try {
    Atomics.wait(mem.i32, zeroWord, 1, 0);
    return true;
  } catch {
    return false;
  }
}
