/**
 * Runs every `bench/*.bench.mjs` suite in turn, each in its own `node` process so that one
 * suite's JIT state (type feedback, optimised code, heap shape) cannot leak into the next.
 * `npm run bench` builds the package first; the suites import `../dist/index.js`.
 *
 *   node bench/run.mjs                 all suites, then update results.json and RESULTS.md
 *   node bench/run.mjs large small     only the suites named (others keep their old results)
 *   BENCH_QUICK=1 node bench/run.mjs   smoke test: few samples; results files are left alone
 *   node bench/run.mjs --runtime bun small
 *                                      the suites on another runtime: node22, node24, node26, bun
 *                                      or deno (the binaries CI installs in scripts/runtimes;
 *                                      `npm ci --prefix scripts/runtimes`), or a path to a `node`
 *                                      binary; the results files are left alone (they hold the
 *                                      reference runtime's figures), the tables are printed
 *
 * A suite reports through `reportSuite` (bench/lib/results.mjs); a suite that does not still runs
 * and prints, but adds nothing to the results files. Suites run with `--expose-gc`, so that
 * memory measurements can start from a collected heap. Missed targets are printed as FAIL and do
 * not fail the run; a suite that crashes does (exit code 1).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeResults, renderMarkdown } from './lib/results.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const args = process.argv.slice(2);
const runtimeAt = args.indexOf('--runtime');
const runtimeName = runtimeAt >= 0 ? args.splice(runtimeAt, 2)[1] : undefined;
const wanted = args;
const runtime = runtimeCommand(runtimeName);

const suites = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .sort()
  .filter((f) => wanted.length === 0 || wanted.includes(basename(f, '.bench.mjs')));
if (suites.length === 0) {
  console.error(`no suite matches ${wanted.join(', ')}`);
  process.exit(1);
}
if (!existsSync(join(here, '..', 'dist', 'index.js'))) {
  console.error('dist/index.js is missing: run `npm run build` first (or use `npm run bench`)');
  process.exit(1);
}

const outDir = mkdtempSync(join(os.tmpdir(), 'arenalloc-bench-'));
const failed = [];
for (const file of suites) {
  console.log(`\n### ${file}`);
  const started = Date.now();
  const child = spawnSync(runtime.bin, [...runtime.args, join(here, file)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_RESULTS_DIR: outDir },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (child.status !== 0) {
    failed.push(file);
    console.error(`### ${file} FAILED (exit ${child.status ?? child.signal}) after ${seconds} s`);
  } else {
    console.log(`### ${file} done in ${seconds} s`);
  }
}

const fresh = readdirSync(outDir).map((f) => JSON.parse(readFileSync(join(outDir, f), 'utf8')));
rmSync(outDir, { recursive: true, force: true });

if (quick || runtimeName !== undefined) {
  const why = quick ? 'quick mode' : `runtime ${runtimeName}`;
  console.log(`\n${why}: bench/results.json and bench/RESULTS.md left unchanged`);
} else if (fresh.length > 0) {
  const jsonPath = join(here, 'results.json');
  const previous = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : null;
  const merged = mergeResults(previous, fresh);
  writeFileSync(jsonPath, `${JSON.stringify(merged, null, 2)}\n`);
  const preamble = readFileSync(join(here, 'lib', 'results-preamble.md'), 'utf8');
  const mdPath = join(here, 'RESULTS.md');
  writeFileSync(mdPath, renderMarkdown(preamble, merged));
  formatWithBiome([jsonPath, mdPath]);
  console.log(`\nupdated bench/results.json and bench/RESULTS.md (${fresh.map((r) => r.suite).join(', ')})`);
}

/**
 * The command that runs one suite: this process's `node` by default, or a runtime installed in
 * scripts/runtimes, each with its way of exposing `gc()` (Bun has it built in as `Bun.gc`, which
 * bench/lib/measure.mjs does not use, so its memory figures start from an uncollected heap).
 */
function runtimeCommand(name) {
  if (name === undefined) return { bin: process.execPath, args: ['--expose-gc'] };
  const installed = join(here, '..', 'scripts', 'runtimes', 'node_modules');
  const known = {
    node22: { bin: join(installed, 'node22', 'bin', 'node'), args: ['--expose-gc'] },
    node24: { bin: join(installed, 'node24', 'bin', 'node'), args: ['--expose-gc'] },
    node26: { bin: join(installed, 'node26', 'bin', 'node'), args: ['--expose-gc'] },
    bun: { bin: join(installed, '@oven', 'bun-linux-x64', 'bin', 'bun'), args: [] },
    deno: { bin: join(installed, '@deno', 'linux-x64-glibc', 'deno'), args: ['run', '-A', '--v8-flags=--expose-gc'] },
  };
  const command = known[name] ?? { bin: name, args: ['--expose-gc'] };
  if (!existsSync(command.bin)) {
    console.error(
      `runtime ${name}: ${command.bin} is missing (npm ci --prefix scripts/runtimes installs node22, node24, node26, bun and deno)`,
    );
    process.exit(1);
  }
  return command;
}

/**
 * Formats the results files the way the project's formatter (biome) wants them, so that what the
 * runner writes passes `biome check` as it is.
 */
function formatWithBiome(paths) {
  const biome = join(here, '..', 'node_modules', '.bin', 'biome');
  const result = existsSync(biome) ? spawnSync(biome, ['format', '--write', ...paths], { stdio: 'ignore' }) : null;
  if (result === null || result.status !== 0)
    console.warn(`could not format the results with biome; run \`npx biome format --write ${paths.join(' ')}\``);
}

if (failed.length > 0) {
  console.error(`\nfailed suites: ${failed.join(', ')}`);
  process.exit(1);
}
