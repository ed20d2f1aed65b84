/**
 * Where refcounted objects keep their state: the object header, the type registry, and the
 * header counters. Everything here is a word in the heap's buffer, so a heap re-opened with
 * `Heap.attach` (a copy, a worker, a file) can still release and traverse its objects.
 *
 * ## The object header
 *
 * An object pointer is the address of its payload (what C code dereferences as `struct T *`).
 * The header sits just before it; types with `ref` fields get 16 more bytes in front for the two
 * links of the cycle detector's generation lists (reserved for `arenalloc/gc`):
 *
 * ```
 *  block ─▶ ┌──────────┬──────────┬──────────┬──────────┐  only for types with ref fields
 *           │ gcNext   │ gcPrev   │ gcRefs   │ gcFlags  │  (ptr - 32 .. ptr - 16)
 *           ├──────────┼──────────┼──────────┼──────────┤
 *           │ serial   │ tag|flags│ refcount │ type id  │  every object (ptr - 16 .. ptr)
 *  ptr   ─▶ ├──────────┴──────────┴──────────┴──────────┤
 *           │ payload: the struct's fields, C layout     │
 *           └────────────────────────────────────────────┘
 * ```
 *
 * - `serial` is drawn from a counter in the registry when the object is created: a `Ref` handle
 *   remembers it, so a handle to a freed block that was reused for another object fails its
 *   generation check instead of reading the new owner's data.
 * - `refcount` and `type id` are the last two words before the payload on purpose: the large-object
 *   allocator threads its free list through the first two words of a freed block, so these two
 *   survive a free. `release` zeroes the refcount before freeing; a later `retain`/`release` of
 *   the dead pointer then sees 0 and raises an error instead of corrupting memory (as long as the
 *   block has not been handed out again).
 *
 * ## The registry (reached from header word `Word.RC_ROOT`)
 *
 * ```
 *  root  ─▶ [magic, version, typeCount, typeCapacity, typesPtr, serial, reserved...]  (16 words)
 *  types ─▶ record 0 (unused) | record 1 | record 2 | ...        (TYPE_WORDS words each)
 *  record: [fingerprint, size, headerBytes, flags, refCount, refsPtr, freeHead, freeLength,
 *           freeMax, hits, misses, live, align, 0, 0, 0]
 *  refs  ─▶ byte offsets of the record's ref fields inside the payload, one word each
 * ```
 *
 * ## Header counters
 *
 * rc counts objects created and freed, and free-list hits and misses, in the heap header's f64
 * counters `Counter.RC_*`, which `src/layout.ts` lays out with every other layer's.
 *
 * @internal
 * @module
 */

/** Bytes of the header every object carries. */
export const OBJECT_HEADER = 16;
/** Bytes of the gc links that types with `ref` fields carry in front of it. */
export const GC_HEADER = 16;

// Word offsets relative to `ptr >>> 2` (negative: the header precedes the payload).
export const O_SERIAL = -4;
export const O_FLAGS = -3;
export const O_REFCOUNT = -2;
export const O_TYPE = -1;
export const O_GC_NEXT = -8;
export const O_GC_PREV = -7;
export const O_GC_REFS = -6;
export const O_GC_FLAGS = -5;

/**
 * gcFlags bit: the object is linked into one of the cycle detector's lists. The other bits of
 * gcFlags belong to `arenalloc/gc`.
 */
export const GC_TRACKED = 1 << 0;

/**
 * The high 24 bits of the flags word are a tag, `(ptr ^ OBJ_TAG_KEY) & ~0xff`: `retain`/`release`
 * check it, so a pointer whose header words merely look like an object's (a raw block, an
 * interior pointer) is refused in O(1) without asking the allocator. The low 8 bits are flags.
 */
export const OBJ_TAG_KEY = 0x6b43_a9b5;

/** Object flag: the finalizer has run (it runs at most once, even if the object is resurrected). */
export const OBJ_FINALIZED = 1 << 0;
/**
 * Object flag: the object's finalizer is running now. While it is set the object may be retained
 * at refcount 0 (a resurrection, or a temporary reference), and a release back to 0 does not
 * start a second deallocation: the deallocator that called the finalizer decides, once it
 * returns, whether the object was resurrected.
 */
export const OBJ_IN_FINALIZER = 1 << 1;

// Words of the registry root.
export const RC_MAGIC = 0x52435442; // "BTCR"
export const RC_VERSION = 1;
export const R_MAGIC = 0;
export const R_VERSION = 1;
export const R_TYPE_COUNT = 2;
export const R_TYPE_CAPACITY = 3;
export const R_TYPES = 4;
export const R_SERIAL = 5;
export const ROOT_WORDS = 16;

// Words of a type record.
export const TYPE_WORDS = 16;
export const T_FINGERPRINT = 0;
export const T_SIZE = 1;
export const T_HEADER_BYTES = 2;
export const T_FLAGS = 3;
export const T_REF_COUNT = 4;
export const T_REFS = 5;
export const T_FREE_HEAD = 6;
export const T_FREE_LENGTH = 7;
export const T_FREE_MAX = 8;
export const T_HITS = 9;
export const T_MISSES = 10;
export const T_LIVE = 11;
export const T_ALIGN = 12;

/** Type flag: the type has `ref` fields (its header carries the gc links). */
export const TYPE_HAS_REFS = 1 << 0;
/** Type flag: declared acyclic; the cycle detector never tracks it. */
export const TYPE_ACYCLIC = 1 << 1;
/** Type flag: a finalizer was declared (the function itself lives on the JS side). */
export const TYPE_HAS_FINALIZER = 1 << 2;

// This layer's header counters (`Counter.RC_*`) are laid out in `src/layout.ts`. This module
// imports nothing, so that the bundler writes its constants into the code that reads them.
