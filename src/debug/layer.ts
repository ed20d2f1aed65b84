/**
 * The debug layer: a {@link HeapHooks} implementation that wraps the hooks below it (tracing, or
 * the raw allocators) and adds guards, fills, the quarantine and the checks.
 *
 * ## Where its state lives
 *
 * Everything about a block is in the buffer: the guards, the fills and the 16-byte debug header
 * (see `layout.ts`). What is JS-side is the layer's registry: the set of live blocks (so that
 * `check()` can visit each one without knowing which allocator serves it), the quarantine's
 * order, the serial counter and the allocation sites of quarantined blocks. `Heap.attach` on a
 * debug heap's buffer therefore sees a plain heap whose live blocks are the inner blocks (each
 * `requested + guardBytes + 32` bytes or so, quarantined ones included) with the guard bytes and
 * headers inside them; the pointers the debug heap handed out are interior pointers of that heap.
 *
 * ## Cost
 *
 * Debug mode is for finding bugs, not for speed: each allocation fills its block, each `free`
 * scans the guards and fills the block again, each quarantine eviction scans the freed bytes, and
 * the registry is a JS `Set`. None of it touches a heap without debug mode: the core only tests
 * whether hooks are installed.
 *
 * @internal
 * @module
 */

import { DoubleFreeError, expectHeap, expectSingleThreaded, InvalidArgumentError, InvalidPointerError } from '../errors';
import { type Heap, type HeapHooks, MAX_REQUEST } from '../heap';
import { installInspect } from '../inspect/install';
import { checkGuardLow, currentHooks, hooksOf, memoryOf, setHooks, tracerOf } from '../port';
import { CLEAN_BYTE, DEAD_BYTE, FORBIDDEN_BYTE } from './bytes';
import { type DamageReport, type DamageSide, FreedBlockWrittenError, GuardBytesError } from './errors';
import { checksumOf, D_CHECKSUM, D_OFFSET, D_REQUESTED, D_SERIAL, DEBUG_HEADER, STATE_FREED, STATE_LIVE } from './layout';
import { firstMismatch, lastMismatch } from './scan';

/** Options of debug mode ({@link enableDebug}, {@link createDebugHeap}). */
export interface DebugOptions {
  /**
   * Forbidden bytes (0xFD) before each block; after it there are at least as many. MUST be a
   * multiple of the heap's alignment, from 8 (16 with the default alignment) to 1024.
   * @defaultValue `16`
   */
  guardBytes?: number;
  /**
   * How many freed blocks the quarantine holds back from reuse at most. The oldest leaves when a
   * new one comes in beyond this count. 0 turns the quarantine off: freed blocks are filled with
   * 0xDD and released at once.
   * @defaultValue `1024`
   */
  quarantineBlocks?: number;
  /**
   * How many bytes (of the blocks underneath, guards included) the quarantine holds at most. A
   * freed block larger than this skips the quarantine.
   * @defaultValue `4194304` (4 MiB)
   */
  quarantineBytes?: number;
}

/** Figures of a debug layer, from {@link DebugLayer.stats}. */
export interface DebugStats {
  /** Blocks allocated through debug mode and not yet freed. */
  liveBlocks: number;
  /** Bytes the callers asked for, summed over those blocks. */
  liveBytes: number;
  /** Freed blocks waiting in the quarantine. */
  quarantinedBlocks: number;
  /** Bytes of those blocks underneath (guards and headers included). */
  quarantinedBytes: number;
  /** Allocations made through debug mode since it was enabled (the last serial number). */
  allocations: number;
}

/** What a verified debug header says about a block. @internal */
export interface BlockHeader {
  /** The block the allocator underneath returned. */
  readonly inner: number;
  /** The bytes the caller asked for. */
  readonly requested: number;
  /** Usable bytes of the inner block. */
  readonly innerBytes: number;
}

const layers = new WeakMap<Heap, DebugLayer>();

/**
 * Debug mode on one heap: guards, fills, the quarantine, and a `check()` that verifies every
 * block. Get it from {@link enableDebug} or {@link debugLayerOf}.
 */
export class DebugLayer {
  /** The heap this layer guards. */
  readonly heap: Heap;
  /** Forbidden bytes before each block (at least as many after it). */
  readonly guardBytes: number;
  /** Most freed blocks the quarantine holds. */
  readonly quarantineBlocks: number;
  /** Most bytes the quarantine holds. */
  readonly quarantineBytes: number;

  /** @internal The hooks below this layer. */
  readonly _next: HeapHooks;
  /** @internal The hooks installed before this layer (null: none). */
  readonly _previous: HeapHooks | null;
  /** @internal `DEBUG_HEADER + guardBytes`: from the header to the user pointer. */
  readonly _lead: number;
  /** @internal Live user pointers. */
  readonly _live: Set<number>;
  /** @internal Quarantined user pointers (membership; the ring holds the order). */
  readonly _freed: Set<number>;
  /** @internal Allocation sites of quarantined blocks, kept while tracing. */
  readonly _freedSites: Map<number, string>;
  /** @internal Quarantine ring: user pointers, inner pointers and inner sizes, oldest at head. */
  _ringUser: Uint32Array;
  /** @internal */
  _ringInner: Uint32Array;
  /** @internal */
  _ringBytes: Uint32Array;
  /** @internal */
  _ringHead: number;
  /** @internal */
  _ringCount: number;
  /** @internal */
  _quarantinedBytes: number;
  /** @internal Requested bytes of live blocks. */
  _liveBytes: number;
  /** @internal Allocations so far; the serial number of the latest. */
  _allocations: number;

  /** @internal Use {@link enableDebug}. */
  constructor(heap: Heap, guardBytes: number, quarantineBlocks: number, quarantineBytes: number, next: HeapHooks) {
    this.heap = heap;
    this.guardBytes = guardBytes;
    this.quarantineBlocks = quarantineBlocks;
    this.quarantineBytes = quarantineBytes;
    this._next = next;
    this._previous = hooksOf(heap);
    this._lead = DEBUG_HEADER + guardBytes;
    this._live = new Set();
    this._freed = new Set();
    this._freedSites = new Map();
    const capacity = Math.min(64, nextPowerOfTwo(Math.max(1, quarantineBlocks)));
    this._ringUser = new Uint32Array(capacity);
    this._ringInner = new Uint32Array(capacity);
    this._ringBytes = new Uint32Array(capacity);
    this._ringHead = 0;
    this._ringCount = 0;
    this._quarantinedBytes = 0;
    this._liveBytes = 0;
    this._allocations = 0;
  }

  // ─── the hooks ──────────────────────────────────────────────────────────────────────────────

  /** @internal */
  malloc(size: number): number {
    return this._allocate(size, 0);
  }

  /** @internal */
  alignedAlloc(size: number, alignment: number): number {
    return this._allocate(size, alignment <= this.heap.align ? 0 : alignment);
  }

  /**
   * @internal Always moves, as AddressSanitizer does, so that a pointer kept across a `realloc`
   * lands in the quarantine and its use is caught.
   */
  realloc(ptr: number, size: number): number {
    const { inner, requested, innerBytes } = this._verifyLive(ptr);
    this._planEvictions(innerBytes);
    const moved = this._allocate(size, 0);
    if (moved === 0) return 0;
    // The allocation may have emptied the quarantine to find room: plan again (cheap then).
    const evictions = this._planEvictions(innerBytes);
    memoryOf(this.heap).u8.copyWithin(moved, ptr, ptr + Math.min(requested, size));
    this._retire(ptr, inner, requested, innerBytes, evictions);
    return moved;
  }

  /** @internal */
  free(ptr: number): void {
    const { inner, requested, innerBytes } = this._verifyLive(ptr);
    // A write through a null pointer is caught at the next free, as a guard overrun is.
    checkGuardLow(this.heap);
    const evictions = this._planEvictions(innerBytes);
    this._retire(ptr, inner, requested, innerBytes, evictions);
  }

  /** @internal The size the caller asked for. */
  usableSize(ptr: number): number {
    if (!this._live.has(ptr)) throw this._badPointer(ptr);
    return this._readHeader(ptr, STATE_LIVE).requested;
  }

  /** @internal */
  isLive(ptr: number): boolean {
    return this._live.has(ptr);
  }

  // ─── public surface ─────────────────────────────────────────────────────────────────────────

  /**
   * Runs the heap's own `check()`, then verifies every live block's guards and header and every
   * quarantined block's fill. Throws the first problem found.
   *
   * @throws {@link GuardBytesError} when a live block's guard or header was overwritten
   * @throws {@link FreedBlockWrittenError} when a quarantined block was written after free
   * @throws {@link arenalloc!HeapCorruptedError} from the heap's own check
   */
  check(): void {
    this.heap.check();
    for (const ptr of this._live) this._verifyLive(ptr);
    for (let i = 0, mask = this._ringUser.length - 1; i < this._ringCount; i++) {
      const slot = (this._ringHead + i) & mask;
      this._verifyFreed(this._ringUser[slot] as number, this._ringInner[slot] as number, this._ringBytes[slot] as number);
    }
  }

  /** The layer's figures: live blocks as the callers see them, and the quarantine. */
  stats(): DebugStats {
    return {
      liveBlocks: this._live.size,
      liveBytes: this._liveBytes,
      quarantinedBlocks: this._ringCount,
      quarantinedBytes: this._quarantinedBytes,
      allocations: this._allocations,
    };
  }

  /**
   * Checks every quarantined block and releases them all to the allocator underneath. Debug mode
   * does this by itself before it reports out of memory.
   *
   * @throws {@link FreedBlockWrittenError} (releasing none) when one was written after free
   */
  flushQuarantine(): void {
    const mask = this._ringUser.length - 1;
    for (let i = 0; i < this._ringCount; i++) {
      const slot = (this._ringHead + i) & mask;
      this._verifyFreed(this._ringUser[slot] as number, this._ringInner[slot] as number, this._ringBytes[slot] as number);
    }
    while (this._ringCount > 0) this._evictOldest();
  }

  /**
   * Turns debug mode off again: empties the quarantine and restores the hooks that were there
   * before. Only possible with no live blocks (their pointers would mean nothing to the heap
   * underneath) and while no other layer was installed on top of this one.
   *
   * @throws {@link arenalloc!InvalidArgumentError} when blocks are live or another layer sits on top
   * @throws {@link FreedBlockWrittenError} when a quarantined block was written after free
   */
  disable(): void {
    if (hooksOf(this.heap) !== this) {
      throw new InvalidArgumentError('another layer was installed over debug mode; remove it first');
    }
    if (this._live.size > 0) {
      throw new InvalidArgumentError(`${this._live.size} blocks allocated in debug mode are still live; free them first`);
    }
    this.flushQuarantine();
    setHooks(this.heap, this._previous);
    layers.delete(this.heap);
  }

  // ─── allocation and release ─────────────────────────────────────────────────────────────────

  /** @internal A guarded block of `size` bytes (aligned to `alignment`, or 0 for the heap's); 0 when out of memory. */
  _allocate(size: number, alignment: number): number {
    const lead = alignment === 0 ? this._lead : roundUp(this._lead, alignment);
    const request = lead + size + this.guardBytes;
    if (request > MAX_REQUEST) return 0;
    const next = this._next;
    let inner = alignment === 0 ? next.malloc(request) : next.alignedAlloc(request, alignment);
    if (inner === 0) {
      // Memory held back by the quarantine is still memory: give it back before failing.
      if (this._ringCount === 0) return 0;
      this.flushQuarantine();
      inner = alignment === 0 ? next.malloc(request) : next.alignedAlloc(request, alignment);
      if (inner === 0) return 0;
    }
    const innerBytes = next.usableSize(inner);
    const user = inner + lead;
    const serial = (this._allocations = this._allocations + 1) >>> 0;
    const mem = memoryOf(this.heap); // after the allocation: the store may have grown
    const header = user - this._lead;
    if (header > inner) mem.fillBytes(FORBIDDEN_BYTE, inner, header);
    const w = header >>> 2;
    const u32 = mem.u32;
    u32[w + D_REQUESTED] = size;
    u32[w + D_SERIAL] = serial;
    u32[w + D_OFFSET] = lead;
    u32[w + D_CHECKSUM] = checksumOf(user, size, serial, lead, STATE_LIVE);
    mem.fillBytes(FORBIDDEN_BYTE, user - this.guardBytes, user);
    mem.fillBytes(CLEAN_BYTE, user, user + size);
    mem.fillBytes(FORBIDDEN_BYTE, user + size, inner + innerBytes);
    this._live.add(user);
    this._liveBytes += size;
    return user;
  }

  /**
   * @internal Fills a verified live block with 0xDD and puts it in the quarantine (after
   * releasing the `evictions` oldest, already verified), or releases it at once (`evictions` -1).
   */
  _retire(user: number, inner: number, requested: number, innerBytes: number, evictions: number): void {
    const site = tracerOf(this.heap) === null || evictions < 0 ? undefined : this._siteOf(user, inner);
    this._live.delete(user);
    this._liveBytes -= requested;
    const mem = memoryOf(this.heap);
    mem.fillBytes(DEAD_BYTE, user, user + requested);
    if (evictions < 0) {
      this._next.free(inner);
      return;
    }
    for (let i = 0; i < evictions; i++) this._evictOldest();
    const w = (user - this._lead) >>> 2;
    const u32 = mem.u32;
    u32[w + D_CHECKSUM] = checksumOf(user, requested, u32[w + D_SERIAL] as number, user - inner, STATE_FREED);
    if (this._ringCount === this._ringUser.length) this._growRing();
    const slot = (this._ringHead + this._ringCount) & (this._ringUser.length - 1);
    this._ringUser[slot] = user;
    this._ringInner[slot] = inner;
    this._ringBytes[slot] = innerBytes;
    this._ringCount++;
    this._quarantinedBytes += innerBytes;
    this._freed.add(user);
    if (site !== undefined) this._freedSites.set(user, site);
  }

  /**
   * @internal How many of the oldest quarantined blocks must leave for a block of `innerBytes`
   * to come in, after verifying each of them (so that a failure changes nothing); -1 when the
   * block skips the quarantine.
   */
  _planEvictions(innerBytes: number): number {
    if (this.quarantineBlocks === 0 || innerBytes > this.quarantineBytes) return -1;
    const mask = this._ringUser.length - 1;
    let count = this._ringCount;
    let bytes = this._quarantinedBytes;
    let n = 0;
    while (count >= this.quarantineBlocks || bytes + innerBytes > this.quarantineBytes) {
      const slot = (this._ringHead + n) & mask;
      this._verifyFreed(this._ringUser[slot] as number, this._ringInner[slot] as number, this._ringBytes[slot] as number);
      bytes -= this._ringBytes[slot] as number;
      count--;
      n++;
    }
    return n;
  }

  /** @internal Releases the oldest quarantined block (verified by the caller). */
  _evictOldest(): void {
    const slot = this._ringHead;
    const user = this._ringUser[slot] as number;
    const inner = this._ringInner[slot] as number;
    this._quarantinedBytes -= this._ringBytes[slot] as number;
    this._ringHead = (slot + 1) & (this._ringUser.length - 1);
    this._ringCount--;
    this._freed.delete(user);
    if (this._freedSites.size > 0) this._freedSites.delete(user);
    this._next.free(inner);
  }

  /** @internal Doubles the ring, keeping its order. */
  _growRing(): void {
    const capacity = this._ringUser.length;
    const users = new Uint32Array(capacity * 2);
    const inners = new Uint32Array(capacity * 2);
    const bytes = new Uint32Array(capacity * 2);
    for (let i = 0; i < this._ringCount; i++) {
      const slot = (this._ringHead + i) & (capacity - 1);
      users[i] = this._ringUser[slot] as number;
      inners[i] = this._ringInner[slot] as number;
      bytes[i] = this._ringBytes[slot] as number;
    }
    this._ringUser = users;
    this._ringInner = inners;
    this._ringBytes = bytes;
    this._ringHead = 0;
  }

  // ─── verification ───────────────────────────────────────────────────────────────────────────

  /** @internal Throws unless `user` is a live block with intact header and guards; returns what its header says. */
  _verifyLive(user: number): BlockHeader {
    if (!this._live.has(user)) throw this._badPointer(user);
    const block = this._readHeader(user, STATE_LIVE);
    this._scanGuards(user, block.inner, block.requested, block.innerBytes, false);
    return block;
  }

  /** @internal Throws unless the quarantined block `user` still holds 0xDD and its guards. */
  _verifyFreed(user: number, inner: number, innerBytes: number): void {
    const { requested } = this._readHeader(user, STATE_FREED);
    const at = firstMismatch(memoryOf(this.heap), user, user + requested, DEAD_BYTE);
    if (at >= 0) throw this._damage(user, 'inside', at, user + requested, DEAD_BYTE, true);
    this._scanGuards(user, inner, requested, innerBytes, true);
  }

  /**
   * @internal Reads and verifies the debug header of `user` (expected in `state`) and returns
   * what it says. A damaged header is reported with the leading guard if that is damaged too (the
   * likelier story: an underrun), else on its own.
   */
  _readHeader(user: number, state: number): BlockHeader {
    const mem = memoryOf(this.heap);
    // WASM code may have grown the memory behind the heap's back: re-bind before reading.
    mem.reach(user);
    const w = (user - this._lead) >>> 2;
    const u32 = mem.u32;
    const requested = u32[w + D_REQUESTED] as number;
    const serial = u32[w + D_SERIAL] as number;
    const offset = u32[w + D_OFFSET] as number;
    const freed = state === STATE_FREED;
    if (u32[w + D_CHECKSUM] !== checksumOf(user, requested, serial, offset, state)) {
      const at = firstMismatch(mem, user - this.guardBytes, user, FORBIDDEN_BYTE);
      if (at >= 0) throw this._damage(user, 'before', at, user, FORBIDDEN_BYTE, freed, -1, -1);
      throw this._headerDamage(user, freed);
    }
    const inner = user - offset;
    const innerBytes = this._next.usableSize(inner);
    if (offset < this._lead || offset + requested + this.guardBytes > innerBytes) throw this._headerDamage(user, freed);
    return { inner, requested, innerBytes };
  }

  /** @internal Scans the padding, the leading and the trailing guard of a block with a good header. */
  _scanGuards(user: number, inner: number, requested: number, innerBytes: number, freed: boolean): void {
    const mem = memoryOf(this.heap);
    const header = user - this._lead;
    let at = firstMismatch(mem, user - this.guardBytes, user, FORBIDDEN_BYTE);
    if (at >= 0) throw this._damage(user, 'before', at, user, FORBIDDEN_BYTE, freed);
    if (header > inner) {
      at = firstMismatch(mem, inner, header, FORBIDDEN_BYTE);
      if (at >= 0) throw this._damage(user, 'before', at, header, FORBIDDEN_BYTE, freed);
    }
    const end = inner + innerBytes;
    at = firstMismatch(mem, user + requested, end, FORBIDDEN_BYTE);
    if (at >= 0) throw this._damage(user, 'after', at, end, FORBIDDEN_BYTE, freed);
  }

  // ─── errors ─────────────────────────────────────────────────────────────────────────────────

  /** @internal The typed error for a pointer that is not a live block of this layer. */
  _badPointer(ptr: number): Error {
    if (this._freed.has(ptr)) {
      return new DoubleFreeError(`pointer ${ptr} was already freed (it waits in the debug quarantine)`, ptr);
    }
    if ((ptr & (this.heap.align - 1)) !== 0) {
      return new InvalidPointerError(`pointer ${ptr} is not aligned to ${this.heap.align}`, ptr);
    }
    // A block that has left the quarantine: the heap underneath knows it as freed.
    const inner = ptr - this._lead;
    if (inner > 0 && !this._next.isLive(inner)) {
      try {
        this._next.usableSize(inner);
      } catch (e) {
        if (e instanceof DoubleFreeError) return new DoubleFreeError(`pointer ${ptr} was already freed`, ptr);
      }
    }
    return new InvalidPointerError(`pointer ${ptr} is not the start of a live block of this debug heap`, ptr);
  }

  /** @internal A damage report for the bytes from `at` to the last bad one before `end`. */
  _damage(
    user: number,
    side: DamageSide,
    at: number,
    end: number,
    expected: number,
    freed: boolean,
    requested = this._headerWord(user, D_REQUESTED, freed),
    serial = this._headerWord(user, D_SERIAL, freed),
  ): Error {
    const u8 = memoryOf(this.heap).u8;
    const last = Math.min(lastMismatch(u8, at, end, expected), at + 31);
    const report: DamageReport = {
      pointer: user,
      side,
      address: at,
      offset: at - user,
      badBytes: u8.slice(at, last + 1),
      expected,
      requestedSize: requested,
      serial,
      traceback: this._siteOf(user, user - this._lead, freed),
    };
    return freed ? new FreedBlockWrittenError(report) : new GuardBytesError(report);
  }

  /** @internal A report for a damaged header with an intact leading guard. */
  _headerDamage(user: number, freed: boolean): Error {
    const header = user - this._lead;
    const report: DamageReport = {
      pointer: user,
      side: 'before',
      address: header,
      offset: header - user,
      badBytes: new Uint8Array(0),
      expected: FORBIDDEN_BYTE,
      requestedSize: -1,
      serial: -1,
      traceback: this._siteOf(user, header, freed),
    };
    return freed ? new FreedBlockWrittenError(report) : new GuardBytesError(report);
  }

  /** @internal A header word of a block whose header checks out, else -1. */
  _headerWord(user: number, word: number, freed: boolean): number {
    const u32 = memoryOf(this.heap).u32;
    const w = (user - this._lead) >>> 2;
    const requested = u32[w + D_REQUESTED] as number;
    const serial = u32[w + D_SERIAL] as number;
    const offset = u32[w + D_OFFSET] as number;
    const ok = u32[w + D_CHECKSUM] === checksumOf(user, requested, serial, offset, freed ? STATE_FREED : STATE_LIVE);
    return ok ? (u32[w + word] as number) : -1;
  }

  /** @internal The allocation site of a block, when tracing knows it (under either pointer). */
  _siteOf(user: number, inner: number, freed = false): string | undefined {
    if (freed) {
      const site = this._freedSites.get(user);
      if (site !== undefined) return site;
    }
    const tracer = tracerOf(this.heap);
    if (tracer === null) return undefined;
    return tracer.tracebackOf(user) ?? tracer.tracebackOf(inner);
  }
}

/**
 * Turns debug mode on for a heap with no live blocks, wrapping whatever hooks it has (tracing).
 * Use it in tests and while hunting a memory bug; leave it off in production.
 *
 * @throws {@link arenalloc!InvalidArgumentError} when the heap has live blocks, already has debug mode, or
 *   an option is out of range
 * @example
 * ```ts
 * import { createHeap } from 'arenalloc';
 * import { enableDebug } from 'arenalloc/debug';
 * const heap = createHeap();
 * const debug = enableDebug(heap, { quarantineBlocks: 64 });
 * const p = heap.malloc(10);
 * new Uint8Array(heap.buffer)[p + 10] = 1; // one byte too far
 * heap.free(p);                            // throws GuardBytesError: 1 byte after the block ...
 * ```
 */
export function enableDebug(heap: Heap, options: DebugOptions = {}): DebugLayer {
  expectHeap(heap, 'enableDebug');
  expectSingleThreaded(heap, 'enableDebug');
  installInspect(); // heap.check() of this heap's users runs the walk of arenalloc/inspect
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  if (layers.has(heap)) throw new InvalidArgumentError('debug mode is already on for this heap');
  const live = heap.stats().liveBlocks;
  if (live !== 0) {
    throw new InvalidArgumentError(
      `debug mode needs a heap without live blocks (this one has ${live}): enable it right after creating the heap`,
    );
  }
  const guardBytes = options.guardBytes ?? 16;
  const minGuard = Math.max(8, heap.align);
  if (
    typeof guardBytes !== 'number' ||
    !Number.isInteger(guardBytes) ||
    guardBytes < minGuard ||
    guardBytes > 1024 ||
    guardBytes % heap.align !== 0
  ) {
    throw new InvalidArgumentError(`guardBytes must be a multiple of ${heap.align} from ${minGuard} to 1024, got ${String(guardBytes)}`);
  }
  const quarantineBlocks = options.quarantineBlocks ?? 1024;
  if (typeof quarantineBlocks !== 'number' || !Number.isInteger(quarantineBlocks) || quarantineBlocks < 0 || quarantineBlocks > 1 << 24) {
    throw new InvalidArgumentError(`quarantineBlocks must be an integer from 0 to ${1 << 24}, got ${String(quarantineBlocks)}`);
  }
  const quarantineBytes = options.quarantineBytes ?? 4 << 20;
  if (typeof quarantineBytes !== 'number' || !Number.isInteger(quarantineBytes) || quarantineBytes < 0 || quarantineBytes > 0xffff_ffff) {
    throw new InvalidArgumentError(`quarantineBytes must be an integer from 0 to ${0xffff_ffff}, got ${String(quarantineBytes)}`);
  }
  const next = currentHooks(heap);
  const layer = new DebugLayer(heap, guardBytes, quarantineBlocks, quarantineBytes, next);
  setHooks(heap, layer);
  layers.set(heap, layer);
  return layer;
}

/** The debug layer of a heap, or undefined when debug mode is off for it. */
export function debugLayerOf(heap: Heap): DebugLayer | undefined {
  expectHeap(heap, 'debugLayerOf');
  return layers.get(heap);
}

function roundUp(n: number, to: number): number {
  return (n + to - 1) & -to;
}

function nextPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}
