// LicenseImporter: installs a signed license set into the CRM database
// ("Load license from file" and the online flow), enforcing DESIGN.md §5:
// the whole chain verifies, the set is for this installation, it is newer
// than the installed one, not issued in the future, not past its grace date,
// and it does not take away licenses that are assigned now (the count rule).
// Import is all-or-nothing in one write transaction.
#ifndef SUPERLICENSE_CLIENT_LICENSE_IMPORTER_H_
#define SUPERLICENSE_CLIENT_LICENSE_IMPORTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/crm_database.h"
#include "keys/clock.h"
#include "keys/trust_store.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::client {

// Knobs of the acceptance rules.
struct ImportPolicy {
  // How far a set's issued_at may lie ahead of the local clock.
  absl::Duration future_tolerance = absl::Minutes(5);
  // Who runs the imports: recorded as started_by of their system messages.
  std::string started_by;
};

// One module whose new total is below what is assigned now: a line of the
// "Remove superfluous licences" dialog.
struct CountShortfall {
  std::string module_name;
  int64_t in_use = 0;       // SUM of LicenseAssocLink.licenseNumber now
  int64_t new_total = 0;    // licenseNumber in the new set; 0 when missing
  int64_t must_remove = 0;  // in_use - new_total
};

// What an accepted import installed.
struct ImportResult {
  std::string owner_name;
  uint64_t version = 0;
  int modules = 0;  // module rows installed
};

// Verifies and installs license sets. Holds no state besides its borrowed
// trust store and clock, which must outlive it; thread-safe (each thread
// passes its own CrmDatabase connection).
class LicenseImporter {
 public:
  // `trust` and `clock` are not owned.
  LicenseImporter(const keys::TrustStore* trust, const Clock* clock,
                  ImportPolicy policy = {});

  // Verifies `envelope` completely (TrustStore::VerifyLicenseSet at the
  // clock's now) before touching `db`, then, in one write transaction, checks
  // the set against the installation and the rows in use and installs it:
  // owner row, module rows (each with its own row signature), the raw
  // envelope, an "accepted" import_history entry and a "finished" system
  // message (operation "import"). Once the set has verified, a "started"
  // system message is written first in its own transaction (best effort),
  // and a database error after it adds a "failed" one (best effort).
  //
  // The count rule: every module that has licenses assigned now and is not
  // unrestricted in the new set must have a new licenseNumber >= the number
  // assigned. A module in use that is missing from the new set (same name
  // and version) counts as 0, since installing the set would delete its
  // links.
  //
  // Errors:
  //  INVALID_ARGUMENT    malformed envelope (from TrustStore)
  //  PERMISSION_DENIED   bad signature, chain, revoked or expired owner key
  //                      (from TrustStore)
  //  FAILED_PRECONDITION the installation is not initialised (NOT_FOUND
  //                      from the database is passed through as is); the
  //                      set is for another serial or site; its version is
  //                      not above the installed one; it is issued beyond
  //                      the future tolerance; now is past grace_to; or the
  //                      count rule fails. Then nothing is written except
  //                      the "started" system message and, in a separate
  //                      transaction after the rollback, a "rejected"
  //                      import_history entry and a "rejected" system
  //                      message with the reason. On a count
  //                      failure the message lists every offending module
  //                      and, when `shortfalls` is not null, *shortfalls
  //                      receives them (it is cleared on every call).
  //  other codes         database errors, passed through (not recorded).
  absl::StatusOr<ImportResult> Import(
      CrmDatabase& db, const v1::SignedLicenseSet& envelope,
      std::vector<CountShortfall>* shortfalls = nullptr) const;

  // Reads the .lic file at `path` (at most keys::kMaxEnvelopeBytes), decodes
  // it (keys::DecodeSignedLicenseSet) and imports it as Import() does.
  // Additionally NOT_FOUND / INVALID_ARGUMENT / PERMISSION_DENIED for a
  // missing, oversized or unreadable file, INVALID_ARGUMENT when it does not
  // decode.
  absl::StatusOr<ImportResult> ImportFile(
      CrmDatabase& db, const std::string& path,
      std::vector<CountShortfall>* shortfalls = nullptr) const;

  const ImportPolicy& policy() const { return policy_; }

 private:
  // Import() with the envelope's bytes as received (stored verbatim).
  absl::StatusOr<ImportResult> ImportBytes(
      CrmDatabase& db, const v1::SignedLicenseSet& envelope,
      const std::string& raw, std::vector<CountShortfall>* shortfalls) const;

  const keys::TrustStore* const trust_;  // not owned
  const Clock* const clock_;             // not owned
  const ImportPolicy policy_;
};

}  // namespace superlicense::client

#endif  // SUPERLICENSE_CLIENT_LICENSE_IMPORTER_H_
