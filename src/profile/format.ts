/**
 * Text helpers shared by the profiler's printed lines, SVG and HTML: byte sizes and escaping.
 *
 * @internal
 * @module
 */

import { describeValue, InvalidArgumentError } from '../errors';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * A byte count as people read it: below 1 KiB in whole bytes (`400 B`), above with one decimal in
 * the largest binary unit that keeps the number under 1024 (`1.2 KiB`, `3.0 MiB`). With `sign`, a
 * leading `+` or `-` (for differences). This is how every printed line of the profiler shows bytes.
 *
 * @param bytes - a byte count (may be negative or fractional)
 * @param sign - whether to print `+` before a positive count
 */
export function formatSize(bytes: number, sign = false): string {
  if (typeof bytes !== 'number') throw new InvalidArgumentError(`formatSize: bytes must be a number, got ${describeValue(bytes)}`, 'bytes');
  if (typeof sign !== 'boolean') throw new InvalidArgumentError(`formatSize: sign must be a boolean, got ${describeValue(sign)}`, 'sign');
  const prefix = sign ? (bytes > 0 ? '+' : bytes < 0 ? '-' : '') : bytes < 0 ? '-' : '';
  let n = Math.abs(bytes);
  if (n < 1024) return `${prefix}${Math.round(n)} B`;
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${prefix}${n.toFixed(1)} ${UNITS[unit]}`;
}

/** A count with an explicit sign, for differences. @internal */
export function formatSigned(n: number): string {
  return n > 0 ? `+${n}` : `${n}`;
}

/** Escapes text for XML and HTML content and attribute values. @internal */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}
