/*
 * The words of the heap that the WebAssembly fast path reads and writes. They are owned by
 * src/layout.ts (the heap header and its counters) and src/small/layout.ts (the small-object
 * allocator's state and the pool header), where each is explained; this file only repeats their
 * numbers, and test/wasm/core.test.ts fails when one of them differs from the TypeScript.
 */
#ifndef ARENALLOC_CORE_LAYOUT_H
#define ARENALLOC_CORE_LAYOUT_H

/* Header words (u32 indexes from the heap's base): src/layout.ts. */
#define W_MAGIC 0
#define W_VERSION 1
#define W_ALIGN 3
#define W_POOL_SIZE 4
#define W_ARENA_SIZE 5
#define W_HEAP_END 7
#define W_TLSF_FL_BITMAP 8
#define W_TLSF_SL_BITMAPS 64
#define W_TLSF_HEADS 96
#define HEADER_BYTES 8192
#define INTERNAL_REQUEST 0xffffffffu
#define MAGIC 0x414e5241u
#define LAYOUT_VERSION 3

/* Counters (f64 indexes from the heap's base): src/layout.ts, Counter. */
#define COUNTER_LIVE_BYTES 8
#define COUNTER_PEAK_BYTES 9
#define COUNTER_ALLOCATIONS 10
#define COUNTER_FREES 11
#define F_LARGE_USED_CHUNKS 12
#define F_LARGE_USED_BYTES 13
#define F_LARGE_FREE_CHUNKS 14
#define F_LARGE_FREE_BYTES 15

/* The small-object allocator's header words (u32 indexes from the base): src/small/layout.ts, SmallState. */
#define SMALL_ARENA_TABLE 1120
#define SMALL_USABLE_HEAD 1124
#define SMALL_EMPTY_ARENAS 1125
#define SMALL_ARENAS 1126
#define SMALL_POOL_MAP 1127
#define SMALL_POOL_MAP_PAGES 1128
#define SMALL_USED_POOLS 1136
#define SMALL_LAST_WITH 1200

/* A pool header (u32 indexes from the pool's first word): src/small/layout.ts, PoolHeader. */
#define POOL_COUNT 0
#define POOL_FREE_BLOCK 1
#define POOL_NEXT 2
#define POOL_PREV 3
#define POOL_ARENA 4
#define POOL_CLASS 5
#define POOL_NEXT_OFFSET 6
#define POOL_MAX_NEXT_OFFSET 7
#define POOL_BITMAP 8
/* Bytes of a pool header's fixed fields, before the live bitmap: src/small/layout.ts. */
#define POOL_FIELDS_BYTES 32
#define CARVE_BYTES 4096

/* An arena table entry (u32 indexes from the entry's first word): src/small/layout.ts, ArenaEntry. */
#define ARENA_BASE 0
#define ARENA_FREE_POOLS 1
#define ARENA_FREE_POOL_LIST 2
#define ARENA_WATERMARK 3
#define ARENA_NEXT 4
#define ARENA_PREV 5
#define ARENA_KEPT 6
#define ARENA_STRIDE 8
/* Ends every arena-index list: src/small/layout.ts, NONE. */
#define NONE 0xffffffffu

/* A large chunk (u32 indexes from its first word) and its size bits: src/large/tlsf.ts, H, Bits, Chunk. */
#define CHUNK_HEADER 16
#define MIN_CHUNK 32
#define CHUNK_PREV_SIZE 0
#define CHUNK_TAG 1
#define CHUNK_SIZE 2
#define CHUNK_REQUESTED 3
/* A free chunk's free-list links (list links, not the BIT_PREV_FREE flag of the chunk after). */
#define CHUNK_NEXT_LINK 4
#define CHUNK_PREV_LINK 5
#define BIT_FREE 1
#define BIT_PREV_FREE 2
#define SL_LOG2 5
#define SL_COUNT 32
#define TAG_KEY 0x5a17b10cu

/* Largest request the small-object allocator serves: src/small/layout.ts. Largest alignment: src/heap.ts. */
#define SMALL_REQUEST_THRESHOLD 512
#define MAX_ALIGNMENT 0x100000

#endif
