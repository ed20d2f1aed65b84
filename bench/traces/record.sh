#!/bin/sh
# Re-records the committed traces of real programs (Debian's jq, sqlite3 and python3) with the
# arenalloc LD_PRELOAD shim: `npm run build && sh bench/traces/record.sh`. Needs Linux, glibc, a C
# compiler (cc) and: apt-get install -y jq sqlite3 python3-minimal iso-codes
# Each input is a file of a Debian package, so that a re-recording replays the same work; the
# traces still differ a little between versions of the programs and of glibc.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cli="node $here/../../dist/cli.js"
json=/usr/share/iso-codes/json/iso_3166-2.json

# jq 1.6: group the ISO 3166-2 subdivisions by country and count the types of each.
$cli record --quiet -o "$here/jq-iso3166.atrace.gz" -- \
  jq -c '."3166-2" | group_by(.code[0:2]) | map({country: .[0].code[0:2], n: length, types: (map(.type) | unique)})' "$json" >/dev/null

# sqlite3: load the same subdivisions into a table, index it, and query it (sql in sqlite.sql).
rm -f /tmp/arenalloc-iso.db
$cli record --quiet -o "$here/sqlite3-iso3166.atrace.gz" -- \
  sqlite3 /tmp/arenalloc-iso.db -cmd ".param set :file $json" ".read $here/sqlite.sql" >/dev/null
rm -f /tmp/arenalloc-iso.db

# python3 (Debian's /usr/bin/python3), every object through malloc (PYTHONMALLOC=malloc, no
# pymalloc in front): the standard library's tokenize module over the standard library's own
# textwrap.py, and a JSON round trip of the same subdivisions.
PYTHONMALLOC=malloc PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1 $cli record --quiet -o "$here/python3-tokenize.atrace.gz" -- \
  /usr/bin/python3 -S -m tokenize /usr/lib/python3.11/textwrap.py >/dev/null
PYTHONMALLOC=malloc PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1 $cli record --quiet -o "$here/python3-json.atrace.gz" -- \
  /usr/bin/python3 -S -c "import json,sys; d=json.load(open(sys.argv[1])); print(len(json.dumps(d, indent=1, sort_keys=True)))" "$json" >/dev/null

ls -l "$here"/*.atrace.gz
