/*
 * A workload that allocates a lot, for arenalloc's WebAssembly tests and benchmark.
 *
 * It counts words in generated text with a chained hash table that doubles its bucket array
 * (realloc), keeps the distinct words in an unbalanced binary search tree that it also deletes
 * from, builds a report string by appending to a buffer (realloc) and keeps short-lived strings
 * (malloc/free churn), zeroed tables (calloc) and aligned blocks (aligned_alloc, posix_memalign).
 * Every result folds into a checksum that JS recomputes, and everything is freed at the end.
 *
 * Built twice by build.sh: with ARENALLOC_IMPORTS, the malloc family is imported from JS ("env")
 * and the module links no libc; without it, wasi-libc's own malloc is compiled in.
 */

#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

#ifdef ARENALLOC_IMPORTS
#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
IMPORT(malloc) void *malloc(size_t size);
IMPORT(free) void free(void *ptr);
IMPORT(calloc) void *calloc(size_t count, size_t size);
IMPORT(realloc) void *realloc(void *ptr, size_t size);
IMPORT(aligned_alloc) void *aligned_alloc(size_t alignment, size_t size);
IMPORT(posix_memalign) int posix_memalign(void **out, size_t alignment, size_t size);
IMPORT(malloc_usable_size) size_t malloc_usable_size(void *ptr);

/* No libc: the two routines the compiler may call for struct copies and zeroing. */
void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}
#else
#include <malloc.h>
#include <stdlib.h>
#endif

/* Both variants copy bytes with the same loop, so that only the allocator differs. */
static void copy_bytes(char *dst, const char *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = src[i];
}
static size_t length_of(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
static int same(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* xorshift32: the same sequence as the JS model in the tests. */
static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

static uint32_t hash_of(const char *s) {
  uint32_t h = 2166136261u;
  while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
  return h;
}

/* ── the hash table: word → count, chained, doubling ─────────────────────────────────── */

struct entry {
  struct entry *next;
  char *word;
  uint32_t count;
};

struct table {
  struct entry **buckets;
  uint32_t size;
  uint32_t used;
};

static int table_grow(struct table *t) {
  uint32_t size = t->size * 2;
  struct entry **fresh = calloc(size, sizeof *fresh);
  if (!fresh) return 0;
  for (uint32_t i = 0; i < t->size; i++) {
    struct entry *e = t->buckets[i];
    while (e) {
      struct entry *next = e->next;
      uint32_t b = hash_of(e->word) & (size - 1);
      e->next = fresh[b];
      fresh[b] = e;
      e = next;
    }
  }
  free(t->buckets);
  t->buckets = fresh;
  t->size = size;
  return 1;
}

/* Counts `word` (copied when new); returns the entry, or 0 when memory ran out. */
static struct entry *table_add(struct table *t, const char *word) {
  uint32_t b = hash_of(word) & (t->size - 1);
  for (struct entry *e = t->buckets[b]; e; e = e->next) {
    if (same(e->word, word)) {
      e->count++;
      return e;
    }
  }
  if (t->used * 4 >= t->size * 3) {
    if (!table_grow(t)) return 0;
    b = hash_of(word) & (t->size - 1);
  }
  struct entry *e = malloc(sizeof *e);
  if (!e) return 0;
  size_t n = length_of(word);
  e->word = malloc(n + 1);
  if (!e->word) {
    free(e);
    return 0;
  }
  copy_bytes(e->word, word, n + 1);
  e->count = 1;
  e->next = t->buckets[b];
  t->buckets[b] = e;
  t->used++;
  return e;
}

/* ── the tree: distinct words ordered by hash, with deletion ─────────────────────────── */

struct node {
  struct node *left, *right;
  uint32_t key;
  struct entry *entry;
};

static int tree_insert(struct node **at, uint32_t key, struct entry *entry) {
  while (*at) {
    if (key == (*at)->key) return 1;
    at = key < (*at)->key ? &(*at)->left : &(*at)->right;
  }
  struct node *n = malloc(sizeof *n);
  if (!n) return 0;
  n->left = n->right = 0;
  n->key = key;
  n->entry = entry;
  *at = n;
  return 1;
}

static void tree_delete(struct node **at, uint32_t key) {
  while (*at && (*at)->key != key) at = key < (*at)->key ? &(*at)->left : &(*at)->right;
  struct node *n = *at;
  if (!n) return;
  if (!n->left) *at = n->right;
  else if (!n->right) *at = n->left;
  else {
    struct node **min = &n->right;
    while ((*min)->left) min = &(*min)->left;
    struct node *m = *min;
    *min = m->right;
    m->left = n->left;
    m->right = n->right;
    *at = m;
  }
  free(n);
}

/* In-order fold of (key, count) into a checksum; an explicit stack, grown with realloc. */
static uint32_t tree_fold(struct node *root, int *ok) {
  uint32_t sum = 0;
  size_t cap = 16, top = 0;
  struct node **stack = malloc(cap * sizeof *stack);
  if (!stack) return *ok = 0, 0;
  struct node *n = root;
  while (n || top) {
    while (n) {
      if (top == cap) {
        struct node **grown = realloc(stack, 2 * cap * sizeof *stack);
        if (!grown) return free(stack), *ok = 0, 0;
        stack = grown;
        cap *= 2;
      }
      stack[top++] = n;
      n = n->left;
    }
    n = stack[--top];
    sum = sum * 31 + n->key + n->entry->count;
    n = n->right;
  }
  free(stack);
  return sum;
}

static void tree_free(struct node *n) {
  while (n) {
    if (n->left) {
      /* Rotate the left child up so that the walk needs no stack. */
      struct node *l = n->left;
      n->left = l->right;
      l->right = n;
      n = l;
    } else {
      struct node *r = n->right;
      free(n);
      n = r;
    }
  }
}

/* ── the report: a string built by appending ─────────────────────────────────────────── */

struct text {
  char *bytes;
  size_t length, capacity;
};

static int text_append(struct text *t, const char *s, size_t n) {
  if (t->length + n + 1 > t->capacity) {
    size_t cap = t->capacity ? t->capacity : 16;
    while (cap < t->length + n + 1) cap += cap / 2;
    char *grown = realloc(t->bytes, cap);
    if (!grown) return 0;
    t->bytes = grown;
    t->capacity = cap;
  }
  copy_bytes(t->bytes + t->length, s, n);
  t->length += n;
  t->bytes[t->length] = 0;
  return 1;
}

static int text_number(struct text *t, uint32_t v) {
  char digits[12];
  int i = 11;
  digits[i] = 0;
  do digits[--i] = (char)('0' + v % 10), v /= 10;
  while (v);
  return text_append(t, digits + i, (size_t)(11 - i));
}

/* ── the workload ────────────────────────────────────────────────────────────────────── */

struct state {
  struct table table;
  struct node *tree;
  struct text report;
  uint32_t random;
  uint32_t words;
  uint32_t checksum;
};

EXPORT(wl_new) struct state *wl_new(uint32_t seed) {
  struct state *s = calloc(1, sizeof *s);
  if (!s) return 0;
  s->table.size = 16;
  s->table.buckets = calloc(16, sizeof *s->table.buckets);
  if (!s->table.buckets) return free(s), (struct state *)0;
  s->random = seed ? seed : 1;
  return s;
}

/*
 * Adds `n` generated words: each a fresh string (malloc), counted in the table, inserted in the
 * tree; every seventh word deletes a word from the tree again; every 64th word appends a line
 * to the report; scratch blocks of varied sizes and alignments come and go. Returns the number
 * of words added, or -1 when memory ran out.
 */
EXPORT(wl_step) int32_t wl_step(struct state *s, int32_t n) {
  for (int32_t i = 0; i < n; i++) {
    uint32_t r = next_random(&s->random);
    size_t len = 1 + (r % 12);
    char *word = malloc(len + 1);
    if (!word) return -1;
    /* A small alphabet so that words repeat. */
    for (size_t k = 0; k < len; k++) word[k] = (char)('a' + (next_random(&s->random) % 6));
    word[len] = 0;
    struct entry *e = table_add(&s->table, word);
    free(word);
    if (!e) return -1;
    uint32_t key = hash_of(e->word);
    if (!tree_insert(&s->tree, key, e)) return -1;
    if (r % 7 == 0) tree_delete(&s->tree, key ^ (r >> 16 & 3));
    if ((s->words & 63) == 0) {
      if (!text_append(&s->report, e->word, length_of(e->word)) || !text_append(&s->report, "=", 1) ||
          !text_number(&s->report, e->count) || !text_append(&s->report, "\n", 1))
        return -1;
    }
    /* Scratch: a zeroed block, an aligned one, a large one now and then. */
    uint32_t *zeros = calloc(1 + r % 40, sizeof *zeros);
    if (!zeros) return -1;
    for (uint32_t k = 0; k < 1 + r % 40; k++) s->checksum += zeros[k];
    free(zeros);
    if (r % 5 == 0) {
      void *aligned = 0;
      if (posix_memalign(&aligned, 64, 100 + r % 900) != 0) return -1;
      if (((uintptr_t)aligned & 63) != 0) s->checksum += 1000003;
      free(aligned);
    }
    if (r % 97 == 0) {
      size_t big = 2048 + r % 60000;
      char *block = aligned_alloc(16, big);
      if (!block) return -1;
      block[0] = block[big - 1] = 1;
      s->checksum += (uint32_t)(malloc_usable_size(block) >= big);
      free(block);
    }
    s->words++;
  }
  return n;
}

/* Folds the table, the tree and the report into one checksum. */
EXPORT(wl_digest) uint32_t wl_digest(struct state *s) {
  int ok = 1;
  uint32_t sum = s->checksum * 7 + s->table.used;
  for (uint32_t b = 0; b < s->table.size; b++)
    for (struct entry *e = s->table.buckets[b]; e; e = e->next) sum += hash_of(e->word) * e->count;
  sum = sum * 31 + tree_fold(s->tree, &ok);
  if (s->report.bytes) sum = sum * 31 + hash_of(s->report.bytes) + (uint32_t)s->report.length;
  return ok ? sum : 0;
}

/* Frees everything the state holds, and the state. */
EXPORT(wl_free) void wl_free(struct state *s) {
  tree_free(s->tree);
  for (uint32_t b = 0; b < s->table.size; b++) {
    struct entry *e = s->table.buckets[b];
    while (e) {
      struct entry *next = e->next;
      free(e->word);
      free(e);
      e = next;
    }
  }
  free(s->table.buckets);
  free(s->report.bytes);
  free(s);
}

/* The whole workload in one call: the benchmark's unit. */
EXPORT(wl_run) uint32_t wl_run(uint32_t seed, int32_t n) {
  struct state *s = wl_new(seed);
  if (!s) return 0;
  uint32_t sum = wl_step(s, n) == n ? wl_digest(s) : 0;
  wl_free(s);
  return sum;
}

/* ── for the tests: memory the module grows itself, and two classic C bugs ───────────── */

/* Grows the memory by `pages` as a module with an arena of its own would, and fills the new pages with a pattern; returns the first new page's index, or -1. */
EXPORT(wl_grow) int32_t wl_grow(int32_t pages) {
  int32_t old = __builtin_wasm_memory_grow(0, pages);
  if (old < 0) return -1;
  uint32_t *p = (uint32_t *)((uintptr_t)old * 65536);
  for (uint32_t i = 0; i < (uint32_t)pages * 16384; i++) p[i] = 0xC0DE0000u ^ i;
  return old;
}

/* Counts the words of the pages from `first` that no longer hold wl_grow's pattern. */
EXPORT(wl_check_grown) uint32_t wl_check_grown(int32_t first, int32_t pages) {
  uint32_t *p = (uint32_t *)((uintptr_t)first * 65536);
  uint32_t bad = 0;
  for (uint32_t i = 0; i < (uint32_t)pages * 16384; i++) bad += p[i] != (0xC0DE0000u ^ i);
  return bad;
}

/* Writes one byte past the end of an `n`-byte block, then frees it (an off-by-one overrun). */
EXPORT(wl_overrun) void wl_overrun(int32_t n) {
  char *p = malloc((size_t)n);
  if (!p) return;
  for (int32_t i = 0; i <= n; i++) p[i] = 'x';
  free(p);
}

/* Writes through a null pointer plus `offset` (a field of a struct at NULL). */
EXPORT(wl_null_write) void wl_null_write(int32_t offset) {
  volatile unsigned char *p = (volatile unsigned char *)(uintptr_t)offset;
  *p = 0x5a;
}
