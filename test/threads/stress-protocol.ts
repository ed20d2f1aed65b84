// The shared words of the threaded-heap stress (stress.test.ts, mutants.test.ts, and the worker
// stress-worker.ts): a barrier, a command per role, and one single-producer single-consumer ring
// of blocks from each role to each other role (cross-thread frees pass pointers through them).

/** Int32 indexes of the control buffer. */
export const ARRIVED = 0;
export const GO = 1;
/** Set by a worker that failed, so that the others stop early. */
export const FAILED = 2;
/** Per role: what to do after the barrier. */
export const COMMAND = 8;
export const RINGS = 64;

/** Commands after a barrier. */
export const CONTINUE = 0;
/** Close this thread's place and exit, leaving its live blocks to a successor. */
export const RETIRE = 1;
/** Free everything received and owned, then arrive again. */
export const DRAIN = 2;
/** Close and exit. */
export const STOP = 3;

export const RING_CAPACITY = 512;
/** Words of a ring: head (consumer), tail (producer), then entries of three words. */
export const RING_WORDS = 2 + RING_CAPACITY * 3;

export function controlWords(roles: number): number {
  return RINGS + roles * roles * RING_WORDS;
}

export function ringAt(roles: number, from: number, to: number): number {
  return RINGS + (from * roles + to) * RING_WORDS;
}

/** Pushes (ptr, size, tag) onto a ring; false when it is full. Producer side. */
export function ringPush(ctl: Int32Array, at: number, ptr: number, size: number, tag: number): boolean {
  const head = Atomics.load(ctl, at);
  const tail = ctl[at + 1] as number;
  if (tail - head >= RING_CAPACITY) return false;
  const e = at + 2 + (tail % RING_CAPACITY) * 3;
  ctl[e] = ptr | 0;
  ctl[e + 1] = size;
  ctl[e + 2] = tag;
  Atomics.store(ctl, at + 1, tail + 1);
  return true;
}

/** Pops an entry into `out` (ptr, size, tag); false when the ring is empty. Consumer side. */
export function ringPop(ctl: Int32Array, at: number, out: number[]): boolean {
  const head = ctl[at] as number;
  const tail = Atomics.load(ctl, at + 1);
  if (head === tail) return false;
  const e = at + 2 + (head % RING_CAPACITY) * 3;
  out[0] = (ctl[e] as number) >>> 0;
  out[1] = ctl[e + 1] as number;
  out[2] = ctl[e + 2] as number;
  Atomics.store(ctl, at, head + 1);
  return true;
}

/** What a worker is given. */
export interface StressData {
  buffer: SharedArrayBuffer;
  control: SharedArrayBuffer;
  role: number;
  roles: number;
  seed: number;
  opsPerRound: number;
  /** Bytes of large blocks a role keeps live by round r: (r + 1) × this, up to 8 ×. */
  ballastStep: number;
  /** Blocks a predecessor of this role left live: (ptr, size, tag) triples. */
  inherited: number[];
  mutant: number;
}

/** What a worker posts when it retires or stops (and on failure). */
export interface StressReport {
  role: number;
  live: number[];
  ops: number;
  remoteFrees: number;
  error?: string;
}
