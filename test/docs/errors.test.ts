// @browser-skip: reads the sources and the guide from disk, and runs a child node for the leak warning
// The errors guide covers every error code and every exported error class, and the messages say
// what to do next in the cases users meet first (each assertion below failed before the message
// was changed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ArenallocError, createHeap, HeapCorruptedError, InvalidPointerError, OutOfMemoryError } from '../../src/index';
import { createRc } from '../../src/rc/index';
import { entries, ROOT } from '../package/entries';

const guide = readFileSync(join(ROOT, 'docs/guides/errors.md'), 'utf8');

/** The codes of the `ErrorCode` union in src/errors.ts: the stable, exported list. */
function errorCodes(): string[] {
  const source = readFileSync(join(ROOT, 'src/errors.ts'), 'utf8');
  const union = /export type ErrorCode =([^;]*);/.exec(source)?.[1] ?? '';
  return [...union.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1]!);
}

/** The guide's section for a code: from its `## CODE` heading to the next `## `. */
function section(code: string): string {
  const start = guide.indexOf(`\n## ${code}\n`);
  if (start < 0) return '';
  const end = guide.indexOf('\n## ', start + 1);
  return guide.slice(start, end < 0 ? undefined : end);
}

describe('the errors guide', () => {
  const codes = errorCodes();

  it('reads the codes from the ErrorCode union', () => {
    expect(codes).toContain('ERR_OUT_OF_MEMORY');
    expect(codes.length).toBeGreaterThanOrEqual(10);
  });

  it.each(codes)('has a section for %s, with a runnable example that names the code or its class', (code) => {
    const text = section(code);
    expect(text, `docs/guides/errors.md has no "## ${code}" section`).not.toBe('');
    expect(text).toContain('**What to do:**');
    expect(text).toMatch(/```ts\nimport /);
  });

  it('names every exported error class of every entry, in the section of its code', async () => {
    const named: string[] = [];
    for (const entry of entries()) {
      const mod = (await import(join(ROOT, entry.source))) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) {
        if (typeof value !== 'function' || !(value.prototype instanceof ArenallocError)) continue;
        named.push(name);
        const sections = codes.filter((code) => section(code).includes(`\`${name}\``));
        expect(sections.length, `${name} (exported from ${entry.specifier}) is named in no code's section`).toBeGreaterThan(0);
      }
    }
    expect(named).toContain('GuardBytesError');
  });
});

describe('messages that say what to do next', () => {
  it('heap.free of an rc object pointer suggests rc.release', () => {
    const heap = createHeap();
    const rc = createRc(heap);
    const small = rc.struct('Small', { x: 'f64' });
    const large = rc.struct('Large', { xs: 'f64[200]' }); // a large block: the TLSF path
    for (const type of [small, large]) {
      const obj = type.create();
      expect(() => heap.free(obj)).toThrow(InvalidPointerError);
      expect(() => heap.free(obj)).toThrow(/rc\.release/);
      rc.release(obj);
    }
    heap.check();
  });

  it('out of memory mentions maxBytes', () => {
    const heap = createHeap({ initialBytes: 1 << 16, maxBytes: 1 << 17 });
    expect(() => heap.malloc(1 << 20)).toThrow(OutOfMemoryError);
    expect(() => heap.malloc(1 << 20)).toThrow(/maxBytes/);
    const rc = createRc(heap);
    const big = rc.struct('Big', { xs: 'f64[20000]' });
    expect(() => big.create()).toThrow(/maxBytes/);
  });

  it('a damaged free list suggests arenalloc/debug, for small and large blocks', () => {
    for (const size of [24, 4000]) {
      const heap = createHeap();
      const keep = heap.malloc(size);
      const p = heap.malloc(size);
      heap.malloc(size); // keeps p from merging into the top of the heap
      heap.free(p);
      const words = new Uint32Array(heap.buffer, p, 4);
      words.fill(0x01010101); // a write after free over the block's free-list links
      expect(() => heap.check()).toThrow(HeapCorruptedError);
      expect(() => heap.check()).toThrow(/arenalloc\/debug/);
      expect(keep).toBeGreaterThan(0);
    }
  });

  it('the leaked-Ref warning names the option that fills in its site', async () => {
    const script = `
import { createHeap } from './src/index';
import { createRc } from './src/rc/index';
const rc = createRc(createHeap());
const T = rc.struct('T', { x: 'f64' });
(() => { T.createRef().retain(); })();
for (let i = 0; i < 50; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 5)); }
`;
    const out = await build({
      stdin: { contents: script, resolveDir: ROOT, loader: 'ts', sourcefile: 'leak-warning.ts' },
      bundle: true,
      format: 'esm',
      platform: 'node',
      write: false,
      logLevel: 'silent',
    });
    const dir = mkdtempSync(join(tmpdir(), 'arenalloc-warning-'));
    try {
      writeFileSync(join(dir, 'leak.mjs'), out.outputFiles[0]!.text);
      const child = spawnSync(process.execPath, ['--expose-gc', join(dir, 'leak.mjs')], { encoding: 'utf8', timeout: 30_000 });
      expect(child.stderr).toContain('was dropped while holding');
      expect(child.stderr).toContain('traceHandles: true');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
