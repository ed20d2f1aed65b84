/**
 * The command line's own error: a one-line message for the user, printed without a stack.
 *
 * @internal
 * @module
 */

import { InvalidArgumentError } from '../errors';

/** A problem with the command line or a file it was given. @internal */
export class CliError extends InvalidArgumentError {}
