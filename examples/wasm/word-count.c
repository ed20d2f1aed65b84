/*
 * The C side of examples/wasm-c-program.mjs: counts the words of a text and writes a report of
 * the most frequent ones. Every allocation it makes is arenalloc's: malloc, calloc, realloc and
 * free are declared here and left undefined, so the linker makes them imports (env.malloc, ...),
 * which wasmImports provides. The text comes in a block JavaScript allocated in the same heap,
 * and the report goes out in a block this code allocated, which JavaScript frees.
 *
 * Built by build.sh (clang --target=wasm32, no libc).
 */

#include <stddef.h>
#include <stdint.h>

void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);

struct word {
  struct word *next; /* the next word in the same bucket */
  char *text;        /* a copy of the word, NUL-terminated */
  uint32_t count;
};

struct table {
  struct word **buckets;
  uint32_t size; /* a power of two */
  uint32_t used;
};

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* Words are counted without regard to case: the hash and the comparison see lower case. */
static uint32_t hash(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)lower(s[i])) * 16777619u;
  return h;
}

/* Whether text[0..n) is the stored (lower-case, NUL-terminated) word. */
static int same(const char *text, const char *word, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (lower(text[i]) != word[i]) return 0;
  return word[n] == 0;
}

static int is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\''; }

/* Doubles the bucket array, moving every word to its new bucket. 0 when memory ran out. */
static int grow(struct table *t) {
  uint32_t size = t->size * 2;
  struct word **fresh = calloc(size, sizeof *fresh);
  if (!fresh) return 0;
  for (uint32_t i = 0; i < t->size; i++) {
    for (struct word *w = t->buckets[i], *next; w; w = next) {
      next = w->next;
      size_t n = 0;
      while (w->text[n]) n++;
      struct word **b = &fresh[hash(w->text, n) & (size - 1)];
      w->next = *b;
      *b = w;
    }
  }
  free(t->buckets);
  t->buckets = fresh;
  t->size = size;
  return 1;
}

/* Counts the word text[0..n), copying it when it is new. 0 when memory ran out. */
static int add(struct table *t, const char *text, size_t n) {
  struct word **b = &t->buckets[hash(text, n) & (t->size - 1)];
  for (struct word *w = *b; w; w = w->next) {
    if (same(text, w->text, n)) return ++w->count, 1;
  }
  struct word *w = malloc(sizeof *w);
  char *copy = malloc(n + 1);
  if (!w || !copy) return free(w), free(copy), 0;
  for (size_t i = 0; i < n; i++) copy[i] = lower(text[i]);
  copy[n] = 0;
  w->text = copy;
  w->count = 1;
  w->next = *b;
  *b = w;
  return ++t->used * 4 < t->size * 3 || grow(t);
}

/* Appends s (n bytes) to the growing report. 0 when memory ran out. */
static int append(char **out, size_t *len, size_t *cap, const char *s, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t cap2 = (*len + n + 1) * 2;
    char *grown = realloc(*out, cap2);
    if (!grown) return 0;
    *out = grown;
    *cap = cap2;
  }
  for (size_t i = 0; i < n; i++) (*out)[(*len)++] = s[i];
  (*out)[*len] = 0;
  return 1;
}

static int append_number(char **out, size_t *len, size_t *cap, uint32_t v) {
  char digits[10];
  size_t n = 0;
  do digits[9 - n++] = (char)('0' + v % 10);
  while (v /= 10);
  return append(out, len, cap, digits + 10 - n, n);
}

/*
 * The `top` most frequent words of text[0..length), one "word count" line each, most frequent
 * first, as a NUL-terminated string the caller frees with free(); 0 when memory ran out.
 * `distinct` receives the number of different words.
 */
__attribute__((export_name("top_words"))) char *top_words(const char *text, size_t length, uint32_t top, uint32_t *distinct) {
  struct table t = {calloc(16, sizeof(struct word *)), 16, 0};
  char *report = 0;
  size_t len = 0, cap = 0;
  int ok = t.buckets != 0;
  for (size_t i = 0; ok && i < length;) {
    while (i < length && !is_letter(text[i])) i++;
    size_t start = i;
    while (i < length && is_letter(text[i])) i++;
    if (i > start) ok = add(&t, text + start, i - start);
  }
  /* Picks the most frequent remaining word `top` times (taking it out by zeroing its count). */
  for (uint32_t k = 0; ok && k < top && k < t.used; k++) {
    struct word *best = 0;
    for (uint32_t i = 0; i < t.size; i++)
      for (struct word *w = t.buckets[i]; w; w = w->next)
        if (w->count && (!best || w->count > best->count)) best = w;
    size_t n = 0;
    while (best->text[n]) n++;
    ok = append(&report, &len, &cap, best->text, n) && append(&report, &len, &cap, " ", 1) &&
         append_number(&report, &len, &cap, best->count) && append(&report, &len, &cap, "\n", 1);
    best->count = 0;
  }
  *distinct = t.used;
  for (uint32_t i = 0; t.buckets && i < t.size; i++) {
    for (struct word *w = t.buckets[i], *next; w; w = next) {
      next = w->next;
      free(w->text);
      free(w);
    }
  }
  free(t.buckets);
  if (!ok) free(report);
  return ok ? report : 0;
}
