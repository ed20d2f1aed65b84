// `npm start`: runs examples/quickstart.mjs against dist/, building first only when dist/ is
// missing or older than a source or build-config file (scripts/fresh-build.mjs; a build takes tens
// of seconds on a busy machine, so a fresh one is reused).
//
//   node scripts/start.mjs [example-file]   (default examples/quickstart.mjs)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { staleBuild } from './fresh-build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const stale = staleBuild(root);
if (stale === undefined) {
  console.log('dist/ is up to date with src/: reusing it (no build)');
} else {
  console.log(`${stale}: building (npm run build)…`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}
const example = process.argv[2] ?? 'examples/quickstart.mjs';
execFileSync(process.execPath, [join(root, example)], { cwd: root, stdio: 'inherit' });
