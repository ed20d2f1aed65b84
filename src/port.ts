/**
 * The core port: the one door through which the layers above the allocators reach a heap.
 *
 * The core is the facade (`heap.ts`), the routing layer (`route.ts`), the two allocators
 * (`small/`, `large/`), the store (`memory/`) and the header (`layout.ts`). Every other layer —
 * refcounted objects (`rc/`), the cycle detector (`gc/`), tracing and pictures (`profile/`), debug
 * mode (`debug/`), object pools (`pool/`), the strategy suite (`strategies/`) and the WebAssembly
 * imports (`wasm/`) — reaches a heap's internals through the functions of this module and through
 * nothing else: it imports no file of `small/` or `large/`, and reads no `_`-prefixed member of a
 * `Heap`. A test fails on any such import or member access.
 *
 * What the port offers, and why each door is there:
 *
 * ```
 *  upper layer ──▶ memoryOf          the store's views: every layer reads and writes its own words
 *              ──▶ hooksOf/setHooks  interposition on the allocation entries (tracing, debug,
 *                  currentHooks        recording, measuring, the wasm fast path's watch)
 *              ──▶ allocate/release  a user block through whatever hooks are installed
 *              ──▶ freeBatch         many user blocks at once, counters written once (the cycle
 *                                      detector's garbage)
 *              ──▶ allocInternal     a block the library owns (a registry, a table): uncounted,
 *                  freeInternal        refused by `free`, drawn as a library chunk
 *              ──▶ tracerOf/setTracer  the allocation site of a pointer, for other layers' errors
 *              ──▶ visitChunks       the large heap's chunks in address order, for maps and checks
 *                  visitArenas         the small allocator's arenas and their pools
 *                  smallGeometry       pool, arena and class sizes
 * ```
 *
 * The threaded heap (`threads/`) is not an upper layer: it is a second owner of the small and
 * large allocators' structures, and imports them directly (see `src/threads/threaded.ts`).
 *
 * @internal
 * @module
 */

import { OutOfMemoryError } from './errors';
import type { Heap, HeapHooks, TracerLink } from './heap';
import { forEachChunk } from './large/check';
import { Chunk } from './large/tlsf';
import { INTERNAL_REQUEST, SmallState } from './layout';
import type { Memory } from './memory/store';
import { rawAlignedAlloc, rawFree, rawFreeBatch, rawIsLive, rawMalloc, rawRealloc, rawUsableSize } from './route';
import { ArenaEntry, PoolHeader } from './small/layout';

export type { HeapHooks } from './heap';

/** The store of a heap: its views (`u8`, `u32`, `f64`, `head`, `counters`), growth and re-binding. @internal */
export function memoryOf(heap: Heap): Memory {
  return heap._mem;
}

/** The hooks installed on a heap's allocation entries, or null when none are. @internal */
export function hooksOf(heap: Heap): HeapHooks | null {
  return heap._hooks;
}

/** Installs `hooks` on a heap's allocation entries (null: none). @internal */
export function setHooks(heap: Heap, hooks: HeapHooks | null): void {
  heap._hooks = hooks;
}

/** Whether `value` is a heap object (of this copy of the library or another: a duck test). @internal */
export function isHeap(value: unknown): value is Heap {
  return typeof value === 'object' && value !== null && typeof (value as Heap).tryMalloc === 'function' && '_mem' in value;
}

/**
 * Calls `onChange` with the new hooks whenever hooks are installed on or removed from `heap`
 * (by {@link setHooks} or any assignment of the field): the WebAssembly fast path must step aside
 * while any are installed. The watch makes the heap object's hooks field an accessor. (A flag
 * word in the heap header, written when hooks change, would let the fast path read it itself,
 * and is the better design once the header has one.) @internal
 */
export function watchHooks(heap: Heap, onChange: (hooks: HeapHooks | null) => void): void {
  let hooks = heap._hooks;
  Object.defineProperty(heap, '_hooks', {
    configurable: true,
    enumerable: true,
    get: (): HeapHooks | null => hooks,
    set: (next: HeapHooks | null): void => {
      hooks = next;
      onChange(next);
    },
  });
}

/** Hooks that go straight to the heap's allocators: the end of every chain. @internal */
/* @__NO_SIDE_EFFECTS__ */
export function rawHooks(heap: Heap): HeapHooks {
  return {
    malloc: (size) => rawMalloc(heap, size),
    alignedAlloc: (size, alignment) => rawAlignedAlloc(heap, size, alignment),
    realloc: (ptr, size) => rawRealloc(heap, ptr, size),
    free: (ptr) => rawFree(heap, ptr),
    usableSize: (ptr) => rawUsableSize(heap, ptr),
    isLive: (ptr) => rawIsLive(heap, ptr),
  };
}

/** The hooks a new layer should wrap: the installed chain, or the raw allocators. @internal */
export function currentHooks(heap: Heap): HeapHooks {
  return heap._hooks ?? rawHooks(heap);
}

/**
 * Allocates a user block of a validated size through the installed hooks (or the allocators when
 * none are), as `heap.malloc` would after its checks; 0 when out of memory. @internal
 */
export function allocate(heap: Heap, size: number): number {
  const hooks = heap._hooks;
  return hooks === null ? rawMalloc(heap, size) : hooks.malloc(size);
}

/** Frees a non-zero user block through the installed hooks, as `heap.free` would after its checks. @internal */
export function release(heap: Heap, ptr: number): void {
  const hooks = heap._hooks;
  if (hooks === null) rawFree(heap, ptr);
  else hooks.free(ptr);
}

/**
 * Frees the non-zero pointers of `list[0..n)`, each checked as `free` checks it, and writes the
 * live-bytes and frees counters once for the batch. If a pointer is refused, the ones before it
 * stay freed and counted, and the error propagates. Bypasses the hooks: call it only when
 * {@link hooksOf} is null, and free one by one through {@link release} otherwise. @internal
 */
export function freeBatch(heap: Heap, list: Uint32Array, n: number): void {
  rawFreeBatch(heap, list, n);
}

/**
 * Allocates a block the library owns (a layer's registry or table) from the large-object heap:
 * it is not a user block, so `free`, `isLive` and the counters ignore it and the pictures draw it
 * as a library chunk. Throws {@link OutOfMemoryError} naming `what` when memory runs out, having
 * changed nothing. @internal
 */
export function allocInternal(heap: Heap, bytes: number, what: string): number {
  const ptr = heap._large.malloc(bytes);
  if (ptr === 0) throw new OutOfMemoryError(`out of memory: cannot allocate ${what} (${bytes} bytes)`, bytes);
  heap._large.setRequested(ptr, INTERNAL_REQUEST);
  return ptr;
}

/** Frees a block from {@link allocInternal}. @internal */
export function freeInternal(heap: Heap, ptr: number): void {
  heap._large.free(ptr);
}

export type { TracerLink } from './heap';

/** The tracer attached to a heap, or null. @internal */
export function tracerOf(heap: Heap): TracerLink | null {
  return heap._tracer;
}

/** Attaches a tracer to a heap (null: none). @internal */
export function setTracer(heap: Heap, tracer: TracerLink | null): void {
  heap._tracer = tracer;
}

/** Throws `HeapCorruptedError` for the first non-zero byte of the null-pointer guard, if any. @internal */
export { checkGuardLow } from './guard';

/** The largest request the large-object heap could ever serve in this heap's store. @internal */
export function maxLargeRequest(heap: Heap): number {
  return heap._maxLarge;
}

/**
 * The large-object allocator standing alone over a store of its own, with no heap around it: the
 * TLSF contender of the strategy suite (`src/strategies/tlsf.ts`). @internal
 */
export {
  checkStandaloneTlsf,
  createStandaloneTlsf,
  freeChunkBytes,
  type StandalonePointer,
  standalonePointer,
} from './large/standalone';
export type { Tlsf } from './large/tlsf';

/** Bytes of the header in front of every large chunk's payload. @internal */
export const LARGE_CHUNK_HEADER: number = Chunk.HEADER;

/** What a chunk of the large-object heap holds, for {@link visitChunks}. @internal */
export enum ChunkKind {
  /** A user block. */
  USED = 0,
  /** A free chunk. */
  FREE = 1,
  /** A block the library owns: an arena, a table, a layer's registry. */
  INTERNAL = 2,
}

/**
 * Calls `visit` for every chunk of the large-object heap in address order, the sentinel
 * excluded: its payload address, its size (header included), what it holds, and, for a user
 * block, the bytes its caller asked for (0 for the other kinds). @internal
 */
export function visitChunks(heap: Heap, visit: (payload: number, chunkSize: number, kind: ChunkKind, requested: number) => void): void {
  const large = heap._large;
  forEachChunk(large, (payload, chunkSize, isFree) => {
    if (isFree) return visit(payload, chunkSize, ChunkKind.FREE, 0);
    const requested = large.requestedOf(payload);
    if (requested === INTERNAL_REQUEST) visit(payload, chunkSize, ChunkKind.INTERNAL, 0);
    else visit(payload, chunkSize, ChunkKind.USED, requested);
  });
}

/** Sizes of the small-object allocator of a heap, for pictures. @internal */
export interface SmallGeometry {
  /** Bytes of a pool. */
  readonly poolSize: number;
  /** Bytes of an arena. */
  readonly arenaSize: number;
  /** Bytes of a pool's header (its first block starts there). */
  readonly poolHeader: number;
  /** Number of size classes. */
  readonly classes: number;
  /** Block size of size class `c`. */
  classSize(c: number): number;
}

/** The small-object allocator's sizes. @internal */
export function smallGeometry(heap: Heap): SmallGeometry {
  return heap._small;
}

/** One pool of an arena, as {@link visitArenas} reports it. @internal */
export interface PoolSpan {
  /** Address of the pool. */
  start: number;
  /** End of the pool's usable bytes (the last pool of an arena is short by a chunk header). */
  end: number;
  /** Size class index, or -1 for an empty (or never used) pool. */
  sizeClass: number;
  /** Block size of its class (0 when empty). */
  blockSize: number;
  /** Blocks allocated. */
  blocksInUse: number;
  /** Blocks the pool holds when full (0 when empty). */
  capacity: number;
}

/**
 * Calls `visit` for every live arena of the small-object allocator, in table order, with the
 * payload address of its chunk and its pools in address order. Read from the arena table and the
 * pool headers. @internal
 */
export function visitArenas(heap: Heap, visit: (base: number, pools: PoolSpan[]) => void): void {
  const small = heap._small;
  const mem = heap._mem;
  const slots = mem.head[SmallState.ARENA_SLOTS] as number;
  for (let arena = 0; arena < slots; arena++) {
    const w = small.entryWord(arena);
    const base = mem.u32[w + ArenaEntry.BASE] as number;
    if (base === 0) continue;
    const watermark = mem.u32[w + ArenaEntry.WATERMARK] as number;
    const pools: PoolSpan[] = [];
    for (let pool = base; pool < base + small.arenaSize; pool += small.poolSize) {
      const limit = pool + small.poolSize === base + small.arenaSize ? small.poolSize - Chunk.HEADER : small.poolSize;
      const count = pool >= watermark ? 0 : (mem.u32[(pool >>> 2) + PoolHeader.COUNT] as number);
      if (count === 0) {
        pools.push({ start: pool, end: pool + limit, sizeClass: -1, blockSize: 0, blocksInUse: 0, capacity: 0 });
        continue;
      }
      const sizeClass = mem.u32[(pool >>> 2) + PoolHeader.CLASS] as number;
      const blockSize = small.classSize(sizeClass);
      pools.push({
        start: pool,
        end: pool + limit,
        sizeClass,
        blockSize,
        blocksInUse: count,
        capacity: Math.floor((limit - small.poolHeader) / blockSize),
      });
    }
    visit(base, pools);
  }
}
