// Proves which runtime a run of the suite is on: scripts/test-runtimes.sh sets EXPECT_RUNTIME
// (node22, node24, node26, bun, deno; the browser suite runs it too), and this fails when the tests ran elsewhere, so that a
// runtime's green run cannot be a run on the default Node. Without EXPECT_RUNTIME it records the
// runtime and checks only what every run must have.
import { describe, expect, it } from 'vitest';

declare const Bun: { version: string } | undefined;
declare const Deno: { version: { deno: string } } | undefined;

/** The runtime this file runs on, as test-runtimes.sh names it. */
function runtime(): string {
  if (typeof Bun !== 'undefined') return 'bun';
  if (typeof Deno !== 'undefined') return 'deno';
  if (typeof window !== 'undefined' && typeof document !== 'undefined') return 'browser';
  const g = globalThis as { process?: { versions?: { node?: string } } };
  const node = g.process?.versions?.node;
  return node === undefined ? 'unknown' : `node${node.split('.')[0]}`;
}

describe('the runtime', () => {
  it('is the one the run was started for', () => {
    const expected = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.EXPECT_RUNTIME;
    console.log(`runtime: ${runtime()}`);
    if (expected !== undefined && expected !== '') expect(runtime()).toBe(expected);
    expect(runtime()).not.toBe('unknown');
  });
});
