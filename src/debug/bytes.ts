/**
 * The three bytes debug mode writes, as CPython's debug allocator writes them.
 *
 * @module
 */

/** The byte written before and after every block (CPython's FORBIDDENBYTE). */
export const FORBIDDEN_BYTE = 0xfd;
/** The byte new memory is filled with (CPython's CLEANBYTE). */
export const CLEAN_BYTE = 0xcd;
/** The byte freed memory is filled with (CPython's DEADBYTE). */
export const DEAD_BYTE = 0xdd;
