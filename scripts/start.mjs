// `npm start`: runs examples/quickstart.mjs against dist/, building first only when dist/ is
// missing or older than a source or build-config file (a build takes tens of seconds on a busy
// machine; a fresh one is reused).
//
//   node scripts/start.mjs [example-file]   (default examples/quickstart.mjs)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest modification time (ms) of the files under `dir`, or of the file itself. */
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

const inputs = Math.max(newest(join(root, 'src')), newest(join(root, 'tsup.config.ts')), newest(join(root, 'package.json')));
const built = oldest(join(root, 'dist'));
if (built < inputs || !existsSync(join(root, 'dist/index.js'))) {
  console.log(built < 0 ? 'dist/ is missing: building (npm run build)…' : 'dist/ is older than the sources: rebuilding (npm run build)…');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}
const example = process.argv[2] ?? 'examples/quickstart.mjs';
execFileSync(process.execPath, [join(root, example)], { cwd: root, stdio: 'inherit' });
