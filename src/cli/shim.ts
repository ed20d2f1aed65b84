/**
 * The C source of the `LD_PRELOAD` shim that `arenalloc record` builds with the system `cc` and
 * preloads into a native program (glibc on Linux): it interposes `malloc`, `calloc`, `realloc`,
 * `free`, `posix_memalign`, `aligned_alloc` and `memalign`, forwards each to glibc's own
 * `__libc_*` entry (so no `dlsym` bootstrapping is needed), and writes the trace's text form to the
 * file named by `ARENALLOC_TRACE`.
 *
 * How it stays correct enough for real programs:
 * - One mutex around the real call and its record, so that the order in the file is the order in
 *   which addresses were handed out and given back, across threads.
 * - A thread-local "busy" flag: a call made while the shim itself is working goes straight to glibc.
 * - Blocks get IDs from a counter, kept in an open-addressing table from address to ID; a free of
 *   an address the table does not know (memory ld.so handed out before the shim was loaded) is
 *   not recorded. An address handed out again while the table thinks it live (glibc freed it
 *   through a path the shim does not see) is recorded as a free first.
 * - The file is opened with `O_EXCL` by the first process that allocates, so that programs it
 *   executes (they inherit the environment) find it taken and do not record; a forked child stops
 *   recording. Output is buffered and written with `write(2)`, which does not allocate; the
 *   buffer is flushed at exit, after which nothing more is recorded.
 *
 * `arenalloc record --print-shim` prints it, to build by hand:
 * `cc -O2 -shared -fPIC -o arenalloc-shim.so shim.c -lpthread`.
 *
 * @internal
 * @module
 */

export const SHIM_SOURCE = String.raw`/* arenalloc record: an LD_PRELOAD shim that writes an allocation trace (text form). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t alignment, size_t size);

enum { NOT_OPEN = 0, RECORDING = 1, STOPPED = 2 };
#define TABLE_BITS 22
#define TABLE_SIZE ((size_t)1 << TABLE_BITS)
#define TABLE_MASK (TABLE_SIZE - 1)
#define BUFFER_SIZE (1 << 16)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int state = NOT_OPEN;
static int fd = -1;
static char buffer[BUFFER_SIZE];
static size_t used;
static uintptr_t keys[TABLE_SIZE]; /* 0: empty slot */
static uint64_t ids[TABLE_SIZE];
static size_t count;
static uint64_t next_id = 1;
static __thread int busy;

static void flush_buffer(void) {
  size_t done = 0;
  while (done < used) {
    ssize_t n = write(fd, buffer + done, used - done);
    if (n <= 0 && errno != EINTR) break;
    if (n > 0) done += (size_t)n;
  }
  used = 0;
}

static void put_number(uint64_t value) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) buffer[used++] = digits[--n];
}

static void record(char op, uint64_t id, int with_size, size_t size) {
  if (used > BUFFER_SIZE - 64) flush_buffer();
  buffer[used++] = op;
  buffer[used++] = ' ';
  put_number(id);
  if (with_size) {
    buffer[used++] = ' ';
    put_number((uint64_t)size);
  }
  buffer[used++] = '\n';
}

static size_t slot_of(uintptr_t key) {
  uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> (64 - TABLE_BITS));
}

/* The ID of a live address, or 0. */
static uint64_t find(uintptr_t key) {
  for (size_t i = slot_of(key);; i = (i + 1) & TABLE_MASK) {
    if (keys[i] == key) return ids[i];
    if (keys[i] == 0) return 0;
  }
}

static void insert(uintptr_t key, uint64_t id) {
  size_t i = slot_of(key);
  while (keys[i] != 0) i = (i + 1) & TABLE_MASK;
  keys[i] = key;
  ids[i] = id;
  count++;
}

/* Linear-probing removal: shift later entries of the run back so that no search stops early. */
static void erase(uintptr_t key) {
  size_t i = slot_of(key);
  while (keys[i] != key) {
    if (keys[i] == 0) return;
    i = (i + 1) & TABLE_MASK;
  }
  count--;
  for (size_t j = (i + 1) & TABLE_MASK; keys[j] != 0; j = (j + 1) & TABLE_MASK) {
    size_t home = slot_of(keys[j]);
    /* Move j into the hole at i when its home slot does not lie cyclically in (i, j]. */
    if (((j - home) & TABLE_MASK) >= ((j - i) & TABLE_MASK)) {
      keys[i] = keys[j];
      ids[i] = ids[j];
      i = j;
    }
  }
  keys[i] = 0;
}

static void stop_in_child(void) {
  pthread_mutex_init(&lock, NULL);
  state = STOPPED;
}
static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork(void) { pthread_mutex_unlock(&lock); }

/* Called with the lock held: whether this call is to be recorded. */
static int recording(void) {
  if (state == RECORDING) return 1;
  if (state == STOPPED) return 0;
  state = STOPPED;
  const char *path = getenv("ARENALLOC_TRACE");
  if (path == NULL) return 0;
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  pthread_atfork(before_fork, after_fork, stop_in_child);
  state = RECORDING;
  return 1;
}

static void allocated(char op, void *ptr, size_t size) {
  uintptr_t key = (uintptr_t)ptr;
  uint64_t stale = find(key);
  if (stale != 0) {
    record('f', stale, 0, 0);
    erase(key);
  }
  if (count >= TABLE_SIZE / 4 * 3) {
    static const char full[] = "arenalloc shim: more than 3M live blocks; recording stops here\n";
    write(2, full, sizeof full - 1);
    flush_buffer();
    state = STOPPED;
    return;
  }
  uint64_t id = next_id++;
  insert(key, id);
  record(op, id, 1, size);
}

static void released(void *ptr) {
  uint64_t id = find((uintptr_t)ptr);
  if (id == 0) return;
  erase((uintptr_t)ptr);
  record('f', id, 0, 0);
}

#define ENTER() int traced = !busy && (pthread_mutex_lock(&lock), busy = 1, 1)
#define LEAVE() do { if (traced) { busy = 0; pthread_mutex_unlock(&lock); } } while (0)

void *malloc(size_t size) {
  ENTER();
  void *p = __libc_malloc(size);
  if (traced && p != NULL && recording()) allocated('a', p, size);
  LEAVE();
  return p;
}

void *calloc(size_t n, size_t size) {
  ENTER();
  void *p = __libc_calloc(n, size);
  if (traced && p != NULL && recording()) allocated('c', p, n * size);
  LEAVE();
  return p;
}

void *realloc(void *ptr, size_t size) {
  if (ptr == NULL) return malloc(size);
  ENTER();
  void *p = __libc_realloc(ptr, size);
  if (traced && recording()) {
    if (p == NULL) {
      if (size == 0) released(ptr); /* glibc's realloc(p, 0) frees p */
    } else {
      uint64_t id = find((uintptr_t)ptr);
      if (id == 0) allocated('a', p, size);
      else {
        erase((uintptr_t)ptr);
        uint64_t stale = p == ptr ? 0 : find((uintptr_t)p);
        if (stale != 0) {
          record('f', stale, 0, 0);
          erase((uintptr_t)p);
        }
        insert((uintptr_t)p, id);
        record('r', id, 1, size);
      }
    }
  }
  LEAVE();
  return p;
}

void free(void *ptr) {
  if (ptr == NULL) return;
  ENTER();
  if (traced && state == RECORDING) released(ptr);
  __libc_free(ptr);
  LEAVE();
}

static void *aligned(size_t alignment, size_t size) {
  ENTER();
  void *p = __libc_memalign(alignment, size);
  if (traced && p != NULL && recording()) allocated('a', p, size);
  LEAVE();
  return p;
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
  void *p = aligned(alignment, size);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

void *aligned_alloc(size_t alignment, size_t size) { return aligned(alignment, size); }
void *memalign(size_t alignment, size_t size) { return aligned(alignment, size); }

__attribute__((destructor)) static void finish(void) {
  pthread_mutex_lock(&lock);
  if (state == RECORDING) {
    flush_buffer();
    close(fd);
  }
  state = STOPPED;
  pthread_mutex_unlock(&lock);
}
`;
