/**
 * Recording the allocation trace of a real WebAssembly module (test/wasm/workload.c, its malloc
 * family imported through `arenalloc/wasm`): `recordTrace` on the heap that serves the module
 * sees every call the C code makes, since the imports go through the heap's hooks. The trace then
 * replays through every strategy with every stamped byte intact.
 */
// @browser-skip: the module is read with node:fs (test/wasm/modules.ts)
import { describe, expect, it } from 'vitest';
import { recordTrace, replayAll, STRATEGY_NAMES, traceStats } from '../../src/strategies/index';
import { serve } from '../wasm/modules';

describe('recording a WebAssembly module', () => {
  it('records every malloc-family call of the C workload and replays it through every strategy', () => {
    const { wasm, heap } = serve();
    const recorder = recordTrace(heap);
    const digest = wasm.wl_run(7, 300);
    const trace = recorder.stop();
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0); // the workload frees everything it made
    const stats = traceStats(trace);
    expect(trace.length).toBeGreaterThan(1000);
    expect(stats.peakLiveBytes).toBeGreaterThan(0);
    // The same run again gives the same digest: recording changed nothing the module saw.
    expect(serve().wasm.wl_run(7, 300)).toBe(digest);
    const result = replayAll(
      trace,
      STRATEGY_NAMES.filter((name) => name !== 'bump'),
      { rounds: 1 },
      { initialBytes: 1 << 20, maxBytes: 1 << 26 },
    );
    for (const s of result.strategies) {
      expect(s.error, s.name).toBeUndefined();
      expect(s.verified, s.name).toBe(true);
    }
  });
});
