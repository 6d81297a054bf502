#!/usr/bin/env bash
# End-to-end test of `crmlicense` as a CRM administrator uses it, on a real
# SQLite file or a real PostgreSQL server started here: init, import (and every kind of rejection, exit 3), associates,
# assign / unassign with the count and prerequisite rules, check (exit 0/1),
# status (the licence screen), count-users, the "remove superfluous licenses"
# shortfall, consumption (usage record / report), system messages, and
# tampering with the database behind the library's back.
#   crmlicense_flow_test.sh BIN_DIR DEMO_DATA_DIR [sqlite|postgresql]
set -euo pipefail
bin=$(cd "$1" && pwd)
data=$(cd "$2" && pwd)
backend=${3:-sqlite}
slctl="$bin/slctl"
crm="$bin/crmlicense"
work=$(mktemp -d)
pg_bin=/usr/lib/postgresql/15/bin
as_pg=()
[[ $(id -u) -eq 0 ]] && as_pg=(runuser -u postgres --)
cleanup() {
  if [[ -e $work/pg/data/postmaster.pid ]]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" stop -D "$work/pg/data" -m fast -w >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
failures=0

# The CRM database, and `sql STATEMENT` to edit it behind the library's back.
case $backend in
  sqlite)
    export SUPERLICENSE_CRM_DB="sqlite:$work/crm.db"
    sql() { sqlite3 crm.db "$1"; }
    ;;
  postgresql)
    mkdir -p pg
    if [[ ${#as_pg[@]} -ne 0 ]]; then
      chmod 711 "$work"  # the postgres user passes through, lists nothing
      chown postgres: pg
    fi
    (cd pg && "${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg/data" -A trust \
      -U postgres -E UTF8 --locale=C --no-sync >/dev/null)
    (cd pg && "${as_pg[@]}" "$pg_bin/pg_ctl" start -D "$work/pg/data" -w -t 60 \
      -l "$work/pg/server.log" \
      -o "-c listen_addresses= -k $work/pg -p 5432 -c fsync=off" >/dev/null)
    export SUPERLICENSE_CRM_DB="postgresql://postgres@/postgres?host=$work/pg&port=5432"
    sql() { psql -q -X -v ON_ERROR_STOP=1 -h "$work/pg" -p 5432 -U postgres -d postgres -c "$1"; }
    ;;
  *) echo "unknown backend $backend" >&2; exit 2 ;;
esac

# expect CODE COMMAND...: runs COMMAND, checks its exit code, keeps output.
expect() {
  local want=$1
  shift
  set +e
  "$@" >out.txt 2>err.txt
  local got=$?
  set -e
  if [[ $got -ne $want ]]; then
    echo "FAIL: expected exit $want, got $got: $*" >&2
    cat out.txt err.txt >&2
    failures=$((failures + 1))
  fi
}
# expect_text FILE TEXT: the last command's FILE output contains TEXT.
expect_text() {
  if ! grep -qF -- "$2" "$1"; then
    echo "FAIL: '$2' not in $1:" >&2
    cat "$1" >&2
    failures=$((failures + 1))
  fi
}
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# --- the vendor side: keys, a trust bundle, signed sets (offline) ----------
export SUPERLICENSE_PASSPHRASE=crm-flow-test
"$slctl" keys root-init --shares 3 --threshold 2 --out ceremony >/dev/null
"$slctl" keys owner-new --owner SUPEROFFICE --keystore sealed:owner.key \
  --out owner.pub.json >/dev/null
"$slctl" keys certify --share ceremony/share-1-of-3.txt \
  --share ceremony/share-2-of-3.txt --public-key owner.pub.json \
  --owner SUPEROFFICE --valid-until 2040-01-01 --out owner.cert >/dev/null
"$slctl" keys trust-bundle --share ceremony/share-1-of-3.txt \
  --share ceremony/share-3-of-3.txt --out trust.bundle >/dev/null
"$slctl" keys rotate --keyring keyring.json --owner SUPEROFFICE \
  --keystore sealed:owner.key --certificate owner.cert \
  --trust trust.bundle >/dev/null
# sign VERSION QUOTE_CAL_COUNT OUT: the demo set with another version / count.
sign() {
  sed -e "s/^version: 1/version: $1/" \
    -e "s/module_name: \"quote-cal\"\(.*\)license_number: 3/module_name: \"quote-cal\"\1license_number: $2/" \
    "$data/demo_license_set.textproto" >"set$1.textproto"
  "$slctl" sets sign --set "set$1.textproto" --keyring keyring.json --out "$3" >/dev/null
}
sign 1 3 v1.lic
sign 2 2 v2.lic
sign 3 2 v3.lic
# A second authority's bundle: its sets must not verify here.
"$slctl" keys root-init --shares 2 --threshold 2 --out other >/dev/null
"$slctl" keys trust-bundle --share other/share-1-of-2.txt --share other/share-2-of-2.txt --out other.bundle >/dev/null

export SUPERLICENSE_TRUST="$work/trust.bundle"

# --- usage and bad input ----------------------------------------------------
expect 2 "$crm"
expect 2 "$crm" frobnicate
expect 2 "$crm" --db "" status
expect_text err.txt "--db: \"\""
expect 2 "$crm" --db "mysql://x" count-users
expect_text err.txt "mysql"
expect 2 "$crm" init --serial 1010000005 --company "Demo Company AS"
expect_text err.txt "1010000005"
expect 1 "$crm" init --serial 1010000004 --company "   "
expect_text err.txt "--company"
expect 1 "$crm" import v1.lic
expect_text err.txt "not initialised"

# --- init, import ------------------------------------------------------------
expect 0 "$crm" init --serial 1010000004 --company "Demo Company AS"
expect_text out.txt "initialised 1010000004 (Demo Company AS, central)"
expect 0 "$crm" init --serial 1010000004 --company "Demo Company AS"
expect 0 "$crm" import v1.lic
expect_text out.txt "imported SUPEROFFICE license set v1 (8 modules)"
expect 3 "$crm" init --serial 1010000014 --company "Someone Else"
expect_text err.txt "holds licenses for serial 1010000004"
expect 3 "$crm" import v1.lic
expect_text err.txt "not above the installed"
expect 3 "$crm" import v1.lic --trust other.bundle
expect 2 "$crm" import missing.lic
expect_text err.txt "missing.lic"
head -c 200 v2.lic >truncated.lic
expect 3 "$crm" import truncated.lic
head -c 4096 /dev/urandom >random.lic
expect 3 "$crm" import random.lic
expect 3 "$crm" import --json v1.lic
expect_text out.txt '"accepted": false'

# --- associates, assignment ----------------------------------------------------
for name in alice bob carol dave; do expect 0 "$crm" associates add "$name"; done
expect 1 "$crm" associates add alice
expect 1 "$crm" associates add 12345
expect_text err.txt "all digits"
expect 0 "$crm" associates add "Robert'); DROP TABLE \"ModuleLicense\"; --"
expect 0 "$crm" associates list --json
expect_text out.txt "DROP TABLE"

for name in alice bob carol; do
  expect 0 "$crm" assign "$name" user
  expect 0 "$crm" assign "$name" superoffice.quote-cal
done
expect 3 "$crm" assign dave quote-cal
expect_text err.txt 'requires "user", which "dave" does not hold'
expect 0 "$crm" assign dave user
expect 3 "$crm" assign dave quote-cal
expect_text err.txt 'module "quote-cal": all 3 licenses are in use'
expect 1 "$crm" assign dave nosuch-cal
expect 1 "$crm" assign nobody user
expect_text err.txt 'associate "nobody" not found'
# A plan brings the modules of its set= (here web and quote-cal).
expect 3 "$crm" assign dave ten-sales
expect_text err.txt 'module "quote-cal": all 3 licenses are in use'
expect 0 "$crm" assign alice ten-sales
expect 1 "$crm" assign alice ten-sales

# --- check, status, count-users ------------------------------------------------
expect 0 "$crm" check alice quote-cal
expect_text out.txt "alice is licensed for quote-cal"
expect 0 "$crm" check alice SUPEROFFICE.quote-cal
expect 1 "$crm" check dave quote-cal
expect_text out.txt "not assigned"
expect 0 "$crm" check alice web
expect 0 "$crm" check alice ten-sales
expect 1 "$crm" check bob web
expect 0 "$crm" check bob server
expect 1 "$crm" check bob nosuch
expect_text out.txt 'has no module "nosuch"'
expect 0 "$crm" check --json alice quote-cal
expect_text out.txt '"licensed": true'

expect 0 "$crm" status
expect_text out.txt "installation 1010000004  Demo Company AS  central"
expect_text out.txt "license set v1  state ok"
expect 0 "$crm" status --json
expect_text out.txt '"company_name": "Demo Company AS"'
expect 0 "$crm" --user ingrid status
expect_text out.txt "update status: New licence activated (v1"
expect_text out.txt "company Demo Company AS, serial 1010000004"
expect_text out.txt "database: owner Demo Company AS, serial 1010000004, type central"
expect_text out.txt "logged-in user ingrid"
expect_text out.txt "import finished"

# --- consumption and system messages -------------------------------------------
month=$(date -u +%Y-%m)
expect 0 "$crm" usage record chat_sessions 3 --associate alice
expect_text out.txt "recorded 3 sessions of chat_sessions for alice"
expect 0 "$crm" usage record chat_sessions 4
expect 0 "$crm" usage record storage 5000
expect 0 "$crm" usage record --json form_submissions 1
expect_text out.txt '"unit": "submissions"'
expect 2 "$crm" usage record sms 1
expect_text err.txt 'sms not in'
expect 2 "$crm" usage record -- chat_sessions -4
expect_text err.txt "-4"
expect 1 "$crm" usage record chat_sessions 99999999
expect_text err.txt "amount 99999999"
expect 1 "$crm" usage record chat_sessions 1 --associate nobody
expect_text err.txt "nobody"
expect 0 "$crm" usage report --month "$month"
expect_text out.txt "consumption $month (4 user licenses in use)"
expect_text out.txt "chat_sessions"
expect 0 "$crm" usage report --month "$month" --json
jq -e '.services[] | select(.service == "chat_sessions") | .used == 7' out.txt >/dev/null ||
  fail "chat_sessions used is not 7"
jq -e '.services[] | select(.service == "storage") | .used == 5000' out.txt >/dev/null ||
  fail "storage used is not 5000"
expect 0 "$crm" usage report --month 2001-01 --json
jq -e '[.services[].used] | add == 0' out.txt >/dev/null || fail "2001-01 not empty"
expect 2 "$crm" usage report --month 2027-13
expect_text err.txt '"2027-13"'
expect 1 "$crm" usage report --month "$month" --send
expect_text err.txt "--authority is required"
expect 0 "$crm" status
expect_text out.txt "consumption $month"
expect 0 "$crm" messages
expect_text out.txt "import finished"
expect_text out.txt "New licence activated"
expect 0 "$crm" messages --json --limit 1
[[ $(jq '.messages | length' out.txt) == 1 ]] || fail "messages --limit 1"
expect 2 "$crm" messages --limit 0
expect_text err.txt "--limit"
expect 0 "$crm" count-users --json
expect_text out.txt '"user_in_use": 4'
expect_text out.txt '"plans_in_use": 1'

# --- fewer licenses than in use: rejected, the shortfall listed ---------------
"$crm" status --json | jq .owners >before.json
expect 3 "$crm" import v2.lic
expect_text out.txt "Remove superfluous licenses first"
expect_text out.txt "quote-cal"
expect_text err.txt "import rejected"
"$crm" status --json | jq .owners >after.json
diff before.json after.json || fail "licenses changed by a rejected import"
expect 0 "$crm" status
expect_text out.txt "Activate new licence: blocked (v2"
expect_text out.txt "quote-cal: 3 in use, 2 available in the new set, remove 1; held by alice, bob, carol"
expect 0 "$crm" status --json
jq -e '.updates[0].status == "blocked" and .updates[0].blocked[0].holders == ["alice", "bob", "carol"]' \
  out.txt >/dev/null || fail "status --json does not show the blocked update"
expect 0 "$crm" messages
expect_text out.txt "import rejected"
expect_text out.txt 'module "quote-cal": 3 in use, 2 in the new set, remove 1'
expect 3 "$crm" import --json v2.lic
expect_text out.txt '"must_remove": 1'
expect 0 "$crm" unassign carol quote-cal
expect 0 "$crm" import v2.lic
expect_text out.txt "license set v2"
expect 0 "$crm" status
expect_text out.txt "update status: New licence activated (v2"
expect 0 "$crm" check alice quote-cal

# --- tampering behind the library's back ---------------------------------------
sql "UPDATE \"ModuleLicense\" SET \"licenseNumber\" = 99 WHERE \"moduleName\" = 'quote-cal'" ||
  fail "could not edit a row"
expect 3 "$crm" status
expect_text out.txt "TAMPERING"
expect_text out.txt 'ModuleLicense row "quote-cal" differs from the signed set (licenseNumber)'
expect 1 "$crm" check alice quote-cal
expect_text out.txt "stopped"
expect 3 "$crm" assign carol quote-cal
expect_text err.txt "stopped"
sql "UPDATE \"ModuleLicense\" SET \"licenseNumber\" = 2 WHERE \"moduleName\" = 'quote-cal'"
expect 0 "$crm" status
carol="(SELECT \"associate_id\" FROM \"associate\" WHERE \"name\" = 'carol')"
quote_cal="(SELECT \"ModuleLicense_id\" FROM \"ModuleLicense\" WHERE \"moduleName\" = 'quote-cal')"
sql "INSERT INTO \"LicenseAssocLink\" (\"moduleLicenseId\", \"assocId\", \"licenseNumber\", \"encryptedCheck\")
  VALUES ($quote_cal, $carol, 1, '')" || fail "could not insert a link"
expect 3 "$crm" status
expect_text out.txt 'module "quote-cal": 3 assigned, licenseNumber 2'
sql "DELETE FROM \"LicenseAssocLink\" WHERE \"assocId\" = $carol AND \"moduleLicenseId\" = $quote_cal"
expect 0 "$crm" status
expect 0 "$crm" import v3.lic
# Each state transition once: two tampering episodes, each followed by ok.
expect 0 "$crm" messages --json --limit 100
[[ $(jq '[.messages[] | select(.operation == "license-state" and .status == "tampered")] | length' out.txt) == 2 ]] ||
  fail "tampering not recorded exactly once per episode"
[[ $(jq '[.messages[] | select(.operation == "license-state" and .status == "ok")] | length' out.txt) == 2 ]] ||
  fail "back to ok not recorded exactly once per episode"
expect 0 "$crm" messages
expect_text out.txt "tampering found"
expect_text out.txt "are in order again"

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "crmlicense flow on $backend: all checks passed"
