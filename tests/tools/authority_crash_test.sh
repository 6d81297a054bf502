#!/usr/bin/env bash
# Crash test of superlicensed with the real binaries: 16 slctl processes
# issue sets concurrently over TLS while the server is killed with SIGKILL.
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

# --- 16 concurrent issuers, then SIGKILL ---------------------------------
issuer() {  # issuer WORKER: issues until the server is gone
  local serial=${serials[$(($1 % 2))]}
  for i in $(seq 40); do
    out=$("$bin/slctl" issue --serial "$serial" --module user=$((i + 1)) \
      --timeout 5 2>/dev/null) || return 0
    # "license set SERIAL vN: ..." is printed only after the server answered.
    echo "$out" | grep -o "^license set [0-9]* v[0-9]*" >>"acked-$1.txt"
  done
}
for w in $(seq 16); do issuer "$w" & done
sleep 3
kill -0 "$server_pid" 2>/dev/null || { cat server.log; fail "superlicensed died under load"; }
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
wait  # the issuers stop at their first failed call
acked=$(cat acked-*.txt 2>/dev/null | wc -l)
echo "acknowledged before the kill: $acked"
((acked > 0)) || fail "no set was acknowledged before the kill"

# --- restart (from the config file) and check ----------------------------
start_server --config authority.conf
for serial in "${serials[@]}"; do
  "$bin/slctl" sets list --serial "$serial" | grep -o " v[0-9]*:" | tr -d ' v:' |
    sort -n >"stored-$serial.txt"
  n=$(wc -l <"stored-$serial.txt")
  [[ $(uniq "stored-$serial.txt" | wc -l) -eq $n ]] || fail "$serial: a version repeats"
  [[ $(tail -1 "stored-$serial.txt") -eq $n ]] || fail "$serial: versions have a gap"
  grep -h "license set $serial " acked-*.txt | grep -o "v[0-9]*" | tr -d v |
    sort -n >"acked-$serial.sorted" || true
  missing=0
  while read -r version; do
    grep -qx "$version" "stored-$serial.txt" || missing=$((missing + 1))
  done <"acked-$serial.sorted"
  ((missing == 0)) || fail "$serial: $missing acknowledged version(s) lost"
  echo "$serial: versions 1..$n stored, $(wc -l <"acked-$serial.sorted") acknowledged, none lost"
done
SUPERLICENSE_CERT=audrey.pem SUPERLICENSE_KEY=audrey.key "$bin/slctl" audit verify ||
  fail "audit chain does not verify after the crash"

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
