#!/bin/sh
# Builds floor.wasm (the module-boundary floor of the wasm benchmark) from floor.c with Debian's
# clang and lld, installing them when missing (as root). The .wasm is committed.
set -eu
cd "$(dirname "$0")"
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null; then
  apt-get update
  apt-get install -y clang lld
fi
clang --target=wasm32 -O2 -nostdlib -fno-builtin -mbulk-memory -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--import-memory -Wl,-z,stack-size=0 -Wl,--initial-memory=65536 -Wl,--strip-all \
  -o floor.wasm floor.c
ls -l floor.wasm
