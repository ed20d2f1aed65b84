/**
 * Allocation strategies on real traces (issue 18 §4, issue 14 §4): the committed recordings of
 * Debian's jq, sqlite3 and python3 (bench/traces/README.md) replayed through every strategy of
 * `arenalloc/strategies` and, when a C compiler is present, through glibc's malloc by the C
 * replayer (bench/native/replay.c, built here with `gcc -O2`).
 *
 * - Timing: ns/op, the median of interleaved rounds (round 1 of every strategy, then round 2, ...),
 *   each over a fresh allocator with the operations preloaded in typed arrays and only the
 *   operation loop timed (what `arenalloc replay` does); ±rme is the spread of the rounds
 *   (standard deviation / mean). The C replayer does the same in its own process.
 * - Footprint: peak bytes of backing memory, its ratio to the trace's peak live bytes, and the
 *   internal and external fragmentation at that peak (from the verifying pass).
 * - Replay overhead: the same loop over a no-op allocator (malloc returns a constant, free does
 *   nothing), against the fastest strategy on each trace, both the minimum of their rounds.
 *   Target: at most 10%.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createReplayLoop, encodeTrace, parseTrace, replayAll, STRATEGY_NAMES, timeReplay, warmupRounds } from '../dist/strategies.js';
import { atMost, QUICK, withRatios } from './lib/measure.mjs';
import { reportSuite } from './lib/results.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = QUICK ? 2 : 7;
const C_MALLOC = 'glibc malloc (C replayer)';
const REFERENCE = 'heap';

function formatBytes(n) {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

function spread(values) {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return (100 * Math.sqrt(variance)) / mean;
}

/** The C replayer, built once; null (with the reason printed) when there is no compiler. */
function buildNativeReplayer(dir) {
  const out = join(dir, 'replay');
  const built = spawnSync('gcc', ['-O2', '-o', out, join(here, 'native', 'replay.c')], { encoding: 'utf8' });
  if (built.error !== undefined || built.status !== 0) {
    console.log(
      `  note: the C replayer is skipped: gcc ${built.error !== undefined ? 'is not installed' : `failed: ${built.stderr.trim().split('\n')[0]}`}`,
    );
    return null;
  }
  return out;
}

/** An allocator that does nothing: what is left is the replayer's own loop. */
class NoopAllocator {
  name = 'no-op';
  malloc() {
    return 16;
  }
  free() {}
  realloc(ptr) {
    return ptr;
  }
  usableSize() {
    return 0;
  }
  footprint() {
    return 0;
  }
  freeBytes() {
    return 0;
  }
  bytes() {
    return new Uint8Array(0);
  }
  check() {}
}

const work = mkdtempSync(join(os.tmpdir(), 'arenalloc-replay-bench-'));
const native = buildNativeReplayer(work);
const timing = [];
const measurements = [];
const checks = [];
const noopRows = [];
const files = readdirSync(join(here, 'traces'))
  .filter((f) => f.endsWith('.atrace.gz'))
  .sort();
for (const file of files) {
  const bytes = gunzipSync(readFileSync(join(here, 'traces', file)));
  const trace = parseTrace(bytes, file);
  const result = replayAll(trace, STRATEGY_NAMES, { rounds: ROUNDS });
  const rows = result.strategies
    .filter((s) => s.error === undefined)
    .map((s) => ({ name: s.name, nsPerOp: s.nsPerOp, rme: spread(s.roundsNsPerOp), samples: s.roundsNsPerOp.length }));
  if (native !== null) {
    const raw = join(work, file.replace(/\.gz$/, ''));
    writeFileSync(raw, encodeTrace(trace));
    const run = spawnSync(native, [raw, String(ROUNDS)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`the C replayer failed on ${file}: ${run.stderr}`);
    const c = JSON.parse(run.stdout);
    rows.push({ name: C_MALLOC, nsPerOp: c.nsPerOp, rme: spread(c.rounds), samples: c.rounds.length });
  }
  const failed = result.strategies.filter((s) => s.error !== undefined).map((s) => `${s.name}: ${s.error}`);
  timing.push({
    title: `${file}: ${result.ops} ops, peak live ${formatBytes(result.peakLiveBytes)} in ${result.peakLiveBlocks} blocks (ns/op, median of ${ROUNDS} rounds)${failed.length > 0 ? `; failed: ${failed.join('; ')}` : ''}`,
    reference: REFERENCE,
    rows: withRatios(rows, REFERENCE),
  });
  measurements.push({
    title: `${file}: footprint and fragmentation at the peak of live bytes`,
    columns: ['strategy', 'peak footprint', 'footprint / peak live', 'internal frag.', 'external frag.', 'verified'],
    rows: result.strategies.map((s) =>
      s.error !== undefined
        ? [s.name, 'error', '-', '-', '-', 'no']
        : [
            s.name,
            formatBytes(s.peakFootprint),
            `${s.footprintRatio.toFixed(2)}×`,
            formatBytes(s.internalFragmentation),
            formatBytes(s.externalFragmentation),
            s.verified ? 'yes' : 'NO',
          ],
    ),
  });
  // The replayer's own cost: the same loop (a fresh copy, as each strategy gets) over a no-op
  // allocator, warmed up as replayAll warms up each strategy. Both sides are the minimum over
  // their rounds (the no-op side over as many rounds as make about 200,000 operations per timed
  // round of a strategy): a round of a short trace lasts a fraction of a millisecond, and on a
  // shared machine the median of a few such rounds measures the machine's other jobs.
  const loop = createReplayLoop();
  const repeats = warmupRounds(trace.length);
  for (let w = 0; w < repeats; w++) timeReplay(trace, new NoopAllocator(), loop);
  const noop = [];
  for (let r = 0; r < ROUNDS * repeats; r++) noop.push(timeReplay(trace, new NoopAllocator(), loop) / trace.length);
  const timed = result.strategies.filter((s) => s.error === undefined);
  const fastest = timed.reduce((best, s) => (Math.min(...s.roundsNsPerOp) < Math.min(...best.roundsNsPerOp) ? s : best));
  const fastestMin = Math.min(...fastest.roundsNsPerOp);
  noopRows.push([file, `${Math.min(...noop).toFixed(2)}`, `${fastest.name} ${fastestMin.toFixed(1)}`]);
  checks.push(
    atMost(
      `${file}: replay loop over a no-op allocator / fastest strategy (${fastest.name}), min of rounds`,
      (100 * Math.min(...noop)) / fastestMin,
      10,
      '%',
    ),
  );
}
measurements.push({
  title: 'Replay overhead: the loop over a no-op allocator (ns/op, min of rounds)',
  columns: ['trace', 'no-op loop', 'fastest strategy (min)'],
  rows: noopRows,
});
rmSync(work, { recursive: true, force: true });

reportSuite({
  suite: 'replay',
  title: 'Allocation strategies on real traces (arenalloc/strategies, arenalloc replay)',
  timing,
  measurements,
  checks,
  notes: [
    'Traces: bench/traces/README.md (jq, sqlite3 and python3 from Debian, recorded with the LD_PRELOAD shim of `arenalloc record`).',
    'The C replayer runs in its own process; glibc keeps its memory between rounds, so after the first round it runs warm, where every JS strategy starts each round from a fresh buffer.',
  ],
});
