import { describe, expect, it } from 'vitest';
import { createHeap, InvalidArgumentError } from '../../src/index';
import {
  type Allocator,
  createReplayLoop,
  createStrategy,
  encodeTrace,
  formatTrace,
  isBinaryTrace,
  parseTrace,
  recordTrace,
  replayAll,
  STRATEGY_NAMES,
  TraceFormatError,
  TraceOp,
} from '../../src/strategies/index';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('the text form', () => {
  it('turns IDs into dense slots, reusing a freed one', () => {
    const trace = parseTrace(bytes('# a comment\na 0x10 100\n\nc 0x20 8 # calloc\nf 0x10\na 0x10 5\nr 0x20 300\nf 0x20\nf 0x10\n'));
    expect(trace.length).toBe(7);
    expect([...trace.ops]).toEqual([
      TraceOp.MALLOC,
      TraceOp.CALLOC,
      TraceOp.FREE,
      TraceOp.MALLOC,
      TraceOp.REALLOC,
      TraceOp.FREE,
      TraceOp.FREE,
    ]);
    expect([...trace.slots]).toEqual([0, 1, 0, 0, 1, 1, 0]);
    expect([...trace.sizes]).toEqual([100, 8, 0, 5, 300, 0, 0]);
    expect(trace.slotCount).toBe(2);
  });

  it.each([
    ['a 1\n', 1, 'a takes an ID and a size'],
    ['a 1 10\nx 1 2\n', 2, 'unknown operation "x"'],
    ['a 1 10\n\nf 2\n', 3, 'free of block 2, which is not live'],
    ['a 1 10\na 1 10\n', 2, 'allocated again while it is live'],
    ['a 1 -4\n', 1, 'size "-4" is not an integer'],
    ['r 9 10\n', 1, 'realloc of block 9, which is not live'],
    ['f 1 2\n', 1, 'f takes an ID'],
  ])('names the file and line of a bad line: %j', (text, line, message) => {
    let error: unknown;
    try {
      parseTrace(bytes(text), 'x.trace');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TraceFormatError);
    expect((error as TraceFormatError).line).toBe(line);
    expect((error as Error).message).toContain(`x.trace:${line}: `);
    expect((error as Error).message).toContain(message);
    expect((error as TraceFormatError).code).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('the binary form', () => {
  it('round-trips a trace, and its text form re-parses to the same operations', () => {
    const text = 'a 1 100\na 2 70000\nr 1 2000000\nf 2\nc 3 0\nf 1\nf 3\n';
    const trace = parseTrace(bytes(text));
    const binary = encodeTrace(trace);
    expect(isBinaryTrace(binary)).toBe(true);
    const back = parseTrace(binary);
    expect(back).toEqual(trace);
    expect(parseTrace(bytes(formatTrace(back)))).toEqual(trace);
  });

  it('refuses a truncated or inconsistent file with the operation number', () => {
    const binary = encodeTrace(parseTrace(bytes('a 1 100\nf 1\n')));
    expect(() => parseTrace(binary.subarray(0, binary.length - 1), 'b.atrace')).toThrow(/^b\.atrace:2: truncated/);
    const doubled = encodeTrace(parseTrace(bytes('a 1 100\nf 1\n')));
    doubled[doubled.length - 2] = TraceOp.MALLOC; // the free becomes a second malloc of a live slot... of a 0-byte size
    expect(() => parseTrace(doubled, 'b.atrace')).toThrow(TraceFormatError);
  });
});

describe('recordTrace', () => {
  it('refuses what is not a heap with a typed error', () => {
    // Before: a TypeError from deep inside the hook installation.
    for (const bad of [null, undefined, 42, {}, 'heap']) {
      let error: unknown;
      try {
        recordTrace(bad as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('records what a heap is asked, through its hooks, until stopped', () => {
    const heap = createHeap();
    const before = heap.malloc(10); // live before recording: not in the trace
    const recorder = recordTrace(heap);
    const p = heap.malloc(100);
    const q = heap.calloc(4, 8);
    const p2 = heap.realloc(p, 5000);
    heap.free(q);
    heap.free(before);
    heap.free(p2);
    const trace = recorder.stop();
    heap.free(heap.malloc(1)); // after stop: not recorded
    expect(formatTrace(trace)).toBe('a 0 100\na 1 32\nr 0 5000\nf 1\nf 0\n');
    expect(heap._hooks).toBe(null);
  });
});

/** An allocator that hands out overlapping blocks: every replay must notice. */
function overlapping(): Allocator {
  const real = createStrategy('first-fit');
  let last = 0;
  return {
    ...real,
    name: 'broken',
    malloc: (size) => {
      const p = real.malloc(size);
      const shared = last === 0 ? p : last;
      last = p;
      return shared;
    },
    free: () => {},
    realloc: (p) => p,
    usableSize: () => 1 << 20,
    bytes: (p, n) => real.bytes(p, n),
    footprint: () => real.footprint(),
    freeBytes: () => real.freeBytes(),
    check: () => {},
  };
}

describe('replayAll', () => {
  const trace = parseTrace(bytes('a 1 100\na 2 40\nf 1\na 3 3000\nr 2 400\nf 3\nf 2\n'));

  it('runs every strategy, verified, with the figures the JSON report shows', () => {
    const result = replayAll(trace, STRATEGY_NAMES, { rounds: 3, samples: 10 });
    expect(result.ops).toBe(7);
    expect(result.peakLiveBytes).toBe(3400); // after r 2 400: blocks of 3000 and 400 bytes
    expect(result.peakLiveBlocks).toBe(2);
    expect(result.strategies.map((s) => s.name)).toEqual([...STRATEGY_NAMES]);
    for (const s of result.strategies) {
      expect(s.error).toBeUndefined();
      expect(s.verified).toBe(true);
      expect(s.roundsNsPerOp).toHaveLength(3);
      expect(s.nsPerOp).toBeGreaterThan(0);
      expect(s.footprintRatio).toBeCloseTo(s.peakFootprint / 3400);
      expect(s.internalFragmentation).toBeGreaterThanOrEqual(0);
      expect(s.curve.op.at(-1)).toBe(7);
      expect(s.curve.live.at(-1)).toBe(0);
    }
    const buddy = result.strategies.find((s) => s.name === 'buddy');
    // At the peak: buddy blocks of 4096 and 512 bytes, each less its 16-byte header.
    expect(buddy?.internalFragmentation).toBe(4080 - 3000 + (496 - 400));
    expect(result.strategies.find((s) => s.name === 'uint8array')?.internalFragmentation).toBe(0);
  });

  it('catches a strategy that hands out overlapping blocks, and still runs the others', () => {
    const result = replayAll(trace, [{ name: 'broken', create: overlapping }, 'tlsf'], { rounds: 1 });
    const [broken, tlsf] = result.strategies;
    expect(broken?.verified).toBe(false);
    expect(broken?.error).toMatch(/byte of block \d changed/);
    expect(Number.isNaN(broken?.nsPerOp)).toBe(true);
    expect(tlsf?.verified).toBe(true);
  });

  it('gives a strategy that runs out of memory an error, and the others go on', () => {
    const churn = parseTrace(bytes(Array.from({ length: 400 }, () => 'a 1 60000\nf 1\n').join('')));
    const result = replayAll(churn, ['bump', 'tlsf'], { rounds: 1 }, { initialBytes: 1 << 16, maxBytes: 4 << 20 });
    expect(result.strategies[0]?.error).toMatch(/bump: out of memory/);
    expect(result.strategies[1]?.verified).toBe(true);
  });
});

describe('createReplayLoop', () => {
  it('compiles each loop from a source text of its own, so that loops share no type feedback', () => {
    // V8 caches code by source text; two loops of one text shared their feedback, and a no-op
    // allocator's loop ran 4x slower after the strategies had run through theirs.
    const a = createReplayLoop();
    const b = createReplayLoop();
    expect(a).not.toBe(b);
    expect(a.toString()).not.toBe(b.toString());
  });
});
