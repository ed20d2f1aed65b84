/**
 * The errors debug mode raises when it finds a block damaged. Both carry a {@link DamageReport};
 * both are subclasses of core errors, so code that matches on `code` or on the core classes keeps
 * working.
 *
 * @module
 */

import { HeapCorruptedError, UseAfterFreeError } from '../errors';

/**
 * Which part of a block was found overwritten:
 * - `'before'`: the leading guard, the debug header in front of it, or the alignment padding;
 * - `'after'`: the trailing guard;
 * - `'inside'`: the bytes of a freed block (a write after free).
 */
export type DamageSide = 'before' | 'after' | 'inside';

/** What debug mode found wrong with one block. */
export interface DamageReport {
  /** The block's pointer, as `malloc` returned it. */
  readonly pointer: number;
  /** Which part of the block was overwritten. */
  readonly side: DamageSide;
  /** Address of the first overwritten byte. */
  readonly address: number;
  /** `address - pointer`: negative before the block, at least `requestedSize` after it. */
  readonly offset: number;
  /**
   * The overwritten bytes, from the first to the last bad one in the damaged part (at most 32).
   * Empty when the debug header was overwritten but not the guard in front of the block.
   */
  readonly badBytes: Uint8Array;
  /** The byte that should have been there: 0xFD for a guard, 0xDD for a freed block. */
  readonly expected: number;
  /** How many bytes the caller asked for, or -1 when the header holding it was overwritten. */
  readonly requestedSize: number;
  /** Serial number of the allocation (1 for the debug layer's first), or -1 when unknown. */
  readonly serial: number;
  /** Where the block was allocated, when tracing (`arenalloc/profile`) was on; else undefined. */
  readonly traceback: string | undefined;
}

/**
 * A guard byte before or after a live block (or the debug header in front of it) was
 * overwritten: a buffer overrun or underrun. Found by `free`, `realloc` and the debug
 * `check()`. Its `code` is `'ERR_HEAP_CORRUPTED'`; nothing was changed by the call that found it.
 */
export class GuardBytesError extends HeapCorruptedError {
  /** What was found, where. */
  readonly report: DamageReport;

  /** @param report - the damage found */
  constructor(report: DamageReport) {
    super(describe(report), report.pointer);
    this.report = report;
  }
}

/**
 * A freed block waiting in the quarantine was written to: a use after free. Found when the block
 * leaves the quarantine and by the debug `check()`. Its `code` is `'ERR_USE_AFTER_FREE'`; nothing
 * was changed by the call that found it.
 */
export class FreedBlockWrittenError extends UseAfterFreeError {
  /** What was found, where. */
  readonly report: DamageReport;

  /** @param report - the damage found */
  constructor(report: DamageReport) {
    super(describe(report), report.pointer);
    this.report = report;
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** The message of a damage report, in the manner of CPython's `_PyObject_DebugDumpAddress`. */
function describe(r: DamageReport): string {
  const size = r.requestedSize >= 0 ? `${r.requestedSize} bytes requested` : 'size unknown';
  const serial = r.serial >= 0 ? `, allocation #${r.serial}` : '';
  let what: string;
  if (r.side === 'inside') {
    what = `the freed block at ${r.pointer} (${size}${serial}) was written after free`;
  } else if (r.badBytes.length === 0) {
    what = `the debug header in front of the block at ${r.pointer} was overwritten (an underrun past the guard)`;
  } else {
    const n = r.badBytes.length;
    const where = r.side === 'before' ? 'before' : 'after';
    what = `${n === 1 ? '1 byte' : `up to ${n} bytes`} ${where} the block at ${r.pointer} (${size}${serial}) overwritten`;
  }
  let message = `debug heap: ${what}`;
  if (r.badBytes.length > 0) {
    const sign = r.offset >= 0 ? '+' : '';
    const bytes = Array.from(r.badBytes, hex).join(' ');
    message += `: at ${r.address} (${sign}${r.offset}): ${bytes} where ${hex(r.expected)} was expected`;
  }
  if (r.traceback !== undefined) message += `; allocated at:\n${r.traceback}`;
  return message;
}
