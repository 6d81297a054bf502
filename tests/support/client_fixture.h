// Shared set-up of the client library's tests and benchmarks
// (tests/client/license_importer_test.cc, license_assigner_test.cc,
// client/benchmarks/import_benchmark.cc): module rows and license sets, a
// root key with a trust bundle and an owner key certified by it, and CRM
// databases on either backend with the installation row set.
//
//   ASSERT_OK_AND_ASSIGN(ClientPki pki, ClientPki::Create());
//   ASSERT_OK_AND_ASSIGN(OpenedDatabase opened,
//                        OpenInstalledDatabase("sqlite", temp, "crm.db"));
//   client::LicenseImporter importer(&pki.trust(), &clock);
//   ASSERT_OK_AND_ASSIGN(v1::SignedLicenseSet envelope,
//                        pki.Sign(MakeLicenseSet(kClientSerial, 1, rows)));
//   ASSERT_OK(importer.Import(*opened.db, envelope).status());
//
// Everything here is deterministic except the keys, which are fresh
// Ed25519 software keys.
#ifndef SUPERLICENSE_TESTS_SUPPORT_CLIENT_FIXTURE_H_
#define SUPERLICENSE_TESTS_SUPPORT_CLIENT_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/crm_database.h"
#include "keys/signer.h"
#include "keys/trust_store.h"
#include "superlicense/v1/license.pb.h"
#include "tests/support/temp_dir.h"

namespace superlicense::testing {

inline constexpr int64_t kDay = 86400;
// The clock of the client tests: 2027-01-01T00:00:00Z.
inline constexpr int64_t kClientNow = 1798761600;
inline constexpr char kClientSerial[] = "1010000014";
inline constexpr char kClientOwner[] = "SUPEROFFICE";
inline constexpr char kClientCompany[] = "Example Company AS";

// Returns a user license (licenseType 3) named `name` with `number`
// licenses, allowedAssocsMask 1, description "desc of NAME".
v1::ModuleLicense MakeModuleRow(const std::string& name, uint32_t number,
                                uint32_t sort_order);

// Returns `count` user licenses "module-0", "module-1", ... with 10 licenses
// each, sort orders 10, 20, ...
std::vector<v1::ModuleLicense> MakeModuleRows(int count);

// Returns a set of owner kClientOwner for customer `serial` (central site),
// version `version`, issued an hour before kClientNow, expiring 300 days and
// graced 330 days after it, with `modules` as its rows (in the given order:
// sort orders must increase).
v1::LicenseSet MakeLicenseSet(absl::string_view serial, uint64_t version,
                              const std::vector<v1::ModuleLicense>& modules);

// A root key, the trust bundle (version 1, threshold 1) it signs, and an
// owner key for kClientOwner certified by the root, valid from 30 days
// before to 365 days after kClientNow. Movable, not copyable.
class ClientPki {
 public:
  // Generates the keys and signs the bundle and the certificate.
  static absl::StatusOr<ClientPki> Create();

  // Returns the store that trusts the bundle.
  const keys::TrustStore& trust() const { return *trust_; }
  const keys::Signer& root() const { return *root_; }
  const keys::Signer& owner_key() const { return *owner_key_; }
  const v1::SignedPublicKey& certificate() const { return certificate_; }

  // Signs `set` with the owner key, attaching its certificate.
  absl::StatusOr<v1::SignedLicenseSet> Sign(const v1::LicenseSet& set) const;

  // Certifies `key` for `owner` with `root` (the same validity window as
  // the owner key's certificate).
  static absl::StatusOr<v1::SignedPublicKey> Certify(
      const keys::Signer& root, const keys::Signer& key,
      absl::string_view owner = kClientOwner);

  // Returns the store after a bundle update (version 2, signed by the root)
  // that revokes the owner key for `reason`, revoked a day before
  // kClientNow.
  absl::StatusOr<keys::TrustStore> StoreRevokingOwnerKey(
      absl::string_view reason) const;

 private:
  ClientPki() = default;

  std::unique_ptr<keys::Signer> root_;
  std::unique_ptr<keys::Signer> owner_key_;
  v1::SignedPublicKey certificate_;
  v1::TrustBundle bundle_;
  std::unique_ptr<keys::TrustStore> trust_;
};

// A database connection and the url to open more connections to it.
struct OpenedDatabase {
  std::string url;
  std::unique_ptr<client::CrmDatabase> db;
};

// Opens a new, empty CRM database of `backend` ("sqlite": file `file` in
// `temp`; "postgresql": a new database on the shared PostgresServer).
// INVALID_ARGUMENT for another backend; the server's error when PostgreSQL
// is unavailable.
absl::StatusOr<OpenedDatabase> OpenEmptyDatabase(absl::string_view backend,
                                                 const TempDir& temp,
                                                 const std::string& file);

// Sets the installation row: central site, kClientCompany, `serial`.
absl::Status SetInstallation(client::CrmDatabase& db,
                             absl::string_view serial = kClientSerial);

// OpenEmptyDatabase() followed by SetInstallation(`serial`).
absl::StatusOr<OpenedDatabase> OpenInstalledDatabase(
    absl::string_view backend, const TempDir& temp, const std::string& file,
    absl::string_view serial = kClientSerial);

// Adds an active associate in its own transaction; returns its id.
absl::StatusOr<int64_t> AddAssociate(client::CrmDatabase& db,
                                     const std::string& name, int64_t type = 1);

// Adds associates "PREFIX0", "PREFIX1", ... (`count` of them, type 1) in
// one transaction; returns their ids in order.
absl::StatusOr<std::vector<int64_t>> AddAssociates(client::CrmDatabase& db,
                                                   absl::string_view prefix,
                                                   int count);

// Returns a CrmDatabase::Dump() without its import_history and
// system_message sections: what a rejected import may write (the rejection
// is journalled in a transaction of its own); every other table must stay
// as it was.
std::string WithoutJournal(std::string dump);

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_SUPPORT_CLIENT_FIXTURE_H_
