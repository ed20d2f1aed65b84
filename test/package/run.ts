/**
 * Child processes for the package tests, awaited rather than run with execFileSync: a worker
 * blocked in a synchronous child for over a minute (tsc or Chromium on a busy machine) cannot read
 * Vitest's replies, and Vitest then fails the run with `Timeout calling "onTaskUpdate"` though
 * every test passed (seen once in CI, in the package tests, with the machine at load 13).
 */
import { execFile } from 'node:child_process';

/** Runs `file` with `args` in `cwd` and resolves to its stdout; rejects with its output on failure. */
export function run(file: string, args: string[], cwd: string, timeout = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd, encoding: 'utf8', timeout, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed:\n${stdout}${stderr}${error.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(); // as with stdio 'ignore': nothing to read
  });
}
