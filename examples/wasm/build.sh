#!/bin/sh
# Builds word-count.wasm, the C program of examples/wasm-c-program.mjs, with Debian's clang and
# lld (installed with apt-get when missing, as root), and writes its bytes into the example, which
# carries them so that it runs wherever it is copied. The .wasm is committed; run this after
# changing word-count.c (test/docs/examples.test.ts fails until then).
#   --allow-undefined    malloc, calloc, realloc and free become imports from "env"
#   --import-memory      the module uses the memory JavaScript gives it: the heap's
#   --export=__heap_base where the module's data and stack end: the heap goes above
set -eu
cd "$(dirname "$0")"
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null; then
  apt-get update
  apt-get install -y clang lld
fi
clang --target=wasm32 -O2 -nostdlib -fno-builtin -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--allow-undefined -Wl,--import-memory -Wl,--export=__heap_base -Wl,--strip-all \
  -o word-count.wasm word-count.c
bytes=$(base64 -w0 word-count.wasm)
# The line after `const WORD_COUNT_WASM =` holds the bytes.
sed -i "/^const WORD_COUNT_WASM =\$/{n;s|^  '.*';\$|  '$bytes';|}" ../wasm-c-program.mjs
grep -q "$bytes" ../wasm-c-program.mjs
ls -l word-count.wasm
