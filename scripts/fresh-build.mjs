// Whether dist/ is a build of the current sources: used by `npm start` (scripts/start.mjs) to reuse
// a fresh build instead of rebuilding (a build takes tens of seconds on a busy machine).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time (ms) of the files under `path`, or of the file itself; -1 if absent. */
function newest(path) {
  if (!existsSync(path)) return -1;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), -1);
}

/** The oldest modification time (ms) of the files directly in `dir`; -1 when it is empty or absent. */
function oldest(dir) {
  if (!existsSync(dir)) return -1;
  const times = readdirSync(dir).map((name) => statSync(join(dir, name)).mtimeMs);
  return times.length === 0 ? -1 : Math.min(...times);
}

/**
 * Why `root`'s dist/ must be (re)built, or `undefined` when it is fresh: it holds `index.js` and
 * every file in it is at least as new as every file under src/, tsup.config.ts and package.json.
 */
export function staleBuild(root) {
  const built = oldest(join(root, 'dist'));
  if (built < 0 || !existsSync(join(root, 'dist/index.js'))) return 'dist/ is missing';
  const inputs = Math.max(newest(join(root, 'src')), newest(join(root, 'tsup.config.ts')), newest(join(root, 'package.json')));
  return built < inputs ? 'dist/ is older than the sources' : undefined;
}
