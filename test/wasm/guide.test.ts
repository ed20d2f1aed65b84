// @browser-skip: reads the committed .wasm file and the guide with node:fs
// The WebAssembly guide shows list.wasm as base64 and list.c as its source: the bytes it shows
// must be the ones build.sh makes from that source, so that the guide's example is real.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const file = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

describe('the WebAssembly guide', () => {
  it('shows the bytes and the source of test/wasm/list.wasm', () => {
    const guide = readFileSync(file('../../docs/guides/webassembly.md'), 'utf8');
    const shown = /atob\(\s*'([A-Za-z0-9+/=]+)'/.exec(guide)?.[1];
    expect(shown).toBe(readFileSync(file('./list.wasm')).toString('base64'));
    const source = readFileSync(file('./list.c'), 'utf8');
    const body = source.slice(source.indexOf('#include'));
    expect(guide).toContain(body.trim());
  });
});
