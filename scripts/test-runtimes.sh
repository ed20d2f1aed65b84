#!/usr/bin/env bash
# The test suite on the other runtimes users run, each a binary from an npm package pinned in
# scripts/runtimes/package.json (installed by scripts/install-runtimes.sh with `npm ci`; nothing is
# downloaded otherwise):
#
#   Node 22, 24, 26   the suite (vitest, as `npm test` runs it on Node 20), less the files that
#                     test no engine behaviour: the benchmark baselines' smoke test and the docs'
#                     type-check (tsc output does not depend on the Node that runs it)
#   Bun, Deno         the examples, then the portable tests of the layers' folders named in
#                     test/support/portable.json (the files the browser suite runs: no node:*
#                     imports, no @browser-skip)
#
# test/integration/runtime.test.ts checks, in each run, that it runs on the runtime named in EXPECT_RUNTIME.
# Two test files at a time (vitest's default on 2 cores is one, which leaves a core idle).
# Usage: bash scripts/test-runtimes.sh [node22|node24|node26|bun|deno ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
RT=scripts/runtimes/node_modules
step() { printf '\n── %s ── %s\n' "$1" "$(date -u +%H:%M:%S)"; }

bash scripts/install-runtimes.sh

portable() {
  local folder f
  for folder in $(node -p "require('./test/support/portable.json').join(' ')"); do
    for f in "test/$folder"/*.test.ts; do
      grep -qE '^\s*// @browser-skip|from .node:|require\(.node:' "$f" || [ "$f" = test/bench/smoke.test.ts ] || echo "$f"
    done
  done
}

run_node() { # name, binary
  step "$1: $("$2" --version), the suite"
  EXPECT_RUNTIME="$1" "$2" node_modules/vitest/vitest.mjs run --maxWorkers=2 --exclude test/bench/smoke.test.ts \
    --exclude 'test/package/**' --exclude 'test/browser/**' --exclude '**/node_modules/**' \
    --testNamePattern '^(?!.*type-check against the sources)'
}

run_other() { # name, command...
  local name="$1"
  shift
  step "$name: $("$@" --version | head -1), the examples"
  for example in examples/*.mjs; do
    echo "$name $example"
    "$@" "$example" > /dev/null
  done
  step "$name: the portable tests"
  # shellcheck disable=SC2046
  EXPECT_RUNTIME="$name" "$@" node_modules/vitest/vitest.mjs run --maxWorkers=2 $(portable) test/integration/runtime.test.ts ${SKIP_PATTERN:+--testNamePattern "$SKIP_PATTERN"}
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(node22 node24 node26 bun deno)
[ -d dist ] || npm run build --silent # the examples import 'arenalloc', which resolves to dist/
for target in "${targets[@]}"; do
  case "$target" in
    node22 | node24 | node26) run_node "$target" "$RT/$target/bin/node" ;;
    # JavaScriptCore has proper tail calls in strict code: a frame that ends in `return f()` is not
    # on the stack, so an allocation site is the nearest frame that is not a tail call. One test
    # expects the tail-calling line itself; it is left out under Bun (docs/guides/profiling.md).
    bun) SKIP_PATTERN='^(?!.*measures several heaps at once, nests)' run_other bun "$RT/@oven/bun-linux-x64/bin/bun" ;;
    deno) run_other deno "$RT/@deno/linux-x64-glibc/deno" run -A ;;
    *) echo "unknown runtime $target (node22, node24, node26, bun, deno)" >&2; exit 2 ;;
  esac
done
