// System messages: the status tab's list of operations (docs/DOMAIN.md,
// "The licence screen"): what happened or is happening, its status, a
// message, when it started, who started it, when it is expected to end, and
// its type ("info", "warning", "error"). An append-only log in table
// system_message.
//
// Who writes them:
//  * LicenseImporter: operation "import", status "started" (after the set
//    verified, its own transaction, expected_end one minute later),
//    "finished" (in the import's transaction) or "rejected" with the reason
//    (in the same transaction as the "rejected" import_history entry).
//  * LicenseFetcher::FetchAndImport: operation "fetch", status "available"
//    when the authority has a newer set (before importing it).
//  * RecordStateChanges(): operation "license-state", status the owner's
//    LicenseStateName(), one message per state transition.
#ifndef SUPERLICENSE_CLIENT_SYSTEM_MESSAGES_H_
#define SUPERLICENSE_CLIENT_SYSTEM_MESSAGES_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/crm_database.h"
#include "client/license_view.h"

namespace superlicense::client {

inline constexpr char kMessageInfo[] = "info";
inline constexpr char kMessageWarning[] = "warning";
inline constexpr char kMessageError[] = "error";
inline constexpr char kImportOperation[] = "import";
inline constexpr char kLicenseStateOperation[] = "license-state";

namespace system_messages {

// Checks `message`: operation and status 1 to 64 characters, message at
// most 4000, started_by at most 255, started >= 0, expected_end (when set)
// not before started, type "info", "warning" or "error". INVALID_ARGUMENT
// naming the field and the value.
absl::Status Validate(const SystemMessage& message);

// Appends `message` (Validate()d) in its own write transaction; returns its
// id. Inside an existing transaction use CrmTransaction::AddSystemMessage.
absl::StatusOr<int64_t> Record(CrmDatabase& db, const SystemMessage& message);

// Returns the newest `limit` messages (1 to 1000), newest first.
// INVALID_ARGUMENT for another limit.
absl::StatusOr<std::vector<SystemMessage>> List(CrmReader& db, int64_t limit);

}  // namespace system_messages

// Records one "license-state" message per owner of `view` whose state
// differs from the status of its newest "license-state" message (an owner
// without one counts as "ok", so a fresh, healthy installation records
// nothing): tampering found, admin-warning date reached, expired, grace
// ended, and back to ok. Never repeats a message while the state stays the
// same; concurrent callers are serialised (the installation row is locked
// first), so each transition is recorded once. `acting_user` is recorded as
// started_by; started is view.loaded_at(). Returns how many messages were
// recorded. Database errors passed through.
absl::StatusOr<int> RecordStateChanges(CrmDatabase& db, const LicenseView& view,
                                       absl::string_view acting_user);

}  // namespace superlicense::client

#endif  // SUPERLICENSE_CLIENT_SYSTEM_MESSAGES_H_
