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
import { HEADER_BYTES, Word } from '../layout';

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
  /**
   * Byte address of the heap header: the heap owns `[base, end of store)` and never reads or
   * writes below it (a WASM module's data and stack live there). A multiple of 16.
   */
  readonly base: number;
  /**
   * Word view of the heap header alone, starting at {@link Memory.base}: the header's word
   * indexes (`W_*`, the TLSF lists, the small allocator's state) index this view, addresses index
   * {@link Memory.u32}. Empty while the store is too short to hold a header (or detached).
   */
  head: Uint32Array;
  /** Float view of the heap header alone (the f64 counters), starting at {@link Memory.base}. */
  counters: Float64Array;

  constructor(kind: StoreKind, buffer: ArrayBuffer | SharedArrayBuffer, wasm: WasmMemory | null, maxBytes: number, base = 0) {
    this.kind = kind;
    this.wasm = wasm;
    this.buffer = buffer;
    this.maxBytes = maxBytes;
    this.base = base;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
    this.epoch = 0;
    const length = buffer.byteLength;
    this.u8 = new Uint8Array(buffer, 0, length);
    this.u32 = new Uint32Array(buffer, 0, length >>> 2);
    this.i32 = new Int32Array(buffer, 0, length >>> 2);
    this.f64 = new Float64Array(buffer, 0, length >>> 3);
    const fits = length >= base + HEADER_BYTES;
    this.head = new Uint32Array(buffer, fits ? base : 0, fits ? HEADER_BYTES >>> 2 : 0);
    this.counters = new Float64Array(buffer, fits ? base : 0, fits ? HEADER_BYTES >>> 3 : 0);
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
    const fits = length >= this.base + HEADER_BYTES;
    this.head = new Uint32Array(buffer, fits ? this.base : 0, fits ? HEADER_BYTES >>> 2 : 0);
    this.counters = new Float64Array(buffer, fits ? this.base : 0, fits ? HEADER_BYTES >>> 3 : 0);
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
   * Grows the store for a heap whose own space ends at `limit` (one past its sentinel chunk), so
   * that at least `need` fresh bytes become the heap's. Returns the address where those bytes
   * begin, or -1, changing nothing, when the store cannot grow that far.
   *
   * The address is `limit` unless someone else grew the store since the heap last did: a
   * `WebAssembly.Memory` that WASM code grew (`memory.grow` for the module's own stack or
   * arena). Those pages are the module's, so the heap's new space starts where `memory.grow`
   * says the old end was, and the caller keeps the pages in between out of its free lists.
   * Other stores are grown by the heap alone (or by the same heap in another thread, which moves
   * the heap end in the header too), so there the heap takes all the store has beyond `limit`.
   */
  extend(limit: number, need: number): number {
    if (this.wasm === null) return this.grow(limit + need) ? limit : -1;
    this.refresh();
    const current = this.buffer.byteLength;
    const fresh = Math.ceil(need / WASM_PAGE);
    if (current + fresh * WASM_PAGE > this.maxBytes) return -1;
    // The same amortised step as `grow`: a sixteenth of the store, within the limit.
    const step = Math.min(Math.max(fresh, Math.ceil(current / 16 / WASM_PAGE)), (this.maxBytes - current) / WASM_PAGE);
    let old: number;
    try {
      old = this.wasm.grow(step);
    } catch {
      // The engine refused (address space, or the memory's own `maximum`): retry with what is needed.
      if (step === fresh) return -1;
      try {
        old = this.wasm.grow(fresh);
      } catch {
        return -1;
      }
    }
    this.rebind();
    return old * WASM_PAGE;
  }

  /**
   * Re-binds the views if the store changed size behind this object's back, and returns whether
   * it did: a `WebAssembly.Memory` grown by WASM code (growth replaces its buffer: an unshared
   * one detaches the old buffer, so every view reads length 0; a shared one leaves the old views
   * valid up to the old length), or a growable `SharedArrayBuffer` grown by another thread (views
   * keep their old length).
   *
   * The test for when to call it is cheap and the same for every layer and every kind of store:
   * an address at or past the views' length ({@link Memory.reach}). Every address the heap owns
   * lay inside the views when the heap last grew, so a read of one can only fail after someone
   * else grew the store, and then only past the old length (or anywhere, for a detached buffer,
   * whose views have length 0). So the hot paths pay for nothing but the test where they take an
   * address from outside, and the re-bind itself runs once per growth.
   */
  refresh(): boolean {
    if (this.wasm !== null) {
      if (this.wasm.buffer === this.buffer) return false;
    } else if (this.kind !== 'shared' || this.buffer.byteLength === this.u8.length) {
      return false;
    }
    this.rebind();
    return true;
  }

  /**
   * Makes the views cover `address` if the store has grown that far behind this object's back
   * ({@link Memory.refresh}): for layers that read an address they did not just take from the
   * views themselves (a pointer from the user, an rc field). One compare when it already does.
   */
  reach(address: number): void {
    if (address >= this.u8.length) this.refresh();
  }

  /**
   * Makes the views cover the whole heap, its sentinel chunk included, if another thread grew the
   * store since they were bound: the heap end in the header lies past them then. For the entries
   * of a layer that may follow links anywhere in the heap (the TLSF lists, the arena table), where
   * no single address says how far the next read goes. One header load and one compare; the
   * negated form also re-binds views that WASM code detached (the load reads undefined).
   */
  reachEnd(): void {
    // 16: the sentinel's chunk header (`Chunk.HEADER` of `src/large`, which this layer sits below).
    if (!((this.head[Word.HEAP_END] as number) + 16 <= this.u8.length)) this.refresh();
  }

  /**
   * The store's byte length as it is now, re-binding first: larger than the views' after growth
   * by someone else.
   */
  currentLength(): number {
    this.refresh();
    return this.u8.length;
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
   * least `initialBytes` and at most 4 GiB − 64 KiB. Ignored for `fixed` stores. For an adopted
   * `memory` the limit is that memory's own `maximum` where the runtime tells it, else 4 GiB −
   * 64 KiB, unless `maxBytes` is smaller.
   * @defaultValue `268435456` (256 MiB); for an adopted `memory`, its own limit
   */
  maxBytes?: number;
  /**
   * An existing `WebAssembly.Memory` to make the heap in, instead of creating one: the memory a
   * WASM module defined and exported (wasm-ld's default), or one shared between threads. Needs
   * `store: 'wasm'` (or no `store`). The heap takes the memory from `base` to its current end
   * (grown to `initialBytes` when that is given and larger); later growth by the module is the
   * module's own and is never handed out.
   * @defaultValue none: a `'wasm'` store creates its own memory
   */
  memory?: WasmMemory;
  /**
   * Byte address where the heap begins, its header included; nothing below it is ever read or
   * written. MUST be a multiple of 16. Set it to a module's `__heap_base` so that the module's
   * static data and stack stay below the heap. `Heap.attach` needs the same `base`.
   * @defaultValue `0`
   */
  base?: number;
  /**
   * For a `'wasm'` store that creates its memory: make it a shared memory (a
   * `SharedArrayBuffer` inside, for threaded modules). Needs a `maxBytes`, as shared memories
   * must declare their maximum.
   * @defaultValue `false`
   */
  shared?: boolean;
}

// Heaps over one buffer or WebAssembly.Memory (a second `Heap.attach` of the same one) share one
// Memory, so that when any of them grows or shrinks the store, all of them re-bind their views
// (growing a WebAssembly.Memory detaches the old buffer; a view over a grown SharedArrayBuffer or
// resizable ArrayBuffer keeps its old length). Keyed by the WebAssembly.Memory, else the buffer.
const known = new WeakMap<object, Memory>();

/** Creates a fresh backing store of the given kind, or adopts `options.memory`. @internal */
export function createMemory(options: StoreOptions): Memory {
  const base = checkBase(options.base ?? 0);
  const mem = options.memory !== undefined ? adoptMemory(options, base) : newMemory(options, base);
  known.set(mem.wasm ?? mem.buffer, mem);
  return mem;
}

/** Smallest span a heap needs above its base: the header and room for a first chunk. */
const MIN_HEAP_SPAN = HEADER_BYTES + 256;

function checkBase(base: unknown): number {
  if (typeof base !== 'number' || base >>> 0 !== base || (base & 15) !== 0 || base > MAX_STORE_BYTES - MIN_HEAP_SPAN) {
    throw new InvalidArgumentError(`base must be a multiple of 16 from 0 to ${MAX_STORE_BYTES - MIN_HEAP_SPAN}, got ${String(base)}`);
  }
  return base;
}

/** The `maximum` of a WebAssembly.Memory in bytes, where the runtime can tell it (type reflection), else the 32-bit limit. */
function memoryMaximum(memory: WasmMemory): number {
  const typed = memory as { type?: () => { maximum?: number } };
  const maximum = typeof typed.type === 'function' ? typed.type().maximum : undefined;
  return typeof maximum === 'number' ? Math.min(maximum * WASM_PAGE, MAX_STORE_BYTES) : MAX_STORE_BYTES;
}

function adoptMemory(options: StoreOptions, base: number): Memory {
  const memory = options.memory as WasmMemory;
  if (typeof WebAssembly === 'undefined' || !(memory instanceof WebAssembly.Memory)) {
    throw new InvalidArgumentError('memory must be a WebAssembly.Memory');
  }
  if (options.store !== undefined && options.store !== 'wasm') {
    throw new InvalidArgumentError(`memory needs store 'wasm', got ${JSON.stringify(options.store)}`);
  }
  let max = memoryMaximum(memory);
  if (options.maxBytes !== undefined) max = Math.min(max, roundUp(checkBytes('maxBytes', options.maxBytes), WASM_PAGE));
  const current = memory.buffer.byteLength;
  const wanted = Math.max(
    roundUp(base + MIN_HEAP_SPAN, WASM_PAGE),
    options.initialBytes === undefined ? 0 : roundUp(checkBytes('initialBytes', options.initialBytes), WASM_PAGE),
  );
  if (wanted > max) throw new InvalidArgumentError(`the heap needs ${wanted} bytes of memory, more than its limit of ${max}`);
  if (wanted > current) {
    try {
      memory.grow((wanted - current) / WASM_PAGE);
    } catch {
      throw new InvalidArgumentError(`the memory cannot grow to the ${wanted} bytes the heap needs`);
    }
  }
  return new Memory('wasm', memory.buffer, memory, Math.max(max, memory.buffer.byteLength), base);
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

function newMemory(options: StoreOptions, base: number): Memory {
  const kind = options.store ?? defaultStore();
  let initial = roundUp(checkBytes('initialBytes', options.initialBytes ?? 1 << 20), WASM_PAGE);
  // A heap above a base needs its span above it: the default size grows with the base.
  if (options.initialBytes === undefined) initial = Math.max(initial, roundUp(base + MIN_HEAP_SPAN, WASM_PAGE));
  if (initial < base + MIN_HEAP_SPAN) {
    throw new InvalidArgumentError(`initialBytes (${initial}) leaves no room for a heap above base ${base}`);
  }
  const max = kind === 'fixed' ? initial : roundUp(checkBytes('maxBytes', options.maxBytes ?? Math.max(1 << 28, initial)), WASM_PAGE);
  if (max < initial) throw new InvalidArgumentError(`maxBytes (${max}) is below initialBytes (${initial})`);
  if (options.shared === true && kind !== 'wasm') throw new InvalidArgumentError("shared: true is for store 'wasm'");
  switch (kind) {
    case 'fixed':
      return new Memory(kind, new ArrayBuffer(initial), null, initial, base);
    case 'resizable':
      return new Memory(kind, new ArrayBuffer(initial, { maxByteLength: max }), null, max, base);
    case 'shared':
      return new Memory(kind, new SharedArrayBuffer(initial, { maxByteLength: max }), null, max, base);
    case 'wasm': {
      const shared = options.shared === true;
      const memory = new WebAssembly.Memory({ initial: initial / WASM_PAGE, maximum: max / WASM_PAGE, shared });
      return new Memory(kind, memory.buffer, memory, max, base);
    }
    default:
      throw new InvalidArgumentError(`unknown store kind: ${String(kind)}`);
  }
}

/**
 * Wraps an existing buffer or WebAssembly memory (for `Heap.attach`), with the heap at `base`.
 * A second wrap of the same source at the same base returns the same Memory. @internal
 */
export function wrapMemory(source: ArrayBuffer | SharedArrayBuffer | WasmMemory, base = 0, maxBytes?: number): Memory {
  checkBase(base);
  const existing = typeof source === 'object' && source !== null ? known.get(source) : undefined;
  if (existing !== undefined && existing.base === base) {
    // Another thread (or WASM code) may have grown it since this Memory last looked.
    existing.refresh();
    return existing;
  }
  const mem = newWrapper(source, base, maxBytes);
  if (existing === undefined) known.set(source, mem);
  return mem;
}

function newWrapper(source: ArrayBuffer | SharedArrayBuffer | WasmMemory, base: number, maxBytes: number | undefined): Memory {
  if (typeof WebAssembly !== 'undefined' && source instanceof WebAssembly.Memory) {
    let max = memoryMaximum(source);
    if (maxBytes !== undefined) max = Math.min(max, roundUp(checkBytes('maxBytes', maxBytes), WASM_PAGE));
    return new Memory('wasm', source.buffer, source, Math.max(max, source.buffer.byteLength), base);
  }
  if (typeof SharedArrayBuffer !== 'undefined' && source instanceof SharedArrayBuffer) {
    const max = source.growable ? Math.min(source.maxByteLength, MAX_STORE_BYTES) : source.byteLength;
    return new Memory(source.growable ? 'shared' : 'fixed', source, null, max, base);
  }
  if (source instanceof ArrayBuffer) {
    const max = source.resizable ? Math.min(source.maxByteLength, MAX_STORE_BYTES) : source.byteLength;
    return new Memory(source.resizable ? 'resizable' : 'fixed', source, null, max, base);
  }
  throw new InvalidArgumentError('attach expects an ArrayBuffer, a SharedArrayBuffer or a WebAssembly.Memory');
}

function checkBytes(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > MAX_STORE_BYTES) {
    throw new InvalidArgumentError(`${name} must be a positive integer of at most ${MAX_STORE_BYTES} bytes`);
  }
  return value;
}
