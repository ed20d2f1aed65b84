#!/usr/bin/env node
/**
 * The `arenalloc` executable (`bin` in package.json): see `run.ts`.
 *
 * @internal
 * @module
 */

import { run } from './run';

process.exitCode = run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
});
