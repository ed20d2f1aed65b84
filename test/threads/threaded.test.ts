// Issue 16 §2-3 in one thread (the worker tests are stress.test.ts and mutants.test.ts): a
// threaded heap's entries, its check() and stats(), joins in the same thread (two slots),
// close, reclaim, park, and bad input that stays typed and harmless.
import { describe, expect, it } from 'vitest';
import {
  createHeap,
  DoubleFreeError,
  Heap,
  InvalidArgumentError,
  InvalidPointerError,
  NotThreadSafeError,
  ThreadClosedError,
  ThreadLimitError,
  ThreadsActiveError,
} from '../../src/index';
// The threaded heap lives in arenalloc/threads; loading it installs it into the core.
import '../../src/threads/index';
import { Word } from '../../src/layout';
import { CACHE_ENTRIES, Slot, Table } from '../../src/threads/layout';
import { remoteFlagWord, slotsStart } from '../../src/threads/threaded';
import { checkPattern, expectError, expectUnchanged, fillPattern, snapshot } from '../support/helpers';

describe('a threaded heap in one thread', () => {
  it('allocates, frees, reallocs small and large blocks, with check() and stats() after each step', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 26 });
    expect(heap.threaded).toBe(true);
    expect(heap.threadId).toBe(0);
    expect(heap.store).toBe('shared');
    const live = new Map<number, number>();
    let id = 0;
    for (const size of [0, 1, 16, 17, 100, 512, 513, 4000, 70_000, 2 << 20]) {
      const p = heap.malloc(size);
      const n = heap.usableSize(p);
      expect(n).toBeGreaterThanOrEqual(size);
      fillPattern(heap, p, Math.min(n, size), ++id);
      live.set(p, id);
      heap.check();
    }
    expect(heap.stats().liveBlocks).toBe(10);
    const entries = [...live];
    for (const [p, pid] of entries.slice(0, 5)) {
      heap.free(p);
      live.delete(p);
      expect(heap.isLive(p)).toBe(false);
      heap.check();
      void pid;
    }
    const [q] = entries[6] as [number, number];
    const moved = heap.realloc(q, 9000);
    expect(checkPattern(heap, moved, 513, 7)).toBe(-1);
    heap.check();
    const a = heap.alignedAlloc(100, 4096);
    expect(a % 4096).toBe(0);
    heap.check();
    heap.free(a);
    const c = heap.calloc(10, 10);
    expect([...heap.bytes(c, 100)].every((b) => b === 0)).toBe(true);
    heap.free(c);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(5);
    expect(heap.debugMallocStats()).toMatch(/threaded heap: 1 of 64 thread slots joined/);
  });

  it('churns many blocks of every class and keeps check() and the counters right', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 26 });
    let x = 7;
    const rnd = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    const live: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (live.length > 0 && rnd() % 3 === 0) {
        const j = rnd() % live.length;
        heap.free(live[j] as number);
        live[j] = live[live.length - 1] as number;
        live.pop();
      } else {
        live.push(heap.malloc(rnd() % (rnd() % 8 === 0 ? 5000 : 513)));
      }
      if (i % 2000 === 0) heap.check();
    }
    heap.check();
    expect(heap.stats().liveBlocks).toBe(live.length);
    for (const p of live) heap.free(p);
    heap.check();
    expect(heap.stats().liveBytes).toBe(0);
  });

  it('a second attach in the same thread joins as another thread: remote frees both ways, close, orphans adopted', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 26 });
    const other = Heap.attach(heap.buffer);
    expect(other.threadId).toBe(1);
    expectError(() => heap.check(), ThreadsActiveError, 'ERR_THREADS_ACTIVE');
    other.park();
    heap.check();
    other.unpark();
    const mine = Array.from({ length: 300 }, (_, i) => heap.malloc(1 + (i % 200)));
    const theirs = Array.from({ length: 300 }, (_, i) => other.malloc(1 + (i % 200)));
    for (const p of mine.slice(0, 150)) other.free(p); // remote frees
    for (const p of theirs.slice(0, 150)) heap.free(p);
    // A second remote free of the same block, and a local free of a block pending a remote free.
    expectError(() => other.free(mine[0] as number), DoubleFreeError, 'ERR_DOUBLE_FREE');
    expectError(() => heap.free(mine[1] as number), DoubleFreeError, 'ERR_DOUBLE_FREE');
    expect(heap.isLive(mine[2] as number)).toBe(false);
    other.park();
    heap.check();
    other.unpark();
    other.close();
    expectError(() => other.malloc(8), ThreadClosedError, 'ERR_THREAD_CLOSED');
    heap.check();
    // The closed thread's blocks stay valid: free them here (their pools are orphans now).
    for (const p of theirs.slice(150)) heap.free(p);
    heap.check();
    // A new malloc of those classes adopts the orphans.
    const again = Array.from({ length: 300 }, (_, i) => heap.malloc(1 + (i % 200)));
    heap.check();
    for (const p of [...again, ...mine.slice(150)]) heap.free(p);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
    const third = Heap.attach(heap.buffer);
    expect(third.threadId).toBe(1); // the slot is free again
    third.close();
  });

  it('reclaim() passes on the pools of a thread that never closed; its heap object then throws', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 26 });
    const dead = Heap.attach(heap.buffer);
    const blocks = Array.from({ length: 100 }, (_, i) => dead.malloc(16 + i));
    expect(heap.reclaim(dead.threadId)).toBeGreaterThan(0);
    heap.check();
    expectError(() => dead.malloc(4000), ThreadClosedError, 'ERR_THREAD_CLOSED');
    for (const p of blocks) heap.free(p);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
    expectError(() => heap.reclaim(heap.threadId), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    expectError(() => heap.reclaim(99), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
  });

  it('maxThreads bounds the joins with a typed error', () => {
    const heap = createHeap({ threads: true, maxThreads: 2 });
    Heap.attach(heap.buffer);
    expectError(() => Heap.attach(heap.buffer), ThreadLimitError, 'ERR_THREAD_LIMIT');
  });

  it('refuses another store and bad options', () => {
    expectError(() => createHeap({ threads: true, store: 'fixed' }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    expectError(() => createHeap({ threads: true, maxThreads: 0 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
  });

  it('bad pointers stay typed and change nothing', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 22 });
    const other = Heap.attach(heap.buffer);
    const small = heap.malloc(40);
    const large = heap.malloc(5000);
    other.park();
    const snap = snapshot(heap);
    other.unpark();
    for (const h of [heap, other]) {
      expectError(() => h.free(small + 16), InvalidPointerError, 'ERR_INVALID_POINTER');
      expectError(() => h.free(small + 8), InvalidPointerError, 'ERR_INVALID_POINTER');
      expectError(() => h.free(large + 16), InvalidPointerError, 'ERR_INVALID_POINTER');
      expectError(() => h.free(12), InvalidPointerError, 'ERR_INVALID_POINTER');
      expectError(() => h.free(0xfff_fff0), InvalidPointerError, 'ERR_INVALID_POINTER');
      // A block of the pool never carved (the first malloc carves 15 ahead, which count as freed,
      // as in the single-threaded heap).
      expectError(() => h.usableSize(small + 48 * 32), InvalidPointerError, 'ERR_INVALID_POINTER');
      expectError(() => h.free(small + 48 * 32), InvalidPointerError, 'ERR_INVALID_POINTER');
      expectError(() => h.realloc(large + 32, 10), InvalidPointerError, 'ERR_INVALID_POINTER');
    }
    other.park();
    expectUnchanged(heap, snap);
  });
});

describe('layers that are single-threaded for now refuse a threaded heap', () => {
  it('createRc and enableDebug throw NotThreadSafeError and change nothing', async () => {
    const { createRc } = await import('../../src/rc/index');
    const { enableDebug } = await import('../../src/debug/index');
    const { NotThreadSafeError } = await import('../../src/index');
    const heap = createHeap({ threads: true });
    const snap = snapshot(heap);
    expectError(() => createRc(heap), NotThreadSafeError, 'ERR_NOT_THREAD_SAFE');
    expectError(() => enableDebug(heap), NotThreadSafeError, 'ERR_NOT_THREAD_SAFE');
    expect(heap._hooks).toBe(heap._threads);
    expectUnchanged(heap, snap);
  });

  it('measure (arenalloc/profile) and recordTrace (arenalloc/strategies) throw NotThreadSafeError and install nothing', async () => {
    // Before: both wrapped this thread's allocator, measured or recorded this thread alone (and
    // measure's net bytes came from stats() summed over every thread), and park() dropped them.
    const { measure } = await import('../../src/profile/index');
    const { recordTrace } = await import('../../src/strategies/index');
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 22 });
    const p = heap.malloc(100);
    const snap = snapshot(heap);
    let ran = false;
    expectError(() => measure(heap, () => (ran = true)), NotThreadSafeError, 'ERR_NOT_THREAD_SAFE');
    expect(ran).toBe(false);
    expectError(() => recordTrace(heap), NotThreadSafeError, 'ERR_NOT_THREAD_SAFE');
    expectUnchanged(heap, snap);
    heap.free(p); // the thread's allocator is still the hook
    heap.check();
  });

  it('tracing (arenalloc/profile start) throws NotThreadSafeError and installs nothing', async () => {
    // Before the refusal, start() wrapped this thread's allocator: a block freed by another
    // thread stayed "live" in this thread's traces, and park()/unpark() dropped the tracer.
    const { start, isTracing } = await import('../../src/profile/index');
    const { NotThreadSafeError } = await import('../../src/index');
    const heap = createHeap({ threads: true });
    const p = heap.malloc(32);
    const snap = snapshot(heap);
    expectError(() => start(heap), NotThreadSafeError, 'ERR_NOT_THREAD_SAFE');
    expect(isTracing(heap)).toBe(false);
    expect(heap._hooks).toBe(heap._threads);
    expect(heap._tracer).toBe(null);
    expectUnchanged(heap, snap);
    heap.free(p);
    heap.close();
  });
});

describe('a cross-thread double free that races the owner', () => {
  it('is dropped when its pool is taken back, instead of putting the block on the free list twice', () => {
    // The race: thread T frees block X remotely; the owner takes it back (clears X's live bit,
    // then its pending bit) while thread U frees X again, having read the live bit before it was
    // cleared, and sets the pending bit after. X is then pending and not live, and already on the
    // owner's local list. Here that outcome is written into the pending bitmap directly, and the
    // owner closes, which takes back every pool's remote frees. Before: X went on the list a
    // second time and the pool's count fell by one too many, so the pool passed for empty while
    // Y, still live in it, was handed out again.
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 24 });
    const other = Heap.attach(heap.buffer);
    const x = heap.malloc(48);
    const y = heap.malloc(48);
    heap.free(x); // on the owner's local list: live bit clear, pending bit clear
    const small = heap._small;
    const pool = x - (x & (small.poolSize - 1));
    expect(y - (y & (small.poolSize - 1))).toBe(pool);
    const flag = (pool >>> 2) + remoteFlagWord(small.bitmapWords);
    const unit = (x - pool) >>> small.alignLog2;
    const i32 = new Int32Array(heap.buffer, 0, heap.buffer.byteLength >>> 2);
    Atomics.or(i32, flag + 1 + (unit >>> 5), 1 << (unit & 31));
    Atomics.store(i32, flag, 1);
    heap.close();
    other.check();
    const seen = new Set<number>([y]);
    for (let i = 0; i < 1000; i++) {
      const p = other.malloc(48);
      expect(seen.has(p), `block ${p} handed out twice`).toBe(false);
      seen.add(p);
    }
    other.check();
    for (const p of seen) other.free(p);
    other.check();
    expect(other.stats().liveBlocks).toBe(0);
  });
});

describe('the thread table', () => {
  it('keeps the words each thread writes on cache lines no other slot writes, whatever the store size', () => {
    // Before: the table went wherever TLSF put it, and for some maxBytes a slot's last cache
    // entries shared a line with the next slot's cache count and class-list heads.
    for (let mib = 2; mib <= 40; mib++) {
      const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: mib << 20 });
      const u32 = new Uint32Array(heap.buffer, 0, heap.buffer.byteLength >>> 2);
      const table = u32[Word.THREADS_ROOT]! >>> 2;
      const first = table + slotsStart(u32[table + Table.ARENA_CAPACITY]!);
      const lines = (slot: number) => {
        const at = first + slot * Slot.STRIDE;
        // The words of a slot up to its last large-chunk cache entry are written by its thread.
        const used = Slot.CACHE + CACHE_ENTRIES;
        return new Set(Array.from({ length: used }, (_, w) => ((at + w) * 4) >>> 6));
      };
      for (let slot = 0; slot < 3; slot++) {
        const mine = lines(slot);
        for (const line of lines(slot + 1)) expect(mine.has(line), `maxBytes ${mib} MiB, slots ${slot} and ${slot + 1}`).toBe(false);
      }
    }
  });
});

describe("a thread's large-chunk cache", () => {
  it('keeps a freed chunk for the next malloc of its size, without losing the checks', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 26 });
    const p = heap.malloc(65536);
    heap.free(p);
    expect(heap.isLive(p)).toBe(false);
    expectError(() => heap.free(p), DoubleFreeError, 'ERR_DOUBLE_FREE');
    expectError(() => heap.usableSize(p), DoubleFreeError, 'ERR_DOUBLE_FREE');
    expectError(() => heap.realloc(p, 70_000), DoubleFreeError, 'ERR_DOUBLE_FREE');
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
    expect(heap.malloc(65536)).toBe(p); // from the cache
    heap.check();
    expect(heap.stats().liveBlocks).toBe(1);
    heap.free(p);
    heap.close(); // gives the cached chunk back to TLSF
    const again = Heap.attach(heap.buffer);
    again.check();
    expect(again.stats().liveBlocks).toBe(0);
  });

  it('lays the chunks it may keep on cache lines of their own, so two threads never share a line of them', () => {
    // Before: TLSF placed two threads' 64 KiB frames side by side on 16-byte boundaries, so the
    // last word of one frame and the next frame's header were one cache line, which the two
    // threads passed back and forth on every pair (2 threads ran at 1.0x of one).
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 26 });
    const other = Heap.attach(heap.buffer);
    const chunks: Array<[number, number]> = [];
    for (const size of [600, 4000, 65536, 65500, 100_000]) {
      for (const h of [heap, other]) {
        const p = h.malloc(size);
        const start = p - 16; // the chunk header
        const end = p + h.usableSize(p); // one past the chunk
        expect(start % 64).toBe(0);
        expect(end % 64).toBe(0);
        expect(h.usableSize(p)).toBeGreaterThanOrEqual(size);
        chunks.push([start, end]);
      }
    }
    // No two chunks share a line: every line of one chunk lies inside it.
    chunks.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]![0]).toBeGreaterThanOrEqual(chunks[i - 1]![1]);
    other.park();
    heap.check();
    other.unpark();
    other.close();
  });

  it('hands a chunk freed by a thread whose cache is full to the next thread that needs one (a pipeline takes no lock)', () => {
    // Before: past its 8 cached chunks every free of the freeing thread went to TLSF under the
    // lock, and every malloc of the allocating thread came from TLSF under the lock.
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 27 });
    const consumer = Heap.attach(heap.buffer);
    const table = () => new Uint32Array(heap.buffer, 0, heap.buffer.byteLength >>> 2);
    const handedBack = () => table()[(table()[Word.THREADS_ROOT]! >>> 2) + Table.HANDED_BACK_COUNT]!;
    const frames = Array.from({ length: 20 }, () => heap.malloc(65536));
    for (const p of frames) consumer.free(p); // another thread's frames: 8 to its cache, 12 handed back
    expect(handedBack()).toBe(12);
    consumer.park();
    heap.check(); // the walk finds every handed-back chunk
    consumer.unpark();
    for (const p of frames.slice(8)) {
      expectError(() => heap.free(p), DoubleFreeError, 'ERR_DOUBLE_FREE');
      expect(heap.isLive(p)).toBe(false);
    }
    const again = Array.from({ length: 12 }, () => heap.malloc(65536));
    expect(new Set(again)).toEqual(new Set(frames.slice(8))); // the handed-back chunks, in some order
    expect(handedBack()).toBe(0);
    // A frame of another size stays on the list for whoever needs that size (or fills a cache).
    const big = heap.malloc(200_000);
    const bigs = Array.from({ length: 8 }, () => heap.malloc(65536));
    for (const p of bigs) consumer.free(p); // the consumer's cache is full: handed back
    consumer.free(big);
    expect(handedBack()).toBe(9);
    const one = heap.malloc(200_000);
    expect(one).toBe(big);
    expect(handedBack()).toBe(0); // the 65536-byte ones went to this thread's cache
    // At most HAND_BACK_MAX (64) wait; past that a free goes back to TLSF.
    const many = Array.from({ length: 80 }, () => heap.malloc(65536));
    for (const p of many) consumer.free(p);
    expect(handedBack()).toBe(64);
    consumer.park();
    heap.check();
    consumer.unpark();
    for (const p of [...again, one]) heap.free(p);
    consumer.close();
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('gives cached and handed-back chunks back to TLSF before it reports out of memory', () => {
    // Cached chunks are free for the user but used for TLSF: without this, 2.5 MiB of freed
    // frames on the hand-back list and in a cache left no room for one 3 MiB block.
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 5 << 20 });
    const consumer = Heap.attach(heap.buffer);
    const frames = Array.from({ length: 40 }, () => heap.malloc(65536));
    for (const p of frames) consumer.free(p);
    const big = heap.malloc(3 << 20);
    expect(heap.usableSize(big)).toBeGreaterThanOrEqual(3 << 20);
    heap.free(big);
    consumer.park();
    heap.check();
    consumer.unpark();
    consumer.close();
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('checks a pointer on the path to the cache with the chunk header alone, and stays typed', () => {
    const heap = createHeap({ threads: true, initialBytes: 1 << 20, maxBytes: 1 << 26 });
    const p = heap.malloc(65536);
    const u32 = new Uint32Array(heap.buffer, 0, heap.buffer.byteLength >>> 2);
    // Pointers inside the frame that sit where a cache chunk's payload would (16 past a line),
    // one of them over a forged header whose tag is wrong; and one whose size word is forged.
    u32[(p + 1024 - 16 + 4) >>> 2] = 12345; // a wrong tag
    const snap = snapshot(heap);
    for (const bad of [p + 64, p + 1024, p + 65536 - 48]) {
      expectError(() => heap.free(bad), InvalidPointerError, 'ERR_INVALID_POINTER');
    }
    expectUnchanged(heap, snap);
    heap.free(p);
    expectError(() => heap.free(p), DoubleFreeError, 'ERR_DOUBLE_FREE');
    heap.check();
    // A chunk that is not laid on lines (realloc grew it in place) goes back under the lock, not to the cache.
    const q = heap.malloc(65536);
    expect(q).toBe(p);
    const r = heap.realloc(q, 65536 + 120);
    expect(r).toBe(q);
    expect((r - 16 + heap.usableSize(r) + 16) % 64).not.toBe(0);
    heap.free(r);
    const header = new Uint32Array(heap.buffer, r - 16, 4);
    expect(header[2]! & 1).toBe(1); // free in TLSF (the size word's free bit), not kept in the cache
    expect(header[3]).not.toBe(0xffff_fffe); // the cache's mark
    expectError(() => heap.free(r), DoubleFreeError, 'ERR_DOUBLE_FREE');
    heap.check();
  });
});
