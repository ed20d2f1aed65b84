/*
 * Replays an allocation trace (the binary form, uncompressed: see src/strategies/trace.ts)
 * through the C library's malloc, realloc and free, and reports ns/op the way
 * `arenalloc replay` does: the operations preloaded into arrays, only the operation loop timed,
 * the median of the rounds. calloc replays as malloc, as in the JS replayer's timed rounds.
 *
 *   gcc -O2 -o replay bench/native/replay.c && ./replay trace.atrace [rounds]
 *
 * Prints one JSON line: {"ops":N,"rounds":[ns/op,...],"nsPerOp":median}. Unlike the JS
 * strategies, which start each round from a fresh buffer, glibc keeps the memory of earlier
 * rounds (its arenas are the process's): after the first round it runs warm.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { OP_MALLOC = 0, OP_CALLOC = 1, OP_REALLOC = 2, OP_FREE = 3 };

static int fail(const char *file, const char *what) {
  fprintf(stderr, "replay: %s: %s\n", file, what);
  return 1;
}

static int read_varint(const uint8_t *bytes, size_t length, size_t *at, uint64_t *out) {
  uint64_t value = 0;
  int shift = 0;
  for (;;) {
    if (*at >= length || shift > 35) return 0;
    uint8_t b = bytes[(*at)++];
    value |= (uint64_t)(b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  *out = value;
  return 1;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: replay TRACE.atrace [rounds]\n");
    return 2;
  }
  const char *file = argv[1];
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  if (rounds < 1) rounds = 1;
  FILE *f = fopen(file, "rb");
  if (f == NULL) return fail(file, "cannot open");
  fseek(f, 0, SEEK_END);
  long length = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *bytes = malloc((size_t)length);
  if (bytes == NULL || fread(bytes, 1, (size_t)length, f) != (size_t)length) return fail(file, "cannot read");
  fclose(f);
  if (length < 16 || memcmp(bytes, "ATRC", 4) != 0 || bytes[4] != 1) return fail(file, "not a binary trace of version 1");
  uint32_t count, slot_count;
  memcpy(&count, bytes + 8, 4); /* little-endian, as every machine this runs on */
  memcpy(&slot_count, bytes + 12, 4);
  uint8_t *ops = malloc(count + 1);
  uint32_t *slots = malloc(((size_t)count + 1) * 4);
  uint32_t *sizes = malloc(((size_t)count + 1) * 4);
  void **ptrs = calloc((size_t)slot_count + 1, sizeof(void *));
  double *times = malloc(sizeof(double) * (size_t)rounds);
  if (ops == NULL || slots == NULL || sizes == NULL || ptrs == NULL || times == NULL) return fail(file, "out of memory");
  size_t at = 16;
  for (uint32_t i = 0; i < count; i++) {
    uint64_t slot, size = 0;
    if (at >= (size_t)length) return fail(file, "truncated");
    ops[i] = bytes[at++];
    if (ops[i] > OP_FREE || !read_varint(bytes, (size_t)length, &at, &slot) || slot >= slot_count) return fail(file, "bad operation");
    if (ops[i] != OP_FREE && !read_varint(bytes, (size_t)length, &at, &size)) return fail(file, "bad size");
    slots[i] = (uint32_t)slot;
    sizes[i] = (uint32_t)size;
  }
  free(bytes);

  for (int r = 0; r < rounds; r++) {
    double start = now_ns();
    for (uint32_t i = 0; i < count; i++) {
      uint32_t s = slots[i];
      switch (ops[i]) {
        case OP_FREE: free(ptrs[s]); ptrs[s] = NULL; break;
        case OP_REALLOC: ptrs[s] = realloc(ptrs[s], sizes[i]); break;
        default: ptrs[s] = malloc(sizes[i]); break;
      }
    }
    times[r] = count > 0 ? (now_ns() - start) / count : 0;
    /* Blocks the program never freed: freed here, untimed, so that every round starts alike. */
    for (uint32_t s = 0; s < slot_count; s++) {
      free(ptrs[s]);
      ptrs[s] = NULL;
    }
  }
  printf("{\"ops\":%u,\"rounds\":[", count);
  for (int r = 0; r < rounds; r++) printf("%s%.2f", r == 0 ? "" : ",", times[r]);
  qsort(times, (size_t)rounds, sizeof(double), by_value);
  double median = rounds % 2 == 1 ? times[rounds / 2] : (times[rounds / 2 - 1] + times[rounds / 2]) / 2;
  printf("],\"nsPerOp\":%.2f}\n", median);
  return 0;
}
