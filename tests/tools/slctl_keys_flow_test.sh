#!/usr/bin/env bash
# End-to-end test of `slctl keys`, `slctl sets sign` and `slctl verify` as a
# release engineer uses them: a 3-of-5 root ceremony, an owner key in a
# sealed keystore, certification, a trust bundle, rotation, signing,
# verification, and the rejections (exit codes 1, 2 and 3).
#   slctl_keys_flow_test.sh BIN_DIR DATA_DIR
set -euo pipefail
bin=$(cd "$1" && pwd)
data=$(cd "$2" && pwd)
slctl="$bin/slctl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0

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

export SUPERLICENSE_PASSPHRASE=flow-test-passphrase
s=ceremony/share

expect 0 "$slctl" keys root-init --shares 5 --threshold 3 --out ceremony
expect_text out.txt "3 of 5 shares"
[[ $(ls ceremony | wc -l) -eq 6 ]] || { echo "FAIL: ceremony files"; failures=$((failures + 1)); }
if grep -rq "PRIVATE" ceremony; then echo "FAIL: private key text"; failures=$((failures + 1)); fi

expect 0 "$slctl" keys owner-new --owner SUPEROFFICE --keystore sealed:owner1.key --out owner1.pub.json
expect 1 "$slctl" keys owner-new --owner SUPEROFFICE --keystore sealed:owner1.key --out x.json
expect_text err.txt "owner1.key"
expect 2 "$slctl" keys owner-new --owner superoffice --keystore sealed:o.key
expect_text err.txt '--owner: "superoffice"'
expect 2 "$slctl" keys owner-new --owner SUPEROFFICE

certify() {
  "$slctl" keys certify "$@" --owner SUPEROFFICE --valid-until 2040-01-01
}
expect 0 certify --share $s-1-of-5.txt --share $s-3-of-5.txt --share $s-5-of-5.txt \
  --public-key owner1.pub.json --out owner1.cert
# Fewer than M shares, a corrupt share, shares of two ceremonies: nothing written.
expect 1 certify --share $s-1-of-5.txt --share $s-2-of-5.txt --public-key owner1.pub.json --out f.cert
expect_text err.txt "3 shares are needed, 2 given"
# Change the first digit of the share data (to 1 if it is 0, else to 0).
awk '/^data: /{c=substr($2,1,1); $2=(c=="0" ? "1" : "0") substr($2,2)} {print}' \
  $s-4-of-5.txt >corrupt.txt
cmp -s corrupt.txt $s-4-of-5.txt && { echo "FAIL: share not corrupted"; failures=$((failures + 1)); }
expect 1 certify --share $s-1-of-5.txt --share $s-2-of-5.txt --share corrupt.txt \
  --public-key owner1.pub.json --out f.cert
expect_text err.txt "corrupt"
expect 0 "$slctl" keys root-init --shares 3 --threshold 2 --out other
expect 1 certify --share $s-1-of-5.txt --share other/share-2-of-3.txt --share $s-2-of-5.txt \
  --public-key owner1.pub.json --out f.cert
expect_text err.txt "two different ceremonies"
[[ ! -e f.cert ]] || { echo "FAIL: f.cert written"; failures=$((failures + 1)); }

expect 0 "$slctl" keys trust-bundle --share $s-2-of-5.txt --share $s-3-of-5.txt --share $s-4-of-5.txt --out trust.bundle
expect 0 "$slctl" keys trust-bundle --in trust.bundle --format cpp-header --out trust_bundle.h
printf '#include "trust_bundle.h"\nstatic_assert(kSuperLicenseTrustBundleSize > 64);\nint main() {}\n' >use.cc
expect 0 c++ -std=c++17 -fsyntax-only use.cc

expect 0 "$slctl" keys rotate --keyring keyring.json --owner SUPEROFFICE \
  --keystore sealed:owner1.key --certificate owner1.cert --trust trust.bundle

sed 's/^issued_at: .*/issued_at: 0/' "$data/format/license_set_input.textproto" >set.textproto
expect 0 "$slctl" sets sign --set set.textproto --keyring keyring.json --out v1.lic
expect 0 "$slctl" verify v1.lic --trust trust.bundle
expect_text out.txt "VALID SUPEROFFICE license set v3"
expect 0 "$slctl" verify v1.lic --trust trust.bundle --json
expect_text out.txt '"valid": true'

# Tampering: every kind is exit 3 with a reason.
cp v1.lic tampered.lic
printf 'X' | dd of=tampered.lic bs=1 seek=150 conv=notrunc status=none
expect 3 "$slctl" verify tampered.lic --trust trust.bundle
expect_text err.txt "INVALID tampered.lic"
head -c 300 v1.lic >truncated.lic
expect 3 "$slctl" verify truncated.lic --trust trust.bundle
expect 3 "$slctl" verify "$data/format/negative/signature_of_other_payload_type.lic" --trust trust.bundle
expect 3 "$slctl" verify v1.lic --trust trust.bundle --at 2041-01-01
expect_text err.txt "expired"
expect 2 "$slctl" verify missing.lic --trust trust.bundle
expect_text err.txt "missing.lic"

# Rotation: a second key becomes active; the first turns verify-only and
# what it signed stays valid.
expect 0 "$slctl" keys owner-new --owner SUPEROFFICE --keystore sealed:owner2.key --out owner2.pub.json
expect 0 certify --share $s-2-of-5.txt --share $s-4-of-5.txt --share $s-5-of-5.txt \
  --public-key owner2.pub.json --out owner2.cert
expect 0 "$slctl" keys rotate --keyring keyring.json --keystore sealed:owner2.key \
  --certificate owner2.cert --trust trust.bundle
expect 0 "$slctl" keys list --keyring keyring.json
expect_text out.txt "KEY_STATE_VERIFY_ONLY"
expect_text out.txt "KEY_STATE_ACTIVE"
sed 's/^version: 3/version: 4/' set.textproto >set4.textproto
expect 0 "$slctl" sets sign --set set4.textproto --keyring keyring.json --out v2.lic
expect 0 "$slctl" verify v2.lic --trust trust.bundle
expect 0 "$slctl" verify v1.lic --trust trust.bundle

# Revocation: a new bundle revokes the first key; its sets are rejected.
key1=$(grep -o '"keyId": "[^"]*"' owner1.pub.json | head -1 | cut -d'"' -f4 |
  base64 -d | xxd -p -c 64)
expect 0 "$slctl" keys revoke --keyring keyring.json --key-id "$key1"
expect 0 "$slctl" keys trust-bundle --share $s-1-of-5.txt --share $s-2-of-5.txt --share $s-3-of-5.txt \
  --previous trust.bundle --revoke "$key1=key compromise" --out trust2.bundle
expect_text out.txt "trust bundle v2"
expect 3 "$slctl" verify v1.lic --trust trust2.bundle
expect_text err.txt "revoked"
expect 0 "$slctl" verify v2.lic --trust trust2.bundle

# A certificate by a key that is not the root does not chain.
expect 0 "$slctl" keys root-init --shares 2 --threshold 2 --out rogue
expect 0 certify --share rogue/share-1-of-2.txt --share rogue/share-2-of-2.txt \
  --public-key owner2.pub.json --out rogue.cert
expect 1 "$slctl" keys rotate --keyring keyring.json --keystore sealed:owner2.key \
  --certificate rogue.cert --trust trust.bundle
expect_text err.txt "signed by 0 trusted root key(s)"

# Wrong passphrase: clear error, nothing signed.
SUPERLICENSE_PASSPHRASE=wrong expect 1 "$slctl" sets sign --set set4.textproto --keyring keyring.json --out w.lic
expect_text err.txt "wrong passphrase"
[[ ! -e w.lic ]] || { echo "FAIL: w.lic written"; failures=$((failures + 1)); }

# Bundle updates as clients judge them: a higher version signed by the
# trusted root passes; replaying the old one or a rogue root's bundle fails.
expect 0 "$slctl" keys check-bundle --trusted trust.bundle trust2.bundle
expect_text out.txt "accept trust bundle v2"
expect 3 "$slctl" keys check-bundle --trusted trust2.bundle trust.bundle
expect_text err.txt "is not above the trusted version 2"
expect 0 "$slctl" keys trust-bundle --share rogue/share-1-of-2.txt --share rogue/share-2-of-2.txt \
  --version 9 --out rogue.bundle
expect 3 "$slctl" keys check-bundle --trusted trust2.bundle rogue.bundle
expect_text err.txt "by the roots trusted now"

# The owner key on a PKCS#11 token (SoftHSM2 in this directory).
export SOFTHSM2_CONF=$work/softhsm2.conf
mkdir -p "$work/tokens"
echo "directories.tokendir = $work/tokens" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label flow --pin 1234 --so-pin 5678 >/dev/null
export SUPERLICENSE_PKCS11_PIN=1234
p11="pkcs11:token=flow;object=owner3"
expect 0 "$slctl" keys owner-new --owner SUPEROFFICE --keystore "$p11" \
  --algorithm ecdsa-p256-sha256 --out owner3.pub.json
expect 1 "$slctl" keys owner-new --owner SUPEROFFICE --keystore "$p11" --out again.json
expect_text err.txt "owner3"
expect 0 certify --share $s-1-of-5.txt --share $s-2-of-5.txt --share $s-3-of-5.txt \
  --public-key owner3.pub.json --out owner3.cert
expect 0 "$slctl" keys rotate --keyring keyring.json --keystore "$p11" \
  --certificate owner3.cert --trust trust2.bundle
sed 's/^version: 3/version: 5/' set.textproto >set5.textproto
expect 0 "$slctl" sets sign --set set5.textproto --keyring keyring.json --out v3.lic
expect 0 "$slctl" verify v3.lic --trust trust2.bundle
SUPERLICENSE_PKCS11_PIN=9999 expect 1 "$slctl" sets sign --set set5.textproto \
  --keyring keyring.json --out w3.lic
expect_text err.txt "CKR_PIN_INCORRECT"
if grep -q 9999 err.txt; then echo "FAIL: PIN in error"; failures=$((failures + 1)); fi

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "slctl keys flow: all checks passed"
