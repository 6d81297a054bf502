#include "client/system_messages.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "keys/status_macros.h"

namespace superlicense::client {
namespace system_messages {
namespace {

constexpr size_t kMaxName = 64;
constexpr size_t kMaxMessage = 4000;
constexpr size_t kMaxStartedBy = 255;
constexpr int64_t kMaxList = 1000;

absl::Status CheckLength(absl::string_view field, absl::string_view value,
                         size_t min, size_t max) {
  if (value.size() < min || value.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("system message: ", field, " must be ", min, " to ", max,
                     " characters, got ", value.size(), " (\"",
                     absl::CHexEscape(value.substr(0, 40)), "\")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Validate(const SystemMessage& m) {
  RETURN_IF_ERROR(CheckLength("operation", m.operation, 1, kMaxName));
  RETURN_IF_ERROR(CheckLength("status", m.status, 1, kMaxName));
  RETURN_IF_ERROR(CheckLength("message", m.message, 0, kMaxMessage));
  RETURN_IF_ERROR(CheckLength("started_by", m.started_by, 0, kMaxStartedBy));
  if (m.started < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("system message: started ", m.started, " is negative"));
  }
  if (m.expected_end && *m.expected_end < m.started) {
    return absl::InvalidArgumentError(
        absl::StrCat("system message: expected_end ", *m.expected_end,
                     " is before started ", m.started));
  }
  if (m.type != kMessageInfo && m.type != kMessageWarning &&
      m.type != kMessageError) {
    return absl::InvalidArgumentError(
        absl::StrCat("system message: type \"", absl::CHexEscape(m.type),
                     "\" is not info, warning or error"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Record(CrmDatabase& db, const SystemMessage& message) {
  RETURN_IF_ERROR(Validate(message));
  ASSIGN_OR_RETURN(std::unique_ptr<CrmTransaction> txn, db.BeginWrite());
  ASSIGN_OR_RETURN(int64_t id, txn->AddSystemMessage(message));
  RETURN_IF_ERROR(txn->Commit());
  return id;
}

absl::StatusOr<std::vector<SystemMessage>> List(CrmReader& db, int64_t limit) {
  if (limit < 1 || limit > kMaxList) {
    return absl::InvalidArgumentError(absl::StrCat(
        "system messages: limit ", limit, " is not 1 to ", kMaxList));
  }
  return db.ListSystemMessages(limit);
}

}  // namespace system_messages

namespace {

constexpr size_t kMaxMessageForState = 4000;

const char* TypeOf(LicenseState state) {
  switch (state) {
    case LicenseState::kOk:
      return kMessageInfo;
    case LicenseState::kAdminWarning:
    case LicenseState::kExpired:
      return kMessageWarning;
    case LicenseState::kPastGrace:
    case LicenseState::kTampered:
      return kMessageError;
  }
  return kMessageError;
}

std::string TextOf(const OwnerStatus& o) {
  switch (o.state) {
    case LicenseState::kOk:
      return absl::StrCat("licenses of ", o.owner_name, " are in order again");
    case LicenseState::kAdminWarning:
      return absl::StrCat("admin warning date reached: ", o.reason);
    case LicenseState::kExpired:
      return absl::StrCat("license set expired: ", o.reason);
    case LicenseState::kPastGrace:
      return absl::StrCat("grace period ended, licenses stopped: ", o.reason);
    case LicenseState::kTampered:
      return absl::StrCat("tampering found, licenses refused: ", o.reason);
  }
  return o.reason;
}

// The message's text is bounded; a long reason is cut.
std::string Bounded(std::string text) {
  if (text.size() > kMaxMessageForState) text.resize(kMaxMessageForState);
  return text;
}

}  // namespace

absl::StatusOr<int> RecordStateChanges(CrmDatabase& db, const LicenseView& view,
                                       absl::string_view acting_user) {
  ASSIGN_OR_RETURN(std::unique_ptr<CrmTransaction> txn, db.BeginWrite());
  // Serialises concurrent callers on PostgreSQL (SQLite: BEGIN IMMEDIATE).
  absl::StatusOr<Installation> locked = txn->LockInstallation();
  if (!locked.ok() && !absl::IsNotFound(locked.status())) {
    return locked.status();
  }
  int recorded = 0;
  for (const OwnerStatus& owner : view.owners()) {
    const std::string state(LicenseStateName(owner.state));
    absl::StatusOr<SystemMessage> last =
        txn->LatestSystemMessage(owner.owner_name, kLicenseStateOperation);
    if (!last.ok() && !absl::IsNotFound(last.status())) return last.status();
    const std::string previous = last.ok() ? last->status : "ok";
    if (previous == state) continue;
    SystemMessage m;
    m.owner_name = owner.owner_name;
    m.operation = kLicenseStateOperation;
    m.status = state;
    m.message = Bounded(TextOf(owner));
    m.started = absl::ToUnixSeconds(view.loaded_at());
    m.started_by = std::string(acting_user.substr(0, 255));
    m.type = TypeOf(owner.state);
    RETURN_IF_ERROR(system_messages::Validate(m));
    RETURN_IF_ERROR(txn->AddSystemMessage(m).status());
    ++recorded;
  }
  if (recorded == 0) return 0;  // the transaction rolls back: nothing to do
  RETURN_IF_ERROR(txn->Commit());
  return recorded;
}

}  // namespace superlicense::client
