/**
 * Docs that cannot rot: every ```ts / ```js block of README.md and docs/guides/*.md runs, and
 * type-checks, against the sources. A block with `import` lines is a whole program; a block
 * without any continues the program of the block before it (as a reader pasting both would run
 * them). `arenalloc` and `arenalloc/*` resolve through `package.json` `exports` to the entry
 * sources. A block opts out only with `<!-- no-run -->` on the line before its fence.
 */

import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { entries, ROOT, sourceOf } from '../package/entries';

interface Block {
  line: number;
  code: string;
}

/** The runnable code blocks of a markdown file, with the line of each opening fence. */
function codeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript|js|javascript|mjs)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    if (!(before >= 0 && lines[before]!.trim() === '<!-- no-run -->')) {
      blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n') });
    }
    i = end;
  }
  return blocks;
}

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs/guides')).map((f) => `docs/guides/${f}`)].filter((f) => f.endsWith('.md'));
const work = join(ROOT, '.tmp/docs');

/** Groups blocks into programs: a block with `import` lines starts a new one. */
function programs(blocks: Block[]): Block[][] {
  const result: Block[][] = [];
  for (const block of blocks) {
    if (result.length === 0 || /^import\s/m.test(block.code)) result.push([block]);
    else result[result.length - 1]!.push(block);
  }
  return result;
}

/** One program as a module; each block first records where it starts. */
function program(page: string, blocks: Block[]): string {
  return `${blocks.map((b) => `(globalThis as any).__docBlock = '${page}:${b.line}';\n${b.code}`).join('\n')}\nexport {};\n`;
}

const fileOf = (page: string, first: Block) => `${page.replace(/[/.]/g, '_')}_${first.line}`;

describe('code blocks of the docs', () => {
  it('finds blocks, honours <!-- no-run -->, and keeps the opt-outs rare', () => {
    const sample = "```ts\nimport 'x';\n```\n<!-- no-run -->\n```ts\nthrow 0;\n```\n```sh\nls\n```\n```js\nf();\n```\n";
    const blocks = codeBlocks(sample);
    expect(blocks).toEqual([
      { line: 1, code: "import 'x';" },
      { line: 11, code: 'f();' },
    ]);
    expect(programs([...blocks, ...blocks])).toEqual([blocks, blocks]);
    const all = pages.map((p) => readFileSync(join(ROOT, p), 'utf8'));
    const optOuts = all.join('\n').split('<!-- no-run -->').length - 1;
    const runnable = all.reduce((n, md) => n + codeBlocks(md).length, 0);
    expect(runnable).toBeGreaterThanOrEqual(8);
    expect(optOuts).toBeLessThanOrEqual(Math.max(2, runnable / 10));
  });

  const runnable = pages.flatMap((page) =>
    programs(codeBlocks(readFileSync(join(ROOT, page), 'utf8'))).map((blocks) => ({ page, line: blocks[0]!.line, blocks })),
  );

  it.each(runnable)('$page:$line runs without an error', async ({ page, blocks }) => {
    mkdirSync(work, { recursive: true });
    const out = join(work, `${fileOf(page, blocks[0]!)}.mjs`);
    await esbuild.build({
      stdin: { contents: program(page, blocks), resolveDir: ROOT, loader: 'ts', sourcefile: page },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile: out,
      logLevel: 'silent',
      plugins: [
        {
          name: 'entries-from-source',
          setup(build) {
            build.onResolve({ filter: /^arenalloc(\/.*)?$/ }, (args) => {
              const path = sourceOf(args.path);
              return path === undefined ? { errors: [{ text: `${args.path} is not in package.json exports` }] } : { path };
            });
          },
        },
      ],
    });
    const runner = `${out}.run.mjs`;
    writeFileSync(
      runner,
      `try { await import(${JSON.stringify(out)}); } catch (e) { console.error('failed in the block at ' + globalThis.__docBlock + ':\\n' + (e && e.stack || e)); process.exit(1); }\n`,
    );
    try {
      execFileSync(process.execPath, [runner], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      throw new Error(`${page}: ${(error as { stderr?: string }).stderr ?? error}`);
    }
  });

  it('type-check against the sources (tsc, strict)', async () => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const files: string[] = [];
    for (const { page, blocks } of runnable) {
      const file = `${fileOf(page, blocks[0]!)}.ts`;
      writeFileSync(join(work, file), program(page, blocks));
      files.push(file);
    }
    const paths = Object.fromEntries(entries().map((e) => [e.specifier, [relative(work, join(ROOT, e.source))]]));
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { baseUrl: '.', paths, noUnusedLocals: false },
        include: [],
        files,
      }),
    );
    try {
      // Awaited, not execFileSync: on a busy machine tsc can take over a minute, and a worker blocked
      // that long cannot answer Vitest (which then fails the run with a timeout of its own).
      await promisify(execFile)('node', [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(work, 'tsconfig.json')], {
        encoding: 'utf8',
      });
    } catch (error) {
      throw new Error(`the docs' code does not type-check:\n${(error as { stdout?: string }).stdout ?? error}`);
    }
  });
});
