// The property-test harness: a seeded fast-check case is a sequence of steps (commands) applied to
// a world (a heap and whatever layers sit on it, with the model of test/support/model.ts); after
// setup and after every step, every layer's check() runs and then the test's own comparison of
// the world with its model. Every property test of the suite runs through `propertyTest`, so that
// none can forget a check after some step, and a failure says at which step it happened.
import fc from 'fast-check';
import { debugLayerOf } from '../../src/debug/index';
import type { Heap } from '../../src/index';

/** What has a `check()`: a heap, a debug layer, a cycle detector, a buffer pool, a strategy. */
export interface Checkable {
  check(): unknown;
}

/** The layers of a world, each checked after every step by {@link checkLayers}. */
export interface Layers {
  /** Heaps: `check()` on each, and the debug layer's `check()` on a debug heap. */
  heaps?: readonly Heap[];
  /** Anything else with a `check()` (a gc, a pool, a strategy), in order. */
  others?: readonly Checkable[];
  /** The refcount check `rc.checkObjects(holds)`, where the model knows every live object's holds. */
  objects?: () => void;
}

/** Runs every layer's integrity walk: each heap's `check()` (and its debug layer's), the others' `check()`, the object check. */
export function checkLayers(layers: Layers): void {
  for (const heap of layers.heaps ?? []) {
    heap.check();
    debugLayerOf(heap)?.check();
  }
  for (const layer of layers.others ?? []) layer.check();
  layers.objects?.();
}

/** One property test: how to make a world, how to apply a step to it, and what it must agree with after every step. */
export interface PropertySpec<Step, World, Inputs extends unknown[] = []> {
  /** One step; a case is an array of `minSteps..maxSteps` of them. */
  step: fc.Arbitrary<Step>;
  minSteps?: number;
  maxSteps: number;
  /** fast-check's size for the array of steps (its default, 'small', keeps cases short). */
  size?: fc.SizeForArbitrary;
  /** Further inputs drawn for each case, after the steps (a store kind, a quarantine size...), handed to `setup`. */
  inputs?: { [K in keyof Inputs]: fc.Arbitrary<Inputs[K]> };
  /** A fresh world for one case. */
  setup(...inputs: Inputs): World;
  /** Applies one step to the world and to its model. */
  apply(world: World, step: Step): void;
  /** The layers whose check() runs after setup and after every step. */
  layers(world: World): Layers;
  /** The world against its model, after the layers' checks (counters, bytes, liveness). */
  verify?(world: World): void;
  /** After the last step: tear down and check what must hold at the end. */
  finish?(world: World): void;
}

/** How many cases, from which seed. */
export interface Runs {
  seed: number;
  numRuns: number;
}

/** Runs the spec's property: `numRuns` seeded cases, each a sequence of steps with every check after every step. */
export function propertyTest<Step, World, Inputs extends unknown[] = []>(spec: PropertySpec<Step, World, Inputs>, runs: Runs): void {
  const steps = fc.array(spec.step, {
    minLength: spec.minSteps ?? 0,
    maxLength: spec.maxSteps,
    ...(spec.size === undefined ? {} : { size: spec.size }),
  });
  const inputs = (spec.inputs ?? []) as fc.Arbitrary<unknown>[];
  const property = fc.property(steps, ...inputs, (ops: Step[], ...drawn: unknown[]) => {
    runSteps(spec, ops, ...(drawn as Inputs));
  });
  fc.assert(property as fc.IPropertyWithHooks<unknown[]>, { seed: runs.seed, numRuns: runs.numRuns });
}

/** Runs one case of a spec (a sequence the property tests found, kept as a regression). */
export function runSteps<Step, World, Inputs extends unknown[]>(
  spec: PropertySpec<Step, World, Inputs>,
  ops: readonly Step[],
  ...inputs: Inputs
): World {
  const world = spec.setup(...inputs);
  const look = (): void => {
    checkLayers(spec.layers(world));
    spec.verify?.(world);
  };
  at('after setup', look);
  for (const [i, step] of ops.entries()) {
    at(`at step ${i} ${JSON.stringify(step)}`, () => {
      spec.apply(world, step);
      look();
    });
  }
  at('at the end', () => spec.finish?.(world));
  return world;
}

/** Runs `fn`; an error it throws says where in the case it happened. */
function at(where: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith('[')) error.message = `[${where}] ${error.message}`;
    throw error;
  }
}
