#!/bin/sh
# Builds the two WebAssembly modules of test/wasm/ from workload.c with Debian's clang, lld and
# wasi-libc, installing them when they are missing (as root, with apt-get). The .wasm files are
# committed, so tests and CI need no compiler; run this after changing workload.c.
#   workload-imports.wasm  the malloc family imported from JS ("env"), no libc, memory imported
#   workload-shared.wasm   the same over a shared (threads) memory
#   workload-libc.wasm     wasi-libc's own malloc compiled in, memory its own (the benchmark's baseline)
#   list.wasm              the WebAssembly guide's example (list.c)
set -eu
cd "$(dirname "$0")"
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null || [ ! -e /usr/lib/wasm32-wasi/libc.a ] ||
  ! ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1; then
  apt-get update
  apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32
fi
COMMON="--target=wasm32-wasi -O2 -fno-builtin -Wall -Wextra -Werror -Wl,--no-entry -Wl,--export=__heap_base"
# Imports: no libc, memory from JS, data from 1024 up (wasm-ld's default), the stack after it.
clang $COMMON -DARENALLOC_IMPORTS -nostdlib -Wl,--import-memory -Wl,--global-base=1024 \
  -Wl,-z,stack-size=65536 -Wl,--initial-memory=131072 -Wl,--max-memory=268435456 \
  -o workload-imports.wasm workload.c
# The same for a shared memory, as a threaded module has (atomics and bulk memory are needed).
clang $COMMON -DARENALLOC_IMPORTS -nostdlib -matomics -mbulk-memory -Wl,--import-memory -Wl,--shared-memory \
  -Wl,--global-base=1024 -Wl,-z,stack-size=65536 -Wl,--initial-memory=131072 -Wl,--max-memory=268435456 \
  -o workload-shared.wasm workload.c
# Compiled-in malloc: wasi-libc (dlmalloc), no start files, the module's own memory.
clang $COMMON -nostartfiles -Wl,--global-base=1024 -Wl,-z,stack-size=65536 \
  -Wl,--initial-memory=131072 -Wl,--max-memory=268435456 \
  -o workload-libc.wasm workload.c
# The guide's example (docs/guides/webassembly.md shows these bytes; a test compares them).
clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--import-memory -Wl,--export=__heap_base -o list.wasm list.c
ls -l list.wasm workload-imports.wasm workload-shared.wasm workload-libc.wasm
