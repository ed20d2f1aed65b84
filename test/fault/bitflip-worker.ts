// One bit-flip trial, run in a worker thread by bitflip.test.ts so that a hang can be cut off:
// attach the damaged copy, then every layer's check. Posts what happened; never throws.
import { parentPort, workerData } from 'node:worker_threads';
import { createGc } from '../../src/gc/index';
import { ArenallocError, Heap } from '../../src/index';
import { createRc } from '../../src/rc/index';
// heap.check() runs before any layer is set up: load the integrity walk first.
import '../../src/inspect/index';

interface Trial {
  bytes: ArrayBuffer;
  holds: [number, number][];
  tracked: number;
}

const { bytes, holds, tracked } = workerData as Trial;
let outcome: { kind: 'clean' } | { kind: 'typed'; code: string } | { kind: 'engine'; name: string; message: string };
try {
  const heap = Heap.attach(bytes);
  heap.check();
  const rc = createRc(heap);
  rc.checkObjects(new Map(holds));
  const gc = createGc(rc);
  const count = gc.check();
  if (count !== tracked) throw new Error(`gc.check() counted ${count} tracked objects, expected ${tracked}`);
  outcome = { kind: 'clean' };
} catch (error) {
  outcome =
    error instanceof ArenallocError
      ? { kind: 'typed', code: error.code }
      : { kind: 'engine', name: (error as Error)?.name ?? typeof error, message: String((error as Error)?.message ?? error) };
}
parentPort?.postMessage(outcome);
