#!/usr/bin/env bash
# store_bulk_load and store_fetch_probe (tools/loadgen-scale's tools) on a
# real authority's store: a store filled with 500 sets, then probed. Passes
# when the probe's first pass reads data blocks from the files and its
# second reads none (the small store is then cached), and when bad input is
# refused with exit 1 and a message naming it. (Which blocks a lookup reads
# is tested in store_test: RocksStoreTest.FetchFamiliesSkipFiltersOthersKeepThem.)
#   store_fetch_probe_test.sh BIN_DIR
set -euo pipefail
bin=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
# shellcheck source=tools/loadgen-setup.sh
source "$here/../../tools/loadgen-setup.sh"
cleanup() {
  load_stop
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

load_setup "$bin" "$work" 1
load_stop
"$bin/store_bulk_load" --data-dir "$work/data" \
  --template "$work/installation-1.credential" --sets 500 \
  --credentials-out "$work/spread.txt" --credential-customers 50 \
  2>"$work/bulk.log" || { cat "$work/bulk.log" >&2; fail "store_bulk_load"; }
[[ $(wc -l <"$work/spread.txt") -eq 50 ]] || fail "expected 50 credentials"

out=$("$bin/store_fetch_probe" --data-dir "$work/data" \
  --credentials "$work/spread.txt" --passes 2)
echo "$out"
grep -q "^50 customers, block cache 64 MiB" <<<"$out" || fail "no header"
# column 2: the lookup, column 8: data blocks read from the files
rows=$(awk -F'|' '$2 ~ /newest version|set/' <<<"$out")
[[ $(wc -l <<<"$rows") -eq 4 ]] || fail "expected 2 rows in each of 2 passes"
awk -F'|' 'NR <= 2 && $8 + 0 == 0 {exit 1}' <<<"$rows" ||
  fail "the first pass read no data block from the files"
awk -F'|' 'NR > 2 && $8 + 0 != 0 {exit 1}' <<<"$rows" ||
  fail "the second pass read data blocks, not the cache"

expect_error() {  # expect_error TEXT ARGS...: exit 1 with TEXT on stderr
  local text=$1 err rc=0
  shift
  err=$("$bin/store_fetch_probe" "$@" 2>&1 >/dev/null) || rc=$?
  [[ $rc -ne 0 ]] || fail "accepted: $*"
  grep -qF -- "$text" <<<"$err" || fail "$*: expected \"$text\", got: $err"
}
echo "not a credential" >"$work/bad.txt"
expect_error "bad.txt line 1: not an installation credential" \
  --data-dir "$work/data" --credentials "$work/bad.txt"
echo "9999999.secret" >"$work/unknown.txt"
expect_error "9999999 has no set of SUPEROFFICE" \
  --data-dir "$work/data" --credentials "$work/unknown.txt"
expect_error "--data-dir" --data-dir "$work/missing" \
  --credentials "$work/spread.txt"
: >"$work/empty.txt"
expect_error "empty.txt: no credential" \
  --data-dir "$work/data" --credentials "$work/empty.txt"
echo "PASS"
