/**
 * The `arenalloc` command line: `replay`, `record`, `stats` and `convert` of allocation traces.
 * `run(argv, io)` does the work and returns the exit code, so that tests drive it in-process;
 * `main.ts` is the executable around it. Every error ends as one line on stderr, no stack.
 *
 * @internal
 * @module
 */

import { writeFileSync } from 'node:fs';
import { ArenallocError } from '../errors';
import { replayAll, STRATEGY_NAMES, type StrategyName, traceStats } from '../strategies/index';
import { CliError } from './errors';
import { readTrace, writeTrace } from './files';
import { formatBytes, formatNs, textTable } from './format';
import { type FileResult, replayReport } from './html';
import { Progress } from './progress';
import { recordCommand } from './record';
import { SHIM_SOURCE } from './shim';

/** Where the command line writes. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (the progress bar is drawn only then). */
  stderrIsTTY: boolean;
}

export const USAGE = `usage:
  arenalloc replay TRACE... [--strategy NAME,...] [--rounds N] [--json] [--html FILE] [--quiet]
  arenalloc record [-o FILE] -- COMMAND [ARG...]
  arenalloc record --print-shim
  arenalloc stats TRACE [--json]
  arenalloc convert IN OUT

strategies: ${STRATEGY_NAMES.join(', ')}
traces: text (a ID SIZE / c ID SIZE / r ID SIZE / f ID, # comments) or binary (.atrace), either gzipped (.gz)
`;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
  rest: string[];
}

const TAKES_VALUE = new Set(['--strategy', '--rounds', '--html', '-o', '--output', '--max-bytes']);
const BOOLEAN = new Set(['--json', '--quiet', '--print-shim', '--help', '-h']);

function parseArgs(args: string[]): Parsed {
  const parsed: Parsed = { positional: [], flags: new Map(), rest: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      parsed.rest = args.slice(i + 1);
      break;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (TAKES_VALUE.has(name)) {
      const value = eq > 0 && name !== arg ? arg.slice(eq + 1) : args[++i];
      if (value === undefined) throw new CliError(`${name} needs a value`);
      parsed.flags.set(name, value);
    } else if (BOOLEAN.has(arg)) parsed.flags.set(arg, true);
    else if (arg.startsWith('-') && arg !== '-') throw new CliError(`unknown option ${arg}`);
    else parsed.positional.push(arg);
  }
  return parsed;
}

function strategiesOf(flag: string | true | undefined): StrategyName[] {
  if (flag === undefined || flag === true) return [...STRATEGY_NAMES];
  const names = flag
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const name of names) {
    if (!(STRATEGY_NAMES as readonly string[]).includes(name))
      throw new CliError(`unknown strategy ${JSON.stringify(name)}: expected one of ${STRATEGY_NAMES.join(', ')}`);
  }
  if (names.length === 0) throw new CliError('--strategy names no strategy');
  return names as StrategyName[];
}

function integerFlag(flag: string | true | undefined, name: string, fallback: number, min: number): number {
  if (flag === undefined || flag === true) return fallback;
  const n = /^\d+$/.test(flag) ? Number(flag) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new CliError(`${name} must be an integer of at least ${min}, got ${JSON.stringify(flag)}`);
  return n;
}

/** The JSON document of `replay --json` (documented in docs/guides/strategies-and-traces.md). */
export function replayJson(results: FileResult[]): unknown {
  return {
    version: 1,
    traces: results.map((r) => ({
      file: r.file,
      ops: r.ops,
      peakLiveBytes: r.peakLiveBytes,
      peakLiveBlocks: r.peakLiveBlocks,
      strategies: r.strategies.map((s) => ({
        name: s.name,
        nsPerOp: Number.isFinite(s.nsPerOp) ? s.nsPerOp : null,
        roundsNsPerOp: s.roundsNsPerOp,
        peakFootprint: s.peakFootprint,
        footprintRatio: s.footprintRatio,
        internalFragmentation: s.internalFragmentation,
        externalFragmentation: s.externalFragmentation,
        verified: s.verified,
        ...(s.error === undefined ? {} : { error: s.error }),
      })),
    })),
  };
}

function replayText(result: FileResult): string {
  const rows = result.strategies.map((s) =>
    s.error !== undefined
      ? [s.name, `error: ${s.error}`]
      : [
          s.name,
          formatNs(s.nsPerOp),
          formatBytes(s.peakFootprint),
          `${s.footprintRatio.toFixed(2)}x`,
          formatBytes(s.internalFragmentation),
          formatBytes(s.externalFragmentation),
          s.verified ? 'yes' : 'NO',
        ],
  );
  const head = ['strategy', 'ns/op', 'peak footprint', 'footprint/peak live', 'internal frag', 'external frag', 'verified'];
  return `${result.file}: ${result.ops} ops, peak live ${formatBytes(result.peakLiveBytes)} in ${result.peakLiveBlocks} blocks\n${textTable(head, rows, [false, true, true, true, true, true, true])}\n`;
}

function replayCommand(args: Parsed, io: Io): number {
  if (args.positional.length === 0) throw new CliError('replay needs at least one trace file');
  const strategies = strategiesOf(args.flags.get('--strategy'));
  const rounds = integerFlag(args.flags.get('--rounds'), '--rounds', 5, 1);
  const maxBytes = integerFlag(args.flags.get('--max-bytes'), '--max-bytes', 1 << 30, 1 << 16);
  const json = args.flags.has('--json');
  const html = args.flags.get('--html');
  if (html === true) throw new CliError('--html needs a file name');
  const traces = args.positional.map((file) => ({ file, trace: readTrace(file) }));
  const progress = new Progress(io, !args.flags.has('--quiet') && io.stderrIsTTY);
  const results: FileResult[] = [];
  for (const { file, trace } of traces) {
    progress.label = file;
    const result = replayAll(trace, strategies, { rounds, onProgress: (done, total) => progress.update(done, total) }, { maxBytes });
    results.push({ file, ...result });
    progress.clear();
    if (!json) io.stdout(`${replayText({ file, ...result })}\n`);
  }
  progress.clear();
  if (json) io.stdout(`${JSON.stringify(replayJson(results), null, 2)}\n`);
  if (typeof html === 'string') {
    try {
      writeFileSync(html, replayReport(results));
    } catch (e) {
      throw new CliError(`cannot write ${html}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!args.flags.has('--quiet') && !json) io.stderr(`wrote ${html}\n`);
  }
  return 0;
}

function statsCommand(args: Parsed, io: Io): number {
  if (args.positional.length !== 1) throw new CliError('stats takes one trace file');
  const file = args.positional[0] as string;
  const stats = traceStats(readTrace(file));
  if (args.flags.has('--json')) {
    io.stdout(`${JSON.stringify({ file, ...stats }, null, 2)}\n`);
    return 0;
  }
  const histogram = (buckets: typeof stats.sizes, unit: (n: number) => string): string => {
    const most = Math.max(1, ...buckets.map((b) => b.count));
    return buckets
      .map(
        (b) =>
          `  ${`${unit(b.from)}–${unit(b.to)}`.padStart(22)}  ${String(b.count).padStart(9)}  ${'#'.repeat(Math.ceil((40 * b.count) / most))}`,
      )
      .join('\n');
  };
  io.stdout(
    [
      `${file}: ${stats.ops} ops (${stats.mallocs} malloc, ${stats.callocs} calloc, ${stats.reallocs} realloc, ${stats.frees} free)`,
      `  peak live ${formatBytes(stats.peakLiveBytes)} in ${stats.peakLiveBlocks} blocks at most; ${stats.liveAtEnd} blocks never freed; ${formatBytes(stats.bytesRequested)} requested in all`,
      'sizes (bytes):',
      histogram(stats.sizes, (n) => String(n)),
      'lifetimes of freed blocks (operations from allocation to free):',
      histogram(stats.lifetimes, (n) => String(n)),
      '',
    ].join('\n'),
  );
  return 0;
}

function recordCli(args: Parsed, io: Io): number {
  if (args.flags.has('--print-shim')) {
    io.stdout(SHIM_SOURCE);
    return 0;
  }
  if (args.rest.length === 0) throw new CliError('record needs a command after --, e.g. arenalloc record -o jq.trace.gz -- jq . file.json');
  const output = args.flags.get('-o') ?? args.flags.get('--output') ?? 'arenalloc.trace';
  if (output === true) throw new CliError('-o needs a file name');
  const { trace, exitCode } = recordCommand(args.rest, output);
  if (!args.flags.has('--quiet'))
    io.stderr(
      `recorded ${trace.length} ops (${trace.slotCount} slots) to ${output}${exitCode !== 0 ? `; the command exited with ${exitCode}` : ''}\n`,
    );
  return exitCode;
}

function convertCommand(args: Parsed): number {
  if (args.positional.length !== 2) throw new CliError('convert takes an input and an output file');
  writeTrace(readTrace(args.positional[0] as string), args.positional[1] as string);
  return 0;
}

/** Runs the command line; returns the exit code (0 ok, 1 failed, 2 no command given). */
export function run(argv: string[], io: Io): number {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    const args = parseArgs(rest);
    switch (command) {
      case 'replay':
        return replayCommand(args, io);
      case 'record':
        return recordCli(args, io);
      case 'stats':
        return statsCommand(args, io);
      case 'convert':
        return convertCommand(args);
      default:
        throw new CliError(`unknown command ${JSON.stringify(command)} (replay, record, stats or convert; arenalloc --help)`);
    }
  } catch (e) {
    if (e instanceof ArenallocError) {
      io.stderr(`arenalloc: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
