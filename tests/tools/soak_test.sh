#!/usr/bin/env bash
# Soak test of superlicensed with the real binaries: loadgen's mix (issue
# and not-modified fetches) at a bounded rate for SOAK_SECONDS (default 60;
# run SOAK_SECONDS=600 before a release) while the server's resident set is
# sampled every 5 s. Passes when no call failed, the server is still alive,
# and memory is flat: the last sample is at most 1.1 x the sample taken 10 s
# into the load plus 16 MiB. The server's resident set is 240 to 300 MiB
# before any load, so a ratio alone would hide a leak; the steady growth seen
# is under 0.2 MiB a minute (RocksDB memtables take the issued sets), while
# 40 MiB over the 60 s default is about 3 KiB leaked per call (a context or
# a response), and over 10 minutes about 700 bytes per call. Runs longer than
# 5 minutes get 38 MiB more: the credential cache expires after 5 minutes,
# and re-verifying credentials with Argon2id (19 MiB each, two at a time on
# two cores) can leave that much in glibc's per-thread arenas, once.
# See docs/PERFORMANCE.md, "Soak".
#   soak_test.sh BIN_DIR
# SOAK_RATE (calls/s, default 200), SOAK_FETCHES_PER_ISSUE (default 49),
# SOAK_INSTALLATIONS (default 32), SOAK_RSS_FILE (where the series goes;
# default inside the temporary directory).
set -euo pipefail
bin=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
seconds=${SOAK_SECONDS:-60}
rate=${SOAK_RATE:-200}
fetches_per_issue=${SOAK_FETCHES_PER_ISSUE:-49}
installations=${SOAK_INSTALLATIONS:-32}
warmup=10         # seconds of load before the baseline sample
interval=5        # seconds between samples
work=$(mktemp -d)
rss_file=${SOAK_RSS_FILE:-$work/rss.tsv}
loadgen_pid=""
# shellcheck source=tools/loadgen-setup.sh
source "$here/../../tools/loadgen-setup.sh"
cleanup() {
  if [[ -n $loadgen_pid ]]; then kill "$loadgen_pid" 2>/dev/null || true; fi
  load_stop
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

load_setup "$bin" "$work/authority" "$installations"
pid=$LOAD_SERVER_PID
echo "superlicensed pid $pid on $LOAD_AUTHORITY; mix at $rate calls/s" \
  "($fetches_per_issue fetches per issue) for $seconds s"

"$bin/loadgen" mix --serial "$LOAD_ISSUE_SERIAL" \
  --credentials-file "$LOAD_CREDENTIALS" --fetches-per-issue "$fetches_per_issue" \
  --rate "$rate" --concurrency 8 --warmup 0 --duration "$seconds" \
  >"$work/loadgen.txt" 2>"$work/loadgen.err" &
loadgen_pid=$!

printf 'seconds\trss_kib\n' >"$rss_file"
start=$SECONDS
load_start=""  # when loadgen's first progress line came (set-up calls done)
while kill -0 "$loadgen_pid" 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || fail "superlicensed died under load"
  printf '%d\t%s\n' $((SECONDS - start)) "$(load_rss_kib "$pid")" >>"$rss_file"
  if [[ -z $load_start ]] && grep -q "calls" "$work/loadgen.err"; then
    load_start=$((SECONDS - start))
  fi
  next=$((SECONDS - start + interval))
  while ((SECONDS - start < next)) && kill -0 "$loadgen_pid" 2>/dev/null; do
    sleep 0.2
  done
done
wait "$loadgen_pid" && loadgen_ok=1 || loadgen_ok=0
loadgen_pid=""
kill -0 "$pid" 2>/dev/null || fail "superlicensed died under load"
printf '%d\t%s\n' $((SECONDS - start)) "$(load_rss_kib "$pid")" >>"$rss_file"

echo "RSS of superlicensed (KiB):"
column -t "$rss_file" 2>/dev/null || cat "$rss_file"
cat "$work/loadgen.txt"
((loadgen_ok)) || { cat "$work/loadgen.err"; fail "calls failed during the soak"; }
grep -q "^errors: none" "$work/loadgen.txt" || fail "loadgen reported errors"

# Baseline: the first sample $warmup s after the load began; end: the last.
baseline=$(awk -v w="$((${load_start:-0} + warmup))" \
  'NR > 1 && $1 >= w {print $2; exit}' "$rss_file")
end=$(tail -1 "$rss_file" | cut -f2)
[[ -n $baseline ]] || fail "no sample after the $warmup s warm-up"
slack=16384
((seconds <= 300)) || slack=$((slack + 2 * 19456))
limit=$((baseline * 11 / 10 + slack))
echo "load began at ${load_start:-0} s; RSS after warm-up ${baseline} KiB," \
  "at the end ${end} KiB, limit ${limit} KiB (1.1 x + $((slack / 1024)) MiB)"
((end <= limit)) || fail "RSS grew from $baseline to $end KiB (limit $limit)"
echo "soak test: passed ($seconds s, no failed call, RSS flat)"
