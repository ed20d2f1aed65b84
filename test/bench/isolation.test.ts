/**
 * The benchmark suites compile each contender's loop on its own (`isolated` in
 * bench/lib/measure.mjs) so that one contender's type feedback cannot slow another's loop. V8
 * caches `new Function` by source text and gives copies of the same text one feedback vector, so
 * the copies must differ in their text. This checks it where it matters, in V8 itself: a child
 * `node --allow-natives-syntax` drives three copies with allocators of three classes and prints
 * each copy's feedback vector (`%DebugPrint`). No timing: speed is shown by `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the bench folder, without types
import { isolated, isolatedSource } from '../../bench/lib/measure.mjs';

const probe = fileURLToPath(new URL('./isolation-probe.mjs', import.meta.url));

interface Copy {
  vector: string;
  loads: string[];
}

/** The feedback vector address and the property-load states of each copy the probe printed. */
function probeCopies(mode: 'isolated' | 'same-text'): Copy[] {
  const child = spawnSync(process.execPath, ['--allow-natives-syntax', probe, mode], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return child.stdout
    .split('DebugPrint:')
    .slice(1)
    .map((text) => ({
      vector: /- feedback vector: (0x[0-9a-f]+)/.exec(text)?.[1] ?? '',
      loads: [...text.matchAll(/LoadProperty (\w+)/g)].map((m) => m[1] ?? ''),
    }));
}

describe('isolated() gives every contender its own type feedback', () => {
  it('compiles each copy from a source text of its own', () => {
    const factory = (n: number) => () => n;
    const a = isolated(factory);
    const b = isolated(factory);
    expect(a).not.toBe(b);
    expect(isolatedSource(a)).not.toBe(isolatedSource(b));
    expect(isolatedSource(a)).toContain(factory.toString());
    expect(a(3)()).toBe(3);
  });

  it('keeps three contenders monomorphic, each on a feedback vector of its own', () => {
    const copies = probeCopies('isolated');
    expect(copies).toHaveLength(3);
    for (const c of copies) {
      expect(c.vector).toMatch(/^0x/);
      expect(c.loads.length).toBeGreaterThan(0);
      expect(c.loads.every((state) => state === 'MONOMORPHIC')).toBe(true);
    }
    expect(new Set(copies.map((c) => c.vector)).size).toBe(3);
  });

  it('would share feedback with copies of the same text (what the check guards against)', () => {
    const copies = probeCopies('same-text');
    expect(copies).toHaveLength(3);
    expect(new Set(copies.map((c) => c.vector)).size).toBeLessThan(3);
    expect(copies.some((c) => c.loads.some((state) => state !== 'MONOMORPHIC'))).toBe(true);
  });
});
