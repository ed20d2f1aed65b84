#!/usr/bin/env bash
# Instructions per operation of one contender and case, counted by valgrind's callgrind: the
# difference between a run of N operations and a run of none, both after the same warm-up, over N.
# Unlike timings, the count hardly moves with the load of a shared machine (repeatable to ~0.1%
# here); --single-threaded keeps V8's compiler on the main thread so that the JIT does the same
# work each run. Extra node flags go in NODEFLAGS (for example
# NODEFLAGS=--max-inlined-bytecode-size-cumulative=3000). Keep N at a million or more: with 200,000
# the checked reference read 121 instead of 172, part of its compilation falling into the window.
#   npm run build && bash bench/instructions/count.sh heap Ap      # arenalloc, A′
#   bash bench/instructions/count.sh pym Ap                        # the checked reference
#   PAIR=rc-pair.mjs bash bench/instructions/count.sh rc R        # rc hot paths (see rc-pair.mjs)
set -euo pipefail
here=$(dirname "$0")
n=${3:-1000000}
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded ${NODEFLAGS:-} "$here/${PAIR:-pair.mjs}" "$1" "$2" "$3" 2>&1 |
    sed -n 's/.*Collected : //p'
}
c0=$(count "$1" "$2" 0)
c1=$(count "$1" "$2" "$n")
echo "$1 $2: $(((c1 - c0) / n)) instructions/op"
