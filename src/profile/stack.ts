/**
 * Allocation sites: frames and tracebacks, captured from the JS engine's stack and parsed.
 *
 * A traceback is captured with `Error.captureStackTrace` where the engine has it (V8, and recent
 * SpiderMonkey and JavaScriptCore), which drops the profiler's own frames for free; elsewhere from
 * `new Error().stack`. The text is parsed once per distinct stack and interned, so that a loop
 * that allocates from one place shares one {@link Traceback} object.
 *
 * Both stack dialects are understood:
 *
 * ```
 *  V8:                    at makeNode (file:///app/src/tree.ts:42:13)
 *                         at /app/src/main.ts:7:3
 *  SpiderMonkey / JSC:    makeNode@file:///app/src/tree.ts:42:13
 * ```
 *
 * @module
 */

/** One frame of an allocation site: a source file and line. */
export class Frame {
  /** The source file (a path or URL; `file://` is stripped). */
  readonly filename: string;
  /** The 1-based line number, or 0 when unknown. */
  readonly lineno: number;
  /** The function's name as the engine reports it, or `''`. */
  readonly name: string;

  /**
   * @param filename - the source file
   * @param lineno - the 1-based line number (0 when unknown)
   * @param name - the function name, if known
   */
  constructor(filename: string, lineno: number, name = '') {
    this.filename = filename;
    this.lineno = lineno;
    this.name = name;
  }

  /** `file.ts:42`, as in tracemalloc's printed lines. */
  toString(): string {
    return `${this.filename}:${this.lineno}`;
  }
}

/**
 * The stack of an allocation: its frames, most recent call first (`frames[0]` is the line that
 * called `malloc`), limited to the number of frames tracing was started with.
 */
export class Traceback {
  /** Frames, most recent call first. Never empty: an unknown site is one `<unknown>:0` frame. */
  readonly frames: readonly Frame[];
  /** @internal A string that identifies the frames, for grouping. */
  readonly _key: string;

  /** @param frames - the frames, most recent call first */
  constructor(frames: readonly Frame[]) {
    this.frames = frames.length > 0 ? frames : [UNKNOWN_FRAME];
    this._key = this.frames.map((f) => `${f.filename}:${f.lineno}`).join('\n');
  }

  /** The allocation site: `file.ts:42`. */
  toString(): string {
    return (this.frames[0] as Frame).toString();
  }

  /**
   * The traceback as lines, oldest call first (as Python prints a traceback), each
   * `  file.ts:42 (in fn)`; `mostRecentFirst` reverses the order.
   */
  format(mostRecentFirst = false): string[] {
    const lines = this.frames.map((f) => `  ${f.filename}:${f.lineno}${f.name ? ` (in ${f.name})` : ''}`);
    return mostRecentFirst ? lines : lines.reverse();
  }
}

const UNKNOWN_FRAME = /* @__PURE__ */ new Frame('<unknown>', 0);

// `at name (file:line:col)` or `at file:line:col`; the name may be `async x`, `new X`, `X.y`.
const V8_FRAME = /^\s*at (?:(.*?) \((.*):(\d+):\d+\)|(.*):(\d+):\d+)$/;
// `name@file:line:col` (SpiderMonkey, JavaScriptCore).
const GECKO_FRAME = /^(.*?)@(.*):(\d+):\d+$/;

/** Parses one line of an engine's stack text; undefined for lines that name no source position. @internal */
export function parseFrame(line: string): Frame | undefined {
  let m = V8_FRAME.exec(line);
  if (m !== null) {
    if (m[2] !== undefined) return new Frame(cleanFile(m[2]), Number(m[3]), m[1] ?? '');
    return new Frame(cleanFile(m[4] as string), Number(m[5]));
  }
  m = GECKO_FRAME.exec(line);
  if (m !== null) return new Frame(cleanFile(m[2] as string), Number(m[3]), m[1] ?? '');
  return undefined;
}

function cleanFile(file: string): string {
  return file.startsWith('file://') ? decodeURI(file.slice(7)) : file;
}

/** Parses a whole stack text into frames, most recent first, skipping lines with no position. @internal */
export function parseStack(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split('\n')) {
    const frame = parseFrame(line);
    if (frame !== undefined) frames.push(frame);
  }
  return frames;
}

type CaptureStackTrace = (target: object, constructorOpt?: Function) => void;

/** Frames between `below` and the capture that a plain `new Error().stack` also shows. */
const PROFILER_FRAMES = 3;

/**
 * The stack text above `below`, a hook method on the current stack, with at most `limit` frames
 * beyond it. With `Error.captureStackTrace` the engine drops `below` and every newer frame. Without
 * it, `new Error().stack` is cut by hand: callers pass a `below` that is exactly
 * {@link PROFILER_FRAMES} frames up (this function, the tracer method, the hook).
 * @internal
 */
export function captureStack(below: Function, limit: number): string {
  const saved = Error.stackTraceLimit;
  let stack: string | undefined;
  // Read on each call rather than at load, so that importing this module has no side effect.
  const captureStackTrace = (Error as unknown as { captureStackTrace?: CaptureStackTrace }).captureStackTrace;
  if (captureStackTrace !== undefined) {
    Error.stackTraceLimit = limit;
    const holder: { stack?: string } = {};
    captureStackTrace(holder, below);
    stack = holder.stack;
  } else {
    Error.stackTraceLimit = limit + PROFILER_FRAMES;
    stack = dropFrames(new Error().stack ?? '', PROFILER_FRAMES);
  }
  Error.stackTraceLimit = saved;
  return stack ?? '';
}

/** The stack text without its first `n` frame lines. */
function dropFrames(stack: string, n: number): string {
  const lines = stack.split('\n');
  let dropped = 0;
  let i = 0;
  while (i < lines.length && dropped < n) {
    if (parseFrame(lines[i] as string) !== undefined) dropped++;
    i++;
  }
  return lines.slice(i).join('\n');
}

let ownFileName: string | undefined;

/** The file this module was loaded from, as stacks name it. @internal */
export function ownFile(): string {
  if (ownFileName === undefined) ownFileName = parseStack(new Error().stack ?? '')[0]?.filename ?? '';
  return ownFileName;
}
