// The rows a verified license set installs in the CRM database, and the
// comparison of stored rows with them. Shared by the LicenseImporter (which
// writes these rows) and the LicenseView (which checks that the stored rows
// are still exactly these rows), so both agree on what "the signed row" is.
#ifndef SUPERLICENSE_CLIENT_INTERNAL_SET_RECORDS_H_
#define SUPERLICENSE_CLIENT_INTERNAL_SET_RECORDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "client/crm_database.h"
#include "keys/trust_store.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::client::internal {

// Returns the owner signature of `envelope` made by the key that verified
// it; "" when there is none (cannot happen for a verified set).
std::string OwnerSignature(const v1::SignedLicenseSet& envelope,
                           const keys::VerifiedLicenseSet& verified);

// Returns the ModuleOwner row the verified set installs; the audit columns
// (registered, updated) are `now`.
OwnerRecord MakeOwnerRecord(const v1::SignedLicenseSet& envelope,
                            const keys::VerifiedLicenseSet& verified,
                            int64_t now);

// Returns the ModuleLicense row of `module` with its row signature.
ModuleRecord MakeModuleRecord(const v1::ModuleLicense& module, int64_t now,
                              std::string signature);

// Returns the ModuleLicense rows of the verified set, in the set's order,
// each with the row signature of its sort order.
std::vector<ModuleRecord> MakeModuleRecords(
    const v1::SignedLicenseSet& envelope,
    const keys::VerifiedLicenseSet& verified, int64_t now);

// Returns the column names (e.g. "graceTo") in which `stored` differs from
// `expected`, comparing every signed column and the signatures; the id, the
// audit columns and encryptedCheck are not compared. Empty when equal.
std::vector<std::string> OwnerDifferences(const OwnerRecord& stored,
                                          const OwnerRecord& expected);
// The same for a ModuleLicense row; ModuleOwner_id is not compared either
// (the caller reads the rows of one owner).
std::vector<std::string> ModuleDifferences(const ModuleRecord& stored,
                                           const ModuleRecord& expected);

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_SET_RECORDS_H_
