#!/usr/bin/env bash
# Bad command lines for every slctl and crmlicense subcommand: a missing
# required argument, an unknown flag, and a bad value for every
# value-taking flag and positional argument. Each must be a usage error:
# exit 2, stderr naming the flag or the value, and nothing changed (the CRM
# database's `sqlite3 .dump` and the working directory's files stay the same;
# slctl never reaches the authority, which points at a closed port).
#
# The subcommands and their flags are read from the binaries' --help, so a
# new subcommand or flag without a case here fails the test.
#   cli_bad_input_test.sh BIN_DIR
set -euo pipefail
bin=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
cases=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# slctl talks to nobody: a closed port and no credentials.
export SUPERLICENSE_AUTHORITY=127.0.0.1:1
unset SUPERLICENSE_CA SUPERLICENSE_CERT SUPERLICENSE_KEY \
  SUPERLICENSE_CREDENTIAL SUPERLICENSE_PASSPHRASE SUPERLICENSE_PKCS11_PIN

# A trust bundle and an initialised CRM database to leave untouched.
"$bin/slctl" keys root-init --shares 2 --threshold 2 --out ceremony >/dev/null
"$bin/slctl" keys trust-bundle --share ceremony/share-1-of-2.txt \
  --share ceremony/share-2-of-2.txt --out trust.bundle >/dev/null
export SUPERLICENSE_CRM_DB="sqlite:$work/crm.db" \
  SUPERLICENSE_TRUST="$work/trust.bundle"
"$bin/crmlicense" init --serial 1010000014 --company "Demo AS" >/dev/null
echo "{}" >file.json

# The observable state: the database's content and the files here; every
# case must leave it as `reference`.
state() {
  sqlite3 crm.db .dump
  find . -path ./stderr -prune -o -print | LC_ALL=C sort
}

reference=$(state)

# expect_usage WHAT EXPECTED_STDERR_SUBSTRING COMMAND...
expect_usage() {
  local what=$1 expected=$2
  shift 2
  cases=$((cases + 1))
  local after rc=0
  "$@" >/dev/null 2>stderr </dev/null || rc=$?
  after=$(state)
  if [[ $rc -ne 2 ]]; then
    fail "$what: exit $rc, not 2: $(head -c 300 stderr)"
  elif ! grep -qF -- "$expected" stderr; then
    fail "$what: stderr does not name \"$expected\": $(head -c 300 stderr)"
  fi
  if grep -qiE 'unavailable|connect|deadline' stderr; then
    fail "$what: reached the network: $(head -c 300 stderr)"
  fi
  if [[ $reference != "$after" ]]; then
    fail "$what: changed the database or files"
    reference=$after
  fi
}

# Leaf subcommands of `BINARY PATH...`, one "PATH" per line, from --help.
leaves() {
  local binary=$1
  shift
  local subs
  subs=$("$binary" "$@" --help | sed -n '/^Subcommands:/,/^$/p' |
    awk 'NR > 1 && NF { print $1 }')
  if [[ -z $subs ]]; then
    echo "$*"
    return
  fi
  local sub
  for sub in $subs; do leaves "$binary" "$@" "$sub"; done
}

# The value-taking options and positionals of a leaf's --help, one a line:
# "--flag" or the positional's name. Global crmlicense flags are listed
# under the program itself.
value_args() {
  "$@" --help | awk '
    /^Positionals:/ { section = "pos"; next }
    /^Options:/ { section = "opt"; next }
    /^[^ ]/ { section = "" }
    section == "pos" && $2 ~ /^(TEXT|INT|UINT|FLOAT)/ { print $1 }
    section == "opt" {
      for (i = 1; i <= NF; ++i) {
        if ($i ~ /^--[a-z0-9-]+$/ && $(i + 1) ~ /^(TEXT|INT|UINT|FLOAT)/) print $i
        if ($i ~ /^-[a-z],--[a-z0-9-]+$/ && $(i + 1) ~ /^(TEXT|INT|UINT|FLOAT)/) {
          sub(/^-[a-z],/, "", $i); print $i
        }
      }
    }'
}

# Bad values by flag (any subcommand): "VALUE<TAB>what stderr must name".
# A flag in no_bad_value takes any value (reason given).
declare -A bad=(
  [--serial]=$'1010000015\t1010000015'
  [--month]=$'2027-13\t2027-13'
  [--expires]=$'2027-02-30\t2027-02-30'
  [--grace-to]=$'tomorrow\ttomorrow'
  [--maintenance-to]=$'2027/01/01\t2027/01/01'
  [--next-check]=$'31-12-2027\t31-12-2027'
  [--admin-warning]=$'2027-13-01\t2027-13-01'
  [--valid-from]=$'yesterday\tyesterday'
  [--valid-until]=$'2031-02-30\t2031-02-30'
  [--at]=$'noon\tnoon'
  [--module]=$'user\tuser'
  [--plan]=$'ten-sales-premium=0\tten-sales-premium=0'
  [--metered]=$'storage=5\tstorage=5'
  [--satellite]=$'-1\t--satellite'
  [--version]=$'0\t--version'
  [--page-size]=$'1001\t--page-size'
  [--from]=$'abc\tabc'
  [--timeout]=$'0\t--timeout'
  [--authority]=$'nohost\tnohost'
  [--credential]=$'1010000015.secret\t--credential'
  [--ca]=$'missing.pem\tmissing.pem'
  [--cert]=$'missing.pem\tmissing.pem'
  [--key]=$'missing.key\tmissing.key'
  [--owner]=$'superoffice\tsuperoffice'
  [--entry]=$'missing.json\tmissing.json'
  [--trust]=$'missing.bundle\tmissing.bundle'
  [--trusted]=$'missing.bundle\tmissing.bundle'
  [--share]=$'missing-share.txt\tmissing-share.txt'
  [--public-key]=$'missing.pub.json\tmissing.pub.json'
  [--root-public-key]=$'missing.pub.json\tmissing.pub.json'
  [--previous]=$'missing.bundle\tmissing.bundle'
  [--in]=$'missing.bundle\tmissing.bundle'
  [--revoke]=$'abc=reason\tabc=reason'
  [--format]=$'pdf\tpdf'
  [--algorithm]=$'rsa\trsa'
  [--shares]=$'many\tmany'
  [--threshold]=$'0\t--threshold'
  [--key-id]=$'xyz\txyz'
  [--keyring]=$'missing.json\tmissing.json'
  [--certificate]=$'missing.cert\tmissing.cert'
  [--set]=$'missing.json\tmissing.json'
  [--passphrase-file]=$'missing.txt\tmissing.txt'
  [--pin-file]=$'missing.txt\tmissing.txt'
  [--db]=$'mysql://x\tmysql://x'
  [--type]=$'3\t--type'
  [--limit]=$'0\t--limit'
  [file]=$'missing.lic\tmissing.lic'
  [next]=$'missing.bundle\tmissing.bundle'
  [service]=$'coffee\tcoffee'
  [amount]=$'-5\tamount'
)
declare -A no_bad_value=(
  [--out]="any path: the file to write"
  [--credential-out]="any path: a new file to write"
  [--company]="any text; the authority checks it (INVALID_ARGUMENT naming company_name)"
  [--reason]="any text; the authority checks it"
  [--name]="a free label of the root key"
  [--idempotency-key]="opaque; the authority checks its length"
  [--keystore]="sealed:PATH or pkcs11:...: opened (and for owner-new created) by the keystore, which names it"
  [--user]="any acting user name"
  [--associate]="an associate id or name, looked up in the database (exit 1 when absent)"
  [associate]="an associate id or name, looked up in the database (exit 1 when absent)"
  [module]="a module name, looked up in the catalogue of the imported sets (exit 1 when absent)"
  [name]="any new associate name"
)
# Per subcommand overrides: "LEAF FLAG" -> bad value<TAB>stderr.
declare -A bad_for=(
  ["keys rotate --keyring"]=""  # may name a new keyring: no bad value
  ["keys owner-new --owner"]=$'Super Office\tSuper Office'
)

# Valid arguments that let a subcommand get to the flag under test (its
# other required arguments); "" when it has none.
declare -A valid=(
  ["slctl keys root-init"]="--shares 2 --threshold 2 --out newdir"
  ["slctl keys certify"]="--share ceremony/share-1-of-2.txt --owner SUPEROFFICE --public-key file.json --valid-until 2031-01-01 --out new.cert"
  ["slctl keys trust-bundle"]="--out new.bundle"
  ["slctl keys check-bundle"]="--trusted trust.bundle trust.bundle"
  ["slctl keys cosign"]="file.json --share ceremony/share-1-of-2.txt"
  ["slctl keys owner-new"]="--owner SUPEROFFICE --keystore sealed:new.key"
  ["slctl keys rotate"]="--keyring file.json --keystore sealed:x.key --certificate file.json --trust trust.bundle"
  ["slctl keys revoke"]="--keyring file.json --key-id ab"
  ["slctl keys list"]="--keyring file.json"
  ["slctl sets sign"]="--set file.json --keyring file.json --out new.lic"
  ["slctl sets show"]="file.json"
  ["slctl sets list"]="--serial 1010000014"
  ["slctl sets get"]="--serial 1010000014 --version 1"
  ["slctl sets revoke"]="--serial 1010000014 --version 1 --reason why"
  ["slctl customer create"]="--company X"
  ["slctl customer show"]="--serial 1010000014"
  ["slctl customer list"]=""
  ["slctl customer rename"]="--serial 1010000014 --company X"
  ["slctl issue"]="--serial 1010000014 --module user=1"
  ["slctl audit list"]=""
  ["slctl audit verify"]=""
  ["slctl catalog list"]=""
  ["slctl catalog put"]="--entry file.json"
  ["slctl backup"]=""
  ["slctl usage"]="--serial 1010000014 --month 2027-01"
  ["slctl verify"]="file.json --trust trust.bundle"
  ["crmlicense init"]="--serial 1010000014 --company X"
  ["crmlicense import"]="file.json"
  ["crmlicense fetch"]=""
  ["crmlicense status"]=""
  ["crmlicense count-users"]=""
  ["crmlicense assign"]="anna user"
  ["crmlicense unassign"]="anna user"
  ["crmlicense check"]="anna user"
  ["crmlicense associates add"]="anna"
  ["crmlicense associates list"]=""
  ["crmlicense usage record"]="storage 5"
  ["crmlicense usage report"]=""
  ["crmlicense messages"]=""
)

# The value-taking arguments and the positionals of each leaf, read once.
declare -A args_of=() positionals_of=()

# Replaces the value of `flag` (or the positional `flag`) in the valid
# arguments of `leaf` by `value`, printing the new argument list NUL-separated.
with_value() {
  local leaf=$1 flag=$2 value=$3
  local -a args
  read -r -a args <<<"${valid[$leaf]}"
  local -a positionals
  read -r -a positionals <<<"${positionals_of[$leaf]}"
  local out=() i=0 replaced=0 pos=0
  while ((i < ${#args[@]})); do
    local a=${args[$i]}
    if [[ $a == --* ]]; then
      if [[ $a == "$flag" ]]; then
        out+=("$a" "$value")
        replaced=1
      else
        out+=("$a" "${args[$((i + 1))]}")
      fi
      i=$((i + 2))
    else
      if [[ ${positionals[$pos]:-} == "$flag" ]]; then
        out+=("$value")
        replaced=1
      else
        out+=("$a")
      fi
      pos=$((pos + 1))
      i=$((i + 1))
    fi
  done
  [[ $replaced -eq 1 ]] || out+=("$flag" "$value")
  printf '%s\0' "${out[@]}"
}

for binary in slctl crmlicense; do
  mapfile -t subcommands < <(leaves "$bin/$binary")
  [[ ${#subcommands[@]} -ge 9 ]] || fail "$binary: only ${#subcommands[@]} subcommands in --help"
  for sub in "${subcommands[@]}"; do
    leaf="$binary $sub"
    read -r -a path <<<"$sub"
    if [[ ! -v valid[$leaf] ]]; then
      fail "$leaf: a subcommand without cases (add it to valid=())"
      continue
    fi
    read -r -a ok_args <<<"${valid[$leaf]}"
    args_of[$leaf]=$(value_args "$bin/$binary" "${path[@]}" | tr '\n' ' ')
    positionals_of[$leaf]=$(tr ' ' '\n' <<<"${args_of[$leaf]}" |
      grep -v -e '^--' -e '^$' | tr '\n' ' ' || true)

    # An unknown flag.
    expect_usage "$leaf --no-such-flag" "--no-such-flag" \
      "$bin/$binary" "${path[@]}" "${ok_args[@]}" --no-such-flag

    # A missing required argument: each required one left out in turn.
    help=$("$bin/$binary" "${path[@]}" --help)
    for required in $(awk '/REQUIRED/ {
          for (i = 1; i <= NF; ++i) if ($i ~ /^-?-?[a-z][a-z0-9-]*$/) { print $i; break }
        }' <<<"$help"); do
      mapfile -d '' -t without < <(with_value "$leaf" "$required" "")
      args=()
      skip=0
      for a in "${without[@]}"; do
        if [[ $skip -eq 1 ]]; then skip=0; continue; fi
        if [[ $a == "$required" ]]; then skip=1; continue; fi
        [[ -n $a ]] && args+=("$a")
      done
      # Without one positional the later ones shift left, so only the last
      # one can be left out and be named.
      expected=$required
      last=${positionals_of[$leaf]% }
      last=${last##* }
      [[ $required == --* || $required == "$last" ]] || continue
      expect_usage "$leaf without $required" "$expected" \
        "$bin/$binary" "${path[@]}" "${args[@]}"
    done

    # A bad value for every value-taking argument.
    for flag in ${args_of[$leaf]}; do
      key="$sub $flag"
      if [[ -v bad_for[$key] ]]; then
        entry=${bad_for[$key]}
        [[ -z $entry ]] && continue
      elif [[ -v no_bad_value[$flag] ]]; then
        continue
      elif [[ -v bad[$flag] ]]; then
        entry=${bad[$flag]}
      else
        fail "$leaf $flag: no bad value and no no_bad_value entry"
        continue
      fi
      value=${entry%%$'\t'*}
      expected=${entry#*$'\t'}
      mapfile -d '' -t args < <(with_value "$leaf" "$flag" "$value")
      expect_usage "$leaf $flag=$value" "$expected" \
        "$bin/$binary" "${path[@]}" "${args[@]}"
    done
  done
done

# The global crmlicense flags, with a valid subcommand.
for flag in --db --trust; do
  entry=${bad[$flag]}
  expect_usage "crmlicense $flag" "${entry#*$'\t'}" \
    "$bin/crmlicense" "$flag" "${entry%%$'\t'*}" status
done

echo "$cases cases, $failures failures"
[[ $failures -eq 0 ]]
