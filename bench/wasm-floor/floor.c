/*
 * The floor of allocators served across a module boundary, for bench/wasm.bench.mjs and
 * bench/wasm.instructions.sh: a bump allocator in its own WebAssembly module, which the
 * workload imports as its malloc family exactly as it imports arenalloc's WebAssembly fast path.
 * It never frees (each unit of the benchmark starts again from __heap_base), so its time is the
 * program plus the module-to-module calls and almost nothing else: what any allocator served
 * from a separate module pays at least. Each block has an 8-byte header holding its size (for
 * realloc's copy), and blocks are 16-aligned. State: one WebAssembly global (no data, no stack).
 * Built by build.sh; the .wasm is committed.
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

__asm__(".globaltype floor_top, i32\nfloor_top:\n");
static inline uint32_t get_top(void) {
  uint32_t v;
  __asm__ volatile("global.get floor_top\n\tlocal.set %0" : "=r"(v));
  return v;
}
static inline void set_top(uint32_t v) { __asm__ volatile("local.get %0\n\tglobal.set floor_top" ::"r"(v)); }

/* Starts again from `top` (the module's __heap_base). */
EXPORT(floor_reset) void floor_reset(uint32_t top) { set_top(top); }

static uint32_t take(uint32_t n, uint32_t align) {
  if (align < 16) align = 16;
  uint32_t p = (get_top() + 8 + align - 1) & ~(align - 1);
  uint32_t end = p + n;
  uint32_t have = (uint32_t)__builtin_wasm_memory_size(0) << 16;
  if (end > have && __builtin_wasm_memory_grow(0, ((end - have) >> 16) + 16) == (size_t)-1) return 0;
  set_top(end);
  ((uint32_t *)(uintptr_t)p)[-1] = n;
  return p;
}

EXPORT(malloc) uint32_t floor_malloc(uint32_t n) { return take(n, 16); }
EXPORT(free) void floor_free(uint32_t p) { (void)p; }
EXPORT(calloc) uint32_t floor_calloc(uint32_t count, uint32_t size) {
  uint32_t n = count * size, p = take(n, 16);
  if (p) __builtin_memset((void *)(uintptr_t)p, 0, n);
  return p;
}
EXPORT(realloc) uint32_t floor_realloc(uint32_t old, uint32_t n) {
  uint32_t p = take(n, 16);
  if (p && old) {
    uint32_t had = ((uint32_t *)(uintptr_t)old)[-1];
    __builtin_memcpy((void *)(uintptr_t)p, (void *)(uintptr_t)old, had < n ? had : n);
  }
  return p;
}
EXPORT(aligned_alloc) uint32_t floor_aligned_alloc(uint32_t align, uint32_t n) { return take(n, align); }
EXPORT(posix_memalign) uint32_t floor_posix_memalign(uint32_t out, uint32_t align, uint32_t n) {
  *(uint32_t *)(uintptr_t)out = take(n, align);
  return 0;
}
EXPORT(malloc_usable_size) uint32_t floor_usable_size(uint32_t p) { return ((uint32_t *)(uintptr_t)p)[-1]; }
