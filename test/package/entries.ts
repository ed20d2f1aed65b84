/**
 * The public entries of the package, derived from `package.json` `exports` and the tsup `entry`
 * map, so that a new layer joins every package check by adding its subpath there and its rules
 * to `entries.json`.
 *
 * ```
 *  package.json exports["./rc"].import.default = "./dist/rc.js"
 *        └── tsup entry key "rc" ──▶ source "src/rc/index.ts"
 * ```
 */

import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import tsupConfig from '../../tsup.config';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface ConditionTargets {
  import: { types: string; default: string };
  require: { types: string; default: string };
}

/** One public entry: a subpath of `exports` with its built files and its TypeScript source. */
export interface Entry {
  /** The `exports` key: `.`, `./rc`, ... */
  subpath: string;
  /** What a user writes: `arenalloc`, `arenalloc/rc`, ... */
  specifier: string;
  /** The ESM, CJS and type files, relative to the package root. */
  targets: ConditionTargets;
  /** The TypeScript source of the entry, relative to the repository root. */
  source: string;
}

/** The package manifest. */
export const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string | ConditionTargets>;
  sideEffects: boolean | string[];
};

/** Every JavaScript entry of the package (all `exports` except `./package.json`). */
export function entries(): Entry[] {
  const config = (Array.isArray(tsupConfig) ? tsupConfig[0] : tsupConfig) as { entry: Record<string, string> };
  const result: Entry[] = [];
  for (const [subpath, value] of Object.entries(pkg.exports)) {
    if (subpath === './package.json') continue;
    if (typeof value === 'string' || !value.import || !value.require) {
      throw new Error(`exports["${subpath}"] must have "import" and "require" conditions, each with "types" and "default"`);
    }
    const key = value.import.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
    const source = config.entry[key];
    if (source === undefined) {
      throw new Error(`exports["${subpath}"] points at ./dist/${key}.js but tsup.config.ts has no entry "${key}"`);
    }
    result.push({ subpath, specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, targets: value, source });
  }
  return result;
}

/** Maps a user's specifier (`arenalloc/rc`) to the TypeScript source of that entry. */
export function sourceOf(specifier: string): string | undefined {
  const entry = entries().find((e) => e.specifier === specifier);
  return entry === undefined ? undefined : join(ROOT, entry.source);
}

/** Rules and budgets per entry, from `entries.json`. */
export interface EntryRules {
  /** Layers whose code may appear in a bundle of the entry (`core` or a directory of `src/`). */
  layers: string[];
  /** Budget: bytes of the whole entry bundled by esbuild, minified, then gzipped. */
  gzipBytes: number;
}

/** The committed table of rules and budgets. */
export interface RulesFile {
  /** Directories of `src/` (and `.` for files directly in it) that make up the layer `core`. */
  core: string[];
  /** Budget of a bundle that only calls `createHeap`, `malloc` and `free` (see the architecture guide). */
  minimal: { gzipBytes: number };
  entries: Record<string, EntryRules>;
}

export const RULES_PATH = join(ROOT, 'test/package/entries.json');

/** Reads the rules table. */
export function readRules(): RulesFile {
  return JSON.parse(readFileSync(RULES_PATH, 'utf8')) as RulesFile;
}

/**
 * The layer a source file belongs to: `core` for the directories listed in `core`, else the
 * directory under `src/` (`src/rc/struct.ts` → `rc`). Null for files outside `src/`.
 */
export function layerOf(file: string, rules: RulesFile): string | null {
  const rel = relative(ROOT, resolve(ROOT, file)).split('\\').join('/');
  const match = /^src\/(?:([^/]+)\/)?[^/]+$/.exec(rel) ?? /^src\/([^/]+)\//.exec(rel);
  if (match === null) return null;
  const dir = match[1] ?? '.';
  return rules.core.includes(dir) ? 'core' : dir;
}
