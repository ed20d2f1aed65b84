/**
 * The strategies by name, for code that picks one from a string (the command line, a bench).
 *
 * @module
 */

import { InvalidArgumentError } from '../errors';
import { type Allocator, STRATEGY_NAMES, type StrategyName, type StrategyOptions } from './allocator';
import { createBuddy } from './buddy';
import { createBump } from './bump';
import { createFirstFit } from './first-fit';
import { createHeapStrategy } from './heap';
import { createSegregated } from './segregated';
import { createTlsf } from './tlsf';
import { createUint8ArrayStrategy } from './uint8array';

/**
 * Creates the strategy called `name` (see {@link StrategyName}), each over a buffer of its own.
 *
 * @param name - `bump`, `buddy`, `first-fit`, `segregated`, `tlsf`, `heap` or `uint8array`
 * @param options - the buffer's initial and largest size (ignored by `uint8array`)
 * @throws InvalidArgumentError for an unknown name
 * @example
 * ```ts
 * import { createStrategy, STRATEGY_NAMES } from 'arenalloc/strategies';
 * for (const name of STRATEGY_NAMES) {
 *   const a = createStrategy(name);
 *   a.free(a.realloc(a.malloc(10), 1000));
 *   a.check();
 * }
 * ```
 */
export function createStrategy(name: StrategyName, options: StrategyOptions = {}): Allocator {
  switch (name) {
    case 'bump':
      return createBump(options);
    case 'buddy':
      return createBuddy(options);
    case 'first-fit':
      return createFirstFit(options);
    case 'segregated':
      return createSegregated(options);
    case 'tlsf':
      return createTlsf(options);
    case 'heap':
      return createHeapStrategy(options);
    case 'uint8array':
      return createUint8ArrayStrategy();
    default:
      throw new InvalidArgumentError(`unknown strategy ${JSON.stringify(name)}: expected one of ${STRATEGY_NAMES.join(', ')}`);
  }
}
