#!/usr/bin/env bash
# Verifies the known-answer owner signature of tests/data/format/vectors.textproto
# with OpenSSL, using only the hex values written there: the documented PAE
# bytes of the set, the owner's raw Ed25519 public key and the signature.
# Passing shows the format can be checked without this project's code.
set -euo pipefail
vectors=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

field() {  # first value of a top-level or nested "name: \"hex\"" line
  grep -m1 -E "^\s*$1: " "$vectors" | sed -E 's/.*: "(.*)"/\1/'
}
owner_public_key=$(awk '/^owner_key \{/{f=1} f && /public_key_hex/{print; exit}' "$vectors" |
  sed -E 's/.*: "(.*)"/\1/')
# SubjectPublicKeyInfo DER prefix for an Ed25519 key (RFC 8410).
echo "302a300506032b6570032100${owner_public_key}" | xxd -r -p >"$work/pub.der"
field set_pae_hex | xxd -r -p >"$work/pae.bin"
field owner_signature_hex | xxd -r -p >"$work/sig.bin"

openssl pkeyutl -verify -pubin -inkey "$work/pub.der" -keyform DER -rawin \
  -in "$work/pae.bin" -sigfile "$work/sig.bin"

# And a flipped byte must fail.
printf '\x00' | dd of="$work/pae.bin" bs=1 seek=100 conv=notrunc status=none
if openssl pkeyutl -verify -pubin -inkey "$work/pub.der" -keyform DER -rawin \
  -in "$work/pae.bin" -sigfile "$work/sig.bin" >/dev/null 2>&1; then
  echo "a modified PAE still verified" >&2
  exit 1
fi
echo "openssl cross-check: owner signature over the documented PAE bytes verifies"
