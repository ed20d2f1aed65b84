/**
 * Reading and writing trace files for the command line: gzip by magic number on the way in, by
 * the `.gz` suffix on the way out; the binary form for `.atrace`, the text form otherwise.
 *
 * @internal
 * @module
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeTrace, formatTrace, isGzip, parseTrace, type Trace } from '../strategies/index';
import { CliError } from './errors';

/** Reads and parses a trace file (text or binary, gzipped or not). */
export function readTrace(file: string): Trace {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String((e as Error).message)}`,
    );
  }
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      throw new CliError(`${file}: damaged gzip data`);
    }
  }
  return parseTrace(bytes, file);
}

/** The bytes of `trace` in the form the file name asks for. */
export function traceBytes(trace: Trace, file: string): Uint8Array {
  const plain = file.endsWith('.gz') ? file.slice(0, -3) : file;
  const bytes = plain.endsWith('.atrace') ? encodeTrace(trace) : new TextEncoder().encode(formatTrace(trace));
  return file.endsWith('.gz') ? gzipSync(bytes, { level: 9 }) : bytes;
}

/** Writes `trace` to `file` in the form its name asks for. */
export function writeTrace(trace: Trace, file: string): void {
  try {
    writeFileSync(file, traceBytes(trace, file));
  } catch (e) {
    throw new CliError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
