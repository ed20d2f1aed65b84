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
 *   core_max_large    the largest request TLSF could ever serve in this store (`Heap._maxLarge`)
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
IMPORT(slow_aligned_alloc) uint32_t slow_aligned_alloc(uint32_t alignment, uint32_t size);
IMPORT(slow_posix_memalign) uint32_t slow_posix_memalign(uint32_t out, uint32_t alignment, uint32_t size);

__asm__(
    ".globaltype core_base, i32\ncore_base:\n"
    ".globaltype core_on, i32\ncore_on:\n"
    ".globaltype core_log, i32\ncore_log:\n"
    ".globaltype core_plog, i32\ncore_plog:\n"
    ".globaltype core_ppa, i32\ncore_ppa:\n"
    ".globaltype core_pool_header, i32\ncore_pool_header:\n"
    ".globaltype core_max_large, i32\ncore_max_large:\n");

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
GLOBAL_GET(core_max_large)

/* The memory as words; an address is a byte offset. */
static inline uint32_t *word(uint32_t address) { return (uint32_t *)(uintptr_t)address; }
static inline double *counters(uint32_t *header) { return (double *)header; }
/* Arena `arena`'s entry in the arena table. */
static inline uint32_t *entry(uint32_t *header, uint32_t arena) { return word(header[SMALL_ARENA_TABLE]) + arena * ARENA_STRIDE; }

/*
 * Points the fast paths at the heap whose header is at `base` and turns them on; returns 0, and
 * leaves them off, when no heap of this layout is there. `max_large` is the heap's `_maxLarge`.
 */
EXPORT(core_enable) uint32_t core_enable(uint32_t base, uint32_t max_large) {
  uint32_t *header = word(base);
  if (header[W_MAGIC] != MAGIC || header[W_VERSION] != LAYOUT_VERSION) return 0;
  uint32_t align = header[W_ALIGN], pool = header[W_POOL_SIZE], arena = header[W_ARENA_SIZE];
  set_core_base(base);
  set_core_log(31 - __builtin_clz(align));
  set_core_plog(31 - __builtin_clz(pool));
  set_core_ppa(arena / pool);
  uint32_t bitmap_words = (pool / align + 31) / 32;
  set_core_pool_header((POOL_FIELDS_BYTES + bitmap_words * 4 + align - 1) / align * align);
  set_core_max_large(max_large);
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
static uint32_t small_malloc(uint32_t *header, uint32_t size);
static uint32_t large_malloc(uint32_t *header, uint32_t request);

EXPORT(malloc) uint32_t core_malloc(uint32_t size) {
  if (!get_core_on()) return slow_malloc(size);
  uint32_t *header = word(get_core_base());
  if (size <= SMALL_REQUEST_THRESHOLD) return small_malloc(header, size);
  uint32_t block = size > get_core_max_large() ? 0 : large_malloc(header, size);
  return block != 0 ? block : slow_malloc(size);
}

/* The small-object part of malloc (pymalloc); a request it cannot serve here goes to JavaScript. */
static uint32_t small_malloc(uint32_t *header, uint32_t size) {
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
    /*
     * The last listed block: carve CARVE_BYTES of never-used blocks ahead (at least one), linked
     * in address order, as `SmallHeap.carve` does; or the pool is now full (used → full).
     */
    uint32_t offset = p[POOL_NEXT_OFFSET], max = p[POOL_MAX_NEXT_OFFSET];
    if (offset > max) {
      unlink_used(header, pool, c);
    } else {
      uint32_t last = offset + (CARVE_BYTES > bytes ? CARVE_BYTES - bytes : 0);
      if (last > max) last = max;
      uint32_t o = offset;
      for (; o + bytes <= last; o += bytes) *word(pool + o) = pool + o + bytes;
      *word(pool + o) = 0;
      p[POOL_NEXT_OFFSET] = o + bytes;
      next = pool + offset;
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
 * zeroes). A product no block can have (over `core_max_large`, or overflowing) is JavaScript's.
 */
EXPORT(calloc) uint32_t core_calloc(uint32_t count, uint32_t size) {
  uint64_t total = (uint64_t)count * size;
  if (!get_core_on() || total > get_core_max_large()) return slow_calloc(count, size);
  uint32_t block = core_malloc((uint32_t)total);
  if (block != 0) __builtin_memset((void *)(uintptr_t)block, 0, (uint32_t)total);
  return block;
}

/* ─── large blocks: TLSF, as src/large/tlsf.ts ──────────────────────────────────────────────── */

static inline uint32_t tag_of(uint32_t chunk) { return (chunk + CHUNK_HEADER) ^ TAG_KEY; }
static inline uint32_t size_of(uint32_t chunk) { return word(chunk)[CHUNK_SIZE] & ~3u; }

/* listFor: the list (first level × 32 + second level) a free chunk of `size` goes on. */
static uint32_t list_for(uint32_t size) {
  uint32_t log = get_core_log(), shift = log + SL_LOG2;
  if (size < (1u << shift)) return size >> log;
  uint32_t log2 = 31 - __builtin_clz(size);
  return ((log2 - shift + 1) << SL_LOG2) | ((size >> (log2 - SL_LOG2)) ^ SL_COUNT);
}

static void insert_free(uint32_t *header, uint32_t chunk, uint32_t size) {
  uint32_t list = list_for(size);
  uint32_t head = header[W_TLSF_HEADS + list];
  uint32_t *c = word(chunk);
  c[CHUNK_NEXT_LINK] = head;
  c[CHUNK_PREV_LINK] = 0;
  if (head != 0) {
    word(head)[CHUNK_PREV_LINK] = chunk;
  } else {
    uint32_t fl = list >> SL_LOG2;
    header[W_TLSF_FL_BITMAP] |= 1u << fl;
    header[W_TLSF_SL_BITMAPS + fl] |= 1u << (list & (SL_COUNT - 1));
  }
  header[W_TLSF_HEADS + list] = chunk;
  double *count = counters(header);
  count[F_LARGE_FREE_CHUNKS] += 1;
  count[F_LARGE_FREE_BYTES] += size;
}

/* unlinkHead: the head of `list` leaves it; `next` (0 or a chunk whose back link is cleared) is the new head. */
static void unlink_head(uint32_t *header, uint32_t list, uint32_t next) {
  header[W_TLSF_HEADS + list] = next;
  if (next != 0) return;
  uint32_t fl = list >> SL_LOG2;
  uint32_t sl = header[W_TLSF_SL_BITMAPS + fl] & ~(1u << (list & (SL_COUNT - 1)));
  header[W_TLSF_SL_BITMAPS + fl] = sl;
  if (sl == 0) header[W_TLSF_FL_BITMAP] &= ~(1u << fl);
}

static void remove_free(uint32_t *header, uint32_t chunk, uint32_t size) {
  uint32_t *c = word(chunk);
  uint32_t next = c[CHUNK_NEXT_LINK], prev = c[CHUNK_PREV_LINK];
  if (next != 0) word(next)[CHUNK_PREV_LINK] = prev;
  if (prev != 0) word(prev)[CHUNK_NEXT_LINK] = next;
  else unlink_head(header, list_for(size), next);
  double *count = counters(header);
  count[F_LARGE_FREE_CHUNKS] -= 1;
  count[F_LARGE_FREE_BYTES] -= size;
}

/* popFit: a free chunk of at least `size` bytes off its list ("good fit": the search rounds up), or 0. */
static uint32_t pop_fit(uint32_t *header, uint64_t size) {
  uint32_t log = get_core_log(), shift = log + SL_LOG2, fl, sl;
  if (size < (1u << shift)) {
    fl = 0;
    sl = (uint32_t)size >> log;
  } else {
    if (size >= 0x100000000ull) return 0;
    uint64_t rounded = size + (1u << (31 - __builtin_clz((uint32_t)size) - SL_LOG2)) - 1;
    if (rounded >= 0x100000000ull) return 0;
    uint32_t log2 = 31 - __builtin_clz((uint32_t)rounded);
    fl = log2 - shift + 1;
    sl = ((uint32_t)rounded >> (log2 - SL_LOG2)) ^ SL_COUNT;
  }
  uint32_t sl_map = header[W_TLSF_SL_BITMAPS + fl] & (~0u << sl);
  if (sl_map == 0) {
    uint32_t fl_map = header[W_TLSF_FL_BITMAP] & (~0u << (fl + 1));
    if (fl_map == 0) return 0;
    fl = __builtin_ctz(fl_map);
    sl_map = header[W_TLSF_SL_BITMAPS + fl];
  }
  uint32_t list = (fl << SL_LOG2) | __builtin_ctz(sl_map);
  uint32_t chunk = header[W_TLSF_HEADS + list];
  uint32_t next = word(chunk)[CHUNK_NEXT_LINK];
  if (next != 0) {
    word(next)[CHUNK_PREV_LINK] = 0;
    header[W_TLSF_HEADS + list] = next;
  } else {
    unlink_head(header, list, 0);
  }
  double *count = counters(header);
  count[F_LARGE_FREE_CHUNKS] -= 1;
  count[F_LARGE_FREE_BYTES] -= size_of(chunk);
  return chunk;
}

static void write_header(uint32_t chunk, uint32_t size_and_flags, uint32_t requested) {
  uint32_t *c = word(chunk);
  c[CHUNK_TAG] = tag_of(chunk);
  c[CHUNK_SIZE] = size_and_flags;
  c[CHUNK_REQUESTED] = requested;
}

/* takeChunk: marks the free chunk (off its list) used with `size` bytes; a big enough rest is freed. */
static void take_chunk(uint32_t *header, uint32_t chunk, uint32_t size, uint32_t request) {
  uint32_t flags = word(chunk)[CHUNK_SIZE];
  uint32_t total = flags & ~3u, prev_flag = flags & BIT_PREV_FREE;
  uint32_t rest = total - size;
  double *count = counters(header);
  count[F_LARGE_USED_CHUNKS] += 1;
  if (rest >= MIN_CHUNK) {
    write_header(chunk, size | prev_flag, request);
    uint32_t remainder = chunk + size;
    write_header(remainder, rest | BIT_FREE, 0);
    word(remainder + rest)[CHUNK_PREV_SIZE] = rest;
    insert_free(header, remainder, rest);
    count[F_LARGE_USED_BYTES] += size;
  } else {
    write_header(chunk, total | prev_flag, request);
    word(chunk + total)[CHUNK_SIZE] &= ~(uint32_t)BIT_PREV_FREE;
    count[F_LARGE_USED_BYTES] += total;
  }
}

/* chunkSizeFor: the chunk that holds `request` payload bytes (a request at most core_max_large). */
static inline uint32_t chunk_size_for(uint32_t request) {
  uint32_t align = 1u << get_core_log();
  uint32_t size = (request + CHUNK_HEADER + align - 1) & ~(align - 1);
  return size < MIN_CHUNK ? MIN_CHUNK : size;
}

/* The facade's `_countAlloc` for a large block of `usable` bytes. */
static void count_alloc(uint32_t *header, uint32_t usable) {
  double *count = counters(header);
  double live = count[COUNTER_LIVE_BYTES] + usable;
  count[COUNTER_LIVE_BYTES] = live;
  if (live > count[COUNTER_PEAK_BYTES]) count[COUNTER_PEAK_BYTES] = live;
  count[COUNTER_ALLOCATIONS] += 1;
}

/*
 * `_largeMalloc` when a listed chunk fits: popFit, takeChunk, the counters. 0 when none fits:
 * JavaScript then grows the store (nothing was changed).
 */
static uint32_t large_malloc(uint32_t *header, uint32_t request) {
  uint32_t size = chunk_size_for(request);
  uint32_t chunk = pop_fit(header, size);
  if (chunk == 0) return 0;
  take_chunk(header, chunk, size, request);
  count_alloc(header, size_of(chunk) - CHUNK_HEADER);
  return chunk + CHUNK_HEADER;
}

/* `Tlsf.alignedAlloc` (alignment above the heap's) when a listed chunk fits, with the counters; else 0. */
static uint32_t large_aligned(uint32_t *header, uint32_t request, uint32_t alignment) {
  uint32_t size = chunk_size_for(request);
  uint64_t search = (uint64_t)size + alignment + MIN_CHUNK;
  uint32_t chunk = pop_fit(header, search);
  if (chunk == 0) return 0;
  uint32_t total = size_of(chunk);
  uint32_t payload = (chunk + CHUNK_HEADER + alignment - 1) & ~(alignment - 1);
  if (payload != chunk + CHUNK_HEADER && payload - CHUNK_HEADER - chunk < MIN_CHUNK) {
    payload = (chunk + CHUNK_HEADER + MIN_CHUNK + alignment - 1) & ~(alignment - 1);
  }
  uint32_t start = payload - CHUNK_HEADER;
  uint32_t lead = start - chunk;
  if (lead > 0) {
    write_header(chunk, lead | BIT_FREE, 0);
    insert_free(header, chunk, lead);
    write_header(start, (total - lead) | BIT_PREV_FREE, 0);
    word(start)[CHUNK_PREV_SIZE] = lead;
  }
  take_chunk(header, start, size, request);
  count_alloc(header, size_of(start) - CHUNK_HEADER);
  return payload;
}

/*
 * `_checkLiveLarge` and `Tlsf.classify`: whether the aligned `ptr` is the payload of a live chunk
 * the user may free (its tag and its successor's agree, its size is sane, it is not free, it is
 * not memory the heap manages itself). Reads only inside the heap, so it cannot trap.
 */
static int live_large(uint32_t *header, uint32_t ptr) {
  uint32_t chunk = ptr - CHUNK_HEADER;
  uint32_t end = header[W_HEAP_END];
  if (chunk < get_core_base() + HEADER_BYTES || chunk >= end) return 0;
  uint32_t *c = word(chunk);
  if (c[CHUNK_TAG] != tag_of(chunk)) return 0;
  uint32_t flags = c[CHUNK_SIZE], size = flags & ~3u;
  if (size < MIN_CHUNK || size > end - chunk || (size & ((1u << get_core_log()) - 1)) != 0) return 0;
  if (word(chunk + size)[CHUNK_TAG] != tag_of(chunk + size)) return 0;
  return (flags & BIT_FREE) == 0 && c[CHUNK_REQUESTED] != INTERNAL_REQUEST;
}

/* `_largeFree` after the check: the counters, then `Tlsf.free`, merging with free neighbours. */
static void large_free(uint32_t *header, uint32_t ptr) {
  uint32_t chunk = ptr - CHUNK_HEADER;
  uint32_t *c = word(chunk);
  uint32_t flags = c[CHUNK_SIZE], size = flags & ~3u;
  double *count = counters(header);
  count[COUNTER_LIVE_BYTES] -= (double)(size - CHUNK_HEADER);
  count[COUNTER_FREES] += 1;
  count[F_LARGE_USED_CHUNKS] -= 1;
  count[F_LARGE_USED_BYTES] -= size;
  c[CHUNK_SIZE] = flags | BIT_FREE;
  uint32_t next = chunk + size;
  if ((flags & BIT_PREV_FREE) != 0) {
    uint32_t prev_size = c[CHUNK_PREV_SIZE];
    chunk -= prev_size;
    remove_free(header, chunk, prev_size);
    size += prev_size;
    c = word(chunk);
  }
  uint32_t next_flags = word(next)[CHUNK_SIZE];
  if ((next_flags & BIT_FREE) != 0) {
    uint32_t next_size = next_flags & ~3u;
    remove_free(header, next, next_size);
    size += next_size;
  }
  c[CHUNK_SIZE] = size | BIT_FREE;
  uint32_t *after = word(chunk + size);
  after[CHUNK_PREV_SIZE] = size;
  after[CHUNK_SIZE] |= BIT_PREV_FREE;
  insert_free(header, chunk, size);
}

/*
 * The kept pools of `arena` among the class heads other than class `skip`'s: empty pools at the
 * head of a class list (`SmallHeap.kept`, counting).
 */
static uint32_t kept_except(uint32_t *header, uint32_t arena, uint32_t skip) {
  uint32_t n = 0, classes = SMALL_REQUEST_THRESHOLD >> get_core_log();
  for (uint32_t k = 0; k < classes; k++) {
    uint32_t pool = header[SMALL_USED_POOLS + k];
    if (k != skip && pool != 0 && word(pool)[POOL_COUNT] == 0 && word(pool)[POOL_ARENA] == arena) n++;
  }
  return n;
}

/* ─── free ───────────────────────────────────────────────────────────────────────────────────── */

/*
 * free(p), checked as src/small/pymalloc.ts `tryFree` checks it: the pool map says whether p lies
 * in a pool malloc handed out (the map is the heap's own memory: no user data passes it), and
 * the block's bit in the pool's live bitmap says whether p is an allocated block's start. A
 * pointer that fails either test is freed here as a large block when it is the payload of a live
 * chunk (the tags of the chunk and its successor, its size, its flags: `_checkLiveLarge`), and
 * goes to JavaScript untouched otherwise, which reports the typed error (a foreign, interior or
 * already freed pointer). The fast path: the map word,
 * the bitmap word (the check and the mark at once), a push on the pool's free list, the count,
 * two counters. The pool's transitions (full → used; used → kept or empty, its arena moving
 * along the usable list) are made here too, except when the arena would go back to the
 * large-object heap, when a kept pool must go back, when only counting the class heads can
 * settle whether a pool may be kept, and a one-block pool's full → empty: those are
 * JavaScript's. free(0) does nothing.
 */
EXPORT(free) void core_free(uint32_t ptr) {
  if (ptr == 0) return;
  uint32_t log = get_core_log();
  if (!get_core_on() || (ptr & ((1u << log) - 1)) != 0) return slow_free(ptr);
  uint32_t *header = word(get_core_base());
  uint32_t page = ptr >> get_core_plog();
  if (page >= header[SMALL_POOL_MAP_PAGES] || ((word(header[SMALL_POOL_MAP])[page >> 5] >> (page & 31)) & 1) == 0) {
    /* No small pool: a large block, checked; anything else is JavaScript's to report. */
    if (!live_large(header, ptr)) return slow_free(ptr);
    return large_free(header, ptr);
  }
  uint32_t pool = ptr & ~((1u << get_core_plog()) - 1);
  uint32_t *p = word(pool);
  uint32_t unit = (ptr - pool) >> log;
  uint32_t *bits = &p[POOL_BITMAP + (unit >> 5)];
  uint32_t bit = 1u << (unit & 31);
  if ((*bits & bit) == 0) return slow_free(ptr);
  uint32_t head = p[POOL_FREE_BLOCK], count = p[POOL_COUNT] - 1;
  uint32_t c = p[POOL_CLASS];
  uint32_t *a = 0;
  uint32_t arena = 0;
  uint32_t keep = 0;
  uint32_t kept_bound = NONE; /* the arena's KEPT bound as JavaScript leaves it, NONE: unchanged */
  if (head == 0 && count != 0) {
    /* full → used: a kept pool at the head of the class list goes back first (JavaScript's). */
    uint32_t first = header[SMALL_USED_POOLS + c];
    if (first != 0 && word(first)[POOL_COUNT] == 0) return slow_free(ptr);
  } else if (count == 0) {
    if (head == 0) return slow_free(ptr);
    arena = p[POOL_ARENA];
    a = entry(header, arena);
    uint32_t ppa = get_core_ppa(), free_pools = a[ARENA_FREE_POOLS], arenas = header[SMALL_ARENAS];
    if (p[POOL_PREV] == 0 && p[POOL_NEXT] == 0) {
      /*
       * `SmallHeap.mayKeep`: the class's only pool is kept unless its arena would then hold only
       * kept and free pools while other arenas exist. When the bound cannot settle it, the class
       * heads are counted, as JavaScript counts them (this pool, already empty at the head of
       * its list, among them), and the bound becomes that count.
       */
      if (arenas == 1 || free_pools + a[ARENA_KEPT] + 1 < ppa) {
        keep = 1;
      } else {
        kept_bound = kept_except(header, arena, c) + 1;
        keep = free_pools + kept_bound + 1 < ppa;
      }
    }
    if (!keep) {
      /* The arena would go back to the large-object heap: JavaScript's. */
      if (free_pools + 1 == ppa && header[SMALL_EMPTY_ARENAS] != 0) return slow_free(ptr);
      /*
       * `SmallHeap.toEmpty`: when the bound says the arena may now hold only kept and free
       * pools, they are counted (this pool, off its list, no longer among them); if it does, its
       * kept pools go back, which is JavaScript's.
       */
      uint32_t after = free_pools + 1, bound = kept_bound != NONE ? kept_bound : a[ARENA_KEPT];
      if (arenas != 1 && after != ppa && after + bound >= ppa) {
        kept_bound = kept_except(header, arena, c);
        if (after + kept_bound == ppa) return slow_free(ptr);
      }
    }
  }
  *bits &= ~bit;
  *word(ptr) = head;
  p[POOL_FREE_BLOCK] = ptr;
  p[POOL_COUNT] = count;
  double *counts = counters(header);
  counts[COUNTER_LIVE_BYTES] -= (double)((c + 1) << log);
  counts[COUNTER_FREES] += 1;
  if (head == 0) {
    link_used(header, pool, c); /* full → used, at the front of its class list */
  } else if (keep) {
    /* used → kept: stays on its class list */
    a[ARENA_KEPT] = (kept_bound != NONE ? kept_bound : a[ARENA_KEPT]) + 1;
  } else if (count == 0) {
    /* used → empty: off its class list, onto its arena's free-pool list */
    if (kept_bound != NONE) a[ARENA_KEPT] = kept_bound;
    unlink_used(header, pool, c);
    p[POOL_NEXT] = a[ARENA_FREE_POOL_LIST];
    a[ARENA_FREE_POOL_LIST] = pool;
    arena_freed_pool(header, arena, a);
  }
}

/* ─── aligned allocation ────────────────────────────────────────────────────────────────────── */

/*
 * aligned_alloc(alignment, size), as wasmImports' `aligned_alloc` and `Heap.alignedAlloc`: an
 * alignment up to the heap's is a malloc; a larger one is TLSF's aligned search. A bad alignment,
 * a size no block can have, and a search that finds no listed chunk are JavaScript's.
 */
EXPORT(aligned_alloc) uint32_t core_aligned_alloc(uint32_t alignment, uint32_t size) {
  if (!get_core_on() || alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > MAX_ALIGNMENT ||
      size > get_core_max_large()) {
    return slow_aligned_alloc(alignment, size);
  }
  if (alignment <= (1u << get_core_log())) return core_malloc(size);
  uint32_t block = large_aligned(word(get_core_base()), size, alignment);
  return block != 0 ? block : slow_aligned_alloc(alignment, size);
}

/*
 * posix_memalign(out, alignment, size), as wasmImports' `posix_memalign`: the block written to
 * *out and 0, or ENOMEM (48). A bad alignment or out-pointer (EINVAL) is JavaScript's.
 */
EXPORT(posix_memalign) uint32_t core_posix_memalign(uint32_t out, uint32_t alignment, uint32_t size) {
  uint64_t bytes = (uint64_t)__builtin_wasm_memory_size(0) << 16;
  if (!get_core_on() || alignment < 4 || (alignment & (alignment - 1)) != 0 || alignment > MAX_ALIGNMENT || out == 0 ||
      (uint64_t)out + 4 > bytes) {
    return slow_posix_memalign(out, alignment, size);
  }
  uint32_t block = core_aligned_alloc(alignment, size);
  if (block == 0) return 48; /* ENOMEM */
  *word(out) = block;
  return 0;
}
