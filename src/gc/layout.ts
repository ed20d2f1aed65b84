/**
 * Where the cycle detector keeps its state: one table in the heap's buffer (reached from header
 * word `Word.GC_ROOT`), and the gc words of every tracked object. What each word and each flag bit
 * means in each phase of a collection is stated here, before any code uses it; `lists.ts` gives
 * every bit test a name, `collect.ts` runs the passes, `gc.ts` is the `gc`-module surface.
 *
 * ## The table
 *
 * ```
 *  word   0 magic  1 version  2 flags (ENABLED, SAVEALL)  3 collecting (1 while a collection runs)
 *         4..6   threshold of generations 0, 1, 2
 *         7..9   count of generations 0, 1, 2
 *        16..63  six list heads of 8 words: gen0 | gen1 | gen2 | permanent | saved | unreachable
 *        64..72  per generation: collections, collected, uncollectable
 *        (80 words)
 * ```
 *
 * A list head is a fake object: its pointer is chosen so that its gcNext/gcPrev words (at
 * `ptr - 32` and `ptr - 28`, as for an object) are the first two words of its slot. The same list
 * code then works on heads and objects alike, and an empty list is a head linked to itself:
 *
 * ```
 *  head ⇄ obj ⇄ obj ⇄ obj ⇄ (back to head)     circular, doubly linked through gcNext/gcPrev
 * ```
 *
 * ## The gc words of an object (`src/rc/layout.ts` reserves them, `ptr - 32 .. ptr - 16`)
 *
 * - `gcNext`, `gcPrev`: the links of the one list the object is on.
 * - `gcRefs`: meaningful only while the object is in the set being collected (COLLECTING); a
 *   scratch count, never read outside a collection.
 * - `gcFlags`: bit 0 `GC_TRACKED` belongs to rc (the object is on some list). The detector owns
 *   the bits below ({@link GcBit}).
 *
 * ## gcFlags and gcRefs in each phase (the legal states; `Gc.check()` verifies the resting one)
 *
 * ```
 *  phase                      where            gcFlags                           gcRefs
 *  ─────────────────────────  ───────────────  ────────────────────────────────  ──────────────────────
 *  between collections        any list but     TRACKED                           stale, unread
 *                             unreachable
 *  after updateRefs           young            TRACKED|COLLECTING                refcount (- hold)
 *  after subtractRefs         young            TRACKED|COLLECTING                refs from outside young
 *  during moveUnreachable     young, visited   TRACKED (reachable, settled)      > 0 (or set to 1)
 *                             young, ahead     TRACKED|COLLECTING                as after subtractRefs,
 *                                                                                or 1 if reached
 *                             unreachable      TRACKED|COLLECTING|TENTATIVE      0
 *  after moveUnreachable      young (→ older)  TRACKED                           unread
 *                             unreachable      TRACKED|COLLECTING|TENTATIVE      0
 *  garbage held (finalizers)  unreachable      TRACKED|COLLECTING                unread
 *  marking resurrection       unreachable      TRACKED|COLLECTING(|REACHABLE)    refs from outside
 *  garbage cleared and freed  the scratch list TRACKED, then rc untracks it      unread
 * ```
 *
 * COLLECTING is what "this object is in the set" means to every pass that follows a `ref` field:
 * a target without it is outside the set (another generation, frozen, saved, or untracked) and
 * is left alone. No bit survives a collection: every path that ends one writes TRACKED alone.
 *
 * @internal
 * @module
 */

/** "BDCG": the first word of the table. */
export const GC_MAGIC = 0x47434442;
/** Version of the table layout. */
export const GC_VERSION = 1;

// The word offsets and bits below are `const enum`s so that the bundler writes their values into
// the passes, as the small allocator's layout does: a module-level constant would be a context
// load on every access of the collection loops.

/** Word offsets in the table, from its first word. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler into the collection loops
export const enum GcTable {
  MAGIC = 0,
  VERSION = 1,
  /** {@link TableFlag} bits. */
  FLAGS = 2,
  /** 1 while a collection runs (a nested `collect()` then returns 0). */
  COLLECTING = 3,
  /** 3 words: thresholds of generations 0, 1, 2. */
  THRESHOLD = 4,
  /** 3 words: count of generation 0 (tracked allocations minus deallocations), 1 and 2 (collections of the younger one). */
  COUNT = 7,
  /** The list heads, {@link HEAD_WORDS} words each, in {@link GcList} order. */
  HEADS = 16,
  /** Per generation, {@link GcStat.WORDS} words of figures. */
  STATS = 64,
  /** Words of the table. */
  WORDS = 80,
}

/** Words of a list head's slot in the table (its gcNext/gcPrev are the first two). */
export const HEAD_WORDS = 8;

/** The lists of the table, by head index. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler (see above)
export const enum GcList {
  GEN0 = 0,
  GEN1 = 1,
  /** The oldest generation. */
  GEN2 = 2,
  /** `freeze()`: ignored by every collection. */
  PERMANENT = 3,
  /** `DEBUG_SAVEALL`: garbage kept, each holding one reference (the list's). */
  SAVED = 4,
  /** The garbage of the collection under way; empty between collections. */
  UNREACHABLE = 5,
  /** Number of lists. */
  COUNT = 6,
}

/** Words of the per-generation figures, from `GcTable.STATS + generation * GcStat.WORDS`. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler (see above)
export const enum GcStat {
  COLLECTIONS = 0,
  COLLECTED = 1,
  UNCOLLECTABLE = 2,
  WORDS = 3,
}

/** Bits of the table's flags word. */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler (see above)
export const enum TableFlag {
  /** Automatic collection on allocation counts. */
  ENABLED = 1 << 0,
  /** `DEBUG_SAVEALL`: keep cyclic garbage on the saved list instead of freeing it. */
  SAVEALL = 1 << 1,
}

/** The detector's bits of an object's gcFlags word (bit 0, `GC_TRACKED`, is rc's). */
// biome-ignore lint/suspicious/noConstEnum: inlined by the bundler (see above)
export const enum GcBit {
  /** In the set being collected: its gcRefs is live, passes that follow refs visit it. */
  COLLECTING = 1 << 1,
  /** Marked reachable from outside the garbage (the resurrection pass only). */
  REACHABLE = 1 << 2,
  /** Passed over by `moveUnreachable`: on the unreachable list, but may yet be reached. */
  TENTATIVE = 1 << 3,
}
