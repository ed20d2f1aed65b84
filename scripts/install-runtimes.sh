#!/usr/bin/env bash
# Installs the runtimes CI tests on (Node 22, 24, 26, Bun, Deno: binaries inside the npm packages
# pinned in scripts/runtimes/package.json) with `npm ci`, unless each package is already there at
# its pinned version. scripts/test-runtimes.sh runs it first; .ci/run runs it beside the build.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! node -e '
  const dir = "scripts/runtimes";
  const wanted = require(`./${dir}/package.json`).devDependencies;
  for (const [name, spec] of Object.entries(wanted)) {
    const version = spec.replace(/^npm:.*@/, "");
    try { if (require(`./${dir}/node_modules/${name}/package.json`).version !== version) process.exit(1); } catch { process.exit(1); }
  }' 2>/dev/null; then
  echo "install runtimes (npm ci in scripts/runtimes)"
  npm ci --prefix scripts/runtimes --no-audit --no-fund
else
  echo "runtimes already installed at their pinned versions"
fi
