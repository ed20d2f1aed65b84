// The `arenalloc` command line end to end, in-process through run(): a small committed trace in
// its three forms, `--json` against the documented schema, the HTML file, and the errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run';
import { STRATEGY_NAMES } from '../../src/strategies/index';
import schema from './replay.schema.json';

const FIXTURES = join(__dirname, 'fixtures');
const tmp = mkdtempSync(join(os.tmpdir(), 'arenalloc-cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = run(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stderrIsTTY: false });
  return { code, stdout, stderr };
}

type Schema = {
  type?: string | string[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  minimum?: number;
};

/** The part of JSON Schema that replay.schema.json uses: type, required, properties, items, enum, minimum. */
function validate(value: unknown, s: Schema, path = '$'): string[] {
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (types.length > 0 && !types.includes(kind) && !(kind === 'integer' && types.includes('number')))
    return [`${path}: ${kind}, expected ${types.join('|')}`];
  const problems: string[] = [];
  if (s.enum !== undefined && !s.enum.includes(value)) problems.push(`${path}: ${String(value)} not in ${s.enum.join(',')}`);
  if (s.minimum !== undefined && typeof value === 'number' && value < s.minimum) problems.push(`${path}: ${value} < ${s.minimum}`);
  if (kind === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of s.required ?? []) if (!(key in o)) problems.push(`${path}.${key}: missing`);
    for (const [key, sub] of Object.entries(s.properties ?? {})) if (key in o) problems.push(...validate(o[key], sub, `${path}.${key}`));
  }
  if (kind === 'array' && s.items !== undefined)
    (value as unknown[]).forEach((v, i) => {
      problems.push(...validate(v, s.items as Schema, `${path}[${i}]`));
    });
  return problems;
}

describe('arenalloc replay', () => {
  it('gives the same figures for the text, gzip and binary forms of a trace', () => {
    const results = ['small.trace', 'small.trace.gz', 'small.atrace'].map((f) => {
      const { code, stdout, stderr } = cli('replay', join(FIXTURES, f), '--rounds', '1', '--json', '--strategy', 'tlsf,heap,first-fit');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      return JSON.parse(stdout);
    });
    const figures = (doc: {
      traces: { ops: number; peakLiveBytes: number; strategies: { peakFootprint: number; externalFragmentation: number }[] }[];
    }) => doc.traces.map((t) => [t.ops, t.peakLiveBytes, t.strategies.map((s) => [s.peakFootprint, s.externalFragmentation])]);
    expect(figures(results[1])).toEqual(figures(results[0]));
    expect(figures(results[2])).toEqual(figures(results[0]));
    expect(results[0].traces[0].ops).toBe(1500);
  });

  it('prints JSON that the documented schema accepts, with every strategy verified', () => {
    const { code, stdout } = cli('replay', join(FIXTURES, 'small.atrace'), join(FIXTURES, 'small.trace'), '--rounds', '2', '--json');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(validate(doc, schema as Schema)).toEqual([]);
    expect(doc.traces).toHaveLength(2);
    for (const trace of doc.traces) {
      expect(trace.strategies.map((s: { name: string }) => s.name)).toEqual([...STRATEGY_NAMES]);
      for (const s of trace.strategies) {
        expect(s.verified).toBe(true);
        expect(s.roundsNsPerOp).toHaveLength(2);
      }
    }
    // The schema refuses what the document must not be.
    expect(validate({ traces: [{ file: 'x', ops: -1, peakLiveBytes: 0, strategies: [] }] }, schema as Schema)).not.toEqual([]);
    expect(validate({ traces: [{ file: 'x', ops: 1, peakLiveBytes: 0, strategies: [{ name: 'heap' }] }] }, schema as Schema)).not.toEqual(
      [],
    );
  });

  it('prints a table per trace, and writes the HTML report', () => {
    const html = join(tmp, 'report.html');
    const { code, stdout, stderr } = cli('replay', join(FIXTURES, 'small.trace.gz'), '--rounds', '1', '--html', html);
    expect(code).toBe(0);
    expect(stdout).toMatch(/small\.trace\.gz: 1500 ops, peak live 3\.0 MiB in 355 blocks/);
    for (const name of STRATEGY_NAMES) expect(stdout).toMatch(new RegExp(`^  ${name} +\\d`, 'm'));
    expect(stderr).toBe(`wrote ${html}\n`);
    const page = readFileSync(html, 'utf8');
    expect(page.match(/<polyline class="curve"/g)?.length).toBe(STRATEGY_NAMES.length + 1 + 2 * STRATEGY_NAMES.length);
  });

  it('gives a strategy that runs out of memory an error row, and the others still run', () => {
    const churn = join(tmp, 'churn.trace');
    writeFileSync(churn, Array.from({ length: 300 }, () => 'a 1 60000\nf 1\n').join(''));
    const { code, stdout } = cli('replay', churn, '--rounds', '1', '--max-bytes', String(4 << 20), '--strategy', 'bump,tlsf,segregated');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}bump +error: bump: out of memory: cannot allocate 60000 bytes$/m);
    expect(stdout).toMatch(/^ {2}tlsf +\d.* yes$/m);
    expect(stdout).toMatch(/^ {2}segregated +\d.* yes$/m);
    const doc = JSON.parse(
      cli('replay', churn, '--rounds', '1', '--max-bytes', String(4 << 20), '--strategy', 'bump,tlsf', '--json').stdout,
    );
    expect(doc.traces[0].strategies[0]).toMatchObject({
      name: 'bump',
      verified: false,
      nsPerOp: null,
      error: 'bump: out of memory: cannot allocate 60000 bytes',
    });
    expect(validate(doc, schema as Schema)).toEqual([]);
  });
});

describe('errors: one line, non-zero exit, no stack', () => {
  const bad = join(tmp, 'bad.trace');
  it.each([
    ['a 1 10\na 2 xx\n', `${bad}:2: size "xx" is not an integer from 0 to 4294967295`],
    ['# header\na 1 10\nf 7\n', `${bad}:3: free of block 7, which is not live`],
    ['a 1 10\nq 1\n', `${bad}:2: unknown operation "q" (expected a, c, r or f)`],
  ])('a malformed trace names its file and line: %j', (text, message) => {
    writeFileSync(bad, text);
    const { code, stdout, stderr } = cli('replay', bad);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`arenalloc: ${message}\n`);
  });

  it.each([
    [['replay', '/nonexistent/x.trace'], 'cannot read /nonexistent/x.trace: no such file'],
    [
      ['replay', join(FIXTURES, 'small.trace'), '--strategy', 'best-fit'],
      'unknown strategy "best-fit": expected one of bump, buddy, first-fit, segregated, tlsf, heap, uint8array',
    ],
    [['replay', join(FIXTURES, 'small.trace'), '--rounds', 'many'], '--rounds must be an integer of at least 1, got "many"'],
    [['replay'], 'replay needs at least one trace file'],
    [['replay', '--bogus'], 'unknown option --bogus'],
    [['frobnicate'], 'unknown command "frobnicate" (replay, record, stats or convert; arenalloc --help)'],
    [['stats', '/nonexistent/y.atrace.gz'], 'cannot read /nonexistent/y.atrace.gz: no such file'],
  ])('%j', (argv, message) => {
    const { code, stderr } = cli(...argv);
    expect(code).toBe(1);
    expect(stderr).toBe(`arenalloc: ${message}\n`);
  });

  it('a damaged gzip file', () => {
    const gz = join(tmp, 'damaged.trace.gz');
    const good = readFileSync(join(FIXTURES, 'small.trace.gz'));
    writeFileSync(gz, good.subarray(0, good.length >> 1));
    expect(cli('replay', gz).stderr).toBe(`arenalloc: ${gz}: damaged gzip data\n`);
  });
});

describe('arenalloc stats and convert', () => {
  it('stats counts the operations and draws the histograms', () => {
    const { code, stdout } = cli('stats', join(FIXTURES, 'small.atrace'));
    expect(code).toBe(0);
    expect(stdout).toContain('small.atrace: 1500 ops (868 malloc, 0 calloc, 82 realloc, 550 free)');
    expect(stdout).toContain('318 blocks never freed');
    expect(stdout).toMatch(/sizes \(bytes\):\n +\d+–\d+ +\d+ +#+/);
    const json = JSON.parse(cli('stats', join(FIXTURES, 'small.trace'), '--json').stdout);
    expect(json).toMatchObject({ ops: 1500, mallocs: 868, reallocs: 82, frees: 550, liveAtEnd: 318, peakLiveBlocks: 355 });
  });

  it('convert round-trips text, binary and gzip', () => {
    const binary = join(tmp, 'x.atrace.gz');
    const text = join(tmp, 'x.trace');
    expect(cli('convert', join(FIXTURES, 'small.trace'), binary).code).toBe(0);
    expect(cli('convert', binary, text).code).toBe(0);
    const original = JSON.parse(cli('stats', join(FIXTURES, 'small.trace'), '--json').stdout);
    const back = JSON.parse(cli('stats', text, '--json').stdout);
    expect({ ...back, file: '' }).toEqual({ ...original, file: '' });
  });
});

const hasCc = spawnSync('cc', ['--version']).status === 0 && process.platform === 'linux';
if (!hasCc) console.warn('cli.test: record skipped, no C compiler (cc) on Linux here');

describe('arenalloc record', () => {
  it('prints the shim source', () => {
    const { code, stdout } = cli('record', '--print-shim');
    expect(code).toBe(0);
    expect(stdout).toContain('void *malloc(size_t size)');
    expect(stdout).toContain('int posix_memalign(');
  });

  it.skipIf(!hasCc)('records a native program with the LD_PRELOAD shim (sort, a real program)', () => {
    const input = join(tmp, 'words.txt');
    writeFileSync(input, Array.from({ length: 2000 }, (_, i) => `line ${(i * 7919) % 2000}`).join('\n'));
    const out = join(tmp, 'sort.trace.gz');
    const { code, stderr } = cli('record', '-o', out, '--', 'sort', '-o', join(tmp, 'sorted.txt'), input);
    expect(code).toBe(0);
    expect(stderr).toMatch(new RegExp(`^recorded \\d+ ops \\(\\d+ slots\\) to ${out.replace(/[.]/g, '\\.')}\n$`));
    const stats = JSON.parse(cli('stats', out, '--json').stdout);
    expect(stats.mallocs).toBeGreaterThan(10);
    expect(stats.frees).toBeGreaterThan(0);
    // The recording replays cleanly through the strategies.
    const doc = JSON.parse(cli('replay', out, '--rounds', '1', '--json', '--strategy', 'heap,tlsf').stdout);
    expect(doc.traces[0].strategies.every((s: { verified: boolean }) => s.verified)).toBe(true);
  });

  it('says what is missing when the command is', () => {
    expect(cli('record', '-o', join(tmp, 'n.trace')).stderr).toBe(
      'arenalloc: record needs a command after --, e.g. arenalloc record -o jq.trace.gz -- jq . file.json\n',
    );
  });
});
