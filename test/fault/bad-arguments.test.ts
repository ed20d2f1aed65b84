// Issue 13 §4 (and item 11): a table-driven bad-argument test over every exported function and
// method of every subpath. Each argument of each entry is replaced in turn by values of the wrong
// type; every call must throw an ArenallocError with a stable code (an InvalidArgumentError names
// the argument) and leave the heap exactly as it was: same bytes, same stats, check() passes.
import { describe, expect, it } from 'vitest';
import * as debugModule from '../../src/debug/index';
import { createDebugHeap, debugLayerOf, enableDebug } from '../../src/debug/index';
import * as gcModule from '../../src/gc/index';
import { createGc, DEBUG_SAVEALL, type Gc } from '../../src/gc/index';
import * as core from '../../src/index';
import { ArenallocError, createHeap, type ErrorCode, Heap, InvalidArgumentError } from '../../src/index';
import * as profileModule from '../../src/profile/index';
import {
  clearTraces,
  Filter,
  formatSize,
  getTraceback,
  getTracebackLimit,
  getTracedMemory,
  heapMap,
  htmlReport,
  isTracing,
  markLeaks,
  measure,
  resetPeak,
  Snapshot,
  start,
  stop,
  Timeline,
  tagType,
  takeSnapshot,
} from '../../src/profile/index';
import * as rcModule from '../../src/rc/index';
import { createRc, type Rc, type Ref, type StructType } from '../../src/rc/index';
import * as threadsModule from '../../src/threads/index';
import { bytesEqual } from '../support/helpers';

// biome-ignore lint/suspicious/noExplicitAny: passing what the types forbid is the point
type Bad = any;

const CODES: readonly ErrorCode[] = [
  'ERR_INVALID_POINTER',
  'ERR_DOUBLE_FREE',
  'ERR_OUT_OF_MEMORY',
  'ERR_INVALID_SIZE',
  'ERR_INVALID_ARGUMENT',
  'ERR_HEAP_CORRUPTED',
  'ERR_USE_AFTER_FREE',
  'ERR_NOT_A_HEAP',
  'ERR_LAYOUT_VERSION',
  'ERR_STALE_VIEW',
];

/** Values of every JS type; each kind of argument below refuses those that are not its type. */
const VALUES: [string, Bad][] = [
  ['undefined', undefined],
  ['null', null],
  ['a string', 'x'],
  ['a numeric string', '64'],
  ['a bigint', 64n],
  ['a symbol', Symbol('s')],
  ['a boolean', true],
  ['an object', {}],
  ['an array', []],
  ['a function', () => 0],
  ['NaN', Number.NaN],
  ['-1', -1],
  ['1.5', 1.5],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['a detached ArrayBuffer', detached()],
];

function detached(): ArrayBuffer {
  const buffer = new ArrayBuffer(64);
  structuredClone(buffer, { transfer: [buffer] });
  return buffer;
}

/** What an argument takes; `bad` lists the values it must refuse. */
interface Kind {
  name: string;
  bad: (label: string, value: Bad) => boolean;
}
const isNumber = (v: Bad) => typeof v === 'number';
const isUint = (v: Bad) => typeof v === 'number' && v >>> 0 === v;
// Arrays are objects: an options argument may be one (its fields are then all absent).
const isObject = (v: Bad) => typeof v === 'object' && v !== null;
const kind = (name: string, bad: (label: string, value: Bad) => boolean): Kind => ({ name, bad });
/** A heap: refuses everything of the list. */
const HEAP = (name = 'heap') => kind(name, () => true);
/** A pointer: refuses every non-uint32 (a uint32 that is no block is another test's business). */
const PTR = (name = 'ptr') => kind(name, (_l, v) => !isUint(v));
/** A uint32 count, size or index. */
const UINT = (name: string) => kind(name, (_l, v) => !isUint(v));
/** An optional uint32 (undefined takes the default). */
const OPT_UINT = (name: string) => kind(name, (_l, v) => v !== undefined && !isUint(v));
const NUMBER = (name: string) => kind(name, (_l, v) => !isNumber(v));
const STRING = (name: string) => kind(name, (_l, v) => typeof v !== 'string');
const FUNCTION = (name: string) => kind(name, (_l, v) => typeof v !== 'function');
/** An optional options object. */
const OPTIONS = (name = 'options') => kind(name, (_l, v) => v !== undefined && !isObject(v));
const BIGINT = (name: string) => kind(name, (_l, v) => typeof v !== 'bigint');
const BOOLEAN = (name: string) => kind(name, (_l, v) => typeof v !== 'boolean');

/** The objects every entry is called on: a heap with each layer and a few live objects. */
interface Fixture {
  heap: Heap;
  rc: Rc;
  gc: Gc;
  Node: StructType;
  Big: StructType;
  node: number;
  other: number;
  ref: Ref;
  block: number;
}

function fixture(traced = false): Fixture {
  // Small, so that comparing every byte after each refused call stays quick.
  const heap = createHeap({ store: 'fixed', initialBytes: 1 << 18 });
  if (traced) start(heap, 2);
  const rc = createRc(heap);
  const gc = createGc(rc);
  gc.disable();
  const Node = rc.struct('Node', { value: 'f64', count: 'u8', flag: 'bool', next: { ref: 'Node' }, items: 'i32[4]' });
  const Big = rc.struct('Big', { wide: 'i64', words: 'u64[2]' });
  const node = Node.create();
  const other = Node.create();
  Node.fields.next.set(node, other);
  const ref = Big.createRef();
  const block = heap.malloc(40);
  return { heap, rc, gc, Node, Big, node, other, ref, block };
}

interface Entry {
  /** `Module.function` or `Class.method`: the completeness check below matches these names. */
  name: string;
  args: Kind[];
  /** Good values for the arguments. */
  good: (f: Fixture) => Bad[];
  call: (f: Fixture, args: Bad[]) => unknown;
  traced?: boolean;
}

const field = (f: Fixture, name: string): Bad => (f.Node.fields as Bad)[name];
const big = (f: Fixture, name: string): Bad => (f.Big.fields as Bad)[name];

const ENTRIES: Entry[] = [
  // ─── core ───
  { name: 'createHeap', args: [OPTIONS()], good: () => [{}], call: (_f, [o]) => createHeap(o) },
  {
    name: 'Heap.attach',
    args: [kind('source', () => true)],
    good: (f) => [f.heap.buffer],
    call: (_f, [s]) => Heap.attach(s),
  },
  ...['malloc', 'tryMalloc'].map((m) => ({
    name: `Heap.${m}`,
    args: [UINT('size')],
    good: () => [8],
    call: (f: Fixture, [s]: Bad[]) => (f.heap as Bad)[m](s),
  })),
  { name: 'Heap.calloc', args: [UINT('count'), UINT('size')], good: () => [2, 8], call: (f, [c, s]) => f.heap.calloc(c, s) },
  {
    name: 'Heap.alignedAlloc',
    args: [UINT('size'), UINT('alignment')],
    good: () => [8, 64],
    call: (f, [s, a]) => f.heap.alignedAlloc(s, a),
  },
  { name: 'Heap.realloc', args: [PTR(), UINT('size')], good: (f) => [f.block, 40], call: (f, [p, s]) => f.heap.realloc(p, s) },
  ...['free', 'usableSize'].map((m) => ({
    name: `Heap.${m}`,
    args: [PTR()],
    good: (f: Fixture) => [f.block],
    call: (f: Fixture, [p]: Bad[]) => (f.heap as Bad)[m](p),
  })),
  {
    // A threaded heap of its own, with a second thread to reclaim (the fixture's heap is not threaded).
    name: 'Heap.reclaim',
    args: [UINT('threadId')],
    good: () => [1],
    call: (_f, [id]) => {
      const threaded = createHeap({ threads: true, initialBytes: 1 << 20 });
      Heap.attach(threaded.buffer);
      return threaded.reclaim(id);
    },
  },
  { name: 'Heap.bytes', args: [PTR(), OPT_UINT('length')], good: (f) => [f.block, 8], call: (f, [p, n]) => f.heap.bytes(p, n) },
  ...['isStale', 'assertFresh'].map((m) => ({
    name: `Heap.${m}`,
    args: [kind('view', () => true)],
    good: (f: Fixture) => [f.heap.bytes(f.block)],
    call: (f: Fixture, [v]: Bad[]) => (f.heap as Bad)[m](v),
  })),
  // ─── rc ───
  { name: 'createRc', args: [HEAP(), OPTIONS()], good: () => [createHeap(), {}], call: (_f, [h, o]) => createRc(h, o) },
  {
    name: 'Rc.struct',
    args: [STRING('name'), kind('schema', (_l, v) => !isObject(v)), OPTIONS()],
    good: () => ['Fresh', { x: 'f64' }, {}],
    call: (f, [n, s, o]) => f.rc.struct(n, s, o),
  },
  { name: 'Rc.typeNamed', args: [STRING('name')], good: () => ['Node'], call: (f, [n]) => f.rc.typeNamed(n) },
  ...['retain', 'release', 'refcount', 'typeOf', 'referents', 'handle'].map((m) => ({
    name: `Rc.${m}`,
    args: [PTR()],
    good: (f: Fixture) => [f.node],
    call: (f: Fixture, [p]: Bad[]) => (f.rc as Bad)[m](p),
  })),
  {
    name: 'Rc.checkObjects',
    args: [kind('holds', (_l, v) => !(v instanceof Map))],
    good: (f) => [
      new Map([
        [f.node, 1],
        [f.other, 1],
        [f.ref.ptr, 1],
      ]),
    ],
    call: (f, [m]) => f.rc.checkObjects(m),
  },
  { name: 'StructType.setFreeListSize', args: [UINT('size')], good: () => [4], call: (f, [s]) => f.Node.setFreeListSize(s) },
  ...(['value', 'count'] as const).map((n) => ({
    name: `NumberField.${n}.set`,
    args: [PTR(), NUMBER('value')],
    good: (f: Fixture) => [f.node, 1],
    call: (f: Fixture, [p, v]: Bad[]) => field(f, n).set(p, v),
  })),
  { name: 'NumberField.get', args: [PTR()], good: (f) => [f.node], call: (f, [p]) => field(f, 'value').get(p) },
  { name: 'BoolField.set', args: [PTR(), BOOLEAN('value')], good: (f) => [f.node, true], call: (f, [p, v]) => field(f, 'flag').set(p, v) },
  { name: 'BoolField.get', args: [PTR()], good: (f) => [f.node], call: (f, [p]) => field(f, 'flag').get(p) },
  { name: 'BigField.set', args: [PTR(), BIGINT('value')], good: (f) => [f.ref.ptr, 1n], call: (f, [p, v]) => big(f, 'wide').set(p, v) },
  { name: 'BigField.get', args: [PTR()], good: (f) => [f.ref.ptr], call: (f, [p]) => big(f, 'wide').get(p) },
  {
    name: 'ArrayField.set',
    args: [PTR(), UINT('index'), NUMBER('value')],
    good: (f) => [f.node, 1, 7],
    call: (f, [p, i, v]) => field(f, 'items').set(p, i, v),
  },
  { name: 'ArrayField.get', args: [PTR(), UINT('index')], good: (f) => [f.node, 1], call: (f, [p, i]) => field(f, 'items').get(p, i) },
  {
    name: 'BigArrayField.set',
    args: [PTR(), UINT('index'), BIGINT('value')],
    good: (f) => [f.ref.ptr, 1, 2n],
    call: (f, [p, i, v]) => big(f, 'words').set(p, i, v),
  },
  { name: 'BigArrayField.get', args: [PTR(), UINT('index')], good: (f) => [f.ref.ptr, 0], call: (f, [p, i]) => big(f, 'words').get(p, i) },
  { name: 'RefField.set', args: [PTR(), PTR('target')], good: (f) => [f.node, f.other], call: (f, [p, t]) => field(f, 'next').set(p, t) },
  { name: 'RefField.get', args: [PTR()], good: (f) => [f.node], call: (f, [p]) => field(f, 'next').get(p) },
  { name: 'Ref.get', args: [kind('name', (_l, v) => v !== 'wide')], good: () => ['wide'], call: (f, [n]) => f.ref.get(n as never) },
  {
    name: 'Ref.set',
    args: [kind('name', (_l, v) => v !== 'wide'), BIGINT('value')],
    good: () => ['wide', 3n],
    call: (f, [n, v]) => f.ref.set(n as never, v),
  },
  {
    name: 'Ref.getAt',
    args: [kind('name', (_l, v) => v !== 'words'), UINT('index')],
    good: () => ['words', 1],
    call: (f, [n, i]) => f.ref.getAt(n as never, i),
  },
  {
    name: 'Ref.setAt',
    args: [kind('name', (_l, v) => v !== 'words'), UINT('index'), BIGINT('value')],
    good: () => ['words', 1, 5n],
    call: (f, [n, i, v]) => f.ref.setAt(n as never, i, v as never),
  },
  // ─── gc ───
  { name: 'createGc', args: [kind('rc', () => true)], good: (f) => [f.rc], call: (_f, [r]) => createGc(r) },
  {
    name: 'Gc.setDebug',
    args: [kind('flags', (_l, v) => v !== 0 && v !== DEBUG_SAVEALL)],
    good: () => [0],
    call: (f, [d]) => f.gc.setDebug(d),
  },
  {
    name: 'Gc.setThreshold',
    args: [UINT('threshold0'), OPT_UINT('threshold1'), OPT_UINT('threshold2')],
    good: () => [700, 10, 10],
    call: (f, [a, b, c]) => f.gc.setThreshold(a, b, c),
  },
  ...['isTracked', 'getReferents', 'getReferrers'].map((m) => ({
    name: `Gc.${m}`,
    args: [PTR()],
    good: (f: Fixture) => [f.node],
    call: (f: Fixture, [p]: Bad[]) => (f.gc as Bad)[m](p),
  })),
  {
    name: 'Gc.collect',
    args: [kind('generation', (_l, v) => v !== undefined && v !== 0 && v !== 1 && v !== 2)],
    good: () => [2],
    call: (f, [g]) => f.gc.collect(g),
  },
  {
    name: 'Gc.callbacks',
    args: [FUNCTION('callback')],
    good: () => [() => {}],
    call: (f, [cb]) => {
      f.gc.callbacks.push(cb);
      try {
        return f.gc.collect();
      } finally {
        f.gc.callbacks.length = 0;
      }
    },
  },
  // ─── profile ───
  {
    name: 'formatSize',
    args: [NUMBER('bytes'), kind('sign', (_l, v) => v !== undefined && typeof v !== 'boolean')],
    good: () => [10, false],
    call: (_f, [b, s]) => formatSize(b, s),
  },
  { name: 'heapMap', args: [HEAP(), OPTIONS()], good: (f) => [f.heap, {}], call: (_f, [h, o]) => heapMap(h, o) },
  { name: 'htmlReport', args: [HEAP(), OPTIONS()], good: (f) => [f.heap, {}], call: (_f, [h, o]) => htmlReport(h, o) },
  { name: 'markLeaks', args: [HEAP(), OPT_UINT('frames')], good: (f) => [f.heap, 1], call: (_f, [h, n]) => markLeaks(h, n), traced: true },
  { name: 'measure', args: [HEAP(), FUNCTION('fn')], good: (f) => [f.heap, () => 0], call: (_f, [h, fn]) => measure(h, fn) },
  { name: 'takeSnapshot', args: [HEAP()], good: (f) => [f.heap], call: (_f, [h]) => takeSnapshot(h), traced: true },
  {
    name: 'start',
    args: [HEAP(), OPT_UINT('frames'), OPTIONS()],
    good: (f) => [f.heap, 2, {}],
    call: (_f, [h, n, o]) => start(h, n, o),
    traced: true,
  },
  ...(
    [
      ['stop', stop],
      ['isTracing', isTracing],
      ['clearTraces', clearTraces],
      ['getTracebackLimit', getTracebackLimit],
      ['getTracedMemory', getTracedMemory],
      ['resetPeak', resetPeak],
    ] as const
  ).map(([name, fn]) => ({
    name,
    args: [HEAP()],
    good: (f: Fixture) => [f.heap],
    call: (_f: Fixture, [h]: Bad[]) => (fn as Bad)(h),
    traced: true,
  })),
  { name: 'getTraceback', args: [HEAP(), PTR()], good: (f) => [f.heap, f.block], call: (_f, [h, p]) => getTraceback(h, p), traced: true },
  {
    name: 'tagType',
    args: [HEAP(), PTR(), kind('name', (_l, v) => typeof v !== 'string' || v.length === 0)],
    good: (f) => [f.heap, f.block, 'T'],
    call: (_f, [h, p, n]) => tagType(h, p, n),
    traced: true,
  },
  { name: 'Timeline', args: [HEAP(), OPTIONS()], good: (f) => [f.heap, {}], call: (_f, [h, o]) => new Timeline(h, o) },
  { name: 'Timeline.mark', args: [STRING('label')], good: () => ['here'], call: (f, [l]) => new Timeline(f.heap).mark(l) },
  {
    name: 'Timeline.start',
    args: [kind('intervalMs', (_l, v) => v !== undefined && !(typeof v === 'number' && v > 0))],
    good: () => [1000],
    call: (f, [ms]) => {
      const t = new Timeline(f.heap);
      try {
        t.start(ms);
      } finally {
        t.stop();
      }
    },
  },
  { name: 'Timeline.toSVG', args: [OPTIONS()], good: () => [{}], call: (f, [o]) => new Timeline(f.heap).toSVG(o) },
  {
    name: 'Filter',
    args: [BOOLEAN('inclusive'), kind('filenamePattern', (_l, v) => typeof v !== 'string' && !(v instanceof RegExp)), OPT_UINT('lineno')],
    good: () => [true, '*.ts', 3],
    call: (_f, [i, p, n]) => new Filter(i, p, n),
  },
  {
    name: 'Snapshot.statistics',
    args: [kind('groupBy', (_l, v) => v !== 'lineno'), kind('cumulative', (_l, v) => v !== undefined && typeof v !== 'boolean')],
    good: () => ['lineno', false],
    call: (f, [g, c]) => takeSnapshot(f.heap).statistics(g, c),
    traced: true,
  },
  {
    name: 'Snapshot.compareTo',
    args: [kind('old', (_l, v) => !(v instanceof Snapshot)), kind('groupBy', (_l, v) => v !== 'lineno')],
    good: (f) => [takeSnapshot(f.heap), 'lineno'],
    call: (f, [o, g]) => takeSnapshot(f.heap).compareTo(o, g),
    traced: true,
  },
  {
    name: 'Snapshot.filterTraces',
    args: [kind('filters', (_l, v) => !Array.isArray(v))],
    good: () => [[]],
    call: (f, [x]) => takeSnapshot(f.heap).filterTraces(x),
    traced: true,
  },
  {
    name: 'Snapshot.fromJSON',
    args: [kind('json', () => true)],
    good: (f) => [takeSnapshot(f.heap).toJSON()],
    call: (_f, [j]) => Snapshot.fromJSON(j),
    traced: true,
  },
  // ─── debug ───
  { name: 'createDebugHeap', args: [OPTIONS()], good: () => [{}], call: (_f, [o]) => createDebugHeap(o) },
  { name: 'enableDebug', args: [HEAP(), OPTIONS()], good: () => [createHeap(), {}], call: (_f, [h, o]) => enableDebug(h, o) },
  { name: 'debugLayerOf', args: [HEAP()], good: (f) => [f.heap], call: (_f, [h]) => debugLayerOf(h) },
];

/**
 * Entries that take no argument (nothing to get wrong); classes whose instances only the library
 * makes; methods that are TypeScript-private or `@internal` (not public, though present at run
 * time); and `Heap.isLive`, a predicate documented never to throw (it answers false).
 */
const NO_ARGUMENTS = new Set([
  'Heap.isLive',
  'Filter.matchFrame',
  'Snapshot.group',
  'Timeline.elapsed',
  'Heap.stats',
  'Heap.debugMallocStats',
  'Heap.check',
  'Heap.trim',
  'Heap.close',
  'Heap.park',
  'Heap.unpark',
  'installThreads',
  'Rc.clearFreeLists',
  'Rc.stats',
  'StructType.create',
  'StructType.createRef',
  'StructType.toC',
  'StructType.clearFreeList',
  'StructType.stats',
  'Ref.retain',
  'Ref.release',
  'Gc.enable',
  'Gc.disable',
  'Gc.isEnabled',
  'Gc.getDebug',
  'Gc.getCount',
  'Gc.getThreshold',
  'Gc.getStats',
  'Gc.freeze',
  'Gc.unfreeze',
  'Gc.getFreezeCount',
  'Gc.clearGarbage',
  'Gc.check',
  'Timeline.sample',
  'Timeline.stop',
  'Snapshot.toJSON',
  'LeakMark.report',
  'LeakReport.toString',
  'LeakMarkReport.toString',
  'Statistic.toString',
  'StatisticDiff.toString',
  'Frame.toString',
  'Traceback.toString',
  'Traceback.format',
  'Filter.matches',
  'Snapshot',
  'Statistic',
  'StatisticDiff',
  'Frame',
  'Traceback',
  'LeakReport',
  'LeakMarkReport',
  'LeakMark',
  'Trace',
  'NumberField',
  'BoolField',
  'BigField',
  'ArrayField',
  'BigArrayField',
  'RefField',
  'Ref',
  'Rc',
  'Gc',
  'StructType',
  'Heap',
]);

/** Core entries whose wording is left to the core (they throw typed errors; the text may not name the argument). */
const CORE_MESSAGES = new Set(['Heap.attach']);

function thrownBy(fn: () => unknown): unknown {
  try {
    const result = fn();
    if (result instanceof Promise) result.catch(() => {});
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The state a failed call must leave alone. */
function state(f: Fixture): { bytes: Uint8Array; stats: string } {
  return {
    bytes: new Uint8Array(f.heap.buffer).slice(),
    stats: JSON.stringify([f.heap.stats(), f.rc.stats(), f.gc.getCount(), f.gc.getStats()]),
  };
}

describe('every entry of every subpath refuses arguments of the wrong type', () => {
  for (const entry of ENTRIES) {
    it(entry.name, () => {
      const f = fixture(entry.traced === true);
      // The good call works (so that a refusal below is about the bad argument).
      const good = entry.good(f);
      for (let i = 0; i < entry.args.length; i++) {
        const arg = entry.args[i] as Kind;
        for (const [label, value] of VALUES) {
          if (!arg.bad(label, value)) continue;
          const args = entry.good(f);
          args[i] = value;
          const before = state(f);
          const error = thrownBy(() => entry.call(f, args));
          const where = `${entry.name}(${arg.name} = ${label})`;
          expect(error, `${where} should throw an ArenallocError`).toBeInstanceOf(ArenallocError);
          expect(CODES, where).toContain((error as ArenallocError).code);
          // The core's own messages (src/memory) are another issue's; the layers name the argument.
          if (error instanceof InvalidArgumentError && !CORE_MESSAGES.has(entry.name)) {
            const named = error.argument === arg.name || error.message.includes(arg.name);
            expect(named, `${where}: "${error.message}" should name ${arg.name}`).toBe(true);
          }
          const after = state(f);
          expect(after.stats, `${where} changed the heap's figures`).toBe(before.stats);
          expect(bytesEqual(after.bytes, before.bytes), `${where} changed the heap's bytes`).toBe(true);
          f.heap.check();
        }
      }
      expect(
        thrownBy(() => entry.call(f, good)),
        `${entry.name} with good arguments`,
      ).toBeUndefined();
    });
  }

  it('the table covers every exported function and public method', () => {
    const covered = new Set([...ENTRIES.map((e) => e.name.replace(/^(NumberField)\.\w+\.set$/, '$1.set')), ...NO_ARGUMENTS]);
    const missing: string[] = [];
    const modules = { core, rc: rcModule, gc: gcModule, profile: profileModule, debug: debugModule, threads: threadsModule };
    for (const [, mod] of Object.entries(modules)) {
      for (const [name, value] of Object.entries(mod)) {
        if (typeof value !== 'function') continue;
        if (/Error$/.test(name)) continue; // error classes: constructed by the library
        const isClass = /^[A-Z]/.test(name);
        if (!isClass && !covered.has(name)) missing.push(name);
        if (!isClass) continue;
        if (!covered.has(name) && !ENTRIES.some((e) => e.name === name)) missing.push(name);
        for (const key of Object.getOwnPropertyNames(value.prototype)) {
          if (key === 'constructor' || key.startsWith('_')) continue;
          const descriptor = Object.getOwnPropertyDescriptor(value.prototype, key);
          if (descriptor?.get !== undefined || typeof descriptor?.value !== 'function') continue;
          if (!covered.has(`${name}.${key}`)) missing.push(`${name}.${key}`);
        }
        for (const key of Object.getOwnPropertyNames(value)) {
          const member = (value as Bad)[key];
          if (typeof member !== 'function' || ['length', 'name', 'prototype'].includes(key)) continue;
          if (!covered.has(`${name}.${key}`)) missing.push(`${name}.${key}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
