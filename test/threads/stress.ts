// The main-thread side of the threaded-heap stress: creates the heap (1 MiB, growing past
// 64 MiB during the run), starts one worker per role, and at every barrier (all workers parked)
// runs check(); retires the workers named for a round (they close, a new worker joins and
// inherits their live blocks); at the end has every role free everything and checks the heap is
// empty. Shared by stress.test.ts and mutants.test.ts.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createHeap, type Heap } from '../../src/index';
import '../../src/threads/index';
import {
  ARRIVED,
  COMMAND,
  CONTINUE,
  controlWords,
  DRAIN,
  FAILED,
  GO,
  RETIRE,
  STOP,
  type StressData,
  type StressReport,
} from './stress-protocol';

export interface StressOptions {
  workerFile: string;
  roles: number;
  rounds: number;
  opsPerRound: number;
  seed: number;
  mutant: number;
  /** Round → role whose worker retires after that round (a new one joins in its place). */
  retire: Map<number, number>;
  timeoutMs: number;
  ballastStep: number;
}

export interface StressResult {
  error: string | undefined;
  maxStoreBytes: number;
  checks: number;
  ops: number;
  remoteFrees: number;
  joins: number;
}

export const STRESS_WORKER = join(__dirname, 'stress-worker.ts');

export async function runStress(o: StressOptions): Promise<StressResult> {
  const heap: Heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 512 << 20 });
  const ctl = new Int32Array(new SharedArrayBuffer(controlWords(o.roles) * 4));
  const deadline = Date.now() + o.timeoutMs;
  const result: StressResult = { error: undefined, maxStoreBytes: 0, checks: 0, ops: 0, remoteFrees: 0, joins: 0 };
  const workers = new Map<number, Worker>();
  const reports = new Map<number, (r: StressReport) => void>();
  let failure: string | undefined;
  const fail = (why: string) => {
    failure ??= why;
    Atomics.store(ctl, FAILED, 1);
  };
  const start = (role: number, inherited: number[]) => {
    const data: StressData = {
      buffer: heap.buffer as SharedArrayBuffer,
      control: ctl.buffer as SharedArrayBuffer,
      role,
      roles: o.roles,
      seed: o.seed * 1000 + role * 17 + result.joins * 7919,
      opsPerRound: o.opsPerRound,
      ballastStep: o.ballastStep,
      inherited,
      mutant: o.mutant,
    };
    const w = new Worker(o.workerFile, { workerData: data });
    result.joins++;
    workers.set(role, w);
    w.on('message', (r: StressReport) => {
      result.ops += r.ops;
      result.remoteFrees += r.remoteFrees;
      if (r.error !== undefined) fail(`role ${role}: ${r.error}`);
      reports.get(role)?.(r);
    });
    w.on('error', (e) => fail(`role ${role} crashed: ${e.message}`));
  };
  const report = (role: number) => new Promise<StressReport>((resolve) => reports.set(role, resolve));
  const arrivals = async (): Promise<void> => {
    for (;;) {
      const n = Atomics.load(ctl, ARRIVED);
      if (Atomics.load(ctl, FAILED) !== 0 && failure === undefined) {
        // A worker failed: its report (with the error) is on its way.
        await new Promise((r) => setTimeout(r, 200));
        throw new Error(failure ?? 'a worker failed without a report');
      }
      if (n >= o.roles) return;
      if (failure !== undefined) throw new Error(failure);
      if (Date.now() > deadline) throw new Error(`timed out waiting for the workers at a barrier (${n} of ${o.roles} arrived)`);
      const waited = Atomics.waitAsync(ctl, ARRIVED, n, 200);
      if (waited.async) await waited.value;
    }
  };
  const release = () => {
    Atomics.store(ctl, ARRIVED, 0);
    Atomics.add(ctl, GO, 1);
    Atomics.notify(ctl, GO);
  };
  const check = () => {
    heap.check();
    result.checks++;
    result.maxStoreBytes = Math.max(result.maxStoreBytes, heap.buffer.byteLength);
  };
  try {
    for (let role = 0; role < o.roles; role++) start(role, []);
    for (let round = 0; round < o.rounds; round++) {
      await arrivals();
      check();
      const retiring = o.retire.get(round);
      for (let role = 0; role < o.roles; role++) ctl[COMMAND + role] = role === retiring ? RETIRE : CONTINUE;
      const retired = retiring === undefined ? undefined : report(retiring);
      release();
      if (retiring !== undefined && retired !== undefined) {
        const last = await Promise.race([retired, new Promise<undefined>((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
        if (last === undefined) throw new Error(`timed out waiting for role ${retiring} to retire`);
        if (failure !== undefined) throw new Error(failure);
        await workers.get(retiring)?.terminate();
        start(retiring, last.live);
      }
    }
    await arrivals();
    check();
    for (let role = 0; role < o.roles; role++) ctl[COMMAND + role] = DRAIN;
    release();
    await arrivals();
    check();
    const stats = heap.stats();
    if (stats.liveBlocks !== 0 || stats.liveBytes !== 0)
      throw new Error(`after every role freed everything: ${stats.liveBlocks} blocks of ${stats.liveBytes} bytes live`);
    const stopped = [...workers.keys()].map((role) => report(role));
    for (let role = 0; role < o.roles; role++) ctl[COMMAND + role] = STOP;
    release();
    await Promise.race([Promise.all(stopped), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    if (failure !== undefined) throw new Error(failure);
    check();
  } catch (error) {
    result.error = failure ?? (error as Error).message;
  } finally {
    Atomics.store(ctl, FAILED, 1);
    release();
    await Promise.all([...workers.values()].map((w) => w.terminate()));
  }
  return result;
}
