/**
 * The part of vitest's API the test suite uses, for running it in a browser page without
 * `@vitest/browser`: `describe`/`it` collect tests, `expect` is vitest's own (`@vitest/expect` on
 * chai), `vi.fn`/`vi.spyOn` come from `@vitest/spy`. `scripts/browser-tests.mjs` bundles the test
 * files with `vitest` aliased to this module. An API the suite starts using that is missing here
 * fails loudly (`unsupported in the browser runner`) rather than passing silently.
 */

import {
  ASYMMETRIC_MATCHERS_OBJECT,
  customMatchers,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from '@vitest/expect';
import { fn, isMockFunction, spyOn } from '@vitest/spy';
import * as chai from 'chai';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type Fn = () => unknown;
interface Suite {
  name: string;
  parent: Suite | null;
  skip: boolean;
  beforeEach: Fn[];
  afterEach: Fn[];
  beforeAll: Fn[];
  afterAll: Fn[];
  items: (Suite | Test)[];
}
interface Test {
  name: string;
  fn: Fn | undefined;
  skip: boolean;
  parent: Suite;
}

/** One test's outcome, as the runner reports it. */
export interface Result {
  file: string;
  name: string;
  state: 'pass' | 'fail' | 'skip';
  error?: string;
}

const newSuite = (name: string, parent: Suite | null, skip = false): Suite => ({
  name,
  parent,
  skip,
  beforeEach: [],
  afterEach: [],
  beforeAll: [],
  afterAll: [],
  items: [],
});
const files: { file: string; root: Suite }[] = [];
let current: Suite = newSuite('', null);

/** Starts collecting the tests of a new file (called by the generated entry). */
export function __file(file: string): void {
  current = newSuite(file, null);
  files.push({ file, root: current });
}

/** Records that the current file threw while loading: one failed result for the file. */
export function __loadFailed(error: unknown): void {
  current.items = [];
  current.beforeAll.push(() => {
    throw error;
  });
  current.items.push({ name: '(load)', fn: () => undefined, skip: false, parent: current });
}

function unsupported(name: string): never {
  throw new Error(`${name} is unsupported in the browser runner (test/browser/vitest-shim.ts)`);
}

function format(name: string, args: unknown[]): string {
  let i = 0;
  const out = name.replace(/%[sdifjo%]/g, (m) => (m === '%%' ? '%' : String(args[i++])));
  return out.replace(/\$([\w.]+)/g, (m, path: string) => {
    let value: unknown = args[0];
    for (const key of path.split('.'))
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    return value === undefined ? m : typeof value === 'string' ? `'${value}'` : String(value);
  });
}

function makeDescribe(skip: boolean) {
  return (name: string, body?: () => void): void => {
    const suite = newSuite(String(name), current, skip || current.skip);
    current.items.push(suite);
    const parent = current;
    current = suite;
    try {
      body?.();
    } finally {
      current = parent;
    }
  };
}

function makeTest(skip: boolean) {
  return (name: string, body?: Fn | object, third?: Fn | number | object): void => {
    // vitest also takes (name, options, fn).
    const fn = typeof body === 'function' ? (body as Fn) : typeof third === 'function' ? (third as Fn) : undefined;
    current.items.push({ name: String(name), fn, skip: skip || current.skip || fn === undefined, parent: current });
  };
}

function withEach<T extends (name: string, body: (...a: never[]) => unknown) => void>(base: T) {
  return (cases: readonly unknown[]) => {
    if ('raw' in cases) unsupported('.each with a template table');
    return (name: string, body: (...a: unknown[]) => unknown): void => {
      for (const c of cases) {
        const args = Array.isArray(c) ? c : [c];
        base(format(name, args), (() => body(...args)) as never);
      }
    };
  };
}

type DescribeFn = ReturnType<typeof makeDescribe>;
type TestFn = ReturnType<typeof makeTest>;

function api<F extends DescribeFn | TestFn>(make: (skip: boolean) => F) {
  const run = make(false);
  const skip = make(true);
  return Object.assign(run, {
    skip,
    todo: (name: string) => skip(name),
    only: (..._: unknown[]) => unsupported('.only'),
    concurrent: run,
    sequential: run,
    each: withEach(run as never),
    skipIf: (condition: unknown) => (condition ? skip : run),
    runIf: (condition: unknown) => (condition ? run : skip),
  });
}

export const describe = api(makeDescribe);
export const it = api(makeTest);
export const test = it;
export const suite = describe;

export function beforeEach(f: Fn): void {
  current.beforeEach.push(f);
}
export function afterEach(f: Fn): void {
  current.afterEach.push(f);
}
export function beforeAll(f: Fn): void {
  current.beforeAll.push(f);
}
export function afterAll(f: Fn): void {
  current.afterAll.push(f);
}

function createExpect() {
  const expect = ((value: unknown, message?: string) => {
    const { assertionCalls } = getState(self);
    setState({ assertionCalls: assertionCalls + 1 }, self);
    return chai.expect(value, message);
  }) as unknown as Record<string, unknown> & ((value: unknown, message?: string) => unknown);
  // The state helpers want vitest's ExpectStatic: this object becomes one by the assignments below.
  const self = expect as never;
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
  expect.getState = () => getState(self);
  expect.setState = (state: object) => setState(state, self);
  setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, self);
  expect.extend = (matchers: object) => (chai.expect as unknown as { extend(e: unknown, m: object): void }).extend(expect, matchers);
  expect.soft = expect;
  expect.unreachable = (message?: string) => chai.assert.fail(`expected${message ? ` "${message}" ` : ' '}not to be reached`);
  expect.poll = () => unsupported('expect.poll');
  (expect.extend as (m: object) => void)(customMatchers);
  return expect;
}

export const expect = createExpect() as unknown as typeof import('vitest').expect;

export const vi = {
  fn,
  spyOn,
  isMockFunction,
  restoreAllMocks: () => undefined,
  useFakeTimers: () => unsupported('vi.useFakeTimers'),
  mock: () => unsupported('vi.mock'),
};

export function expectTypeOf(): never {
  return unsupported('expectTypeOf (type tests run under tsc, not in the browser)');
}

export function inject(): never {
  return unsupported('inject');
}

/** Runs every collected test in order and returns one result per test. */
export async function __run(onResult: (r: Result) => void): Promise<Result[]> {
  const results: Result[] = [];
  const report = (r: Result) => {
    results.push(r);
    onResult(r);
  };
  for (const { file, root } of files) await runSuite(file, root, [], report);
  return results;
}

async function runSuite(file: string, suite: Suite, path: string[], report: (r: Result) => void): Promise<void> {
  const names = suite.name === file ? path : [...path, suite.name];
  const tests = (s: Suite): boolean => s.items.some((i) => ('items' in i ? tests(i) : !i.skip));
  const active = tests(suite);
  try {
    if (active) for (const f of suite.beforeAll) await f();
  } catch (error) {
    report({ file, name: [...names, '(beforeAll)'].join(' > '), state: 'fail', error: describeError(error) });
    return;
  }
  for (const item of suite.items) {
    if ('items' in item) {
      await runSuite(file, item, names, report);
      continue;
    }
    const name = [...names, item.name].join(' > ');
    if (item.skip || item.fn === undefined) {
      report({ file, name, state: 'skip' });
      continue;
    }
    const chain: Suite[] = [];
    for (let s: Suite | null = suite; s !== null; s = s.parent) chain.unshift(s);
    try {
      for (const s of chain) for (const f of s.beforeEach) await f();
      try {
        await withTimeout(item.fn, TEST_TIMEOUT);
      } finally {
        for (const s of chain.reverse()) for (const f of s.afterEach) await f();
      }
      report({ file, name, state: 'pass' });
    } catch (error) {
      report({ file, name, state: 'fail', error: describeError(error) });
    }
  }
  try {
    if (active) for (const f of suite.afterAll) await f();
  } catch (error) {
    report({ file, name: [...names, '(afterAll)'].join(' > '), state: 'fail', error: describeError(error) });
  }
}

/** As in vitest.config.ts. */
const TEST_TIMEOUT = 60_000;

async function withTimeout(f: Fn, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      f(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`test timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return String(error);
}
