/**
 * `arenalloc record -- COMMAND...`: builds the `LD_PRELOAD` shim (see `shim.ts`) with the
 * system C compiler, once per version of its source, runs the command with it preloaded, and
 * saves the trace in the form the output file's name asks for.
 *
 * @internal
 * @module
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseTrace, type Trace } from '../strategies/index';
import { CliError } from './errors';
import { writeTrace } from './files';
import { SHIM_SOURCE } from './shim';

const HOW_BY_HAND =
  'build the shim by hand: `arenalloc record --print-shim > shim.c && cc -O2 -shared -fPIC -o shim.so shim.c -lpthread`, then set ARENALLOC_SHIM=shim.so';

/** The path of a built shim: `$ARENALLOC_SHIM`, or one built now (or before) with `$CC` or `cc`. */
export function buildShim(): string {
  const given = process.env.ARENALLOC_SHIM;
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new CliError(`ARENALLOC_SHIM names ${given}, which does not exist`);
    return given;
  }
  if (process.platform !== 'linux')
    throw new CliError(`recording native programs needs Linux and glibc (LD_PRELOAD); this is ${process.platform}`);
  const hash = createHash('sha256').update(SHIM_SOURCE).digest('hex').slice(0, 16);
  const shim = join(os.tmpdir(), `arenalloc-shim-${hash}.so`);
  if (existsSync(shim)) return shim;
  const cc = process.env.CC ?? 'cc';
  const dir = mkdtempSync(join(os.tmpdir(), 'arenalloc-shim-'));
  try {
    const source = join(dir, 'shim.c');
    writeFileSync(source, SHIM_SOURCE);
    const built = join(dir, 'shim.so');
    const result = spawnSync(cc, ['-O2', '-shared', '-fPIC', '-o', built, source, '-lpthread'], { encoding: 'utf8' });
    if (result.error !== undefined)
      throw new CliError(`no C compiler: \`${cc}\` could not be run (install one, e.g. apt-get install gcc), or ${HOW_BY_HAND}`);
    if (result.status !== 0)
      throw new CliError(`${cc} could not build the shim: ${(result.stderr || '').trim().split('\n')[0] ?? ''}; or ${HOW_BY_HAND}`);
    renameSync(built, shim);
    return shim;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What {@link recordCommand} saw. */
export interface Recording {
  trace: Trace;
  exitCode: number;
}

/** Runs `command` under the shim and writes its trace to `output`. */
export function recordCommand(command: string[], output: string): Recording {
  const shim = buildShim();
  const dir = mkdtempSync(join(os.tmpdir(), 'arenalloc-record-'));
  try {
    const raw = join(dir, 'raw.trace');
    const preload = process.env.LD_PRELOAD ? `${shim}:${process.env.LD_PRELOAD}` : shim;
    const child = spawnSync(command[0] as string, command.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, LD_PRELOAD: preload, ARENALLOC_TRACE: raw },
    });
    if (child.error !== undefined)
      throw new CliError(`cannot run ${command[0]}: ${(child.error as NodeJS.ErrnoException).code ?? child.error.message}`);
    if (!existsSync(raw))
      throw new CliError(`${command[0]} made no allocation the shim could see (is it a static binary, or not linked with glibc?)`);
    const trace = parseTrace(readFileSync(raw), `${command[0]} (raw trace)`);
    writeTrace(trace, output);
    return { trace, exitCode: child.status ?? 1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
