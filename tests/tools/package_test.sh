#!/usr/bin/env bash
# The Debian packages as a user gets them: `cpack -G DEB` in the build
# directory makes superlicense-authority and superlicense-client; their
# metadata and contents are checked (binaries, systemd unit, conffile,
# maintainer scripts, headers, CMake package), both are unpacked into a
# temporary root, and a small CRM program is built with CMake against the
# unpacked client package alone (find_package(SuperLicenseClient)) and run:
# it opens a SQLite CRM database, records the installation and loads a
# LicenseView. The unpacked binaries run too.
#   package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect_line FILE REGEX WHAT: some line of FILE matches REGEX.
expect_line() { grep -Eq -e "$2" "$1" || fail "$3 (no line matching '$2' in $(basename "$1"))"; }

# --- build the packages ----------------------------------------------------
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log"; echo "FAIL: cpack"; exit 1; }
shopt -s nullglob
authority_debs=("$work"/out/superlicense-authority_*.deb)
client_debs=("$work"/out/superlicense-client_*.deb)
shopt -u nullglob
if ((${#authority_debs[@]} != 1 || ${#client_debs[@]} != 1)); then
  ls -l "$work/out"; echo "FAIL: expected one .deb of each package"; exit 1
fi
authority_deb=${authority_debs[0]}
client_deb=${client_debs[0]}
version=$(sed -n 's/^project(SuperLicense VERSION \([0-9.]*\).*/\1/p' \
  "$source_dir/CMakeLists.txt")

# --- metadata and contents ---------------------------------------------------
# check_info DEB NAME: dpkg-deb -I shows the name, the project's version, a
# maintainer, a description and Depends on Debian's runtime libraries.
check_info() {
  local info="$work/$2.info"
  dpkg-deb -I "$1" >"$info"
  expect_line "$info" "^ Package: $2\$" "$2: package name"
  expect_line "$info" "^ Version: ${version//./\\.}\$" "$2: version $version"
  expect_line "$info" '^ Maintainer: .+<.+@.+>' "$2: maintainer"
  expect_line "$info" '^ Description: .+' "$2: description"
  expect_line "$info" '^ Depends: .*libgrpc\+\+1' "$2: depends on libgrpc++"
  expect_line "$info" '^ Depends: .*libprotobuf[0-9]' "$2: depends on libprotobuf"
  expect_line "$info" '^ Depends: .*libbotan-2-' "$2: depends on libbotan-2"
}
check_info "$authority_deb" superlicense-authority
check_info "$client_deb" superlicense-client
expect_line "$work/superlicense-authority.info" '^ Depends: .*adduser' \
  "authority: depends on adduser (postinst)"
expect_line "$work/superlicense-client.info" '^ Depends: .*libsqlite3-0' \
  "client: depends on libsqlite3-0"
expect_line "$work/superlicense-client.info" '^ Depends: .*libpq5' \
  "client: depends on libpq5"
expect_line "$work/superlicense-client.info" '^ Depends: .*libgrpc\+\+-dev' \
  "client: depends on libgrpc++-dev (for find_package)"

# Control files of the authority: the conffile and the maintainer scripts.
dpkg-deb -e "$authority_deb" "$work/control"
if [[ "$(cat "$work/control/conffiles" 2>/dev/null)" != /etc/superlicense/superlicensed.conf ]]; then
  fail "authority: conffiles must list exactly /etc/superlicense/superlicensed.conf"
fi
for script in postinst prerm postrm; do
  if [[ ! -x "$work/control/$script" ]] || ! sh -n "$work/control/$script"; then
    fail "authority: $script missing, not executable or not valid sh"
  fi
done
expect_line "$work/control/postinst" 'adduser --system' \
  "postinst creates the system user"
expect_line "$work/control/postinst" 'install -d -m 0700 -o superlicense -g superlicense /var/lib/superlicense' \
  "postinst creates /var/lib/superlicense 0700"

# expect_files DEB PATH-REGEX...: dpkg-deb -c lists a file matching each.
expect_files() {
  local deb=$1 listing="$work/$(basename "$1").contents"
  shift
  dpkg-deb -c "$deb" | awk '{print $NF}' >"$listing"
  local path
  for path in "$@"; do
    expect_line "$listing" "^\\./$path\$" "$(basename "$deb"): $path"
  done
}
expect_files "$authority_deb" \
  usr/bin/superlicensed usr/bin/slctl \
  usr/lib/systemd/system/superlicensed.service \
  etc/superlicense/superlicensed.conf \
  usr/share/superlicense/superoffice.textproto
inc='usr/include/superlicense-client'
expect_files "$client_deb" \
  usr/bin/crmlicense \
  'usr/lib/(.*/)?libsuperlicense_client_db\.a' \
  'usr/lib/(.*/)?libsuperlicense_client_online\.a' \
  'usr/lib/(.*/)?libsuperlicense_keys\.a' \
  'usr/lib/(.*/)?libsuperlicense_proto\.a' \
  'usr/lib/(.*/)?libsuperlicense_grpc\.a' \
  'usr/lib/(.*/)?libsuperlicense_serial\.a' \
  "$inc/client/license_view\\.h" "$inc/client/crm_database\\.h" \
  "$inc/client/online/license_fetcher\\.h" "$inc/keys/trust_store\\.h" \
  "$inc/keys/clock\\.h" "$inc/superlicense/serial_number\\.h" \
  "$inc/superlicense/v1/license\\.pb\\.h" \
  'usr/lib/(.*/)?cmake/SuperLicenseClient/SuperLicenseClientConfig\.cmake' \
  'usr/lib/(.*/)?cmake/SuperLicenseClient/SuperLicenseClientConfigVersion\.cmake' \
  'usr/lib/(.*/)?cmake/SuperLicenseClient/SuperLicenseClientTargets\.cmake'
if grep -q '/internal/' "$work/$(basename "$client_deb").contents"; then
  fail "client: internal headers are packaged"
fi
# Nothing the two packages both ship (they must install side by side).
comm -12 <(grep -v '/$' "$work/$(basename "$authority_deb").contents" | sort) \
         <(grep -v '/$' "$work/$(basename "$client_deb").contents" | sort) \
  >"$work/both.txt"
[[ -s $work/both.txt ]] && fail "files in both packages: $(cat "$work/both.txt")"

# --- unpack into a temporary root ------------------------------------------
root="$work/root"
dpkg -x "$authority_deb" "$root"
dpkg -x "$client_deb" "$root"
unit="$root/usr/lib/systemd/system/superlicensed.service"
expect_line "$unit" '^User=superlicense$' "unit: runs as superlicense"
expect_line "$unit" '^ExecStart=/usr/bin/superlicensed --config /etc/superlicense/superlicensed\.conf$' \
  "unit: ExecStart with the config"
for option in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
              ReadWritePaths=/var/lib/superlicense; do
  expect_line "$unit" "^$option\$" "unit: $option"
done
# The installed CMake files name no path of this build or source tree.
if grep -rlF -e "$build" -e "$source_dir" "$root/usr/lib" --include='*.cmake'; then
  fail "the installed CMake package names build or source paths"
fi

# The unpacked binaries run.
for tool in superlicensed slctl crmlicense; do
  if ! "$root/usr/bin/$tool" --help >"$work/$tool.help" 2>&1; then
    cat "$work/$tool.help"; fail "$tool --help"
  fi
done
expect_line "$work/superlicensed.help" '--config' "superlicensed --help names --config"
expect_line "$work/crmlicense.help" 'import' "crmlicense --help names import"

# The packaged configuration is one superlicensed reads: it gets past the
# settings and stops only at the keyring the file names (missing here). The
# store goes to the temporary directory, not /var/lib.
if "$root/usr/bin/superlicensed" --config "$root/etc/superlicense/superlicensed.conf" \
    --data-dir "$work/store" >"$work/conf.out" 2>&1; then
  fail "superlicensed started without a keyring"
fi
expect_line "$work/conf.out" '/etc/superlicense/keyring\.json' \
  "packaged config: superlicensed stops at its keyring"

# A trust bundle for the consumer, from the unpacked slctl.
(cd "$work" &&
  "$root/usr/bin/slctl" keys root-init --shares 2 --threshold 2 --out ceremony >/dev/null &&
  "$root/usr/bin/slctl" keys trust-bundle --share ceremony/share-1-of-2.txt \
    --share ceremony/share-2-of-2.txt --out trust.bundle >/dev/null) ||
  { echo "FAIL: slctl could not make a trust bundle"; exit 1; }

# --- a CRM program built against the unpacked client package --------------
mkdir -p "$work/consumer"
cat >"$work/consumer/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(PackageConsumer LANGUAGES C CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
find_package(SuperLicenseClient 0.1 CONFIG REQUIRED)
add_executable(consumer main.cc)
target_link_libraries(consumer PRIVATE SuperLicense::client_db
                      SuperLicense::client_online)
EOF
cat >"$work/consumer/main.cc" <<'EOF'
// Opens a SQLite CRM database, records the installation, loads the
// LicenseView, and checks the online library refuses an empty endpoint.
//   consumer DB_PATH TRUST_BUNDLE
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "client/crm_database.h"
#include "client/license_view.h"
#include "client/online/license_fetcher.h"
#include "keys/clock.h"
#include "keys/trust_store.h"

namespace client = superlicense::client;
namespace keys = superlicense::keys;

static int Fail(const std::string& what, const absl::Status& status) {
  std::cerr << "consumer: " << what << ": " << status.ToString() << "\n";
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto bundle = keys::DecodeTrustBundle(bytes.str());
  if (!bundle.ok()) return Fail("trust bundle", bundle.status());
  auto trust = keys::TrustStore::FromAnchor(*bundle);
  if (!trust.ok()) return Fail("trust store", trust.status());

  auto db = client::CrmDatabase::Open(std::string("sqlite:") + argv[1]);
  if (!db.ok()) return Fail("open", db.status());
  client::Installation installation;
  installation.serial = "1010000014";
  installation.company_name = "Package Test AS";
  {  // the transaction ends before the database is read again
    auto txn = (*db)->BeginWrite();
    if (!txn.ok()) return Fail("begin", txn.status());
    absl::Status status = (*txn)->SetInstallation(installation);
    if (status.ok()) status = (*txn)->Commit();
    if (!status.ok()) return Fail("set installation", status);
  }

  auto view = client::LicenseView::Load(**db, *trust,
                                        superlicense::SystemClock::Get());
  if (!view.ok()) return Fail("load view", view.status());
  if ((*view)->installation().serial != "1010000014" ||
      !(*view)->owners().empty() || (*view)->Has(1, "sale-cal")) {
    std::cerr << "consumer: unexpected view\n";
    return 1;
  }

  auto fetcher = client::LicenseFetcher::Connect(client::AuthorityEndpoint{});
  if (fetcher.ok() || !absl::IsInvalidArgument(fetcher.status())) {
    std::cerr << "consumer: Connect accepted an empty endpoint\n";
    return 1;
  }
  std::cout << "consumer: ok, installation " << installation.serial
            << ", owners " << (*view)->owners().size() << "\n";
  return 0;
}
EOF
if ! cmake -S "$work/consumer" -B "$work/consumer/build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$root/usr" \
    >"$work/consumer-cmake.log" 2>&1; then
  cat "$work/consumer-cmake.log"; echo "FAIL: consumer: cmake"; exit 1
fi
# The package found must be the unpacked one, not an installed copy.
expect_line "$work/consumer/build/CMakeCache.txt" \
  "^SuperLicenseClient_DIR:PATH=$root/usr/lib/" "consumer: found the unpacked package"
if ! cmake --build "$work/consumer/build" >"$work/consumer-build.log" 2>&1; then
  cat "$work/consumer-build.log"; echo "FAIL: consumer: build"; exit 1
fi
if ! "$work/consumer/build/consumer" "$work/crm.db" "$work/trust.bundle" \
    >"$work/consumer.out" 2>&1; then
  cat "$work/consumer.out"; fail "consumer: run"
fi
expect_line "$work/consumer.out" '^consumer: ok, installation 1010000014, owners 0$' \
  "consumer: output"

# The unpacked crmlicense reads the database the consumer wrote.
if ! "$root/usr/bin/crmlicense" --db "sqlite:$work/crm.db" --trust "$work/trust.bundle" \
    status >"$work/status.out" 2>&1; then
  cat "$work/status.out"; fail "crmlicense status on the consumer's database"
fi
expect_line "$work/status.out" '1010000014' "crmlicense status shows the serial"
expect_line "$work/status.out" 'Package Test AS' "crmlicense status shows the company"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "package test: all checks passed"
