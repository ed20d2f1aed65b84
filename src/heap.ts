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
  DoubleFreeError,
  HeapCorruptedError,
  InvalidArgumentError,
  InvalidPointerError,
  InvalidSizeError,
  LayoutVersionError,
  NotAHeapError,
  OutOfMemoryError,
  StaleViewError,
} from './errors';
import { CHUNK_HEADER, MIN_CHUNK, Tlsf } from './large/tlsf';
import {
  F_ALLOCATIONS,
  F_FREES,
  F_LARGE_FREE_BYTES,
  F_LARGE_FREE_CHUNKS,
  F_LARGE_USED_BYTES,
  F_LARGE_USED_CHUNKS,
  F_LIVE_BYTES,
  F_PEAK_BACKING,
  F_PEAK_BYTES,
  HEADER_BYTES,
  LAYOUT_VERSION,
  MAGIC,
  W_ALIGN,
  W_ARENA_SIZE,
  W_HEADER_BYTES,
  W_HEAP_END,
  W_MAGIC,
  W_POOL_SIZE,
  W_VERSION,
} from './layout';
import { createMemory, type Memory, type StoreKind, type StoreOptions, wrapMemory } from './memory/store';

/** Marks a large chunk that the library itself owns (an arena, a table): `free` refuses it. */
export const INTERNAL_REQUEST = 0xffff_ffff;

/** Options of {@link createHeap}. */
export interface HeapOptions extends StoreOptions {
  /**
   * Alignment of every payload, in bytes. MUST be 8 or 16. Use 8 only for 32-bit WASM layouts
   * that never store 16-byte vectors in the heap.
   * @defaultValue `16`
   */
  align?: 8 | 16;
  /**
   * Debug mode (guard bytes, fills, a free quarantine) lives in `arenalloc/debug`, which the core
   * does not import, so that a bundle of `createHeap` carries none of it. `createHeap` therefore
   * refuses `debug: true` with an {@link InvalidArgumentError} that says so; use
   * `createDebugHeap(options)` from `arenalloc/debug`, or `enableDebug(heap)` on a new heap.
   * @defaultValue `false`
   */
  debug?: boolean;
}

/** A snapshot of a heap's figures, from {@link Heap.stats}. */
export interface HeapStats {
  /** Kind of backing store. */
  store: StoreKind;
  /** Current byte length of the backing store. */
  backingBytes: number;
  /** Largest byte length the backing store has had. */
  peakBackingBytes: number;
  /** Blocks currently allocated by users. */
  liveBlocks: number;
  /** Usable bytes of those blocks (what {@link Heap.usableSize} reports, summed). */
  liveBytes: number;
  /** Largest `liveBytes` seen since the heap was created. */
  peakLiveBytes: number;
  /** Bytes in free chunks of the large-object heap, headers included. */
  freeBytes: number;
  /** Successful allocations since the heap was created (a moving realloc counts one). */
  totalAllocations: number;
  /** Frees since the heap was created (a moving realloc counts one). */
  totalFrees: number;
  /** The large-object heap (TLSF). */
  large: {
    /** Chunks in use, including the library's own (arenas, tables). */
    usedChunks: number;
    /** Bytes of chunks in use, headers included. */
    usedBytes: number;
    /** Free chunks. */
    freeChunks: number;
    /** Bytes of free chunks, headers included. */
    freeBytes: number;
  };
}

/**
 * Replacements for the public allocation entries, installed by optional layers (`arenalloc/profile`,
 * `arenalloc/debug`) through `heap._hooks`. The public entry validates argument types first; a hook
 * returns 0 for out of memory (the entry throws), validates pointers itself, and reaches the
 * allocators through the heap's `_raw*` methods (or the next hook in a chain).
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
  _tracer: { tracebackOf(ptr: number): string | undefined } | null;

  /** @internal Use {@link createHeap} or {@link Heap.attach}. */
  constructor(mem: Memory, align: number) {
    this._mem = mem;
    this.align = align;
    this._large = new Tlsf(mem, align);
    this._hooks = null;
    this._tracer = null;
  }

  /**
   * Re-opens a heap from its buffer: a copy of one, a worker's view of a SharedArrayBuffer, a
   * buffer restored from disk, or the `WebAssembly.Memory` it lives in.
   *
   * @throws {@link NotAHeapError} when the buffer holds no heap or a truncated one
   * @throws {@link LayoutVersionError} when it was written by another layout version
   * @example
   * ```ts
   * const copy = Heap.attach(heap.buffer.slice(0));
   * ```
   */
  static attach(source: ArrayBuffer | SharedArrayBuffer | WebAssembly.Memory): Heap {
    const mem = wrapMemory(source);
    if (mem.byteLength < HEADER_BYTES + 2 * CHUNK_HEADER) {
      throw new NotAHeapError(`a buffer of ${mem.byteLength} bytes is too small to hold a heap`);
    }
    const u32 = mem.u32;
    if (u32[W_MAGIC] !== MAGIC) throw new NotAHeapError('the buffer does not start with the arenalloc magic number');
    if (u32[W_VERSION] !== LAYOUT_VERSION) {
      throw new LayoutVersionError(
        `heap layout version ${u32[W_VERSION]}, this library reads version ${LAYOUT_VERSION}`,
        u32[W_VERSION] as number,
      );
    }
    const align = u32[W_ALIGN] as number;
    const end = u32[W_HEAP_END] as number;
    if (u32[W_HEADER_BYTES] !== HEADER_BYTES || (align !== 8 && align !== 16) || end < HEADER_BYTES || (end & (align - 1)) !== 0) {
      throw new NotAHeapError('the heap header is damaged');
    }
    if (end + CHUNK_HEADER > mem.byteLength) {
      throw new NotAHeapError(`the heap is truncated: it ends at byte ${end + CHUNK_HEADER} but the buffer has ${mem.byteLength}`);
    }
    return new Heap(mem, align);
  }

  /** The buffer the heap lives in. After growth of a `wasm` store this is a new object. */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this._mem.buffer;
  }

  /** The `WebAssembly.Memory` of a `wasm` store, else null. */
  get memory(): WebAssembly.Memory | null {
    return this._mem.wasm;
  }

  /** The kind of backing store. */
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
    if (typeof size !== 'number' || size >>> 0 !== size || size > MAX_REQUEST) throw invalidSize(size);
    const ptr = this._hooks === null ? this._rawMalloc(size) : this._hooks.malloc(size);
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
    return this._hooks === null ? this._rawMalloc(size) : this._hooks.malloc(size);
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
    const ptr = this._hooks === null ? this._rawMalloc(total) : this._hooks.malloc(total);
    if (ptr === 0) throw outOfMemory(total);
    this._mem.u8.fill(0, ptr, ptr + total);
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
    const ptr = this._hooks === null ? this._rawAlignedAlloc(size, alignment) : this._hooks.alignedAlloc(size, alignment);
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
    const moved = this._hooks === null ? this._rawRealloc(ptr, size) : this._hooks.realloc(ptr, size);
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
    if (ptr === 0) return;
    checkPointerType(ptr);
    if (this._hooks === null) this._rawFree(ptr);
    else this._hooks.free(ptr);
  }

  /**
   * The number of bytes the block at `ptr` can hold: at least what was asked for, often more.
   *
   * @throws {@link InvalidPointerError} / {@link DoubleFreeError} for a bad `ptr`
   */
  usableSize(ptr: number): number {
    checkPointerType(ptr);
    return this._hooks === null ? this._rawUsableSize(ptr) : this._hooks.usableSize(ptr);
  }

  /**
   * Whether `ptr` is the start of a live block of this heap. Never throws.
   */
  isLive(ptr: number): boolean {
    if (typeof ptr !== 'number' || ptr >>> 0 !== ptr || ptr === 0) return false;
    return this._hooks === null ? this._rawIsLive(ptr) : this._hooks.isLive(ptr);
  }

  // ─── the raw layer: what the public entries call when no hooks are installed ─────────────
  //
  // Sizes reaching these are validated integers; pointers are validated as non-zero uint32
  // numbers, and each raw entry checks that a pointer is a live block before touching anything.
  // Hooks (tracing, debug mode) call these to reach the allocators underneath.

  /** @internal Allocates a validated size; 0 when out of memory. */
  _rawMalloc(size: number): number {
    if (size > this._large.maxRequest) return 0;
    const ptr = this._large.malloc(size);
    if (ptr === 0) return 0;
    this._countAlloc(this._large.usableSize(ptr));
    return ptr;
  }

  /** @internal Aligned allocation of a validated size and power-of-two alignment; 0 when out of memory. */
  _rawAlignedAlloc(size: number, alignment: number): number {
    if (alignment <= this.align) return this._rawMalloc(size);
    const ptr = size > this._large.maxRequest ? 0 : this._large.alignedAlloc(size, alignment);
    if (ptr === 0) return 0;
    this._countAlloc(this._large.usableSize(ptr));
    return ptr;
  }

  /** @internal Realloc of a non-zero pointer; 0 when out of memory (the old block stays live). */
  _rawRealloc(ptr: number, size: number): number {
    this._checkLive(ptr);
    const large = this._large;
    const old = large.usableSize(ptr);
    if (size <= large.maxRequest && large.resizeInPlace(ptr, size)) {
      const now = large.usableSize(ptr);
      const f64 = this._mem.f64;
      const live = (f64[F_LIVE_BYTES] as number) + now - old;
      f64[F_LIVE_BYTES] = live;
      if (live > (f64[F_PEAK_BYTES] as number)) f64[F_PEAK_BYTES] = live;
      return ptr;
    }
    const moved = this._rawMalloc(size);
    if (moved === 0) return 0;
    this._mem.u8.copyWithin(moved, ptr, ptr + Math.min(old, size));
    this._countFree(old);
    large.free(ptr);
    return moved;
  }

  /** @internal Frees a non-zero pointer after checking it is a live block. */
  _rawFree(ptr: number): void {
    this._checkLive(ptr);
    this._countFree(this._large.usableSize(ptr));
    this._large.free(ptr);
  }

  /** @internal Usable size of a live block (checked). */
  _rawUsableSize(ptr: number): number {
    this._checkLive(ptr);
    return this._large.usableSize(ptr);
  }

  /** @internal Whether a non-zero uint32 is a live user block. */
  _rawIsLive(ptr: number): boolean {
    if ((ptr & (this.align - 1)) !== 0) return false;
    return this._large.classify(ptr) === 0 && this._large.requestedOf(ptr) !== INTERNAL_REQUEST;
  }

  /** @internal Throws unless `ptr` (a uint32) is the start of a live user block. O(1). */
  _checkLive(ptr: number): void {
    if ((ptr & (this.align - 1)) !== 0) throw new InvalidPointerError(`pointer ${ptr} is not aligned to ${this.align}`, ptr);
    const kind = this._large.classify(ptr);
    if (kind === 1) throw new DoubleFreeError(`pointer ${ptr} was already freed`, ptr);
    if (kind !== 0) throw new InvalidPointerError(`pointer ${ptr} is not the start of a block of this heap`, ptr);
    if (this._large.requestedOf(ptr) === INTERNAL_REQUEST) {
      throw new InvalidPointerError(`pointer ${ptr} is memory the heap manages itself`, ptr);
    }
  }

  /** @internal */
  _countAlloc(bytes: number): void {
    const f64 = this._mem.f64;
    const live = (f64[F_LIVE_BYTES] as number) + bytes;
    f64[F_LIVE_BYTES] = live;
    if (live > (f64[F_PEAK_BYTES] as number)) f64[F_PEAK_BYTES] = live;
    f64[F_ALLOCATIONS] = (f64[F_ALLOCATIONS] as number) + 1;
  }

  /** @internal */
  _countFree(bytes: number): void {
    const f64 = this._mem.f64;
    f64[F_LIVE_BYTES] = (f64[F_LIVE_BYTES] as number) - bytes;
    f64[F_FREES] = (f64[F_FREES] as number) + 1;
  }

  /**
   * A byte view of the live block at `ptr` (its usable size, or `length` bytes). The view reads
   * the heap's memory directly; after the store grows it may go stale ({@link Heap.isStale}).
   *
   * @throws {@link InvalidPointerError} for a bad `ptr` or a `length` beyond the block
   */
  bytes(ptr: number, length?: number): Uint8Array {
    const usable = this.usableSize(ptr);
    const n = length ?? usable;
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
    if (view.buffer !== this._mem.buffer) return true;
    return view.byteOffset + view.byteLength > this._mem.byteLength || (view.byteLength === 0 && this._mem.byteLength === 0);
  }

  /**
   * Throws {@link StaleViewError} if `view` is stale ({@link Heap.isStale}); returns it otherwise.
   */
  assertFresh<T extends ArrayBufferView>(view: T): T {
    if (this.isStale(view)) throw new StaleViewError('the view was taken before the heap memory was replaced; take a new one');
    return view;
  }

  /**
   * The heap's figures: live blocks and bytes, peak, free space, backing size.
   *
   * @example
   * ```ts
   * const { liveBlocks, liveBytes, peakLiveBytes } = heap.stats();
   * ```
   */
  stats(): HeapStats {
    const f64 = this._mem.f64;
    const allocations = f64[F_ALLOCATIONS] as number;
    const frees = f64[F_FREES] as number;
    return {
      store: this._mem.kind,
      backingBytes: this._mem.byteLength,
      peakBackingBytes: f64[F_PEAK_BACKING] as number,
      liveBlocks: allocations - frees,
      liveBytes: f64[F_LIVE_BYTES] as number,
      peakLiveBytes: f64[F_PEAK_BYTES] as number,
      freeBytes: f64[F_LARGE_FREE_BYTES] as number,
      totalAllocations: allocations,
      totalFrees: frees,
      large: {
        usedChunks: f64[F_LARGE_USED_CHUNKS] as number,
        usedBytes: f64[F_LARGE_USED_BYTES] as number,
        freeChunks: f64[F_LARGE_FREE_CHUNKS] as number,
        freeBytes: f64[F_LARGE_FREE_BYTES] as number,
      },
    };
  }

  /**
   * Walks every structure of the heap and throws {@link HeapCorruptedError} naming the first
   * broken invariant. O(heap size): meant for tests, debugging, and after loading a heap.
   */
  check(): void {
    const u32 = this._mem.u32;
    if (u32[W_MAGIC] !== MAGIC || u32[W_VERSION] !== LAYOUT_VERSION || u32[W_ALIGN] !== this.align) {
      throw new HeapCorruptedError('the heap header has been overwritten');
    }
    let blocks = 0;
    let bytes = 0;
    const large = this._large;
    large.check((payload, chunkSize) => {
      if (large.requestedOf(payload) === INTERNAL_REQUEST) return;
      blocks++;
      bytes += chunkSize - CHUNK_HEADER;
    });
    const stats = this.stats();
    if (stats.liveBlocks !== blocks || stats.liveBytes !== bytes) {
      throw new HeapCorruptedError(
        `counters say ${stats.liveBlocks} live blocks of ${stats.liveBytes} bytes; the walk found ${blocks} of ${bytes}`,
      );
    }
  }

  /**
   * Gives free memory at the top of the heap back to the backing store, where the store can
   * shrink (a resizable ArrayBuffer). Views over the released range go stale.
   *
   * @returns the number of bytes released
   */
  trim(): number {
    return this._large.trim(HEADER_BYTES + CHUNK_HEADER + MIN_CHUNK);
  }
}

/**
 * Creates a heap in a new backing store.
 *
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * const heap = createHeap({ initialBytes: 1 << 20 });
 * const p = heap.malloc(64);
 * new Uint8Array(heap.buffer, p, 64).fill(7);
 * heap.free(p);
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function createHeap(options: HeapOptions = {}): Heap {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  if (options.debug === true) {
    throw new InvalidArgumentError("debug mode lives in 'arenalloc/debug': use createDebugHeap(options) from there");
  }
  const align = options.align ?? 16;
  if (align !== 8 && align !== 16) throw new InvalidArgumentError(`align must be 8 or 16, got ${String(align)}`);
  const mem = createMemory(options);
  const u32 = mem.u32;
  u32.fill(0, 0, HEADER_BYTES >>> 2);
  u32[W_MAGIC] = MAGIC;
  u32[W_VERSION] = LAYOUT_VERSION;
  u32[W_HEADER_BYTES] = HEADER_BYTES;
  u32[W_ALIGN] = align;
  u32[W_POOL_SIZE] = 0;
  u32[W_ARENA_SIZE] = 0;
  const heap = new Heap(mem, align);
  heap._large.format();
  return heap;
}

function invalidSize(size: unknown): InvalidSizeError {
  const shown = typeof size === 'bigint' ? `${size}n` : typeof size === 'string' ? JSON.stringify(size) : String(size);
  return new InvalidSizeError(`size must be an integer from 0 to ${MAX_REQUEST}, got ${shown}`);
}

function checkPointerType(ptr: unknown): void {
  if (typeof ptr !== 'number' || ptr >>> 0 !== ptr) {
    throw new InvalidPointerError(`not a pointer: ${typeof ptr === 'bigint' ? `${ptr}n` : String(ptr)}`);
  }
}

function outOfMemory(size: number): OutOfMemoryError {
  return new OutOfMemoryError(`out of memory: cannot allocate ${size} bytes`, size);
}
