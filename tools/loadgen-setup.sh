# shellcheck shell=bash
# Sourced by tools/loadgen-run and tests/tools/soak_test.sh: sets up an
# authority for load runs in a fresh directory with the real binaries.
#   source tools/loadgen-setup.sh
#   load_setup BIN_DIR WORK_DIR INSTALLATIONS   # PKI, keys, principals, start
#   load_start_echo                             # echo_server, same TLS
#   load_start_server                           # superlicensed again
#   load_stop                                   # SIGTERM, then SIGKILL
# After load_setup (all paths absolute):
#   LOAD_BIN LOAD_WORK LOAD_SERVER_PID LOAD_AUTHORITY (127.0.0.1:PORT)
#   LOAD_ISSUE_SERIAL  a customer the issue workload issues for
#   LOAD_CREDENTIALS   file of INSTALLATIONS credentials, each customer with
#                      one issued set (fetch-full has something to return)
#   SUPERLICENSE_CA/_CERT/_KEY exported: the issuer "loader" (mTLS)
# and after load_start_echo: LOAD_ECHO_PID LOAD_ECHO_TARGET.
# The authority runs with --installation-rate-limit 100000000 (the default
# is 600 calls a minute), and the issuer's limit is raised in
# principals.json, so the limits never shape the load.

load_fail() { echo "FAIL: $*" >&2; exit 1; }

# load_wait_port FILE LOG: waits up to LOAD_START_SECONDS (default 10) for a
# server's port file.
load_wait_port() {
  for _ in $(seq $((${LOAD_START_SECONDS:-10} * 10))); do
    [[ -s $1 ]] && return 0
    sleep 0.1
  done
  cat "$2" >&2
  load_fail "server did not start (no $1)"
}

load_setup() {
  LOAD_BIN=$(cd "$1" && pwd)
  mkdir -p "$2"
  LOAD_WORK=$(cd "$2" && pwd)
  local installations=$3 here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  (
    cd "$LOAD_WORK" || exit 1
    "$here/dev-pki" "$LOAD_WORK" loader >/dev/null
    cat >principals.json <<'JSON'
{"principals": [
  {"name": "loader", "certificate_common_name": "loader", "roles": ["issuer"],
   "rate_limit_per_minute": 100000000}]}
JSON
    export SUPERLICENSE_PASSPHRASE=load-test
    local s=ceremony/share slctl=$LOAD_BIN/slctl
    "$slctl" keys root-init --shares 3 --threshold 2 --out ceremony >/dev/null
    "$slctl" keys owner-new --owner SUPEROFFICE --keystore sealed:owner.key \
      --out owner.pub.json 2>/dev/null
    "$slctl" keys certify --share $s-1-of-3.txt --share $s-2-of-3.txt \
      --owner SUPEROFFICE --public-key owner.pub.json \
      --valid-until 2040-01-01 --out owner.cert >/dev/null
    "$slctl" keys trust-bundle --share $s-2-of-3.txt --share $s-3-of-3.txt \
      --out trust.bundle >/dev/null
    "$slctl" keys rotate --keyring keyring.json --owner SUPEROFFICE \
      --keystore sealed:owner.key --certificate owner.cert \
      --trust trust.bundle >/dev/null
  ) || load_fail "key and PKI set-up"
  load_start_server
  export SUPERLICENSE_AUTHORITY=$LOAD_AUTHORITY
  export SUPERLICENSE_CA=$LOAD_WORK/ca.pem
  export SUPERLICENSE_CERT=$LOAD_WORK/loader.pem
  export SUPERLICENSE_KEY=$LOAD_WORK/loader.key
  load_customers "$installations"
}

# load_start_server: starts superlicensed on LOAD_WORK (again, after
# load_stop), with any flags in the array LOAD_SERVER_FLAGS, and sets
# LOAD_SERVER_PID and LOAD_AUTHORITY. Both servers run under the command in
# the array LOAD_WRAPPER when it is set (e.g. valgrind).
load_start_server() {
  rm -f "$LOAD_WORK/authority.port"
  # The keyring names its keystore relative to the working directory.
  (cd "$LOAD_WORK" && SUPERLICENSE_PASSPHRASE=load-test exec \
    ${LOAD_WRAPPER[@]+"${LOAD_WRAPPER[@]}"} "$LOAD_BIN/superlicensed" \
    --listen 127.0.0.1:0 --data-dir "$LOAD_WORK/data" \
    --keyring "$LOAD_WORK/keyring.json" --trust-bundle "$LOAD_WORK/trust.bundle" \
    --tls-cert "$LOAD_WORK/server.pem" --tls-key "$LOAD_WORK/server.key" \
    --client-ca "$LOAD_WORK/ca.pem" --principals "$LOAD_WORK/principals.json" \
    --installation-rate-limit 100000000 --port-file "$LOAD_WORK/authority.port" \
    ${LOAD_SERVER_FLAGS[@]+"${LOAD_SERVER_FLAGS[@]}"} \
    2>>"$LOAD_WORK/authority.log") &
  LOAD_SERVER_PID=$!
  load_wait_port "$LOAD_WORK/authority.port" "$LOAD_WORK/authority.log"
  LOAD_AUTHORITY=127.0.0.1:$(cat "$LOAD_WORK/authority.port")
}

# load_installation I: customer I with its credential in installation-I.credential
# and one set as the demo's (a plan, modules, dates, metered services).
load_installation() {
  local slctl=$LOAD_BIN/slctl credential=$LOAD_WORK/installation-$1.credential
  "$slctl" customer create --company "Load Installation $1 AS" \
    --credential-out "$credential" >/dev/null || return 1
  "$slctl" issue --serial "$(cut -d. -f1 "$credential")" \
    --plan ten-sales-premium=10 --module user=5 --module web=5 \
    --module saint=1 --module quote=1 --module quote-cal=3 \
    --expires 2029-01-01 --grace-to 2029-02-01 \
    --metered storage=10737418240+1073741824 \
    --metered mailing_emails=10000+500 >/dev/null
}

# load_customers N: the issue customer and N installations, four at a time.
load_customers() {
  local i pids=()
  LOAD_ISSUE_SERIAL=$("$LOAD_BIN/slctl" customer create --company "Load Issue AS" \
    --json | grep -o '"serial": "[0-9]*"' | head -1 | cut -d'"' -f4)
  [[ -n $LOAD_ISSUE_SERIAL ]] || load_fail "customer create"
  for i in $(seq "$1"); do
    load_installation "$i" &
    pids+=($!)
    if ((${#pids[@]} == 4)); then wait "${pids[@]}"; pids=(); fi
  done
  ((${#pids[@]} == 0)) || wait "${pids[@]}"
  LOAD_CREDENTIALS=$LOAD_WORK/credentials.txt
  : >"$LOAD_CREDENTIALS"
  for i in $(seq "$1"); do
    [[ -s $LOAD_WORK/installation-$i.credential ]] ||
      load_fail "installation $i was not set up"
    cat "$LOAD_WORK/installation-$i.credential" >>"$LOAD_CREDENTIALS"
    echo >>"$LOAD_CREDENTIALS"
  done
}

# load_start_echo: echo_server with any flags in the array LOAD_ECHO_FLAGS.
load_start_echo() {
  rm -f "$LOAD_WORK/echo.port"
  ${LOAD_WRAPPER[@]+"${LOAD_WRAPPER[@]}"} "$LOAD_BIN/echo_server" \
    --listen 127.0.0.1:0 ${LOAD_ECHO_FLAGS[@]+"${LOAD_ECHO_FLAGS[@]}"} \
    --tls-cert "$LOAD_WORK/server.pem" --tls-key "$LOAD_WORK/server.key" \
    --client-ca "$LOAD_WORK/ca.pem" --port-file "$LOAD_WORK/echo.port" \
    2>>"$LOAD_WORK/echo.log" &
  LOAD_ECHO_PID=$!
  load_wait_port "$LOAD_WORK/echo.port" "$LOAD_WORK/echo.log"
  # shellcheck disable=SC2034  # used by the scripts that source this one
  LOAD_ECHO_TARGET=127.0.0.1:$(cat "$LOAD_WORK/echo.port")
}

# load_rss_kib PID: the resident set size of PID in KiB (VmRSS).
load_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# load_cpu_ticks PID: the user and system CPU time PID has used, in clock
# ticks (getconf CLK_TCK a second).
load_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

load_stop() {
  local pid
  for pid in ${LOAD_ECHO_PID:-} ${LOAD_SERVER_PID:-}; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  LOAD_ECHO_PID="" LOAD_SERVER_PID=""
}
