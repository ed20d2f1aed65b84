/**
 * Snapshots of the traced blocks, and the statistics read from them, like tracemalloc's
 * `Snapshot`, `Statistic`, `StatisticDiff` and `Filter`.
 *
 * @module
 */

import { describeValue, InvalidArgumentError } from '../errors';
import type { Heap } from '../heap';
import { formatSigned, formatSize } from './format';
import { Frame, Traceback } from './stack';
import { requireTracer, Trace } from './tracer';

/**
 * How {@link Snapshot.statistics} groups traces: by the allocating line, by its file, by the
 * whole traceback, or by the type name a layer tagged the block with (refcounted objects).
 */
export type GroupBy = 'lineno' | 'filename' | 'traceback' | 'type';

/** Label of the group of blocks that no layer tagged with a type. */
export const UNTYPED = '<untyped>';

/** The blocks of one group: where (or what type), how many bytes, how many blocks. */
export class Statistic {
  /** The group's site: one frame for `lineno`, a frame with line 0 for `filename`, all frames for `traceback`; `<unknown>:0` for `type`. */
  readonly traceback: Traceback;
  /** The type name for `type` grouping, else undefined. */
  readonly type: string | undefined;
  /** Bytes requested by the group's blocks. */
  readonly size: number;
  /** Number of blocks. */
  readonly count: number;
  /** @internal */
  readonly _label: string;

  /** @internal */
  constructor(label: string, traceback: Traceback, type: string | undefined, size: number, count: number) {
    this._label = label;
    this.traceback = traceback;
    this.type = type;
    this.size = size;
    this.count = count;
  }

  /** `file.ts:42: size=1.2 KiB, count=3, average=400 B` */
  toString(): string {
    const average = this.count > 0 ? `, average=${formatSize(this.size / this.count)}` : '';
    return `${this._label}: size=${formatSize(this.size)}, count=${this.count}${average}`;
  }
}

/** A group's figures in a new snapshot and their change since an old one. */
export class StatisticDiff {
  /** The group's site (see {@link Statistic.traceback}). */
  readonly traceback: Traceback;
  /** The type name for `type` grouping, else undefined. */
  readonly type: string | undefined;
  /** Bytes in the new snapshot. */
  readonly size: number;
  /** Bytes in the new snapshot minus bytes in the old one. */
  readonly sizeDiff: number;
  /** Blocks in the new snapshot. */
  readonly count: number;
  /** Blocks in the new snapshot minus blocks in the old one. */
  readonly countDiff: number;
  /** @internal */
  readonly _label: string;

  /** @internal */
  constructor(
    label: string,
    traceback: Traceback,
    type: string | undefined,
    size: number,
    sizeDiff: number,
    count: number,
    countDiff: number,
  ) {
    this._label = label;
    this.traceback = traceback;
    this.type = type;
    this.size = size;
    this.sizeDiff = sizeDiff;
    this.count = count;
    this.countDiff = countDiff;
  }

  /** `file.ts:42: size=1.2 KiB (+800 B), count=3 (+2), average=400 B` */
  toString(): string {
    const average = this.count > 0 ? `, average=${formatSize(this.size / this.count)}` : '';
    return (
      `${this._label}: size=${formatSize(this.size)} (${formatSize(this.sizeDiff, true)}), ` +
      `count=${this.count} (${formatSigned(this.countDiff)})${average}`
    );
  }
}

/**
 * Keeps or drops traces by the file (and optionally line) of their frames, for
 * {@link Snapshot.filterTraces}. With `inclusive` true a trace is kept only if it matches; with
 * false it is dropped if it matches. By default only the allocating frame (the most recent) is
 * looked at; with `allFrames`, any frame of the traceback.
 */
export class Filter {
  /** Keep matching traces (true) or drop them (false). */
  readonly inclusive: boolean;
  /** A glob (`*` any text, `?` one character) matched against the whole file name, or a RegExp tested against it. */
  readonly filenamePattern: string | RegExp;
  /** Only frames at this line match, or any line when undefined. */
  readonly lineno: number | undefined;
  /** Look at every frame instead of the allocating one only. */
  readonly allFrames: boolean;
  private readonly regexp: RegExp;

  /**
   * @param inclusive - keep (true) or drop (false) matching traces
   * @param filenamePattern - a glob such as `*\/src/tree.ts` or a RegExp
   * @param lineno - a line number to match as well
   * @param allFrames - match against any frame, not just the allocating one
   * @throws {@link arenalloc!InvalidArgumentError} for a pattern that is neither a string nor a RegExp
   */
  constructor(inclusive: boolean, filenamePattern: string | RegExp, lineno?: number, allFrames = false) {
    if (typeof inclusive !== 'boolean')
      throw new InvalidArgumentError(`Filter: inclusive must be a boolean, got ${describeValue(inclusive)}`, 'inclusive');
    if (typeof filenamePattern !== 'string' && !(filenamePattern instanceof RegExp)) {
      throw new InvalidArgumentError('a filter pattern must be a glob string or a RegExp', 'filenamePattern');
    }
    if (lineno !== undefined && (typeof lineno !== 'number' || lineno >>> 0 !== lineno)) {
      throw new InvalidArgumentError(`Filter: lineno must be a line number or undefined, got ${describeValue(lineno)}`, 'lineno');
    }
    if (typeof allFrames !== 'boolean')
      throw new InvalidArgumentError(`Filter: allFrames must be a boolean, got ${describeValue(allFrames)}`, 'allFrames');
    this.inclusive = inclusive;
    this.filenamePattern = filenamePattern;
    this.lineno = lineno;
    this.allFrames = allFrames;
    this.regexp = typeof filenamePattern === 'string' ? globToRegExp(filenamePattern) : filenamePattern;
  }

  /** Whether the pattern (and line) match the traceback, regardless of `inclusive`. */
  matches(traceback: Traceback): boolean {
    if (!this.allFrames) return this.matchFrame(traceback.frames[0] as Frame);
    return traceback.frames.some((f) => this.matchFrame(f));
  }

  private matchFrame(frame: Frame): boolean {
    this.regexp.lastIndex = 0;
    return this.regexp.test(frame.filename) && (this.lineno === undefined || frame.lineno === this.lineno);
  }
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const c of glob) source += c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.+()[\]{}|/]/g, '\\$&');
  return new RegExp(`^${source}$`, 's');
}

/** The JSON form of a snapshot; tracebacks are stored once and referenced by index. */
export interface SnapshotJSON {
  /** Always `'arenalloc-snapshot'`. */
  format: 'arenalloc-snapshot';
  /** Format version, 1. */
  version: 1;
  /** Frames per traceback when the snapshot was taken. */
  tracebackLimit: number;
  /** Distinct tracebacks: frames `[filename, lineno, name]`, most recent first. */
  tracebacks: [string, number, string][][];
  /** Traces: `[ptr, size, traceback index, type or null]`. */
  traces: [number, number, number, string | null][];
}

/** The traced live blocks of a heap at one moment, from {@link takeSnapshot}. */
export class Snapshot {
  /** The traced blocks. */
  readonly traces: readonly Trace[];
  /** Frames per traceback when the snapshot was taken. */
  readonly tracebackLimit: number;

  /**
   * @param traces - the traced blocks
   * @param tracebackLimit - frames per traceback
   */
  constructor(traces: readonly Trace[], tracebackLimit: number) {
    this.traces = traces;
    this.tracebackLimit = tracebackLimit;
  }

  /**
   * The traced blocks grouped by `groupBy`, largest first (by size, then count).
   *
   * With `cumulative`, a block counts for every frame of its traceback, not just the allocating
   * one (only for `lineno` and `filename`): the lines that allocate most through their callees.
   *
   * @throws {@link arenalloc!InvalidArgumentError} for an unknown `groupBy`, or `cumulative` with `traceback` or `type`
   * @example
   * ```ts
   * for (const s of snapshot.statistics('lineno').slice(0, 10)) console.log(String(s));
   * // src/tree.ts:42: size=1.2 KiB, count=3, average=400 B
   * ```
   */
  statistics(groupBy: GroupBy, cumulative = false): Statistic[] {
    const groups = this.group(groupBy, cumulative);
    const stats: Statistic[] = [];
    for (const g of groups.values()) stats.push(new Statistic(g.label, g.traceback, g.type, g.size, g.count));
    return stats.sort((a, b) => b.size - a.size || b.count - a.count || compareText(a._label, b._label));
  }

  /**
   * What changed since `old`: one entry per group in either snapshot, with sizes and counts and
   * their differences, sorted by the size of the change (largest first, growth or shrink alike).
   *
   * @throws {@link arenalloc!InvalidArgumentError} as {@link Snapshot.statistics}
   */
  compareTo(old: Snapshot, groupBy: GroupBy, cumulative = false): StatisticDiff[] {
    if (!(old instanceof Snapshot)) throw new InvalidArgumentError(`compareTo: old must be a Snapshot, got ${describeValue(old)}`, 'old');
    const now = this.group(groupBy, cumulative);
    const before = old.group(groupBy, cumulative);
    const diffs: StatisticDiff[] = [];
    for (const [key, g] of now) {
      const o = before.get(key);
      diffs.push(new StatisticDiff(g.label, g.traceback, g.type, g.size, g.size - (o?.size ?? 0), g.count, g.count - (o?.count ?? 0)));
    }
    for (const [key, o] of before) {
      if (!now.has(key)) diffs.push(new StatisticDiff(o.label, o.traceback, o.type, 0, -o.size, 0, -o.count));
    }
    return diffs.sort(
      (a, b) =>
        Math.abs(b.sizeDiff) - Math.abs(a.sizeDiff) ||
        b.size - a.size ||
        Math.abs(b.countDiff) - Math.abs(a.countDiff) ||
        b.count - a.count ||
        compareText(a._label, b._label),
    );
  }

  /**
   * A new snapshot with only the traces the filters keep: if any filter is inclusive, a trace
   * must match at least one inclusive filter; and it must match no exclusive filter.
   *
   * @example
   * ```ts
   * const mine = snapshot.filterTraces([new Filter(false, '*node_modules*', undefined, true)]);
   * ```
   */
  filterTraces(filters: readonly Filter[]): Snapshot {
    if (!Array.isArray(filters) || !filters.every((f) => f instanceof Filter)) {
      throw new InvalidArgumentError('filterTraces takes an array of Filter', 'filters');
    }
    const include = filters.filter((f) => f.inclusive);
    const exclude = filters.filter((f) => !f.inclusive);
    const kept = this.traces.filter(
      (t) => (include.length === 0 || include.some((f) => f.matches(t.traceback))) && !exclude.some((f) => f.matches(t.traceback)),
    );
    return new Snapshot(kept, this.tracebackLimit);
  }

  /** The snapshot as plain JSON data (what `JSON.stringify(snapshot)` writes). */
  toJSON(): SnapshotJSON {
    const index = new Map<Traceback, number>();
    const tracebacks: [string, number, string][][] = [];
    const traces: [number, number, number, string | null][] = [];
    for (const t of this.traces) {
      let i = index.get(t.traceback);
      if (i === undefined) {
        i = tracebacks.length;
        index.set(t.traceback, i);
        tracebacks.push(t.traceback.frames.map((f) => [f.filename, f.lineno, f.name]));
      }
      traces.push([t.ptr, t.size, i, t.type ?? null]);
    }
    return { format: 'arenalloc-snapshot', version: 1, tracebackLimit: this.tracebackLimit, tracebacks, traces };
  }

  /**
   * Reads a snapshot saved with `JSON.stringify(snapshot)` (a string, or the parsed data).
   *
   * @throws {@link arenalloc!InvalidArgumentError} for text that is not a snapshot of this format
   */
  static fromJSON(json: string | SnapshotJSON): Snapshot {
    let data: unknown = json;
    if (typeof json === 'string') {
      try {
        data = JSON.parse(json);
      } catch (e) {
        throw new InvalidArgumentError(`fromJSON: json is not a snapshot: ${(e as Error).message}`, 'json');
      }
    }
    const d = data as Partial<SnapshotJSON> | null;
    if (d === null || typeof d !== 'object' || d.format !== 'arenalloc-snapshot')
      throw new InvalidArgumentError(`fromJSON: json is not an arenalloc snapshot: ${describeValue(json)}`, 'json');
    if (d.version !== 1) throw new InvalidArgumentError(`snapshot format version ${String(d.version)}, this library reads version 1`);
    if (!Number.isInteger(d.tracebackLimit) || !Array.isArray(d.tracebacks) || !Array.isArray(d.traces)) {
      throw new InvalidArgumentError('the snapshot is damaged: missing tracebackLimit, tracebacks or traces');
    }
    const tracebacks = d.tracebacks.map((frames, i) => {
      if (!Array.isArray(frames)) throw new InvalidArgumentError(`the snapshot is damaged: traceback ${i} is not a list`);
      return new Traceback(
        frames.map((f) => {
          if (!Array.isArray(f) || typeof f[0] !== 'string' || !Number.isInteger(f[1]) || typeof (f[2] ?? '') !== 'string') {
            throw new InvalidArgumentError(`the snapshot is damaged: a frame of traceback ${i} is malformed`);
          }
          return new Frame(f[0], f[1], f[2] ?? '');
        }),
      );
    });
    const traces = d.traces.map((t, i) => {
      const ok =
        Array.isArray(t) &&
        Number.isInteger(t[0]) &&
        Number.isInteger(t[1]) &&
        Number.isInteger(t[2]) &&
        (t[2] as number) >= 0 &&
        (t[2] as number) < tracebacks.length &&
        (t[3] === null || typeof t[3] === 'string');
      if (!ok) throw new InvalidArgumentError(`the snapshot is damaged: trace ${i} is malformed`);
      return new Trace(t[0], t[1], tracebacks[t[2]] as Traceback, t[3] ?? undefined);
    });
    return new Snapshot(traces, d.tracebackLimit as number);
  }

  /** @internal Groups traces by key; each group keeps a label and a representative traceback. */
  group(groupBy: GroupBy, cumulative: boolean): Map<string, Group> {
    if (typeof cumulative !== 'boolean')
      throw new InvalidArgumentError(`cumulative must be a boolean, got ${describeValue(cumulative)}`, 'cumulative');
    if (groupBy !== 'lineno' && groupBy !== 'filename' && groupBy !== 'traceback' && groupBy !== 'type') {
      throw new InvalidArgumentError(`groupBy must be 'lineno', 'filename', 'traceback' or 'type', got ${String(groupBy)}`);
    }
    if (cumulative && (groupBy === 'traceback' || groupBy === 'type')) {
      throw new InvalidArgumentError(`cumulative statistics group by 'lineno' or 'filename', not '${groupBy}'`);
    }
    const groups = new Map<string, Group>();
    const add = (key: string, label: string, traceback: Traceback, type: string | undefined, size: number): void => {
      const g = groups.get(key);
      if (g === undefined) groups.set(key, { label, traceback, type, size, count: 1 });
      else {
        g.size += size;
        g.count++;
      }
    };
    for (const t of this.traces) {
      const frames = t.traceback.frames;
      if (groupBy === 'traceback') add(t.traceback._key, t.traceback.toString(), t.traceback, undefined, t.size);
      else if (groupBy === 'type') {
        const type = t.type ?? UNTYPED;
        add(type, type, UNKNOWN_TRACEBACK, type, t.size);
      } else {
        const seen = cumulative ? new Set<string>() : undefined;
        for (let i = 0; i < (cumulative ? frames.length : 1); i++) {
          const f = frames[i] as Frame;
          const key = groupBy === 'lineno' ? `${f.filename}:${f.lineno}` : f.filename;
          if (seen !== undefined) {
            if (seen.has(key)) continue;
            seen.add(key);
          }
          const g = groups.get(key);
          if (g !== undefined) {
            g.size += t.size;
            g.count++;
            continue;
          }
          const site = groupBy === 'lineno' ? new Frame(f.filename, f.lineno, f.name) : new Frame(f.filename, 0);
          groups.set(key, { label: key, traceback: new Traceback([site]), type: undefined, size: t.size, count: 1 });
        }
      }
    }
    return groups;
  }
}

/** @internal */
interface Group {
  label: string;
  traceback: Traceback;
  type: string | undefined;
  size: number;
  count: number;
}

const UNKNOWN_TRACEBACK = /* @__PURE__ */ new Traceback([]);

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The traced live blocks of `heap` now. Blocks allocated before tracing started are not in it.
 *
 * @throws {@link arenalloc!InvalidArgumentError} when `heap` is not being traced
 */
export function takeSnapshot(heap: Heap): Snapshot {
  const tracer = requireTracer(heap, 'takeSnapshot');
  const traces: Trace[] = [];
  for (const [ptr, t] of tracer.traces) traces.push(new Trace(ptr, t.size, t.traceback, t.type));
  return new Snapshot(traces, tracer.frames);
}
