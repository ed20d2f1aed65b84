#!/usr/bin/env bash
# Instructions per unit of the wasm suite (test/wasm/workload.c, 20,000 words, with one malloc
# or another), counted by valgrind's callgrind as bench/instructions/count.sh counts them: a run
# of N units minus a run of none, both after the same warm-up, over N. Load-independent where
# timings are not. --single-threaded keeps V8's compilers on the main thread, so that the
# count includes the same compilation work each run (and none of it falls between the two).
#   npm run build && bash bench/wasm.instructions.sh            # all four contenders, N=20
#   bash bench/wasm.instructions.sh fast 40                     # one contender
set -euo pipefail
here=$(dirname "$0")
n=${2:-20}
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded "$here/wasm.instructions.mjs" "$1" "$2" 2>&1 |
    sed -n 's/.*Collected : //p'
}
for contender in ${1:-libc fast js floor}; do
  c0=$(count "$contender" 0)
  c1=$(count "$contender" "$n")
  echo "$contender: $(((c1 - c0) / n)) instructions/unit"
done
