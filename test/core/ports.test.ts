// @browser-skip: reads src/ with node:fs and the TypeScript compiler
// The layers above the allocators reach the core through src/port.ts and nothing else
// (src/port.ts's essay; the architecture guide, "Ports"). This test holds every file of those
// layers to it, with the TypeScript compiler: no import of the allocators' files (src/small/*,
// src/large/*) or of the core's inner modules (routing, stats), and no read or write of a `_`
// member of a `Heap`, whatever the expression that names the heap.

import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const SRC = join(ROOT, 'src');

/** The layers above the allocators: each reaches the core through the port alone. */
const UPPER = ['rc', 'gc', 'profile', 'debug', 'pool', 'strategies', 'wasm', 'cli'];

/** Modules of the core an upper layer may import: the port, the public facade, errors, the store and the header. */
const ALLOWED_CORE = new Set(['port.ts', 'heap.ts', 'index.ts', 'errors.ts', 'memory/store.ts', 'layout.ts', 'inspect/install.ts']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

const upperFiles = UPPER.flatMap((layer) => files(join(SRC, layer)));

// A file the compiler sees beside the real ones, which breaks both rules: the test shows it is caught.
const PROBE = join(SRC, 'rc', '__ports_probe__.ts');
const PROBE_TEXT = [
  "import type { Heap } from '../heap';",
  "import { SMALL_REQUEST_THRESHOLD } from '../small/layout';",
  'export const probe = (heap: Heap): number => heap._mem.byteLength + SMALL_REQUEST_THRESHOLD;',
  "export const probe2 = (h: { heap: Heap }): unknown => h.heap['_hooks'];",
  '',
].join('\n');

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  lib: ['lib.es2024.d.ts', 'lib.dom.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
};
const host = ts.createCompilerHost(options);
const readFile = host.readFile.bind(host);
const fileExists = host.fileExists.bind(host);
const getSourceFile = host.getSourceFile.bind(host);
host.readFile = (name) => (name === PROBE ? PROBE_TEXT : readFile(name));
host.fileExists = (name) => name === PROBE || fileExists(name);
host.getSourceFile = (name, language) => (name === PROBE ? ts.createSourceFile(name, PROBE_TEXT, language) : getSourceFile(name, language));
const program = ts.createProgram([...files(SRC), PROBE], options, host);
const checker = program.getTypeChecker();
const heapFile = program.getSourceFile(join(SRC, 'heap.ts'))!;
const heapClass = heapFile.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === 'Heap')!;
const heapType = checker.getTypeAtLocation(heapClass.name!);

/** Whether `type` is the Heap class (or a union member of it). */
function isHeap(type: ts.Type): boolean {
  if (type.isUnion()) return type.types.some(isHeap);
  return type.getSymbol() === heapType.getSymbol();
}

interface Violation {
  at: string;
  what: string;
}

function violationsOf(path: string): Violation[] {
  const source = program.getSourceFile(path)!;
  const out: Violation[] = [];
  const where = (node: ts.Node) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart());
    return `${relative(ROOT, path)}:${line + 1}`;
  };
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const spec = node.moduleSpecifier.text;
      if (spec.startsWith('.')) {
        const target = relative(SRC, join(path, '..', spec))
          .split('\\')
          .join('/');
        const file = target.endsWith('.ts') ? target : `${target}.ts`;
        const layer = target.split('/')[0]!;
        const ownOrUpper = UPPER.includes(layer) && target.includes('/');
        if (!ownOrUpper && !ALLOWED_CORE.has(file)) out.push({ at: where(node), what: `imports ${spec} (${file}), which is not the port` });
      }
    }
    if (ts.isPropertyAccessExpression(node) && node.name.text.startsWith('_')) {
      if (isHeap(checker.getTypeAtLocation(node.expression)))
        out.push({ at: where(node), what: `reads ${node.getText(source)} of a Heap` });
    }
    if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression) && node.argumentExpression.text.startsWith('_')) {
      if (isHeap(checker.getTypeAtLocation(node.expression)))
        out.push({ at: where(node), what: `reads ${node.getText(source)} of a Heap` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('the ports between the layers', () => {
  it('finds the Heap class and files of every upper layer', () => {
    expect(heapClass).toBeDefined();
    for (const layer of UPPER)
      expect(
        upperFiles.some((f) => f.includes(`/src/${layer}/`)),
        layer,
      ).toBe(true);
  });

  it('the upper layers (rc, gc, profile, debug, pool, strategies, wasm, cli) reach the core only through src/port.ts', () => {
    const found = upperFiles.flatMap(violationsOf).map((v) => `${v.at}: ${v.what}`);
    expect(found).toEqual([]);
  });

  it('sees a violation of each kind (a probe file the compiler is given beside the real ones)', () => {
    expect(violationsOf(PROBE).map((v) => v.what)).toEqual([
      'imports ../small/layout (small/layout.ts), which is not the port',
      'reads heap._mem of a Heap',
      "reads h.heap['_hooks'] of a Heap",
    ]);
  });
});
