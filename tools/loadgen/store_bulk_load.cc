// store_bulk_load: fills a stopped authority's store with many customers
// and sets, for measuring the service as the store grows
// (tools/loadgen-scale).
//   store_bulk_load --data-dir DIR --template CREDENTIAL_FILE --sets N
//     [--versions 1] [--owner SUPEROFFICE] [--credentials-out FILE]
//     [--credential-customers K]
// The template is an installation already in the store, with at least one
// set: every new customer gets a copy of its record and of its newest set
// (the stored bytes; their content does not change what a fetch costs) as
// each of `--versions` versions, and the template's credential hash, so
// SERIAL.SECRET with the template's SECRET is each one's credential. K
// customers spread evenly over the new ones are written to
// --credentials-out, one credential per line, for loadgen. Every write is
// a normal store commit with its audit event, unsynced; the store is then
// compacted and closed cleanly. The copies keep the template's signed
// payload, which names its own version: with --versions above that, a
// client's "installed version" read from the payload is not the newest.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "authority/store/authority_store.h"
#include "keys/clock.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"
#include "proto/superlicense/serial_number.h"

namespace superlicense::authority {
namespace {

// New serials start here, far from those slctl hands out.
constexpr uint64_t kFirstBody = 200000000;

struct Flags {
  std::string data_dir, template_file, owner = "SUPEROFFICE", credentials_out;
  int64_t sets = 0;
  int versions = 1;
  int64_t credential_customers = 0;
};

absl::Status Load(const Flags& flags) {
  ASSIGN_OR_RETURN(std::string credential,
                   ReadFileLimited(flags.template_file, 4096));
  credential = std::string(absl::StripAsciiWhitespace(credential));
  const size_t dot = credential.find('.');
  if (dot == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--template ", flags.template_file,
                     ": not an installation credential (SERIAL.SECRET)"));
  }
  const std::string serial = credential.substr(0, dot);
  const std::string secret = credential.substr(dot + 1);

  StoreOptions bulk;
  bulk.sync_writes = false;
  ASSIGN_OR_RETURN(auto store, AuthorityStore::Open(flags.data_dir,
                                                    &SystemClock::Get(), bulk));
  ASSIGN_OR_RETURN(StoredCustomer customer, store->GetCustomer(serial));
  ASSIGN_OR_RETURN(std::optional<v1::IssuedLicenseSet> newest,
                   store->NewestValidSet(flags.owner, serial));
  if (!newest.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("template ", serial, " has no set of ", flags.owner));
  }
  const v1::SignedLicenseSet signed_set = newest->signed_set();

  const int64_t customers = flags.sets / flags.versions;
  const int64_t every =
      flags.credential_customers > 0
          ? std::max<int64_t>(customers / flags.credential_customers, 1)
          : 0;
  std::ofstream credentials;
  if (!flags.credentials_out.empty()) {
    credentials.open(flags.credentials_out);
    if (!credentials) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--credentials-out: cannot write ", flags.credentials_out));
    }
  }
  const AuditEntry audit{"store_bulk_load", "BulkLoad", "", "OK"};
  int64_t written = 0;
  for (int64_t c = 0; c < customers; ++c) {
    ASSIGN_OR_RETURN(std::string new_serial,
                     SerialFromBody(kFirstBody + static_cast<uint64_t>(c)));
    customer.mutable_record()->mutable_customer()->set_serial(new_serial);
    RETURN_IF_ERROR(store->CreateCustomer(customer, audit));
    for (int v = 0; v < flags.versions; ++v) {
      RETURN_IF_ERROR(
          store
              ->IssueNext(
                  flags.owner, new_serial, IdempotencyKey{},
                  [&](uint64_t) -> absl::StatusOr<v1::SignedLicenseSet> {
                    return signed_set;
                  },
                  audit)
              .status());
    }
    written += flags.versions;
    if (every > 0 && c % every == 0) {
      credentials << new_serial << "." << secret << "\n";
    }
    if ((c + 1) % 10000 == 0) {
      std::cerr << "store_bulk_load: " << written << " sets\n";
    }
  }
  std::cerr << "store_bulk_load: " << customers << " customers, " << written
            << " sets written; compacting\n";
  // As a store that has been running: each key in one sorted file.
  return store->Compact();
}

}  // namespace
}  // namespace superlicense::authority

int main(int argc, char** argv) {
  superlicense::authority::Flags flags;
  CLI::App app{"store_bulk_load: fill a stopped authority's store"};
  app.add_option("--data-dir", flags.data_dir, "The authority's store")
      ->required();
  app.add_option("--template", flags.template_file,
                 "Credential file of an installation with a set")
      ->required();
  app.add_option("--sets", flags.sets, "Sets to add")
      ->required()
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  app.add_option("--versions", flags.versions, "Sets per new customer")
      ->check(CLI::Range(1, 1000));
  app.add_option("--owner", flags.owner, "Owner of the sets");
  app.add_option("--credentials-out", flags.credentials_out,
                 "Write credentials of some new customers here");
  app.add_option("--credential-customers", flags.credential_customers,
                 "How many credentials to write")
      ->check(CLI::Range(int64_t{0}, int64_t{100000000}));
  CLI11_PARSE(app, argc, argv);
  const absl::Status loaded = superlicense::authority::Load(flags);
  if (!loaded.ok()) {
    std::cerr << "store_bulk_load: " << loaded.message() << "\n";
    return 1;
  }
  return 0;
}
