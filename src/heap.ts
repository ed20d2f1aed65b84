/**
 * The heap facade: the public `Heap` with `malloc`/`calloc`/`realloc`/`free`, which validates
 * every argument and routes each request to the allocator that serves it.
 *
 * Out-of-memory contract: every allocating entry (`malloc`, `calloc`, `realloc`, `alignedAlloc`)
 * throws {@link OutOfMemoryError} and changes nothing; `tryMalloc` is the one C-style variant that
 * returns 0 instead. A pointer is never 0 after a successful allocation, so writing through the
 * result of a failed call can never land in the heap header.
 *
 * Size 0: `malloc(0)` returns a unique minimal block (as CPython's `PyObject_Malloc(0)` does), which
 * must be freed like any other.
 *
 * @module
 */

import {
  ArenallocError,
  DoubleFreeError,
  HeapCorruptedError,
  InspectNotLoadedError,
  InvalidArgumentError,
  InvalidPointerError,
  InvalidSizeError,
  LayoutVersionError,
  NotAHeapError,
  OUT_OF_MEMORY_HINT,
  OutOfMemoryError,
  StaleViewError,
  ThreadsNotLoadedError,
} from './errors';
import { Chunk, Tlsf } from './large/tlsf';
import { Counter, Flag, HEADER_BYTES, LAYOUT_VERSION, MAGIC, Word } from './layout';
import { createMemory, type Memory, type StoreKind, type StoreOptions, type WasmMemory, wrapMemory } from './memory/store';
import { type AttachOptions, checkSmallTunables, type HeapOptions } from './options';
import { largeFree, largeMalloc, rawAlignedAlloc, rawIsLive, rawMalloc, rawRealloc, rawUsableSize } from './route';
import { smallStats } from './small/inspect';
import { DEFAULT_ARENA_SIZE, DEFAULT_POOL_SIZE, SMALL_REQUEST_THRESHOLD } from './small/layout';
import { SmallHeap } from './small/pymalloc';
import { type HeapStats, type SmallHeapStats, statsOf } from './stats';
import type { ThreadedAllocator } from './threads/threaded';

export { INTERNAL_REQUEST } from './layout';
export type { AttachOptions, HeapOptions } from './options';
export type { HeapStats, SmallClassStats, SmallHeapStats } from './stats';

/**
 * @internal The port through which the core reaches the threaded heap (`src/threads/`, the
 * `arenalloc/threads` entry) without importing it, so that a bundle that never uses threads
 * carries none of it. `arenalloc/threads` fills it in when it loads ({@link _registerThreads});
 * until then `createHeap({ threads: true })` and `Heap.attach` of a threaded heap throw
 * {@link ThreadsNotLoadedError}. A heap object is threaded only once the port is set, so every
 * entry that finds `heap._threads` non-null may use it. Only the rare entries go through it:
 * allocation and free of a threaded heap reach its allocator from the heap object the port
 * makes (`heap`), the other entries through `heap._hooks`.
 */
export interface ThreadsPort {
  /** `maxThreads` when the options name none. */
  readonly defaultMaxThreads: number;
  /** Makes the heap object of a threaded heap: a `Heap` whose malloc and free call the thread's allocator directly. */
  heap(mem: Memory, align: number): Heap;
  /** Makes a freshly formatted heap threaded and joins this thread to it (from `createHeap`). */
  make(heap: Heap, maxThreads: number): void;
  /** Takes a slot of a threaded heap for this thread (from `Heap.attach`). */
  join(heap: Heap): void;
  /** {@link Heap.check} of a threaded heap, after the header and the guard are checked. */
  check(threads: ThreadedAllocator): void;
  /** The slots' counters summed, for {@link Heap.stats}. */
  counts(threads: ThreadedAllocator): { allocations: number; frees: number; live: number; peak: number };
  /** The small-object figures of {@link Heap.stats}. */
  smallStats(threads: ThreadedAllocator): SmallHeapStats;
  /** {@link Heap.debugMallocStats} of a threaded heap. */
  report(threads: ThreadedAllocator): string;
}

let threadsPort: ThreadsPort | null = null;

/** @internal Sets the threads port; called once by `arenalloc/threads` when it loads. */
export function _registerThreads(port: ThreadsPort): void {
  threadsPort = port;
}

function needThreads(where: string): ThreadsPort {
  if (threadsPort === null) {
    throw new ThreadsNotLoadedError(
      `${where}: a threaded heap needs the threads module; add \`import 'arenalloc/threads';\` to every thread that uses it`,
    );
  }
  return threadsPort;
}

/** @internal The threads port, for the integrity walk of `arenalloc/inspect`. */
export function _threadsPort(): ThreadsPort | null {
  return threadsPort;
}

/**
 * @internal The port through which {@link Heap.check} and {@link Heap.debugMallocStats} reach
 * their code in `arenalloc/inspect` without the core importing it, so that a bundle that only
 * allocates and frees carries none of it. Filled in when `arenalloc/inspect` loads.
 */
export interface InspectPort {
  /** {@link Heap.check}. */
  check(heap: Heap): void;
  /** {@link Heap.debugMallocStats}. */
  report(heap: Heap): string;
}

let inspectPort: InspectPort | null = null;

/** @internal Sets the inspect port; called by `arenalloc/inspect` when it loads. */
export function _registerInspect(port: InspectPort): void {
  inspectPort = port;
}

function needInspect(where: string): never {
  throw new InspectNotLoadedError(
    `${where} needs the integrity walk of arenalloc/inspect; add \`import 'arenalloc/inspect';\` to this thread`,
  );
}

/** What tracing (`arenalloc/profile`) lets other layers ask about a pointer. @internal */
export interface TracerLink {
  /** The allocation site of the traced block at `ptr`, if it is traced. */
  tracebackOf(ptr: number): string | undefined;
  /** Attributes the traced block at `ptr` to a type (refcounted objects); false if not traced. */
  tagType(ptr: number, name: string): boolean;
}

/**
 * Replacements for the public allocation entries, installed by optional layers (`arenalloc/profile`,
 * `arenalloc/debug`) through `heap._hooks`. The public entry validates argument types first; a hook
 * returns 0 for out of memory (the entry throws), validates pointers itself, and reaches the
 * allocators through the routing layer (`rawHooks` of `src/port.ts`), or the next hook in a chain.
 * @internal
 */
export interface HeapHooks {
  malloc(size: number): number;
  alignedAlloc(size: number, alignment: number): number;
  realloc(ptr: number, size: number): number;
  free(ptr: number): void;
  usableSize(ptr: number): number;
  isLive(ptr: number): boolean;
}

/** Largest size any single request may name, whatever the store. */
export const MAX_REQUEST = 0xffff_0000;

/**
 * A private heap inside one buffer. Create one with {@link createHeap}, or re-open one from its
 * buffer with {@link Heap.attach}.
 *
 * Pointers are byte offsets into {@link Heap.buffer}; 0 is null.
 */
export class Heap {
  /** @internal */
  readonly _mem: Memory;
  /** @internal */
  readonly _large: Tlsf;
  /** @internal */
  readonly _small: SmallHeap;
  /** @internal Largest request TLSF could ever serve in this store (`Tlsf.maxRequest`, which never changes). */
  readonly _maxLarge: number;
  /** Payload alignment in bytes (8 or 16). */
  readonly align: number;
  /**
   * @internal Hooks that replace the public allocation entries (tracing, debug mode), or null.
   * Installed by the optional layers; the core only tests this field for null.
   */
  _hooks: HeapHooks | null;
  /**
   * @internal Set by tracing (`arenalloc/profile`) so that other layers (debug mode, rc) can name
   * the allocation site of a pointer in their errors without importing the profiler.
   */
  _tracer: TracerLink | null;

  /** @internal This thread's allocator of a threaded heap, else null. */
  _threads: ThreadedAllocator | null;

  /** @internal Use {@link createHeap} or {@link Heap.attach}. */
  constructor(mem: Memory, align: number) {
    this._mem = mem;
    this.align = align;
    this._large = new Tlsf(mem, align);
    const header = mem.head;
    this._small = new SmallHeap(mem, this._large, align, header[Word.POOL_SIZE] as number, header[Word.ARENA_SIZE] as number);
    this._maxLarge = this._large.maxRequest;
    this._hooks = null;
    this._tracer = null;
    this._threads = null;
  }

  /**
   * Re-opens a heap from its buffer: a copy of one, a worker's view of a SharedArrayBuffer, a
   * buffer restored from disk, or the `WebAssembly.Memory` it lives in. A heap created above a
   * `base` (inside a WASM module's memory) is re-opened with the same `base`.
   *
   * A threaded heap (`createHeap({ threads: true })`) is joined instead: this thread takes a slot
   * of its own and gets its own heap object; that needs `arenalloc/threads` loaded in this thread.
   *
   * @throws {@link NotAHeapError} when the buffer holds no heap or a truncated one
   * @throws {@link LayoutVersionError} when it was written by another layout version
   * @throws {@link ThreadsNotLoadedError} for a threaded heap in a thread that has not imported `arenalloc/threads`
   * @example
   * ```ts
   * const copy = Heap.attach(heap.buffer.slice(0));
   * ```
   */
  static attach(source: ArrayBuffer | SharedArrayBuffer | WasmMemory, options: AttachOptions = {}): Heap {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    const base = options.base ?? 0;
    let mem: Memory;
    try {
      mem = wrapMemory(source, base, options.maxBytes);
    } catch (error) {
      // A detached buffer (transferred to another thread) refuses views with an engine TypeError.
      if (error instanceof ArenallocError) throw error;
      throw new NotAHeapError(`cannot read the buffer: ${(error as Error).message}`);
    }
    if (mem.byteLength < base + HEADER_BYTES + 2 * Chunk.HEADER) {
      throw new NotAHeapError(`a buffer of ${mem.byteLength} bytes is too small to hold a heap`);
    }
    const header = mem.head;
    if (header[Word.MAGIC] !== MAGIC) {
      throw new NotAHeapError(
        base === 0
          ? 'the buffer does not start with the arenalloc magic number'
          : `no arenalloc magic number at base ${base}: pass the base the heap was created with`,
      );
    }
    if (header[Word.VERSION] !== LAYOUT_VERSION) {
      throw new LayoutVersionError(
        `heap layout version ${header[Word.VERSION]}, this library reads version ${LAYOUT_VERSION}`,
        header[Word.VERSION] as number,
      );
    }
    const align = header[Word.ALIGN] as number;
    const end = header[Word.HEAP_END] as number;
    if (
      header[Word.HEADER_BYTES] !== HEADER_BYTES ||
      header[Word.BASE] !== base ||
      (align !== 8 && align !== 16) ||
      end < base + HEADER_BYTES ||
      (end & (align - 1)) !== 0 ||
      (header[Word.GUARD_LOW] as number) > base
    ) {
      throw new NotAHeapError('the heap header is damaged');
    }
    if (checkSmallTunables(header[Word.POOL_SIZE] as number, header[Word.ARENA_SIZE] as number) !== null) {
      throw new NotAHeapError('the heap header is damaged: bad pool or arena size');
    }
    // Another thread may have grown the store after this Memory took its length and before the
    // heap end was read (a join while another thread grows): look at the length again first.
    if (end + Chunk.HEADER > mem.byteLength && !(mem.refresh() && end + Chunk.HEADER <= mem.byteLength)) {
      throw new NotAHeapError(`the heap is truncated: it ends at byte ${end + Chunk.HEADER} but the buffer has ${mem.byteLength}`);
    }
    // A threaded heap is joined, not opened: this thread takes a slot of its own.
    if (((header[Word.FLAGS] as number) & Flag.THREADED) === 0) return new Heap(mem, align);
    const port = needThreads('Heap.attach');
    const heap = port.heap(mem, align);
    port.join(heap);
    return heap;
  }

  // ─── threads: the entries of a threaded heap (`createHeap({ threads: true })`) ─────────────

  /**
   * This thread's id in a threaded heap (its slot, from 0), or -1 for a heap that is not
   * threaded. Another thread names it to {@link Heap.reclaim}.
   */
  get threadId(): number {
    return this._threads === null ? -1 : this._threads.slot;
  }

  /** Whether the heap is threaded (made with `threads: true`). */
  get threaded(): boolean {
    return this._threads !== null;
  }

  /**
   * Gives this thread's place in a threaded heap back: its pools with live blocks pass to the
   * next thread that allocates their size class (their blocks stay valid, and any thread may
   * free them), its empty pools go back to the heap, and its slot is free for a new thread. Call
   * it before a worker exits. Afterwards every allocation entry of this heap object throws
   * {@link ThreadClosedError}. Does nothing on a heap that is not threaded, or twice.
   *
   * @example
   * ```ts
   * const heap = createHeap({ threads: true });
   * const p = heap.malloc(64);
   * heap.close();
   * const again = Heap.attach(heap.buffer); // joins anew
   * again.free(p);
   * ```
   */
  close(): void {
    if (this._threads !== null) this._threads.close();
  }

  /**
   * Does for a thread that died without {@link Heap.close} (a worker that crashed or was
   * terminated) what its `close()` would have done, from another thread. Only for a thread that
   * will not run again: name one whose worker has emitted `'exit'`. If it runs after all, its
   * next call that needs the heap's lock throws {@link ThreadClosedError}.
   *
   * @param threadId - the dead thread's {@link Heap.threadId}
   * @returns the number of pools with live blocks it held, passed on to other threads
   * @throws {@link InvalidArgumentError} for a heap that is not threaded, an id out of range, or this thread's own id
   */
  reclaim(threadId: number): number {
    if (this._threads === null) throw new InvalidArgumentError('reclaim: the heap is not threaded', 'threadId');
    return this._threads.reclaim(threadId);
  }

  /**
   * Marks this thread of a threaded heap as parked: it promises not to use the heap until
   * {@link Heap.unpark}, so that {@link Heap.check} may run in another thread. While parked,
   * this heap object's allocation entries throw {@link ThreadClosedError}.
   */
  park(): void {
    if (this._threads !== null) this._threads.park();
  }

  /** Ends {@link Heap.park}: the thread may use the heap again. */
  unpark(): void {
    if (this._threads !== null) this._threads.unpark();
  }

  /** The buffer the heap lives in. After growth of a `wasm` store this is a new object. */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    // WASM code may have grown (and so replaced) the memory since the heap last looked.
    this._mem.refresh();
    return this._mem.buffer;
  }

  /** The `WebAssembly.Memory` of a `wasm` store, else null. */
  get memory(): WasmMemory | null {
    return this._mem.wasm;
  }

  /**
   * The kind of backing store: the one the options named, or for a heap created without a `store`
   * option the default that was chosen (`'shared'` where the runtime has a growable
   * `SharedArrayBuffer`, else `'resizable'`).
   */
  get store(): StoreKind {
    return this._mem.kind;
  }

  /** Bumped each time the backing store changes size; views taken before may be stale. */
  get epoch(): number {
    return this._mem.epoch;
  }

  /**
   * Allocates `size` bytes and returns a pointer to them (16-byte aligned by default). The bytes
   * are not cleared; use {@link Heap.calloc} for zeroed memory.
   *
   * @param size - bytes to allocate; an integer from 0 to {@link MAX_REQUEST}
   * @throws {@link InvalidSizeError} for a size that is not such an integer
   * @throws {@link OutOfMemoryError} when the store cannot grow enough; nothing changes
   * @example
   * ```ts
   * const p = heap.malloc(100);
   * heap.free(p);
   * ```
   */
  malloc(size: number): number {
    // The small fast path is written out here rather than reached through `rawMalloc` (`src/route.ts`), and every
    // other case (a bad size, hooks, a large request, no arena) is left to `_mallocRest`, so that
    // malloc and free together fit V8's cumulative inlining budget in the caller's loop.
    if (typeof size === 'number' && size >>> 0 === size && size <= SMALL_REQUEST_THRESHOLD && this._hooks === null) {
      const ptr = this._small.malloc(size);
      // `> 0`, not `!== 0`, at the same cost: the small fast path reads undefined (and writes
      // nothing the views hold) when its class list names a pool past the views, which another
      // thread that grew the store made; `_mallocRest` re-binds and allocates again.
      if (ptr > 0) {
        this._countAlloc(size === 0 ? this.align : ((size - 1) | (this.align - 1)) + 1);
        return ptr;
      }
    }
    return this._mallocRest(size);
  }

  /**
   * @internal The rest of {@link Heap.malloc}: validation, hooks, a large request, or a small one
   * that found no arena (it falls back to TLSF).
   */
  _mallocRest(size: number): number {
    if (typeof size !== 'number' || size >>> 0 !== size || size > MAX_REQUEST) throw invalidSize(size);
    // A small request whose views were short (see `malloc`): re-bind, and the small path again.
    if (size <= SMALL_REQUEST_THRESHOLD && this._hooks === null && this._mem.refresh()) return this.malloc(size);
    const ptr = this._hooks === null ? largeMalloc(this, size) : this._hooks.malloc(size);
    if (ptr === 0) throw outOfMemory(size);
    return ptr;
  }

  /**
   * Like {@link Heap.malloc}, but returns 0 instead of throwing when memory runs out: the C
   * contract, for WASM glue code that checks for null.
   *
   * @param size - bytes to allocate
   * @throws {@link InvalidSizeError} for a size that is not an integer in range
   */
  tryMalloc(size: number): number {
    if (typeof size !== 'number' || size >>> 0 !== size || size > MAX_REQUEST) throw invalidSize(size);
    return this._hooks === null ? rawMalloc(this, size) : this._hooks.malloc(size);
  }

  /**
   * Allocates room for `count` elements of `size` bytes, all zero.
   *
   * @throws {@link InvalidSizeError} when either is not an integer in range or their product
   *   exceeds {@link MAX_REQUEST}
   * @throws {@link OutOfMemoryError} when the store cannot grow enough
   */
  calloc(count: number, size: number): number {
    if (typeof count !== 'number' || count >>> 0 !== count) throw invalidSize(count);
    if (typeof size !== 'number' || size >>> 0 !== size) throw invalidSize(size);
    const total = count * size;
    if (total > MAX_REQUEST)
      throw new InvalidSizeError(`calloc(${count}, ${size}): ${total} bytes exceeds the maximum request of ${MAX_REQUEST}`);
    const ptr = this._hooks === null ? rawMalloc(this, total) : this._hooks.malloc(total);
    if (ptr === 0) throw outOfMemory(total);
    this._mem.fillBytes(0, ptr, ptr + total);
    return ptr;
  }

  /**
   * Allocates `size` bytes at an address that is a multiple of `alignment`.
   *
   * @param alignment - a power of two up to 1 MiB
   * @throws {@link InvalidArgumentError} for an alignment that is not such a power of two
   * @throws {@link OutOfMemoryError} when the store cannot grow enough
   */
  alignedAlloc(size: number, alignment: number): number {
    if (typeof size !== 'number' || size >>> 0 !== size || size > MAX_REQUEST) throw invalidSize(size);
    if (
      typeof alignment !== 'number' ||
      alignment >>> 0 !== alignment ||
      (alignment & (alignment - 1)) !== 0 ||
      alignment > 1 << 20 ||
      alignment === 0
    ) {
      throw new InvalidArgumentError(`alignment must be a power of two up to 1 MiB, got ${String(alignment)}`);
    }
    const ptr = this._hooks === null ? rawAlignedAlloc(this, size, alignment) : this._hooks.alignedAlloc(size, alignment);
    if (ptr === 0) throw outOfMemory(size);
    return ptr;
  }

  /**
   * Changes the size of the block at `ptr` to `size` bytes, keeping its contents up to the
   * smaller of the two sizes. Stays in place when it can (a shrink, or a grow into free space
   * after the block); otherwise moves the block and frees the old one.
   *
   * `realloc(0, size)` is `malloc(size)`. On failure the old block is untouched and still live.
   *
   * @returns the block's (possibly new) address
   * @throws {@link InvalidPointerError} / {@link DoubleFreeError} for a bad `ptr`
   * @throws {@link InvalidSizeError} for a bad `size`
   * @throws {@link OutOfMemoryError} when a move is needed and memory runs out
   */
  realloc(ptr: number, size: number): number {
    if (typeof size !== 'number' || size >>> 0 !== size || size > MAX_REQUEST) throw invalidSize(size);
    if (ptr === 0) return this.malloc(size);
    checkPointerType(ptr);
    const moved = this._hooks === null ? rawRealloc(this, ptr, size) : this._hooks.realloc(ptr, size);
    if (moved === 0) throw outOfMemory(size);
    return moved;
  }

  /**
   * Frees the block at `ptr`. `free(0)` does nothing, as in C.
   *
   * @throws {@link InvalidPointerError} for a pointer that is not the start of a live block
   *   (outside the heap, misaligned, interior, inside the header); nothing changes
   * @throws {@link DoubleFreeError} for a block that is already free; nothing changes
   */
  free(ptr: number): void {
    // As in malloc: the small fast path here, the rest in `_freeRest`. A zero or a large pointer
    // finds no small pool (the header's page is never a pool) and goes there too.
    if (typeof ptr === 'number' && ptr >>> 0 === ptr && this._hooks === null) {
      const bytes = this._small.tryFree(ptr);
      if (bytes !== 0) this._countFree(bytes);
      else if (ptr !== 0) largeFree(this, ptr);
      return;
    }
    this._freeRest(ptr);
  }

  /** @internal The rest of {@link Heap.free}: validation, `free(0)`, hooks, a large block. */
  _freeRest(ptr: number): void {
    if (typeof ptr !== 'number' || ptr >>> 0 !== ptr) throw notAPointer(ptr);
    if (ptr === 0) return;
    if (this._hooks === null) largeFree(this, ptr);
    else this._hooks.free(ptr);
  }

  /**
   * The number of bytes the block at `ptr` can hold: at least what was asked for, often more.
   *
   * @throws {@link InvalidPointerError} / {@link DoubleFreeError} for a bad `ptr`
   */
  usableSize(ptr: number): number {
    checkPointerType(ptr);
    return this._hooks === null ? rawUsableSize(this, ptr) : this._hooks.usableSize(ptr);
  }

  /**
   * Whether `ptr` is the start of a live block of this heap. Never throws.
   */
  isLive(ptr: number): boolean {
    if (typeof ptr !== 'number' || ptr >>> 0 !== ptr || ptr === 0) return false;
    return this._hooks === null ? rawIsLive(this, ptr) : this._hooks.isLive(ptr);
  }

  /** @internal */
  _countAlloc(bytes: number): void {
    const counters = this._mem.counters;
    const live = (counters[Counter.LIVE_BYTES] as number) + bytes;
    counters[Counter.LIVE_BYTES] = live;
    if (live > (counters[Counter.PEAK_BYTES] as number)) counters[Counter.PEAK_BYTES] = live;
    counters[Counter.ALLOCATIONS] = (counters[Counter.ALLOCATIONS] as number) + 1;
  }

  /** @internal */
  _countFree(bytes: number): void {
    const counters = this._mem.counters;
    counters[Counter.LIVE_BYTES] = (counters[Counter.LIVE_BYTES] as number) - bytes;
    counters[Counter.FREES] = (counters[Counter.FREES] as number) + 1;
  }

  /**
   * A byte view of the live block at `ptr` (its usable size, or `length` bytes). The view reads
   * the heap's memory directly; after the store grows it may go stale ({@link Heap.isStale}).
   *
   * @throws {@link InvalidPointerError} for a bad `ptr` or a `length` beyond the block
   */
  bytes(ptr: number, length?: number): Uint8Array {
    const usable = this.usableSize(ptr);
    const n = length === undefined ? usable : length;
    if (typeof n !== 'number' || n >>> 0 !== n || n > usable) {
      throw new InvalidArgumentError(`length ${String(length)} is outside the block's ${usable} usable bytes`);
    }
    return new Uint8Array(this._mem.buffer, ptr, n);
  }

  /**
   * Whether a view taken from this heap no longer reads its memory: the `WebAssembly.Memory`
   * grew (which detaches the old buffer) or the store shrank below the view.
   */
  isStale(view: ArrayBufferView): boolean {
    if (!ArrayBuffer.isView(view)) throw new InvalidArgumentError('isStale: view must be a typed array or DataView', 'view');
    this._mem.refresh();
    if (view.buffer !== this._mem.buffer) return true;
    let end: number;
    try {
      end = view.byteOffset + view.byteLength;
    } catch {
      return true; // a DataView whose range the store no longer holds throws here
    }
    if (end > this._mem.byteLength || (view.byteLength === 0 && this._mem.byteLength === 0)) return true;
    return view.byteLength === 0 && typedArrayOutOfBounds(view);
  }

  /**
   * Throws {@link StaleViewError} if `view` is stale ({@link Heap.isStale}); returns it otherwise.
   */
  assertFresh<T extends ArrayBufferView>(view: T): T {
    if (this.isStale(view)) throw new StaleViewError('the view was taken before the heap memory was replaced; take a new one');
    return view;
  }

  /**
   * The heap's figures: live blocks and bytes, peak, free space, backing size, and per size class
   * of the small-object allocator its pools and blocks. The per-class figures come from a walk
   * over the pools, so this costs O(pools): fine for monitoring, not for a hot loop.
   *
   * @example
   * ```ts
   * const { liveBlocks, liveBytes, peakLiveBytes } = heap.stats();
   * ```
   */
  stats(): HeapStats {
    this._mem.refresh();
    if (this._threads !== null) return this._threadedStats(this._threads);
    const counters = this._mem.counters;
    return statsOf(
      this,
      counters[Counter.ALLOCATIONS] as number,
      counters[Counter.FREES] as number,
      counters[Counter.LIVE_BYTES] as number,
      counters[Counter.PEAK_BYTES] as number,
      smallStats(this._small),
    );
  }

  /**
   * A text report on the small-object allocator in the manner of CPython's
   * `sys._debugmallocstats()`: per size class its pools, blocks in use and blocks available; the
   * arenas allocated, reclaimed, at their high-water mark and now; and where every byte of the
   * arenas goes (allocated blocks, available blocks, unused pools, pool headers, quantization,
   * arena alignment), with a total that is the arenas' size. Use it to see how much memory small
   * objects hold captive. O(pools). Its code is in `arenalloc/inspect`, which must be loaded.
   *
   * @throws {@link InspectNotLoadedError} in a thread that has not loaded `arenalloc/inspect`
   * @example
   * ```ts
   * console.log(heap.debugMallocStats());
   * ```
   */
  debugMallocStats(): string {
    return (inspectPort ?? needInspect('heap.debugMallocStats()')).report(this);
  }

  /** @internal {@link Heap.stats} of a threaded heap: the slots' counters summed. */
  _threadedStats(threads: ThreadedAllocator): HeapStats {
    const port = threadsPort as ThreadsPort;
    const { allocations, frees, live, peak } = port.counts(threads);
    return statsOf(this, allocations, frees, live, peak, port.smallStats(threads));
  }

  /**
   * Walks every structure of the heap and throws {@link HeapCorruptedError} naming the first
   * broken invariant. O(heap size): meant for tests, debugging, and after loading a heap. Its code
   * is in `arenalloc/inspect`, which must be loaded; the layers that check heaps (rc, gc,
   * debug mode, buffer pools, strategies, tracing, threads) install it when they are set up.
   *
   * @throws {@link InspectNotLoadedError} in a thread that has not loaded `arenalloc/inspect`
   */
  check(): void {
    (inspectPort ?? needInspect('heap.check()')).check(this);
  }

  /** Byte address where the heap begins (its `base`): nothing below it belongs to the heap. */
  get base(): number {
    return this._mem.base;
  }

  /**
   * Gives free memory at the top of the heap back to the backing store, where the store can
   * shrink: only a `'resizable'` store (a resizable ArrayBuffer) can. On every other store,
   * including the default `'shared'` one (a SharedArrayBuffer never shrinks), it returns 0 and
   * changes nothing; a heap that needs `trim()` is created with `store: 'resizable'`. Views over
   * the released range go stale.
   *
   * @returns the number of bytes released (0 unless the store is `'resizable'`)
   */
  trim(): number {
    return this._large.trim(this._mem.base + HEADER_BYTES + Chunk.HEADER + Chunk.MIN);
  }
}

/**
 * Creates a heap in a new backing store: by default a growable `SharedArrayBuffer` where the
 * runtime has one, else a resizable `ArrayBuffer` (see {@link StoreOptions.store}).
 *
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * const heap = createHeap({ initialBytes: 1 << 20 });
 * const p = heap.malloc(64);
 * new Uint8Array(heap.buffer, p, 64).fill(7);
 * heap.free(p);
 * ```
 *
 * @throws {@link InvalidArgumentError} for an option of the wrong type or out of range
 * @throws {@link ThreadsNotLoadedError} for `threads: true` in a thread that has not imported `arenalloc/threads`
 */
/* @__NO_SIDE_EFFECTS__ */
export function createHeap(options: HeapOptions = {}): Heap {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  if (options.debug === true) {
    throw new InvalidArgumentError("debug mode lives in 'arenalloc/debug': use createDebugHeap(options) from there");
  }
  const align = options.align ?? 16;
  if (align !== 8 && align !== 16) throw new InvalidArgumentError(`align must be 8 or 16, got ${String(align)}`);
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  const arenaSize = options.arenaSize ?? DEFAULT_ARENA_SIZE;
  const problem = checkSmallTunables(poolSize, arenaSize);
  if (problem !== null) throw new InvalidArgumentError(problem);
  const guardLow = options.guardLow === true ? Math.min(1024, options.base ?? 0) : (options.guardLow ?? 0);
  if (typeof guardLow !== 'number' || guardLow >>> 0 !== guardLow || (guardLow & 3) !== 0 || guardLow > (options.base ?? 0)) {
    throw new InvalidArgumentError(
      `guardLow must be a multiple of 4 from 0 to base (${String(options.base ?? 0)}), got ${String(options.guardLow)}`,
    );
  }
  let storeOptions: StoreOptions = options;
  if (options.threads !== undefined && typeof options.threads !== 'boolean') {
    throw new InvalidArgumentError(`threads must be a boolean, got ${String(options.threads)}`);
  }
  let maxThreads = 0;
  if (options.threads === true) {
    const port = needThreads('createHeap({ threads: true })');
    maxThreads = options.maxThreads ?? port.defaultMaxThreads;
    if (options.store !== undefined && options.store !== 'shared') {
      throw new InvalidArgumentError(
        `a threaded heap needs store 'shared' (a growable SharedArrayBuffer), got ${JSON.stringify(options.store)}`,
      );
    }
    if (typeof maxThreads !== 'number' || !Number.isInteger(maxThreads) || maxThreads < 1 || maxThreads > 1024) {
      throw new InvalidArgumentError(`maxThreads must be an integer from 1 to 1024, got ${String(options.maxThreads)}`);
    }
    storeOptions = { ...options, store: 'shared' };
  }
  const mem = createMemory(storeOptions);
  const header = mem.head;
  header.fill(0);
  // The guard is the one range below the base the heap writes, and only here, at creation.
  if (guardLow !== 0) mem.u8.fill(0, 0, guardLow);
  header[Word.BASE] = mem.base;
  header[Word.GUARD_LOW] = guardLow;
  header[Word.MAGIC] = MAGIC;
  header[Word.VERSION] = LAYOUT_VERSION;
  header[Word.HEADER_BYTES] = HEADER_BYTES;
  header[Word.ALIGN] = align;
  header[Word.POOL_SIZE] = poolSize;
  header[Word.ARENA_SIZE] = arenaSize;
  const heap = options.threads === true ? (threadsPort as ThreadsPort).heap(mem, align) : new Heap(mem, align);
  heap._large.format();
  heap._small.format();
  if (options.threads === true) (threadsPort as ThreadsPort).make(heap, maxThreads);
  return heap;
}

function invalidSize(size: unknown): InvalidSizeError {
  const shown = typeof size === 'bigint' ? `${size}n` : typeof size === 'string' ? JSON.stringify(size) : String(size);
  return new InvalidSizeError(`size must be an integer from 0 to ${MAX_REQUEST}, got ${shown}`);
}

function checkPointerType(ptr: unknown): void {
  if (typeof ptr !== 'number' || ptr >>> 0 !== ptr) throw notAPointer(ptr);
}

// Kept out of the entries that check: a template literal in a function counts against V8's
// budget for inlining that function, even on a branch that never runs.
function notAPointer(ptr: unknown): InvalidPointerError {
  return new InvalidPointerError(`not a pointer: ${typeof ptr === 'bigint' ? `${ptr}n` : String(ptr)}`);
}

/**
 * Whether a zero-length view is a typed array that a shrunk store left out of bounds: such a view
 * reports offset 0 and length 0, but `subarray` rebuilds it from its real offset, which either
 * lies beyond the store (a RangeError) or differs from the 0 it reports.
 */
function typedArrayOutOfBounds(view: ArrayBufferView): boolean {
  if (view instanceof DataView) return false;
  try {
    return (view as Uint8Array).subarray(0).byteOffset !== view.byteOffset;
  } catch {
    return true;
  }
}

function outOfMemory(size: number): OutOfMemoryError {
  return new OutOfMemoryError(`out of memory: cannot allocate ${size} bytes${OUT_OF_MEMORY_HINT}`, size);
}
