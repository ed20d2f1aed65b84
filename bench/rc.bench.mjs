/**
 * Refcounted objects (issue 4 §6), against plain-JS baselines in the same run:
 *
 * 1. a retain+release pair: `rc.retain(p); rc.release(p)` (checked entries) against a counter in a
 *    JS object (`o.refs++; if (--o.refs === 0) ...`);
 * 2. struct field read and write (`f64`): a generated accessor against a plain JS object property
 *    and a `DataView` over an ArrayBuffer;
 * 3. create + release of a 3-field struct against `new` of a JS class, over a long run with 1,024
 *    objects alive in a ring (each step releases the oldest and creates a new one), so the JS
 *    side pays its garbage collections inside the timing. With and without a free list.
 *
 * Run alone with `node bench/rc.bench.mjs` after `npm run build` (`BENCH_QUICK=1` for a smoke run).
 * Self-contained: benchmark.js calls each case function by reference (no setup/teardown, so it is
 * not decompiled and keeps its closure); each case's loop is re-created from source so that it has
 * call sites of its own.
 */

import { createHeap } from '../dist/index.js';
import { createRc } from '../dist/rc.js';
import { isolated, timeCases, withRatios } from './lib/measure.mjs';
import { reportSuite } from './lib/results.mjs';

const OPS = 1000;
const RING = 1024;

/** Times the cases (each `OPS` operations per call) with the suites' interleaved rounds. */
function time(cases) {
  return timeCases(cases.map((c) => ({ opsPerCall: OPS, ...c })));
}

const timing = [];

/** Keeps a table for the report (printed, and written to RESULTS.md by the runner). */
function table(title, rows, reference) {
  timing.push({ title, reference, rows: withRatios(rows, reference) });
}

function fixture(options = {}) {
  const heap = createHeap({ store: 'fixed', initialBytes: 64 << 20 });
  const rc = createRc(heap);
  const Vec = rc.struct('Vec', { x: 'f64', y: 'f64', z: 'f64' }, options);
  return { heap, rc, Vec };
}

// 1. retain + release
{
  const { rc, Vec } = fixture();
  const p = Vec.create();
  const obj = { refs: 1 };
  const rows = time([
    {
      name: 'arenalloc rc.retain + rc.release',
      fn: isolated((rc, p, n) => () => {
        for (let i = 0; i < n; i++) {
          rc.retain(p);
          rc.release(p);
        }
      })(rc, p, OPS),
    },
    {
      name: 'JS object counter ++/--',
      fn: isolated((o, n) => () => {
        for (let i = 0; i < n; i++) {
          o.refs++;
          if (--o.refs === 0) throw new Error('freed');
        }
      })(obj, OPS),
    },
  ]);
  table('retain + release pair', rows, 'JS object counter ++/--');
}

// 2. field read and write
{
  const { Vec } = fixture();
  const p = Vec.create();
  const x = Vec.fields.x;
  const obj = { x: 0, y: 0, z: 0 };
  const view = new DataView(new ArrayBuffer(64));
  const write = time([
    {
      name: 'arenalloc field.set (f64)',
      fn: isolated((f, p, n) => () => {
        for (let i = 0; i < n; i++) f.set(p, i);
      })(x, p, OPS),
    },
    {
      name: 'JS object property write',
      fn: isolated((o, n) => () => {
        for (let i = 0; i < n; i++) o.x = i;
      })(obj, OPS),
    },
    {
      name: 'DataView setFloat64',
      fn: isolated((v, n) => () => {
        for (let i = 0; i < n; i++) v.setFloat64(8, i, true);
      })(view, OPS),
    },
  ]);
  table('field write', write, 'JS object property write');
  const read = time([
    {
      name: 'arenalloc field.get (f64)',
      fn: isolated((f, p, n) => {
        let s = 0;
        return () => {
          let t = 0;
          for (let i = 0; i < n; i++) t += f.get(p);
          s += t; // one store per call: the loop's sum stays in a register
          return s;
        };
      })(x, p, OPS),
    },
    {
      name: 'JS object property read',
      fn: isolated((o, n) => {
        let s = 0;
        return () => {
          let t = 0;
          for (let i = 0; i < n; i++) t += o.x;
          s += t; // one store per call: the loop's sum stays in a register
          return s;
        };
      })(obj, OPS),
    },
    {
      name: 'DataView getFloat64',
      fn: isolated((v, n) => {
        let s = 0;
        return () => {
          let t = 0;
          for (let i = 0; i < n; i++) t += v.getFloat64(8, true);
          s += t; // one store per call: the loop's sum stays in a register
          return s;
        };
      })(view, OPS),
    },
  ]);
  table('field read', read, 'JS object property read');
}

// 3. create + release of a 3-field struct, 1,024 alive in a ring
{
  class Vec3 {
    constructor(x, y, z) {
      this.x = x;
      this.y = y;
      this.z = z;
    }
  }
  const ringCase = (name, options) => {
    const { rc, Vec } = fixture(options);
    const ring = new Uint32Array(RING);
    for (let i = 0; i < RING; i++) ring[i] = Vec.create();
    return {
      name,
      fn: isolated((rc, Vec, ring, mask, n) => {
        const { x, y, z } = Vec.fields;
        let slot = 0;
        return () => {
          for (let i = 0; i < n; i++) {
            rc.release(ring[slot]);
            const p = Vec.create();
            x.set(p, i);
            y.set(p, 1);
            z.set(p, 2);
            ring[slot] = p;
            slot = (slot + 1) & mask;
          }
        };
      })(rc, Vec, ring, RING - 1, OPS),
    };
  };
  const objects = new Array(RING).fill(null).map(() => new Vec3(0, 0, 0));
  const rows = time([
    ringCase('arenalloc Vec.create + rc.release', {}),
    ringCase('arenalloc, free list of 64', { freeListSize: 64 }),
    {
      name: 'new Vec3 (JS class, GC frees)',
      garbage: true,
      fn: isolated((Vec3, ring, mask, n) => {
        let slot = 0;
        return () => {
          for (let i = 0; i < n; i++) {
            ring[slot] = new Vec3(i, 1, 2);
            slot = (slot + 1) & mask;
          }
        };
      })(Vec3, objects, RING - 1, OPS),
    },
  ]);
  table('create + release a 3-field struct (1,024 alive)', rows, 'new Vec3 (JS class, GC frees)');
}

reportSuite({
  suite: 'rc',
  title: 'Refcounted objects: retain + release, field access, create + release',
  timing,
  notes: [
    'arenalloc runs on a fixed store here (64 MiB); each case is its own function (isolated), so type feedback does not leak between contenders.',
    'create + release keeps 1,024 objects alive in a ring: each step releases the oldest and creates one; the JS class case leaves the freeing to the garbage collector, whose cost is in its figure.',
  ],
});
