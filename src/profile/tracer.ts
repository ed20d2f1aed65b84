/**
 * Tracing, like Python's `tracemalloc`: while it is on, every allocation of a heap records its
 * site (the stack, parsed, limited to a number of frames) and its size, until the block is freed.
 *
 * Tracing interposes on the heap's allocation entries through the hook chain of `src/port.ts`:
 *
 * ```
 *  heap.malloc ──▶ TracingHooks.malloc ──▶ previous hooks (or the raw allocators)
 *                        └─▶ tracer.record(ptr, size): capture the stack, intern it, store a trace
 * ```
 *
 * and attaches itself to the heap as its tracer (`setTracer` of the port), through which other
 * layers (debug mode, refcounted objects) name the site of a pointer or tag it with a type without
 * importing the profiler.
 *
 * Traces live on the JS side (a `Map` from pointer to trace), as tracemalloc's live in C beside
 * the Python heap: they are diagnostics, not heap state, and are not saved with the buffer.
 * Capturing a stack costs microseconds, so tracing is for finding where memory goes, not for
 * production hot loops; `bench/profile.bench.mjs` measures the cost.
 *
 * @module
 */

import { describeValue, expectHeap, expectPointer, expectSingleThreaded, InvalidArgumentError, InvalidPointerError } from '../errors';
import type { Heap, HeapHooks } from '../heap';
import { installInspect } from '../inspect/install';
import { currentHooks, hooksOf, setHooks, setTracer, type TracerLink, tracerOf } from '../port';
import { captureStack, type Frame, ownFile, parseStack, Traceback } from './stack';

/** A traced block: where it was allocated, how many bytes were asked for, and its type if tagged. */
export class Trace {
  /** The block's address. */
  readonly ptr: number;
  /** Bytes requested by the allocation. */
  readonly size: number;
  /** Where the block was allocated. */
  readonly traceback: Traceback;
  /** The type name a layer above tagged the block with (refcounted objects), or undefined. */
  readonly type: string | undefined;

  /**
   * @param ptr - the block's address
   * @param size - bytes requested
   * @param traceback - the allocation site
   * @param type - the tagged type name, if any
   */
  constructor(ptr: number, size: number, traceback: Traceback, type?: string) {
    this.ptr = ptr;
    this.size = size;
    this.traceback = traceback;
    this.type = type;
  }
}

/** A live trace inside the tracer; `seq` orders allocations for leak marks. @internal */
export class LiveTrace {
  size: number;
  traceback: Traceback;
  type: string | undefined;
  seq: number;

  constructor(size: number, traceback: Traceback, seq: number) {
    this.size = size;
    this.traceback = traceback;
    this.type = undefined;
    this.seq = seq;
  }
}

/** Options of {@link start}. */
export interface TraceOptions {
  /**
   * Files whose frames are not allocation sites but library code, skipped when they are the
   * newest frames of a stack (a wrapper around `malloc`, another allocator layer). A string
   * matches a file name that contains it; a RegExp is tested against the file name.
   * @defaultValue `[]`
   */
  internalFiles?: readonly (string | RegExp)[];
}

/** Most frames a traceback may keep. */
export const MAX_FRAMES = 128;
/** Most library frames captured above the frames kept, so that they can be skipped. */
const MAX_SKIPPED = 32;
/** Names of the facade's methods that reach the hooks (`realloc(0, n)` calls `malloc`, for one). */
const FACADE_METHOD = /(?:^|\.)(?:malloc|tryMalloc|calloc|realloc|alignedAlloc)$/;
/** Distinct stack texts kept interned before the cache starts over. */
const INTERN_LIMIT = 50_000;

/**
 * The tracer of one heap: its traces, counters and the hooks it installed.
 * @internal
 */
export class Tracer {
  readonly heap: Heap;
  frames: number;
  active: boolean;
  /** True while {@link Tracer.probe} runs. */
  probing: boolean;
  readonly hooks: TracingHooks;
  readonly previousHooks: HeapHooks | null;
  readonly previousTracer: TracerLink | null;
  readonly traces: Map<number, LiveTrace>;
  /** Library frames expected above the user's frames (learned). */
  skip: number;
  current: number;
  peak: number;
  seq: number;
  private readonly interned: Map<string, Traceback>;
  /** Files whose frames are library code (not used when the library is bundled with the app). */
  private readonly internalFiles: Set<string>;
  /** The file of the heap facade, as stacks name it; learned by {@link Tracer.probe}. */
  private facadeFile: string;
  /** The facade's folder: every file in it is library code. '' when bundled or unknown. */
  private libraryDir: string;
  /** True when the facade and the profiler share one file (bundled with the application). */
  private bundled: boolean;
  private readonly patterns: readonly (string | RegExp)[];

  constructor(heap: Heap, frames: number, patterns: readonly (string | RegExp)[]) {
    this.heap = heap;
    this.frames = frames;
    this.active = true;
    this.probing = false;
    this.previousHooks = hooksOf(heap);
    this.previousTracer = tracerOf(heap);
    this.hooks = new TracingHooks(this, currentHooks(heap));
    this.traces = new Map();
    this.skip = 1;
    this.current = 0;
    this.peak = 0;
    this.seq = 0;
    this.interned = new Map();
    this.internalFiles = new Set();
    this.facadeFile = '';
    this.libraryDir = '';
    this.bundled = false;
    this.patterns = patterns;
  }

  /** Learns which file holds the heap facade: its frames are never allocation sites. */
  probe(): void {
    this.probing = true;
    try {
      this.heap.isLive(1); // reaches TracingHooks.isLive, which calls learnFacade
    } finally {
      this.probing = false;
    }
  }

  /**
   * Called by the hooks during a probe: the frame above the hook is the facade's `isLive`.
   *
   * When the facade and the profiler are in different files (the library's own `dist/` files,
   * or its sources), every file in the facade's folder is library code: the other layers
   * (refcounted objects, debug mode) live there too. When they share a file, the library was
   * bundled together with the application, and files say nothing: then only frames of the
   * facade's allocation methods are skipped, by name.
   */
  learnFacade(below: Function): void {
    const frame = parseStack(captureStack(below, 1))[0];
    if (frame === undefined) return;
    this.facadeFile = frame.filename;
    this.bundled = frame.filename === ownFile();
    if (!this.bundled) {
      const slash = Math.max(frame.filename.lastIndexOf('/'), frame.filename.lastIndexOf('\\'));
      this.libraryDir = slash >= 0 ? frame.filename.slice(0, slash + 1) : frame.filename;
    }
  }

  /**
   * Records a new block; `below` is the hook method the heap called (its frame and newer ones
   * are dropped).
   *
   * Capturing costs about a microsecond per frame in V8, so the capture is limited to the frames
   * kept plus the library frames expected above them (`skip`, learned: it starts at 1, the heap
   * facade, and grows when a capture turns out to be all library frames).
   */
  record(ptr: number, size: number, below: Function): void {
    let text = captureStack(below, this.frames + this.skip);
    let traceback = this.interned.get(text);
    while (traceback === undefined) {
      const limit = this.frames + this.skip;
      const parsed = this.parse(text);
      if (parsed.total - parsed.internal < this.frames && parsed.total >= limit && this.skip < MAX_SKIPPED) {
        // Truncated inside the library frames: capture deeper.
        this.skip = Math.min(MAX_SKIPPED, Math.max(parsed.internal, this.skip * 2));
        text = captureStack(below, this.frames + this.skip);
        traceback = this.interned.get(text);
        continue;
      }
      traceback = parsed.traceback;
      if (this.interned.size >= INTERN_LIMIT) this.interned.clear();
      this.interned.set(text, traceback);
    }
    const old = this.traces.get(ptr);
    if (old !== undefined) this.current -= old.size;
    this.traces.set(ptr, new LiveTrace(size, traceback, ++this.seq));
    this.current += size;
    if (this.current > this.peak) this.peak = this.current;
  }

  private parse(text: string): { traceback: Traceback; internal: number; total: number } {
    const all = parseStack(text);
    // The newest frame is whoever called the hook: the heap facade, or a layer installed above
    // tracing. It is library code whatever its file; remember the file (unless bundled).
    let i = 0;
    if (all.length > 0) {
      if (!this.bundled) this.internalFiles.add((all[0] as Frame).filename);
      i = 1;
    }
    while (i < all.length && this.isInternal(all[i] as Frame)) i++;
    return { traceback: new Traceback(all.slice(i, i + this.frames)), internal: i, total: all.length };
  }

  private isInternal(frame: Frame): boolean {
    const file = frame.filename;
    if (file === this.facadeFile && FACADE_METHOD.test(frame.name)) return true;
    if (!this.bundled && (this.internalFiles.has(file) || (this.libraryDir !== '' && file.startsWith(this.libraryDir)))) return true;
    for (const p of this.patterns) {
      if (typeof p === 'string' ? file.includes(p) : p.test(file)) return true;
    }
    return false;
  }

  forget(ptr: number): void {
    const trace = this.traces.get(ptr);
    if (trace === undefined) return;
    this.traces.delete(ptr);
    this.current -= trace.size;
  }

  /** The allocation site of `ptr`, one frame a line, most recent first; for other layers' errors. */
  tracebackOf(ptr: number): string | undefined {
    const trace = this.traces.get(ptr);
    return trace?.traceback.frames.map((f) => `${f.filename}:${f.lineno}${f.name ? ` (in ${f.name})` : ''}`).join('\n');
  }

  /** Tags the traced block at `ptr` with a type name; false when the block is not traced. */
  tagType(ptr: number, name: string): boolean {
    const trace = this.traces.get(ptr);
    if (trace === undefined) return false;
    trace.type = name;
    return true;
  }
}

/** The hooks tracing installs: forward to the next layer, then record or forget. @internal */
export class TracingHooks implements HeapHooks {
  readonly tracer: Tracer;
  readonly next: HeapHooks;

  constructor(tracer: Tracer, next: HeapHooks) {
    this.tracer = tracer;
    this.next = next;
  }

  malloc(size: number): number {
    const ptr = this.next.malloc(size);
    if (ptr !== 0 && this.tracer.active) this.tracer.record(ptr, size, TracingHooks.prototype.malloc);
    return ptr;
  }

  alignedAlloc(size: number, alignment: number): number {
    const ptr = this.next.alignedAlloc(size, alignment);
    if (ptr !== 0 && this.tracer.active) this.tracer.record(ptr, size, TracingHooks.prototype.alignedAlloc);
    return ptr;
  }

  realloc(ptr: number, size: number): number {
    const moved = this.next.realloc(ptr, size);
    if (moved !== 0 && this.tracer.active) {
      this.tracer.forget(ptr);
      this.tracer.record(moved, size, TracingHooks.prototype.realloc);
    }
    return moved;
  }

  free(ptr: number): void {
    this.next.free(ptr);
    if (this.tracer.active) this.tracer.forget(ptr);
  }

  usableSize(ptr: number): number {
    return this.next.usableSize(ptr);
  }

  isLive(ptr: number): boolean {
    if (this.tracer.probing) this.tracer.learnFacade(TracingHooks.prototype.isLive);
    return this.next.isLive(ptr);
  }
}

/** The active tracer of a heap, or undefined. @internal */
export function activeTracer(heap: Heap): Tracer | undefined {
  const t = tracerOf(heap);
  return t instanceof Tracer && t.active ? t : undefined;
}

/** The active tracer of a heap; throws when tracing is off. @internal */
export function requireTracer(heap: Heap, what: string): Tracer {
  expectHeap(heap, what);
  const tracer = activeTracer(heap);
  if (tracer === undefined) throw new InvalidArgumentError(`${what}: tracing is not started on this heap; call start(heap) first`);
  return tracer;
}

/**
 * Starts tracing the allocations of `heap`: from now on every block records its allocation site,
 * `frames` frames deep. Calling it again while tracing changes the depth for new allocations and
 * keeps the traces. Blocks allocated before `start` are never traced.
 *
 * @param frames - frames to keep per traceback, an integer from 1 to {@link MAX_FRAMES}
 * @throws {@link arenalloc!InvalidArgumentError} for a bad `frames`
 * @throws {@link arenalloc!NotThreadSafeError} for a threaded heap (`createHeap({ threads: true })`): tracing is single-threaded for now
 * @example
 * ```ts
 * import { start, takeSnapshot } from 'arenalloc/profile';
 * start(heap, 5);
 * // ... allocate ...
 * for (const stat of takeSnapshot(heap).statistics('lineno').slice(0, 10)) console.log(String(stat));
 * ```
 */
export function start(heap: Heap, frames = 1, options: TraceOptions = {}): void {
  expectHeap(heap, 'start');
  installInspect(); // heap.check() of this heap's users runs the walk of arenalloc/inspect
  // One tracer per heap object, and a threaded heap has one per thread: a block freed by another
  // thread would stay live in this thread's traces, and park()/close() replace the hooks.
  expectSingleThreaded(heap, 'start');
  if (typeof frames !== 'number' || !Number.isInteger(frames) || frames < 1 || frames > MAX_FRAMES) {
    throw new InvalidArgumentError(`frames must be an integer from 1 to ${MAX_FRAMES}, got ${describeValue(frames)}`, 'frames');
  }
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError(`start: options must be an object, got ${describeValue(options)}`, 'options');
  const running = activeTracer(heap);
  if (running !== undefined) {
    running.frames = frames;
    return;
  }
  const tracer = new Tracer(heap, frames, options.internalFiles ?? []);
  setHooks(heap, tracer.hooks);
  setTracer(heap, tracer);
  tracer.probe();
}

/**
 * Stops tracing `heap` and drops its traces. The hooks installed by {@link start} are removed
 * and the previous chain restored; if another layer was installed on top of tracing since, the
 * tracing hooks stay in the chain as a plain pass-through.
 */
export function stop(heap: Heap): void {
  expectHeap(heap, 'stop');
  const tracer = activeTracer(heap);
  if (tracer === undefined) return;
  tracer.active = false;
  tracer.traces.clear();
  tracer.current = 0;
  tracer.peak = 0;
  if (hooksOf(heap) === tracer.hooks) setHooks(heap, tracer.previousHooks);
  if (tracerOf(heap) === tracer) setTracer(heap, tracer.previousTracer);
}

/** Whether `heap` is being traced. */
export function isTracing(heap: Heap): boolean {
  expectHeap(heap, 'isTracing');
  return activeTracer(heap) !== undefined;
}

/** Drops every trace of `heap` and zeroes the traced memory and its peak; tracing goes on. */
export function clearTraces(heap: Heap): void {
  expectHeap(heap, 'clearTraces');
  const tracer = activeTracer(heap);
  if (tracer === undefined) return;
  tracer.traces.clear();
  tracer.current = 0;
  tracer.peak = 0;
}

/** The number of frames tracebacks keep, or 0 when `heap` is not traced. */
export function getTracebackLimit(heap: Heap): number {
  expectHeap(heap, 'getTracebackLimit');
  return activeTracer(heap)?.frames ?? 0;
}

/** Traced memory: bytes requested by the traced live blocks, now and at their peak. */
export interface TracedMemory {
  /** Bytes of the traced blocks that are live now. */
  current: number;
  /** Highest `current` since tracing started or {@link resetPeak}. */
  peak: number;
}

/** The size of the traced live blocks of `heap`, now and at peak; zeros when not tracing. */
export function getTracedMemory(heap: Heap): TracedMemory {
  expectHeap(heap, 'getTracedMemory');
  const tracer = activeTracer(heap);
  return tracer === undefined ? { current: 0, peak: 0 } : { current: tracer.current, peak: tracer.peak };
}

/** Sets the peak of traced memory to its current value, to measure the peak of a later stretch. */
export function resetPeak(heap: Heap): void {
  expectHeap(heap, 'resetPeak');
  const tracer = activeTracer(heap);
  if (tracer !== undefined) tracer.peak = tracer.current;
}

/**
 * Where the block at `ptr` was allocated, or undefined when it is not traced (allocated before
 * tracing started, already freed, or not a block).
 */
export function getTraceback(heap: Heap, ptr: number): Traceback | undefined {
  expectHeap(heap, 'getTraceback');
  expectPointer(ptr, 'getTraceback');
  const traces = activeTracer(heap)?.traces;
  if (traces === undefined) return undefined;
  const trace = traces.get(ptr);
  if (trace !== undefined) return trace.traceback;
  // A refcounted object's pointer is its payload, past a header of 16 bytes (32 for types with
  // ref fields) at the start of its block; rc tags such blocks with their type. A live block
  // tagged so, 16 or 32 bytes before `ptr`, is the object's (two live blocks cannot overlap).
  for (const header of OBJECT_HEADERS) {
    const object = traces.get(ptr - header);
    if (object !== undefined && object.type !== undefined) return object.traceback;
  }
  return undefined;
}

/** Bytes between a refcounted object's block and its pointer: a plain header, or one with gc links. */
const OBJECT_HEADERS = [16, 32] as const;

/**
 * Tags the traced live block at `ptr` with a type name, so that statistics and leak reports
 * attribute it to its type as well as its site. Meant for layers that allocate typed objects (the
 * refcounted objects of `arenalloc/rc` call it through the port's `tracerOf(heap).tagType`); a no-op returning
 * false when `heap` is not traced or `ptr` is not a traced block.
 *
 * @param name - the type name, a non-empty string
 * @throws {@link arenalloc!InvalidArgumentError} for an empty or non-string `name`
 * @throws {@link arenalloc!InvalidPointerError} for a `ptr` that is not a non-negative integer
 */
export function tagType(heap: Heap, ptr: number, name: string): boolean {
  expectHeap(heap, 'tagType');
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('a type name must be a non-empty string');
  if (typeof ptr !== 'number' || ptr >>> 0 !== ptr) throw new InvalidPointerError(`not a pointer: ${String(ptr)}`);
  return activeTracer(heap)?.tagType(ptr, name) ?? false;
}
