#!/usr/bin/env bash
# Crash test of superlicensed with the real binaries: in each of 20 rounds
# (SUPERLICENSE_CRASH_ROUNDS) 16 slctl processes issue sets concurrently over
# TLS while the server is killed with SIGKILL at a random moment.
# After a restart every acknowledged set must be there, versions per
# customer must run 1..N with no gap and no repeat, and the audit chain must
# verify. Then a graceful SIGTERM stop.
#   authority_crash_test.sh BIN_DIR
set -euo pipefail
bin=$(cd "$1" && pwd)
work=$(mktemp -d)
here=$(cd "$(dirname "$0")" && pwd)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill -9 "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- certificates (EC P-256) -------------------------------------------
"$here/../../tools/dev-pki" "$work" alice audrey
cat >principals.json <<'JSON'
{"principals": [
  {"name": "alice", "certificate_common_name": "alice", "roles": ["issuer"],
   "rate_limit_per_minute": 100000},
  {"name": "audrey", "certificate_common_name": "audrey", "roles": ["auditor"]}]}
JSON

# --- keys ----------------------------------------------------------------
export SUPERLICENSE_PASSPHRASE=crash-test
s=ceremony/share
"$bin/slctl" keys root-init --shares 3 --threshold 2 --out ceremony >/dev/null
"$bin/slctl" keys owner-new --owner SUPEROFFICE --keystore sealed:owner.key \
  --out owner.pub.json 2>/dev/null
"$bin/slctl" keys certify --share $s-1-of-3.txt --share $s-2-of-3.txt \
  --owner SUPEROFFICE --public-key owner.pub.json --valid-until 2040-01-01 \
  --out owner.cert >/dev/null
"$bin/slctl" keys trust-bundle --share $s-2-of-3.txt --share $s-3-of-3.txt \
  --out trust.bundle >/dev/null
"$bin/slctl" keys rotate --keyring keyring.json --owner SUPEROFFICE \
  --keystore sealed:owner.key --certificate owner.cert --trust trust.bundle >/dev/null

cat >authority.conf <<'CONF'
listen=127.0.0.1:0
data-dir=data
keyring=keyring.json
trust-bundle=trust.bundle
tls-cert=server.pem
tls-key=server.key
client-ca=ca.pem
principals=principals.json
port-file=port
CONF
start_server() {  # start_server [--config FILE]: flags, or the config file
  rm -f port
  if (($# > 0)); then
    "$bin/superlicensed" "$@" 2>>server.log &
  else
    "$bin/superlicensed" --listen 127.0.0.1:0 --data-dir data \
      --keyring keyring.json --trust-bundle trust.bundle --tls-cert server.pem \
      --tls-key server.key --client-ca ca.pem --principals principals.json \
      --port-file port 2>>server.log &
  fi
  server_pid=$!
  for _ in $(seq 100); do [[ -s port ]] && break; sleep 0.1; done
  [[ -s port ]] || { cat server.log; fail "server did not start"; }
  export SUPERLICENSE_AUTHORITY=127.0.0.1:$(cat port)
}
export SUPERLICENSE_CA=ca.pem SUPERLICENSE_CERT=alice.pem SUPERLICENSE_KEY=alice.key
start_server

serials=()
for company in "Crash A AS" "Crash B AS"; do
  serials+=("$("$bin/slctl" customer create --company "$company" --json |
    grep -o '"serial": "[0-9]*"' | head -1 | cut -d'"' -f4)")
done
echo "customers: ${serials[*]}"

# --plan and --module together: both kinds of grant reach the set.
"$bin/slctl" issue --serial "${serials[0]}" --plan ten-sales-premium=2 \
  --module saint=1 --module user=3 --out both.lic >/dev/null ||
  fail "issue with --plan and --module"
"$bin/slctl" sets show both.lic >both.txt
for want in '"module_name": "saint"' '"module_name": "ten-sales"' '"license_number": 5'; do
  grep -qF -- "$want" both.txt || fail "issued set lacks $want"
done

# --- rounds: 16 concurrent issuers, then SIGKILL, restart, check ----------
issuer() {  # issuer ROUND WORKER: issues until the server is gone
  local serial=${serials[$(($2 % 2))]}
  for i in $(seq 400); do
    out=$("$bin/slctl" issue --serial "$serial" --module user=$((i % 40 + 1)) \
      --timeout 5 2>/dev/null) || return 0
    # "license set SERIAL vN: ..." is printed only after the server answered.
    echo "$out" | grep -o "^license set [0-9]* v[0-9]*" >>"acked-$1-$2.txt"
  done
}
check_store() {  # check_store ROUND: every acknowledged set kept, 1..N
  for serial in "${serials[@]}"; do
    "$bin/slctl" sets list --serial "$serial" | grep -o " v[0-9]*:" | tr -d ' v:' |
      sort -n >"stored-$serial.txt"
    n=$(wc -l <"stored-$serial.txt")
    [[ $(uniq "stored-$serial.txt" | wc -l) -eq $n ]] || fail "round $1, $serial: a version repeats"
    [[ $(tail -1 "stored-$serial.txt") -eq $n ]] || fail "round $1, $serial: versions have a gap"
    cat acked-*.txt 2>/dev/null | grep "license set $serial " | grep -o "v[0-9]*" |
      tr -d v | sort -n >"acked-$serial.sorted" || true
    missing=$(comm -23 <(sort "acked-$serial.sorted") <(sort "stored-$serial.txt") | wc -l)
    ((missing == 0)) || fail "round $1, $serial: $missing acknowledged version(s) lost"
  done
  SUPERLICENSE_CERT=audrey.pem SUPERLICENSE_KEY=audrey.key "$bin/slctl" audit verify \
    >/dev/null || fail "round $1: audit chain does not verify after the crash"
}
rounds=${SUPERLICENSE_CRASH_ROUNDS:-20}
killed_mid_issue=0
for round in $(seq "$rounds"); do
  for w in $(seq 16); do issuer "$round" "$w" & done
  # Kill 0 to 2 s after the first acknowledgement, a different moment each round.
  for _ in $(seq 200); do
    compgen -G "acked-$round-*.txt" >/dev/null && break
    sleep 0.05
  done
  sleep "$((RANDOM % 2)).$((RANDOM % 10))"
  kill -0 "$server_pid" 2>/dev/null || { cat server.log; fail "superlicensed died under load"; }
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  wait  # the issuers stop at their first failed call
  acked=$( (cat acked-"$round"-*.txt 2>/dev/null || true) | wc -l)
  ((acked > 0)) || fail "round $round: no set was acknowledged before the kill"
  ((acked < 16 * 400)) && killed_mid_issue=$((killed_mid_issue + 1))
  # Restart alternately from flags and from the config file.
  if ((round % 2)); then start_server --config authority.conf; else start_server; fi
  check_store "$round"
  echo "round $round: $acked acknowledged this round; stored: $(for s in "${serials[@]}"; do
    echo -n "$s v1..$(wc -l <"stored-$s.txt") "; done)"
done
((killed_mid_issue == rounds)) || fail "only $killed_mid_issue of $rounds kills landed mid-load"
echo "$rounds SIGKILL rounds: no acknowledged set lost, versions 1..N, audit chain intact"

# Issuing continues from the newest version.
next=$("$bin/slctl" issue --serial "${serials[0]}" --module user=1)
expected=$(($(wc -l <"stored-${serials[0]}.txt") + 1))
echo "$next" | grep -q " v$expected:" || fail "next version is not $expected: $next"

# SIGHUP re-reads the keyring (key rotation without a restart).
kill -HUP "$server_pid"
for _ in $(seq 50); do grep -q "signing key reloaded" server.log && break; sleep 0.1; done
grep -q "signing key reloaded" server.log || fail "SIGHUP did not reload the key"
"$bin/slctl" issue --serial "${serials[1]}" --module user=1 >/dev/null ||
  fail "issuing after SIGHUP failed"

# Metered usage: no installation reported this month, and slctl says so.
usage=$("$bin/slctl" usage --serial "${serials[0]}" --month "$(date -u +%Y-%m)") ||
  fail "slctl usage failed"
echo "$usage" | grep -q "no usage report received" || fail "slctl usage: $usage"

# --- graceful stop -------------------------------------------------------
kill -TERM "$server_pid"
wait "$server_pid" || fail "superlicensed exited non-zero on SIGTERM"
server_pid=""
grep -q "stopped" server.log || fail "no clean stop in the log"
echo "authority crash test: passed"
