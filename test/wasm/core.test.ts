// @browser-skip: reads src/wasm/core (the C header and the committed .wasm) with node:fs
// The WebAssembly fast path's build and wiring: its header repeats the layout's numbers exactly,
// the committed bytes are the committed .wasm, the module owns no byte of the memory it imports,
// it serves small calls without entering JavaScript, and it steps aside while hooks are installed.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { createHeap, type Heap } from '../../src/index';
import * as layout from '../../src/layout';
import { currentHooks } from '../../src/port';
import * as small from '../../src/small/layout';
import { recordTrace } from '../../src/strategies/index';
import { CORE_WASM_BASE64 } from '../../src/wasm/core-bytes';
import { wasmImports } from '../../src/wasm/index';
import { serve } from './modules';

/** Per heap, the calls that reach the JavaScript heap's routing layer (`rawMalloc`, `rawFree`), and of them the mallocs. */
const jsCalls = vi.hoisted(() => new WeakMap<object, { calls: number; mallocs: number }>());
vi.mock('../../src/route', async (importOriginal) => {
  const route = await importOriginal<typeof import('../../src/route')>();
  const counted =
    <A extends unknown[], R>(fn: (heap: Heap, ...args: A) => R, malloc: boolean) =>
    (heap: Heap, ...args: A): R => {
      const counter = jsCalls.get(heap);
      if (counter !== undefined) {
        counter.calls++;
        if (malloc) counter.mallocs++;
      }
      return fn(heap, ...args);
    };
  return { ...route, rawMalloc: counted(route.rawMalloc, true), rawFree: counted(route.rawFree, false) };
});

const read = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`../../src/wasm/core/${name}`, import.meta.url)));

/** The members of a `const enum` of src/large/tlsf.ts (not exported: read from the source). */
function tlsfEnum(name: string): Record<string, number> {
  const source = readFileSync(fileURLToPath(new URL('../../src/large/tlsf.ts', import.meta.url))).toString();
  const body = source.match(new RegExp(`const enum ${name} \\{([^}]*)\\}`))?.[1] ?? '';
  const members: Record<string, number> = {};
  for (const [, member, value] of body.matchAll(/^\s*(\w+) = (~?-?(?:0x[0-9a-f]+|\d+)),/gm)) {
    members[member as string] = value?.startsWith('~') ? ~Number(value.slice(1)) : Number(value);
  }
  return members;
}
const H = tlsfEnum('H');
const Bits = tlsfEnum('Bits');
const Chunk = tlsfEnum('Chunk');

/** The numbers each #define of layout.h must have, from the TypeScript that owns them. */
const EXPECTED: Record<string, number | undefined> = {
  W_MAGIC: layout.Word.MAGIC,
  W_VERSION: layout.Word.VERSION,
  W_ALIGN: layout.Word.ALIGN,
  W_POOL_SIZE: layout.Word.POOL_SIZE,
  W_ARENA_SIZE: layout.Word.ARENA_SIZE,
  MAGIC: layout.MAGIC,
  LAYOUT_VERSION: layout.LAYOUT_VERSION,
  COUNTER_LIVE_BYTES: layout.Counter.LIVE_BYTES,
  COUNTER_PEAK_BYTES: layout.Counter.PEAK_BYTES,
  COUNTER_ALLOCATIONS: layout.Counter.ALLOCATIONS,
  COUNTER_FREES: layout.Counter.FREES,
  SMALL_ARENA_TABLE: layout.SmallState.ARENA_TABLE,
  SMALL_USABLE_HEAD: layout.SmallState.USABLE_HEAD,
  SMALL_EMPTY_ARENAS: layout.SmallState.EMPTY_ARENAS,
  SMALL_ARENAS: layout.SmallState.ARENAS,
  SMALL_POOL_MAP: layout.SmallState.POOL_MAP,
  SMALL_POOL_MAP_PAGES: layout.SmallState.POOL_MAP_PAGES,
  SMALL_USED_POOLS: layout.SmallState.USED_POOLS,
  SMALL_LAST_WITH: layout.SmallState.LAST_WITH,
  POOL_COUNT: small.PoolHeader.COUNT,
  POOL_FREE_BLOCK: small.PoolHeader.FREE_BLOCK,
  POOL_NEXT: small.PoolHeader.NEXT,
  POOL_PREV: small.PoolHeader.PREV,
  POOL_ARENA: small.PoolHeader.ARENA,
  POOL_CLASS: small.PoolHeader.CLASS,
  POOL_NEXT_OFFSET: small.PoolHeader.NEXT_OFFSET,
  POOL_MAX_NEXT_OFFSET: small.PoolHeader.MAX_NEXT_OFFSET,
  POOL_BITMAP: small.PoolHeader.BITMAP,
  POOL_FIELDS_BYTES: small.POOL_FIELDS_BYTES,
  CARVE_BYTES: small.CARVE_BYTES,
  ARENA_BASE: small.ArenaEntry.BASE,
  ARENA_FREE_POOLS: small.ArenaEntry.FREE_POOLS,
  ARENA_FREE_POOL_LIST: small.ArenaEntry.FREE_POOL_LIST,
  ARENA_WATERMARK: small.ArenaEntry.WATERMARK,
  ARENA_NEXT: small.ArenaEntry.NEXT,
  ARENA_PREV: small.ArenaEntry.PREV,
  ARENA_KEPT: small.ArenaEntry.KEPT,
  ARENA_STRIDE: small.ArenaEntry.STRIDE,
  NONE: small.NONE,
  W_HEAP_END: layout.Word.HEAP_END,
  W_TLSF_FL_BITMAP: layout.Word.TLSF_FL_BITMAP,
  W_TLSF_SL_BITMAPS: layout.Region.TLSF_SL_BITMAPS,
  W_TLSF_HEADS: layout.Region.TLSF_HEADS,
  HEADER_BYTES: layout.HEADER_BYTES,
  INTERNAL_REQUEST: layout.INTERNAL_REQUEST,
  F_LARGE_USED_CHUNKS: layout.Counter.LARGE_USED_CHUNKS,
  F_LARGE_USED_BYTES: layout.Counter.LARGE_USED_BYTES,
  F_LARGE_FREE_CHUNKS: layout.Counter.LARGE_FREE_CHUNKS,
  F_LARGE_FREE_BYTES: layout.Counter.LARGE_FREE_BYTES,
  CHUNK_HEADER: Chunk.HEADER,
  MIN_CHUNK: Chunk.MIN,
  CHUNK_PREV_SIZE: H.PREV_SIZE,
  CHUNK_TAG: H.TAG,
  CHUNK_SIZE: H.SIZE,
  CHUNK_REQUESTED: H.REQUESTED,
  CHUNK_NEXT_LINK: H.NEXT_LINK,
  CHUNK_PREV_LINK: H.PREV_LINK,
  BIT_FREE: Bits.FREE,
  BIT_PREV_FREE: Bits.PREV_FREE,
  SL_LOG2: Bits.SL_LOG2,
  SL_COUNT: Bits.SL_COUNT,
  TAG_KEY: Bits.TAG_KEY,
  SMALL_REQUEST_THRESHOLD: small.SMALL_REQUEST_THRESHOLD,
  MAX_ALIGNMENT: 1 << 20,
};

/** The ids of a module's sections, read from its bytes. */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8;
  while (at < bytes.length) {
    ids.push(bytes[at++] as number);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++] as number;
      size |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    at += size;
  }
  return ids;
}

function heapWithCounts(options: Parameters<typeof wasmImports>[1] = {}): {
  heap: Heap;
  env: ReturnType<typeof wasmImports>;
  js: { calls: number };
} {
  const heap = createHeap({ store: 'wasm', base: 4096 });
  const js = { calls: 0, mallocs: 0 };
  jsCalls.set(heap, js); // counts the calls that reach the JavaScript heap's routing layer
  return { heap, env: wasmImports(heap, options), js };
}

describe('the WebAssembly fast path (src/wasm/core)', () => {
  it('layout.h repeats the numbers of src/layout.ts, src/small/layout.ts and src/large/tlsf.ts', () => {
    const defines = new Map<string, number>();
    for (const [, name, value] of read('layout.h')
      .toString()
      .matchAll(/^#define (\w+) (0x[0-9a-f]+|\d+)u?$/gm)) {
      defines.set(name as string, Number(value));
    }
    expect(Object.fromEntries(defines)).toEqual(EXPECTED);
  });

  it('core-bytes.ts holds the committed core.wasm, which has no data, no stack, and exports no memory', () => {
    const wasm = new Uint8Array(read('core.wasm'));
    expect(Buffer.from(CORE_WASM_BASE64, 'base64').equals(Buffer.from(wasm))).toBe(true);
    const module = new WebAssembly.Module(wasm);
    expect(WebAssembly.Module.imports(module)).toEqual([
      { module: 'env', name: 'memory', kind: 'memory' },
      { module: 'arenalloc', name: 'slow_malloc', kind: 'function' },
      { module: 'arenalloc', name: 'slow_calloc', kind: 'function' },
      { module: 'arenalloc', name: 'slow_free', kind: 'function' },
      { module: 'arenalloc', name: 'slow_aligned_alloc', kind: 'function' },
      { module: 'arenalloc', name: 'slow_posix_memalign', kind: 'function' },
    ]);
    expect(WebAssembly.Module.exports(module).map((e) => `${e.kind} ${e.name}`)).toEqual([
      'function core_enable',
      'function core_set_on',
      'function malloc',
      'function calloc',
      'function free',
      'function aligned_alloc',
      'function posix_memalign',
    ]);
    const ids = sectionIds(wasm);
    expect(ids).not.toContain(11); // data
    expect(ids).not.toContain(5); // a memory of its own
  });

  it('serves malloc, calloc, aligned_alloc, posix_memalign and free without entering JavaScript; growth and bad pointers go there', () => {
    const { heap, env, js } = heapWithCounts();
    const warm = env.malloc(40); // the first block of a class takes a new arena: JavaScript's
    const before = js.calls;
    const blocks = Array.from({ length: 100 }, (_, i) => env.malloc((i * 5) % 100)); // classes of 0 to 96 bytes: pools of the first arena
    blocks.push(env.calloc(8, 8));
    for (const p of blocks) env.free(p);
    expect(js.calls - before).toBe(0);
    // Large blocks that fit in the store as it is, aligned ones too.
    const large = [env.malloc(4000), env.aligned_alloc(4096, 10000), env.calloc(100, 100)];
    expect(env.posix_memalign(1024, 64, 700)).toBe(0);
    large.push(new DataView(heap.buffer).getUint32(1024, true));
    for (const p of large) env.free(p);
    expect(js.calls - before).toBe(0);
    // A block the store has no room for: JavaScript grows it.
    const grown = env.malloc(2 << 20);
    expect(js.calls - before).toBe(1);
    env.free(grown);
    expect(() => env.free(warm + 16)).toThrow(/16 bytes inside the 48-byte block/);
    expect(() => env.free(grown)).toThrow(/already freed/);
    expect(js.calls - before).toBe(3);
    env.free(warm);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });

  it('steps aside while hooks are installed, and serves again when they go', () => {
    const { heap, env, js } = heapWithCounts();
    env.free(env.malloc(16));
    let hooked = 0;
    const inner = currentHooks(heap);
    heap._hooks = {
      ...inner,
      malloc: (n) => {
        hooked++;
        return inner.malloc(n);
      },
      free: (p) => {
        hooked++;
        inner.free(p);
      },
    };
    env.free(env.malloc(16));
    expect(hooked).toBe(2);
    heap._hooks = null;
    const before = js.calls;
    env.free(env.malloc(16));
    expect(hooked).toBe(2);
    expect(js.calls).toBe(before);
  });

  it('is off with fastPath: false, and for a heap in a shared memory', () => {
    const { env, js } = heapWithCounts({ fastPath: false });
    env.free(env.malloc(16));
    env.free(env.malloc(16));
    expect(js.calls).toBe(4);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: true });
    const shared = wasmImports(createHeap({ store: 'wasm', memory, base: 1024 }));
    expect(shared.malloc.toString()).not.toMatch(/native code/);
  });

  it('turns on at the first call for a heap given as a function, when options.memory names its memory', () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 16 });
    let heap: Heap | null = null;
    const env = wasmImports(() => heap as Heap, { memory });
    expect(env.malloc.toString()).toMatch(/native code/);
    heap = createHeap({ store: 'wasm', memory, base: 2048 });
    const js = { calls: 0, mallocs: 0 };
    jsCalls.set(heap, js);
    env.free(env.malloc(16)); // resolves the heap in JavaScript
    expect(js.mallocs).toBe(1);
    env.free(env.malloc(16));
    expect(js.mallocs).toBe(1);
    heap.check();
  });

  it('a recording started while the C workload runs on the fast path sees every call it makes', () => {
    const fromStart = serve();
    const everyCall = recordTrace(fromStart.heap);
    const digest = fromStart.wasm.wl_run(7, 300);
    const expected = everyCall.stop().length;
    const { wasm, heap } = serve();
    expect(wasm.wl_run(7, 300)).toBe(digest); // the fast path on, no hooks
    const later = recordTrace(heap);
    expect(wasm.wl_run(7, 300)).toBe(digest);
    expect(later.stop().length).toBe(expected);
    heap.check();
    expect(heap.stats().liveBlocks).toBe(0);
  });
});
