/**
 * Allocation traces: what a program asked of its allocator, in order. Two forms, one meaning.
 *
 * The text form, one operation a line (`#` starts a comment; blank lines are ignored):
 *
 * ```
 *  a ID SIZE     malloc(SIZE), the block is called ID from now on
 *  c ID SIZE     calloc: the same, zero-filled
 *  r ID SIZE     realloc of the live block ID to SIZE bytes (it keeps its name)
 *  f ID          free of the live block ID
 * ```
 *
 * An ID is any word without spaces (a counter, an address); it names one live block, and may
 * name another once that one is freed. The compact binary form (`.atrace`) holds the same
 * operations with the IDs already turned into dense slot numbers:
 *
 * ```
 *  bytes 0..3   "ATRC"
 *  byte  4      version (1), bytes 5..7 zero
 *  bytes 8..11  number of operations, u32 little-endian
 *  bytes 12..15 number of slots (most blocks live at once), u32 little-endian
 *  then per op  one byte (0 a, 1 c, 2 r, 3 f), the slot as an unsigned LEB128 varint, and for
 *               a, c and r the size as another
 * ```
 *
 * Either form may be gzipped; {@link parseTrace} reads uncompressed bytes (the command line
 * gunzips first; in a browser, `DecompressionStream('gzip')` does).
 *
 * @module
 */

import { InvalidArgumentError } from '../errors';

/** Operation codes of a {@link Trace}. */
export const TraceOp = {
  /** malloc */
  MALLOC: 0,
  /** calloc */
  CALLOC: 1,
  /** realloc */
  REALLOC: 2,
  /** free */
  FREE: 3,
} as const;

const LETTERS = ['a', 'c', 'r', 'f'] as const;
const MAGIC = [0x41, 0x54, 0x52, 0x43]; // "ATRC"
const VERSION = 1;
const BINARY_HEADER = 16;

/**
 * A parsed trace, in typed arrays so that a replay reads no objects: operation `i` is
 * `ops[i]` (a {@link TraceOp}) on the block in slot `slots[i]` with size `sizes[i]` (0 for a free).
 */
export interface Trace {
  /** Number of operations. */
  readonly length: number;
  /** Operation codes. */
  readonly ops: Uint8Array;
  /** Slot of the block each operation is on; a slot is reused once its block is freed. */
  readonly slots: Uint32Array;
  /** Bytes asked for (0 for a free). */
  readonly sizes: Uint32Array;
  /** Number of slots: the most blocks live at once. */
  readonly slotCount: number;
}

/**
 * A malformed trace, or one whose operations do not make sense (a free of a block that is not
 * live). The message names the file and the line (or the operation, for the binary form).
 */
export class TraceFormatError extends InvalidArgumentError {
  /** The file name given to the parser, if any. */
  readonly file: string | undefined;
  /** 1-based line of the text form, or 1-based operation of the binary form. */
  readonly line: number;
  /** @param message - what was wrong @param file - the file @param line - the line */
  constructor(message: string, file: string | undefined, line: number) {
    super(`${file ?? '<trace>'}:${line}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

/**
 * Builds a {@link Trace} one operation at a time, turning block IDs into slots. Used by the
 * parsers and by {@link recordTrace}.
 */
export class TraceBuilder {
  /** @internal */
  _ops: Uint8Array = new Uint8Array(1024);
  /** @internal */
  _slots: Uint32Array = new Uint32Array(1024);
  /** @internal */
  _sizes: Uint32Array = new Uint32Array(1024);
  /** @internal */
  _length = 0;
  /** @internal */
  _live: Map<string | number, number> = new Map();
  /** @internal */
  _freeSlots: number[] = [];
  /** @internal */
  _slotCount = 0;

  /**
   * Appends one operation on the block called `id`; returns an error message when it makes no
   * sense (allocating a live ID, resizing or freeing one that is not live), else null.
   */
  add(op: number, id: string | number, size: number): string | null {
    let slot = this._live.get(id);
    if (op === TraceOp.MALLOC || op === TraceOp.CALLOC) {
      if (slot !== undefined) return `block ${id} is allocated again while it is live`;
      slot = this._freeSlots.length > 0 ? (this._freeSlots.pop() as number) : this._slotCount++;
      this._live.set(id, slot);
    } else {
      if (slot === undefined) return `${op === TraceOp.FREE ? 'free' : 'realloc'} of block ${id}, which is not live`;
      if (op === TraceOp.FREE) {
        this._live.delete(id);
        this._freeSlots.push(slot);
      }
    }
    this.push(op, slot, size);
    return null;
  }

  /** The trace so far (the arrays are copies trimmed to length). */
  build(): Trace {
    return {
      length: this._length,
      ops: this._ops.slice(0, this._length),
      slots: this._slots.slice(0, this._length),
      sizes: this._sizes.slice(0, this._length),
      slotCount: this._slotCount,
    };
  }

  /** @internal */
  push(op: number, slot: number, size: number): void {
    if (this._length === this._ops.length) {
      const grow = <T extends Uint8Array | Uint32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this._ops = grow(this._ops, (n) => new Uint8Array(n));
      this._slots = grow(this._slots, (n) => new Uint32Array(n));
      this._sizes = grow(this._sizes, (n) => new Uint32Array(n));
    }
    this._ops[this._length] = op;
    this._slots[this._length] = slot;
    this._sizes[this._length] = size;
    this._length++;
  }
}

/** Whether `bytes` start like gzip data (decompress them before {@link parseTrace}). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Whether `bytes` are the binary form. */
export function isBinaryTrace(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Parses a trace in either form (told apart by the binary form's magic number).
 *
 * @param bytes - the uncompressed file
 * @param file - the name to put in error messages
 * @throws TraceFormatError naming the file and line of the first bad one
 * @throws InvalidArgumentError for gzip data (decompress it first)
 */
export function parseTrace(bytes: Uint8Array, file?: string): Trace {
  if (isGzip(bytes)) throw new InvalidArgumentError(`${file ?? '<trace>'}: gzip data: decompress it before parsing`);
  return isBinaryTrace(bytes) ? parseBinary(bytes, file) : parseText(bytes, file);
}

function parseText(bytes: Uint8Array, file: string | undefined): Trace {
  const builder = new TraceBuilder();
  const text = new TextDecoder().decode(bytes);
  let line = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const hash = text.indexOf('#', start);
    const content = text.slice(start, hash >= 0 && hash < end ? hash : end).trim();
    start = end + 1;
    if (content === '') continue;
    const words = content.split(/\s+/);
    const op = LETTERS.indexOf(words[0] as (typeof LETTERS)[number]);
    if (op < 0) throw new TraceFormatError(`unknown operation ${JSON.stringify(words[0])} (expected a, c, r or f)`, file, line);
    const want = op === TraceOp.FREE ? 2 : 3;
    if (words.length !== want) {
      throw new TraceFormatError(`"${content}": ${LETTERS[op]} takes ${want === 2 ? 'an ID' : 'an ID and a size'}`, file, line);
    }
    let size = 0;
    if (want === 3) {
      const word = words[2] as string;
      size = /^\d+$/.test(word) ? Number(word) : -1;
      if (!(size >= 0 && size <= 0xffff_ffff))
        throw new TraceFormatError(`size ${JSON.stringify(word)} is not an integer from 0 to 4294967295`, file, line);
    }
    const problem = builder.add(op, words[1] as string, size);
    if (problem !== null) throw new TraceFormatError(problem, file, line);
  }
  return builder.build();
}

function parseBinary(bytes: Uint8Array, file: string | undefined): Trace {
  if (bytes.length < BINARY_HEADER) throw new TraceFormatError('truncated header', file, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[4] !== VERSION) throw new TraceFormatError(`binary trace version ${bytes[4]}, this library reads version ${VERSION}`, file, 0);
  const length = view.getUint32(8, true);
  const slotCount = view.getUint32(12, true);
  const ops = new Uint8Array(length);
  const slots = new Uint32Array(length);
  const sizes = new Uint32Array(length);
  const live = new Uint8Array(slotCount);
  let at = BINARY_HEADER;
  const varint = (i: number): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw new TraceFormatError('truncated operation', file, i + 1);
      const b = bytes[at++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
      if (scale > 2 ** 35) throw new TraceFormatError('varint too long', file, i + 1);
    }
    return value;
  };
  for (let i = 0; i < length; i++) {
    if (at >= bytes.length) throw new TraceFormatError(`truncated: ${length} operations announced, ${i} found`, file, i + 1);
    const op = bytes[at++] as number;
    if (op > TraceOp.FREE) throw new TraceFormatError(`unknown operation code ${op}`, file, i + 1);
    const slot = varint(i);
    const size = op === TraceOp.FREE ? 0 : varint(i);
    if (slot >= slotCount || size > 0xffff_ffff) throw new TraceFormatError(`slot ${slot} or size ${size} out of range`, file, i + 1);
    const isLive = live[slot] === 1;
    if ((op === TraceOp.MALLOC || op === TraceOp.CALLOC) === isLive) {
      throw new TraceFormatError(
        isLive ? `slot ${slot} is allocated again while it is live` : `${LETTERS[op]} of slot ${slot}, which is not live`,
        file,
        i + 1,
      );
    }
    live[slot] = op === TraceOp.FREE ? 0 : 1;
    ops[i] = op;
    slots[i] = slot;
    sizes[i] = size;
  }
  if (at !== bytes.length) throw new TraceFormatError(`${bytes.length - at} bytes after the last operation`, file, length);
  return { length, ops, slots, sizes, slotCount };
}

/** The trace in the text form (IDs are slot numbers). */
export function formatTrace(trace: Trace): string {
  const lines: string[] = [];
  for (let i = 0; i < trace.length; i++) {
    const op = trace.ops[i] as number;
    lines.push(op === TraceOp.FREE ? `f ${trace.slots[i]}` : `${LETTERS[op]} ${trace.slots[i]} ${trace.sizes[i]}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The trace in the binary form. */
export function encodeTrace(trace: Trace): Uint8Array {
  let out = new Uint8Array(BINARY_HEADER + trace.length * 4 + 16);
  let at = BINARY_HEADER;
  const reserve = (n: number): void => {
    if (at + n <= out.length) return;
    const bigger = new Uint8Array(out.length * 2 + n);
    bigger.set(out);
    out = bigger;
  };
  const varint = (value: number): void => {
    reserve(6);
    let v = value;
    while (v >= 0x80) {
      out[at++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    out[at++] = v;
  };
  out.set(MAGIC, 0);
  out[4] = VERSION;
  const view = new DataView(out.buffer);
  view.setUint32(8, trace.length, true);
  view.setUint32(12, trace.slotCount, true);
  for (let i = 0; i < trace.length; i++) {
    const op = trace.ops[i] as number;
    reserve(1);
    out[at++] = op;
    varint(trace.slots[i] as number);
    if (op !== TraceOp.FREE) varint(trace.sizes[i] as number);
  }
  return out.slice(0, at);
}
