/**
 * The backing store: the one buffer a heap lives in, how it grows, and the typed views the
 * library reads it through.
 *
 * Four kinds of store:
 *
 * | kind        | buffer                                   | grows                          | shrinks |
 * |-------------|------------------------------------------|--------------------------------|---------|
 * | `fixed`     | `ArrayBuffer`                            | never                          | never   |
 * | `resizable` | `ArrayBuffer` with `maxByteLength`       | in place (`resize`)            | yes     |
 * | `shared`    | growable `SharedArrayBuffer`             | in place (`grow`)              | never   |
 * | `wasm`      | `WebAssembly.Memory` (64 KiB pages)      | `grow()`, detaches old buffer  | never   |
 *
 * `createHeap()` without a `store` option makes a `shared` store where the runtime has a growable
 * `SharedArrayBuffer`, else a `resizable` one (see {@link StoreOptions.store}): V8 accesses typed
 * arrays over a resizable `ArrayBuffer` several times more slowly than over the other three.
 *
 * Every view is rebuilt by {@link Memory.rebind} after growth, and {@link Memory.epoch} counts
 * how often that happened, so a view handed to a user can tell that it has gone stale.
 *
 * @module
 */

import { InvalidArgumentError } from '../errors';

/** The kinds of backing store a heap can live in. */
export type StoreKind = 'fixed' | 'resizable' | 'shared' | 'wasm';

/**
 * The part of a `WebAssembly.Memory` a heap uses. Where the program's TypeScript libs declare
 * `WebAssembly` (the DOM lib, or newer Node types) this is `WebAssembly.Memory` itself; where they
 * do not (a Node-only project with `lib: ["es2022"]`), it is the shape below, so that arenalloc's
 * types compile without the DOM lib. At run time only a real `WebAssembly.Memory` is accepted.
 */
export type WasmMemory = typeof globalThis extends {
  /** The `WebAssembly` namespace, where the libs declare it. */
  WebAssembly: {
    /** Its `Memory` constructor. */
    Memory: {
      /** The prototype, typed as a `WebAssembly.Memory`. */
      prototype: infer M;
    };
  };
}
  ? M
  : WasmMemoryShape;

/** The shape of {@link WasmMemory} for programs whose libs do not declare `WebAssembly`. */
export interface WasmMemoryShape {
  /** The current buffer; growing the memory detaches it and puts a new one here. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Grows the memory by `delta` 64 KiB pages; returns the previous size in pages. */
  grow(delta: number): number;
}

/** WebAssembly page size in bytes. */
export const WASM_PAGE = 65536;

/** Largest heap a 32-bit pointer can address: 4 GiB less one page. */
export const MAX_STORE_BYTES = 0x1_0000_0000 - WASM_PAGE;

/**
 * The backing store of a heap and the typed views over it. One per heap.
 * @internal
 */
export class Memory {
  /** The kind of store. */
  readonly kind: StoreKind;
  /** The `WebAssembly.Memory`, for `wasm` stores. */
  readonly wasm: WasmMemory | null;
  /** The buffer as of the last rebind. */
  buffer: ArrayBuffer | SharedArrayBuffer;
  /** Byte view. */
  u8: Uint8Array;
  /** Word view (pointers and sizes are read as `u32[p >>> 2]`). */
  u32: Uint32Array;
  /** Signed word view. */
  i32: Int32Array;
  /** Float view, for 64-bit counters in the header. */
  f64: Float64Array;
  /** Bumped every time the views are rebuilt after the store changed size. */
  epoch: number;
  /** The largest byte length the store may reach. */
  readonly maxBytes: number;
  /** Whether the buffer is shared memory (a `SharedArrayBuffer`, growable or not). */
  readonly shared: boolean;

  constructor(kind: StoreKind, buffer: ArrayBuffer | SharedArrayBuffer, wasm: WasmMemory | null, maxBytes: number) {
    this.kind = kind;
    this.wasm = wasm;
    this.buffer = buffer;
    this.maxBytes = maxBytes;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
    this.epoch = 0;
    const length = buffer.byteLength;
    this.u8 = new Uint8Array(buffer, 0, length);
    this.u32 = new Uint32Array(buffer, 0, length >>> 2);
    this.i32 = new Int32Array(buffer, 0, length >>> 2);
    this.f64 = new Float64Array(buffer, 0, length >>> 3);
  }

  /**
   * Fills bytes `start` to `end` with `value` (0 to 255). V8 fills a typed array over shared
   * memory element by element, so over a `SharedArrayBuffer` a long range goes four bytes at a
   * time (16 KiB: about 2.3 µs against 8.3 µs for a byte fill, `bench/store.bench.mjs`); over any
   * other buffer a byte fill is a `memset` and the fastest there is. A short range is a loop of
   * stores, cheaper than the call into `fill`.
   */
  fillBytes(value: number, start: number, end: number): void {
    const u8 = this.u8;
    if (end - start >= 64 && !this.shared) {
      u8.fill(value, start, end);
      return;
    }
    // Not `(start + 3) & ~3`: addresses reach 4 GiB, past what a 32-bit signed `&` keeps.
    const first = start + (-start & 3);
    const last = end - (end & 3);
    if (last <= first) {
      for (let i = start; i < end; i++) u8[i] = value;
      return;
    }
    for (let i = start; i < first; i++) u8[i] = value;
    const word = (value & 0xff) * 0x01010101;
    if (last - first <= 256) {
      const u32 = this.u32;
      for (let w = first >>> 2, stop = last >>> 2; w < stop; w++) u32[w] = word;
    } else {
      this.u32.fill(word, first >>> 2, last >>> 2);
    }
    for (let i = last; i < end; i++) u8[i] = value;
  }

  /** Current byte length of the store. */
  get byteLength(): number {
    return this.u8.length;
  }

  /** Rebuilds every view over the current buffer (after growth or shrinking). */
  rebind(): void {
    const buffer = this.wasm !== null ? this.wasm.buffer : this.buffer;
    this.buffer = buffer;
    const length = buffer.byteLength;
    this.u8 = new Uint8Array(buffer, 0, length);
    this.u32 = new Uint32Array(buffer, 0, length >>> 2);
    this.i32 = new Int32Array(buffer, 0, length >>> 2);
    this.f64 = new Float64Array(buffer, 0, length >>> 3);
    this.epoch++;
  }

  /**
   * Grows the store to at least `minBytes` (a multiple of 64 KiB), and by at least a sixteenth of
   * its size, so that a run of small growths costs amortised O(1) calls. Every growable store
   * grows in place (nothing is copied), so a small factor costs a few more `resize`/`grow` calls
   * and saves memory: the store stays within about 6% of what the heap needs, where doubling
   * could leave it nearly twice as large. Returns false, changing nothing, when the store cannot
   * reach `minBytes`.
   */
  grow(minBytes: number): boolean {
    const current = this.byteLength;
    if (minBytes <= current) return true;
    if (minBytes > this.maxBytes || this.kind === 'fixed') return false;
    let target = Math.max(minBytes, Math.min(current + Math.max(current >>> 4, WASM_PAGE), this.maxBytes));
    target = Math.min(roundUp(target, WASM_PAGE), this.maxBytes);
    if (target < minBytes) return false;
    try {
      if (this.kind === 'resizable') (this.buffer as ArrayBuffer).resize(target);
      else if (this.kind === 'shared') (this.buffer as SharedArrayBuffer).grow(target);
      else (this.wasm as WasmMemory).grow((target - current) / WASM_PAGE);
    } catch {
      // The engine refused the larger size (address space, or a limit of its own): retry with
      // exactly what is needed before reporting out of memory.
      const exact = roundUp(minBytes, WASM_PAGE);
      if (exact === target) return false;
      try {
        if (this.kind === 'resizable') (this.buffer as ArrayBuffer).resize(exact);
        else if (this.kind === 'shared') (this.buffer as SharedArrayBuffer).grow(exact);
        else (this.wasm as WasmMemory).grow((exact - current) / WASM_PAGE);
      } catch {
        return false;
      }
    }
    this.rebind();
    return true;
  }

  /**
   * Re-binds the views if the `WebAssembly.Memory` was grown behind the heap's back (by WASM code,
   * which detaches the buffer the views were over). Returns whether it did. Called on cold paths
   * only: where a detached view made a lookup fail, and by the reporting entries.
   */
  refresh(): boolean {
    if (this.wasm === null || this.wasm.buffer === this.buffer) return false;
    this.rebind();
    return true;
  }

  /** Whether the store can give memory back ({@link Memory.shrink}). */
  get canShrink(): boolean {
    return this.kind === 'resizable';
  }

  /** Shrinks a resizable store to `bytes` (a multiple of 64 KiB). Returns whether it shrank. */
  shrink(bytes: number): boolean {
    if (this.kind !== 'resizable' || bytes >= this.byteLength) return false;
    (this.buffer as ArrayBuffer).resize(bytes);
    this.rebind();
    return true;
  }
}

/**
 * Rounds a non-negative integer `n` (below 2^53) up to a multiple of `to`, a power of two up to
 * 2^30. Exact without a division: `-n & (to - 1)` keeps the low bits of `-n` modulo 2^32, which is
 * the distance to the next multiple.
 */
export function roundUp(n: number, to: number): number {
  return n + (-n & (to - 1));
}

/** Options that choose and size the backing store. */
export interface StoreOptions {
  /**
   * The kind of store to create.
   *
   * The default is `'shared'`, a growable `SharedArrayBuffer`, wherever the runtime has one
   * (Node 20 and later, and cross-origin isolated browser pages), and `'resizable'`, a resizable
   * `ArrayBuffer`, elsewhere (browser pages that are not cross-origin isolated, where
   * `SharedArrayBuffer` is undefined); `heap.store` says which one a heap got. Both grow in
   * place, so growth never leaves a view stale. The shared store is the default because V8
   * reads and writes typed arrays over a resizable `ArrayBuffer` several times more slowly than over
   * a plain one, a growable `SharedArrayBuffer` or a `WebAssembly.Memory`.
   *
   * What the default costs: a `SharedArrayBuffer` cannot shrink, so `heap.trim()` returns 0 on
   * it; pass `store: 'resizable'` to get memory back with `trim()`, at the price of the slower
   * access. On the default store `heap.buffer` is a `SharedArrayBuffer`, whose views a few web
   * APIs refuse (in browsers `TextDecoder.decode` and `crypto.getRandomValues`, for instance): copy
   * the bytes out, or choose `'resizable'` or `'fixed'`. And `heap.buffer.slice(0)` is a `SharedArrayBuffer` that
   * cannot grow: `Heap.attach` opens it as a `'fixed'` store.
   *
   * @defaultValue `'shared'` where the runtime has a growable `SharedArrayBuffer`, else `'resizable'`
   */
  store?: StoreKind;
  /**
   * Initial size of the store in bytes; rounded up to a multiple of 64 KiB.
   * @defaultValue `1048576` (1 MiB)
   */
  initialBytes?: number;
  /**
   * The most the store may grow to, in bytes; rounded up to a multiple of 64 KiB. MUST be at
   * least `initialBytes` and at most 4 GiB − 64 KiB. Ignored for `fixed` stores.
   * @defaultValue `268435456` (256 MiB)
   */
  maxBytes?: number;
}

// Heaps over one buffer or WebAssembly.Memory (a second `Heap.attach` of the same one) share one
// Memory, so that when any of them grows or shrinks the store, all of them re-bind their views
// (growing a WebAssembly.Memory detaches the old buffer; a view over a grown SharedArrayBuffer or
// resizable ArrayBuffer keeps its old length). Keyed by the WebAssembly.Memory, else the buffer.
const known = new WeakMap<object, Memory>();

/** Creates a fresh backing store of the given kind. @internal */
export function createMemory(options: StoreOptions): Memory {
  const mem = newMemory(options);
  known.set(mem.wasm ?? mem.buffer, mem);
  return mem;
}

// Whether the runtime has a growable SharedArrayBuffer: undefined until the first heap asks, so
// that importing the module does no work.
let growableShared: boolean | undefined;

/** The store a heap gets when its options name none: `'shared'` where it can, else `'resizable'`. */
function defaultStore(): StoreKind {
  if (growableShared === undefined) {
    try {
      growableShared = typeof SharedArrayBuffer === 'function' && new SharedArrayBuffer(0, { maxByteLength: WASM_PAGE }).growable === true;
    } catch {
      growableShared = false;
    }
  }
  return growableShared ? 'shared' : 'resizable';
}

function newMemory(options: StoreOptions): Memory {
  const kind = options.store ?? defaultStore();
  const initial = roundUp(checkBytes('initialBytes', options.initialBytes ?? 1 << 20), WASM_PAGE);
  const max = kind === 'fixed' ? initial : roundUp(checkBytes('maxBytes', options.maxBytes ?? 1 << 28), WASM_PAGE);
  if (max < initial) throw new InvalidArgumentError(`maxBytes (${max}) is below initialBytes (${initial})`);
  switch (kind) {
    case 'fixed':
      return new Memory(kind, new ArrayBuffer(initial), null, initial);
    case 'resizable':
      return new Memory(kind, new ArrayBuffer(initial, { maxByteLength: max }), null, max);
    case 'shared':
      return new Memory(kind, new SharedArrayBuffer(initial, { maxByteLength: max }), null, max);
    case 'wasm': {
      const memory = new WebAssembly.Memory({ initial: initial / WASM_PAGE, maximum: max / WASM_PAGE });
      return new Memory(kind, memory.buffer, memory, max);
    }
    default:
      throw new InvalidArgumentError(`unknown store kind: ${String(kind)}`);
  }
}

/** Wraps an existing buffer or WebAssembly memory (for `Heap.attach`). @internal */
export function wrapMemory(source: ArrayBuffer | SharedArrayBuffer | WasmMemory): Memory {
  const existing = typeof source === 'object' && source !== null ? known.get(source) : undefined;
  if (existing !== undefined) return existing;
  const mem = newWrapper(source);
  known.set(source, mem);
  return mem;
}

function newWrapper(source: ArrayBuffer | SharedArrayBuffer | WasmMemory): Memory {
  if (typeof WebAssembly !== 'undefined' && source instanceof WebAssembly.Memory) {
    return new Memory('wasm', source.buffer, source, MAX_STORE_BYTES);
  }
  if (typeof SharedArrayBuffer !== 'undefined' && source instanceof SharedArrayBuffer) {
    const max = source.growable ? Math.min(source.maxByteLength, MAX_STORE_BYTES) : source.byteLength;
    return new Memory(source.growable ? 'shared' : 'fixed', source, null, max);
  }
  if (source instanceof ArrayBuffer) {
    const max = source.resizable ? Math.min(source.maxByteLength, MAX_STORE_BYTES) : source.byteLength;
    return new Memory(source.resizable ? 'resizable' : 'fixed', source, null, max);
  }
  throw new InvalidArgumentError('attach expects an ArrayBuffer, a SharedArrayBuffer or a WebAssembly.Memory');
}

function checkBytes(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > MAX_STORE_BYTES) {
    throw new InvalidArgumentError(`${name} must be a positive integer of at most ${MAX_STORE_BYTES} bytes`);
  }
  return value;
}
