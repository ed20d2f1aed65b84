/*
 * The small-block fast path of arenalloc's heap, in WebAssembly, for modules whose malloc is the
 * heap (arenalloc/wasm). A module compiled from C calls `malloc` and `free` as imports; when
 * these are JavaScript functions every call crosses from WebAssembly into JavaScript and back,
 * and that crossing alone costs more than the allocation. This module is the same
 * allocator's fast path written once more, in C, over the same structures in the same memory:
 * a WebAssembly import that is itself a WebAssembly function is a direct call.
 *
 *   module's malloc(n) ──▶ core malloc: n ≤ 512, a pool of n's class in use, a block listed or
 *        │                  carved: pop it, set its bit, count it            (this file)
 *        └─ anything else ─▶ slow_malloc(n): the heap in JavaScript, which does the same pop
 *                            when it can, and everything else (arenas, TLSF, growth, hooks)
 *
 *   module's free(p)  ──▶ core free: p in a small pool (pool map), its live bit set, the pool
 *        │                 neither full nor about to empty: clear, push, count  (this file)
 *        └─ anything else ─▶ slow_free(p): the heap in JavaScript, which frees p or reports the
 *                            typed error (a foreign, interior or already freed pointer)
 *
 * Nothing here decides anything the JavaScript heap would decide differently: each fast path is
 * exactly the JavaScript one (src/small/pymalloc.ts, `malloc` and `free`) and the facade's
 * counters (src/heap.ts, `_countAlloc`, `_countFree`); every case they leave to a slower path,
 * and every case that is an error, goes to JavaScript before a word is written. So the heap's
 * state after any sequence of calls is what the JavaScript heap alone would have made, which
 * test/wasm/core.property.test.ts checks against it.
 *
 * The module has no data and uses no stack: it lives in the memory it imports, which belongs to
 * the heap and to the module it serves, and must not write a byte there of its own. Its state is
 * four WebAssembly globals, declared below in assembly because C has no other way to name one:
 *   core_base   the heap's base address (its header)
 *   core_on     1 while the fast paths may run: JavaScript clears it while hooks are installed
 *               (tracing, debug mode), which the module's calls must then go through
 *   core_log    log2 of the heap's alignment A (block sizes are multiples of A)
 *   core_plog   log2 of the pool size P (a pool is P-aligned)
 *   core_ppa    pools per arena, R / P
 *   core_pool_header  bytes of a pool header (fields and live bitmap, rounded to A)
 *
 * Built by build.sh (clang --target=wasm32, no libc); the .wasm and its bytes in
 * src/wasm/core-bytes.ts are committed.
 */

#include <stdint.h>

#include "layout.h"

#define EXPORT(name) __attribute__((export_name(#name)))
#define IMPORT(name) __attribute__((import_module("arenalloc"), import_name(#name)))

IMPORT(slow_malloc) uint32_t slow_malloc(uint32_t size);
IMPORT(slow_free) void slow_free(uint32_t ptr);
IMPORT(slow_calloc) uint32_t slow_calloc(uint32_t count, uint32_t size);

__asm__(
    ".globaltype core_base, i32\ncore_base:\n"
    ".globaltype core_on, i32\ncore_on:\n"
    ".globaltype core_log, i32\ncore_log:\n"
    ".globaltype core_plog, i32\ncore_plog:\n"
    ".globaltype core_ppa, i32\ncore_ppa:\n"
    ".globaltype core_pool_header, i32\ncore_pool_header:\n");

#define GLOBAL_GET(name)                                                  \
  static inline uint32_t get_##name(void) {                              \
    uint32_t v;                                                           \
    __asm__ volatile("global.get " #name "\n\tlocal.set %0" : "=r"(v)); \
    return v;                                                             \
  }                                                                       \
  static inline void set_##name(uint32_t v) { __asm__ volatile("local.get %0\n\tglobal.set " #name ::"r"(v)); }
GLOBAL_GET(core_base)
GLOBAL_GET(core_on)
GLOBAL_GET(core_log)
GLOBAL_GET(core_plog)
GLOBAL_GET(core_ppa)
GLOBAL_GET(core_pool_header)

/* The memory as words; an address is a byte offset. */
static inline uint32_t *word(uint32_t address) { return (uint32_t *)(uintptr_t)address; }
static inline double *counters(uint32_t *header) { return (double *)header; }
/* Arena `arena`'s entry in the arena table. */
static inline uint32_t *entry(uint32_t *header, uint32_t arena) { return word(header[SMALL_ARENA_TABLE]) + arena * ARENA_STRIDE; }

/*
 * Points the fast paths at the heap whose header is at `base` and turns them on; returns 0, and
 * leaves them off, when no heap of this layout is there.
 */
EXPORT(core_enable) uint32_t core_enable(uint32_t base) {
  uint32_t *header = word(base);
  if (header[W_MAGIC] != MAGIC || header[W_VERSION] != LAYOUT_VERSION) return 0;
  uint32_t align = header[W_ALIGN], pool = header[W_POOL_SIZE], arena = header[W_ARENA_SIZE];
  set_core_base(base);
  set_core_log(31 - __builtin_clz(align));
  set_core_plog(31 - __builtin_clz(pool));
  set_core_ppa(arena / pool);
  uint32_t bitmap_words = (pool / align + 31) / 32;
  set_core_pool_header((POOL_FIELDS_BYTES + bitmap_words * 4 + align - 1) / align * align);
  set_core_on(1);
  return 1;
}

/* Sends every call to JavaScript (hooks installed), or back to the fast paths. */
EXPORT(core_set_on) void core_set_on(uint32_t on) { set_core_on(on); }

/* ─── the pool and arena lists, as src/small/pymalloc.ts keeps them ─────────────────────────── */

/* linkUsed: `pool` at the front of usedPools[c]. */
static void link_used(uint32_t *header, uint32_t pool, uint32_t c) {
  uint32_t next = header[SMALL_USED_POOLS + c];
  word(pool)[POOL_NEXT] = next;
  word(pool)[POOL_PREV] = 0;
  if (next != 0) word(next)[POOL_PREV] = pool;
  header[SMALL_USED_POOLS + c] = pool;
}

/* unlinkUsed: `pool` off usedPools[c]. */
static void unlink_used(uint32_t *header, uint32_t pool, uint32_t c) {
  uint32_t next = word(pool)[POOL_NEXT], prev = word(pool)[POOL_PREV];
  if (prev == 0) header[SMALL_USED_POOLS + c] = next;
  else word(prev)[POOL_NEXT] = next;
  if (next != 0) word(next)[POOL_PREV] = prev;
}

/* arenaTookPool: the head arena of the usable list gave a pool away. */
static void arena_took_pool(uint32_t *header, uint32_t arena, uint32_t *a) {
  uint32_t free = a[ARENA_FREE_POOLS];
  if (free == get_core_ppa()) header[SMALL_EMPTY_ARENAS] -= 1;
  if (header[SMALL_LAST_WITH + free] == arena) header[SMALL_LAST_WITH + free] = NONE;
  a[ARENA_FREE_POOLS] = free - 1;
  if (free - 1 == 0) {
    uint32_t next = a[ARENA_NEXT];
    header[SMALL_USABLE_HEAD] = next;
    if (next != NONE) entry(header, next)[ARENA_PREV] = NONE;
    a[ARENA_NEXT] = NONE;
  } else {
    header[SMALL_LAST_WITH + free - 1] = arena;
  }
}

/*
 * arenaFreedPool: a pool of `arena` became empty. The caller has made sure that the arena does
 * not go back to the large-object heap (JavaScript's part): it is not wholly free now, or it is
 * the only wholly free arena and becomes the spare.
 */
static void arena_freed_pool(uint32_t *header, uint32_t arena, uint32_t *a) {
  uint32_t free = a[ARENA_FREE_POOLS];
  if (free == 0) {
    uint32_t head = header[SMALL_USABLE_HEAD];
    a[ARENA_NEXT] = head;
    a[ARENA_PREV] = NONE;
    if (head != NONE) entry(header, head)[ARENA_PREV] = arena;
    header[SMALL_USABLE_HEAD] = arena;
  } else {
    uint32_t last = header[SMALL_LAST_WITH + free];
    if (last == arena) {
      uint32_t prev = a[ARENA_PREV];
      header[SMALL_LAST_WITH + free] = prev != NONE && entry(header, prev)[ARENA_FREE_POOLS] == free ? prev : NONE;
    } else {
      /* unlinkUsable, then insertUsableAfter(last) */
      uint32_t next = a[ARENA_NEXT], prev = a[ARENA_PREV];
      if (prev == NONE) header[SMALL_USABLE_HEAD] = next;
      else entry(header, prev)[ARENA_NEXT] = next;
      if (next != NONE) entry(header, next)[ARENA_PREV] = prev;
      uint32_t *after = entry(header, last);
      uint32_t following = after[ARENA_NEXT];
      a[ARENA_PREV] = last;
      a[ARENA_NEXT] = following;
      after[ARENA_NEXT] = arena;
      if (following != NONE) entry(header, following)[ARENA_PREV] = arena;
    }
  }
  uint32_t now = free + 1;
  a[ARENA_FREE_POOLS] = now;
  if (header[SMALL_LAST_WITH + now] == NONE) header[SMALL_LAST_WITH + now] = arena;
  if (now == get_core_ppa()) header[SMALL_EMPTY_ARENAS] = 1; /* the spare */
}

/* initPool: makes `pool` of `arena` a pool of class `c` with one block carved, and maps it. */
static void init_pool(uint32_t *header, uint32_t pool, uint32_t *a, uint32_t arena, uint32_t c, uint32_t bytes) {
  uint32_t pool_size = 1u << get_core_plog(), pool_header = get_core_pool_header();
  /* The last pool of an arena is CHUNK_HEADER bytes short: the next chunk's header is there. */
  uint32_t limit = pool + pool_size == a[ARENA_BASE] + get_core_ppa() * pool_size ? pool_size - CHUNK_HEADER : pool_size;
  uint32_t *p = word(pool);
  uint32_t first = pool + pool_header;
  *word(first) = 0;
  p[POOL_COUNT] = 0;
  p[POOL_FREE_BLOCK] = first;
  p[POOL_ARENA] = arena;
  p[POOL_CLASS] = c;
  p[POOL_NEXT_OFFSET] = pool_header + bytes;
  p[POOL_MAX_NEXT_OFFSET] = limit - bytes;
  uint32_t words = (pool_size >> get_core_log() >> 5) + ((pool_size >> get_core_log() & 31) != 0);
  for (uint32_t i = 0; i < words; i++) p[POOL_BITMAP + i] = 0;
  uint32_t page = pool >> get_core_plog();
  word(header[SMALL_POOL_MAP])[page >> 5] |= 1u << (page & 31);
}

/* ─── malloc ─────────────────────────────────────────────────────────────────────────────────── */

/*
 * malloc(n): pymalloc's pop, as src/small/pymalloc.ts `malloc` and `mallocSlow`. The fast path
 * (a pool of n's class in use) is the class list head, the pool's free-list head, the pop through
 * the block, the count, the bitmap word and three counters: nine loads, seven stores, three
 * predictable branches. No pool in use, but an empty one of the same class at the head arena's
 * free-pool list, or an untouched one: taken here (empty or untouched → used), as `poolFor`
 * does. Everything else — a request over 512 bytes, a new arena, hooks installed — is
 * JavaScript's.
 */
EXPORT(malloc) uint32_t core_malloc(uint32_t size) {
  if (!get_core_on() || size > SMALL_REQUEST_THRESHOLD) return slow_malloc(size);
  uint32_t *header = word(get_core_base());
  uint32_t log = get_core_log();
  uint32_t c = size == 0 ? 0 : (size - 1) >> log;
  uint32_t pool = header[SMALL_USED_POOLS + c];
  if (pool == 0) {
    /* poolFor: an empty or untouched pool of the fullest usable arena; a new arena is JavaScript's. */
    uint32_t arena = header[SMALL_USABLE_HEAD];
    if (arena == NONE) return slow_malloc(size);
    uint32_t *a = entry(header, arena);
    pool = a[ARENA_FREE_POOL_LIST];
    if (pool != 0) {
      a[ARENA_FREE_POOL_LIST] = word(pool)[POOL_NEXT];
      /* empty → used. Same class: its free list still holds all its blocks, nothing to redo. */
      if (word(pool)[POOL_CLASS] != c) init_pool(header, pool, a, arena, c, (c + 1) << log);
    } else {
      /* untouched → used */
      pool = a[ARENA_WATERMARK];
      a[ARENA_WATERMARK] = pool + (1u << get_core_plog());
      init_pool(header, pool, a, arena, c, (c + 1) << log);
    }
    arena_took_pool(header, arena, a);
    link_used(header, pool, c);
  }
  uint32_t *p = word(pool);
  uint32_t block = p[POOL_FREE_BLOCK];
  uint32_t next = *word(block);
  uint32_t bytes = (c + 1) << log;
  if (next == 0) {
    /* The last listed block: carve the next one ahead, or the pool is now full (used → full). */
    uint32_t offset = p[POOL_NEXT_OFFSET];
    if (offset > p[POOL_MAX_NEXT_OFFSET]) {
      unlink_used(header, pool, c);
    } else {
      p[POOL_NEXT_OFFSET] = offset + bytes;
      next = pool + offset;
      *word(next) = 0;
    }
  }
  p[POOL_FREE_BLOCK] = next;
  p[POOL_COUNT] += 1;
  uint32_t unit = (block - pool) >> log;
  p[POOL_BITMAP + (unit >> 5)] |= 1u << (unit & 31);
  double *count = counters(header);
  double live = count[COUNTER_LIVE_BYTES] + bytes;
  count[COUNTER_LIVE_BYTES] = live;
  if (live > count[COUNTER_PEAK_BYTES]) count[COUNTER_PEAK_BYTES] = live;
  count[COUNTER_ALLOCATIONS] += 1;
  return block;
}

/*
 * calloc(count, size): malloc of the product, zeroed (the product's bytes, as `Heap.calloc`
 * zeroes). A product over 512 bytes, or one that overflows, is JavaScript's.
 */
EXPORT(calloc) uint32_t core_calloc(uint32_t count, uint32_t size) {
  uint64_t total = (uint64_t)count * size;
  if (!get_core_on() || total > SMALL_REQUEST_THRESHOLD) return slow_calloc(count, size);
  uint32_t block = core_malloc((uint32_t)total);
  if (block != 0) __builtin_memset((void *)(uintptr_t)block, 0, (uint32_t)total);
  return block;
}

/* ─── free ───────────────────────────────────────────────────────────────────────────────────── */

/*
 * free(p), checked as src/small/pymalloc.ts `tryFree` checks it: the pool map says whether p lies
 * in a pool malloc handed out (the map is the heap's own memory: no user data passes it), and
 * the block's bit in the pool's live bitmap says whether p is an allocated block's start. A
 * pointer that fails either test goes to JavaScript untouched: it frees a large block or reports
 * the typed error (a foreign, interior or already freed pointer). The fast path: the map word,
 * the bitmap word (the check and the mark at once), a push on the pool's free list, the count,
 * two counters. The pool's transitions (full → used; used → empty, its arena moving along the
 * usable list) are made here too, except when the arena would go back to the large-object heap
 * and except a one-block pool's full → empty: those are JavaScript's. free(0) does nothing.
 */
EXPORT(free) void core_free(uint32_t ptr) {
  if (ptr == 0) return;
  uint32_t log = get_core_log();
  if (!get_core_on() || (ptr & ((1u << log) - 1)) != 0) return slow_free(ptr);
  uint32_t *header = word(get_core_base());
  uint32_t page = ptr >> get_core_plog();
  if (page >= header[SMALL_POOL_MAP_PAGES] || ((word(header[SMALL_POOL_MAP])[page >> 5] >> (page & 31)) & 1) == 0) {
    return slow_free(ptr);
  }
  uint32_t pool = ptr & ~((1u << get_core_plog()) - 1);
  uint32_t *p = word(pool);
  uint32_t unit = (ptr - pool) >> log;
  uint32_t *bits = &p[POOL_BITMAP + (unit >> 5)];
  uint32_t bit = 1u << (unit & 31);
  if ((*bits & bit) == 0) return slow_free(ptr);
  uint32_t head = p[POOL_FREE_BLOCK], count = p[POOL_COUNT] - 1;
  uint32_t *a = 0;
  uint32_t arena = 0;
  if (count == 0) {
    if (head == 0) return slow_free(ptr);
    arena = p[POOL_ARENA];
    a = entry(header, arena);
    if (a[ARENA_FREE_POOLS] + 1 == get_core_ppa() && header[SMALL_EMPTY_ARENAS] != 0) return slow_free(ptr);
  }
  *bits &= ~bit;
  *word(ptr) = head;
  p[POOL_FREE_BLOCK] = ptr;
  p[POOL_COUNT] = count;
  uint32_t c = p[POOL_CLASS];
  double *counts = counters(header);
  counts[COUNTER_LIVE_BYTES] -= (double)((c + 1) << log);
  counts[COUNTER_FREES] += 1;
  if (head == 0) {
    link_used(header, pool, c); /* full → used, at the front of its class list */
  } else if (count == 0) {
    /* used → empty: off its class list, onto its arena's free-pool list */
    unlink_used(header, pool, c);
    p[POOL_NEXT] = a[ARENA_FREE_POOL_LIST];
    a[ARENA_FREE_POOL_LIST] = pool;
    arena_freed_pool(header, arena, a);
  }
}
