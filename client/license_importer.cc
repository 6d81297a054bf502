#include "client/license_importer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/internal/plans.h"
#include "client/internal/set_records.h"
#include "client/system_messages.h"
#include "keys/file_io.h"
#include "keys/license_set_envelope.h"
#include "keys/status_macros.h"

namespace superlicense::client {
namespace {

constexpr char kAccepted[] = "accepted";
constexpr char kRejected[] = "rejected";

// (moduleName, moduleVersion): how ReplaceOwner matches rows.
using ModuleKey = std::pair<std::string, std::string>;

// Everything the checks need, read from the verified set.
struct Candidate {
  const v1::SignedLicenseSet* envelope;
  const keys::VerifiedLicenseSet* verified;
  int64_t now;  // Unix seconds

  const v1::LicenseSet& set() const { return verified->set; }
  const std::string& owner() const { return set().owner().owner_name(); }
  std::string started_by;
  std::string Prefix() const {
    return absl::StrCat("license set ", set().customer().serial(), " v",
                        set().version(), ": ");
  }
};

v1::SiteKind ProtoSiteKind(SiteKind kind) {
  return kind == SiteKind::kSatellite ? v1::SITE_KIND_SATELLITE
                                      : v1::SITE_KIND_CENTRAL;
}

absl::Status CheckInstallation(const Candidate& c,
                               const Installation& installation) {
  const v1::LicenseSet& set = c.set();
  if (set.customer().serial() != installation.serial) {
    return absl::FailedPreconditionError(absl::StrCat(
        c.Prefix(), "serial ", set.customer().serial(),
        " is not this installation's serial ", installation.serial));
  }
  const bool satellite = installation.site_kind == SiteKind::kSatellite;
  if (set.site().kind() != ProtoSiteKind(installation.site_kind) ||
      (satellite && set.site().satellite_id() !=
                        static_cast<uint64_t>(installation.satellite_id))) {
    return absl::FailedPreconditionError(absl::StrCat(
        c.Prefix(), "site ", v1::SiteKind_Name(set.site().kind()), " ",
        set.site().satellite_id(), " is not this installation's site"));
  }
  return absl::OkStatus();
}

absl::Status CheckVersionAndTimes(const Candidate& c, int64_t installed,
                                  absl::Duration tolerance) {
  const v1::LicenseSet& set = c.set();
  // The database stores versions as int64; a larger one would wrap around.
  if (set.version() > static_cast<uint64_t>(INT64_MAX)) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.Prefix(), "version ", set.version(), " is too large"));
  }
  if (set.version() <= static_cast<uint64_t>(installed)) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.Prefix(), "version ", set.version(),
                     " is not above the installed version ", installed,
                     ": no rollback or replay"));
  }
  const int64_t latest = c.now + absl::ToInt64Seconds(tolerance);
  if (set.issued_at() > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.Prefix(), "issued at ", set.issued_at(),
                     ", beyond the clock tolerance of now ", c.now));
  }
  if (set.grace_to() != 0 && c.now > set.grace_to()) {
    return absl::FailedPreconditionError(absl::StrCat(
        c.Prefix(), "now ", c.now, " is past its grace_to ", set.grace_to()));
  }
  return absl::OkStatus();
}

// Returns the modules in use whose new total is below the assigned count.
std::vector<CountShortfall> FindShortfalls(
    const v1::LicenseSet& set, const std::vector<ModuleUsage>& usage) {
  std::map<ModuleKey, const v1::ModuleLicense*> next;
  for (const v1::ModuleLicense& m : set.module_licenses()) {
    next[{m.module_name(), m.module_version()}] = &m;
  }
  std::vector<CountShortfall> shortfalls;
  for (const ModuleUsage& u : usage) {
    if (u.assigned <= 0) continue;
    auto it = next.find({u.module_name, u.module_version});
    if (it != next.end() && it->second->unrestricted()) continue;
    const int64_t total = it == next.end() ? 0 : it->second->license_number();
    if (total >= u.assigned) continue;
    shortfalls.push_back(
        {u.module_name, u.assigned, total, u.assigned - total});
  }
  return shortfalls;
}

// Returns a line for each link that the new set would turn into one the
// LicenseAssigner refuses: a module the new set hides, held by an associate
// that holds no plan of the new set implying it (hidden modules come only
// through plans; the license view reports such a link as tampering).
std::vector<std::string> FindHiddenHoldings(const v1::LicenseSet& set,
                                            const OwnerView& installed) {
  std::map<std::string, const v1::ModuleLicense*> next;
  for (const v1::ModuleLicense& m : set.module_licenses()) {
    next[m.module_name()] = &m;
  }
  std::map<int64_t, std::string> names;  // ModuleLicense_id -> module
  for (const ModuleRecord& m : installed.modules) names[m.id] = m.module_name;
  std::map<int64_t, std::set<std::string>> held;  // associate -> modules
  for (const AssocLinkRecord& link : installed.assoc_links) {
    held[link.assoc_id].insert(names[link.module_license_id]);
  }
  std::vector<std::string> lines;
  for (const AssocLinkRecord& link : installed.assoc_links) {
    const std::string& name = names[link.module_license_id];
    auto row = next.find(name);
    if (row == next.end() || !row->second->hidden() ||
        row->second->extra_flags() == internal::kPlanFlag) {
      continue;
    }
    bool implied = false;
    for (const std::string& plan_name : held[link.assoc_id]) {
      auto plan = next.find(plan_name);
      if (plan == next.end()) continue;
      for (const std::string& implied_name : internal::PlanModuleNames(
               plan->second->extra_flags(), plan->second->extra_info())) {
        implied = implied || implied_name == name;
      }
    }
    if (!implied) {
      lines.push_back(absl::StrCat("module \"", name,
                                   "\" is hidden in the new set but held by "
                                   "associate ",
                                   link.assoc_id,
                                   " without a plan that implies it"));
    }
  }
  return lines;
}

absl::Status ShortfallError(const Candidate& c,
                            const std::vector<CountShortfall>& shortfalls) {
  std::vector<std::string> lines;
  for (const CountShortfall& s : shortfalls) {
    lines.push_back(absl::StrCat("module \"", s.module_name, "\": ", s.in_use,
                                 " in use, ", s.new_total,
                                 " in the new set, remove ", s.must_remove));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      c.Prefix(),
      "fewer licenses than are in use: ", absl::StrJoin(lines, "; ")));
}

// The import's system message with `status`.
SystemMessage ImportMessage(const Candidate& c, const char* status,
                            const char* type, absl::string_view text) {
  SystemMessage m;
  m.owner_name = c.owner();
  m.operation = kImportOperation;
  m.status = status;
  m.message = std::string(text.substr(0, 4000));
  m.started = c.now;
  m.started_by = c.started_by.substr(0, 255);
  m.type = type;
  return m;
}

std::string SetName(const Candidate& c) {
  return absl::StrCat("license set ", c.set().customer().serial(), " v",
                      c.set().version(), " of ", c.owner());
}

// Writes the set; the caller commits.
absl::Status Install(CrmTransaction& txn, const Candidate& c,
                     const std::string& raw) {
  RETURN_IF_ERROR(
      txn.ReplaceOwner(
             internal::MakeOwnerRecord(*c.envelope, *c.verified, c.now),
             internal::MakeModuleRecords(*c.envelope, *c.verified, c.now))
          .status());
  RETURN_IF_ERROR(txn.RecordEnvelope(
      {c.owner(), static_cast<int64_t>(c.set().version()), raw, c.now}));
  RETURN_IF_ERROR(
      txn.RecordImport({0, c.owner(), static_cast<int64_t>(c.set().version()),
                        kAccepted, "", c.now})
          .status());
  return txn
      .AddSystemMessage(ImportMessage(
          c, "finished", kMessageInfo,
          absl::StrCat("New licence activated: ", SetName(c), " (",
                       c.set().module_licenses_size(), " modules)")))
      .status();
}

// Locks the owner (if installed), keeps its rows in *installed (empty when
// not installed) and returns its module usage.
absl::StatusOr<std::vector<ModuleUsage>> LockAndCount(CrmTransaction& txn,
                                                      const Candidate& c,
                                                      OwnerView* installed) {
  absl::StatusOr<OwnerView> locked = txn.LockOwner(c.owner());
  if (!locked.ok() && !absl::IsNotFound(locked.status())) {
    return locked.status();
  }
  if (locked.ok()) *installed = *std::move(locked);
  return txn.CountAssigned(c.owner());
}

// Runs the checks and the install in one transaction. A policy or count
// rejection is returned in *rejection (and as the result) after rollback;
// other errors come from the database.
absl::Status CheckAndInstall(CrmDatabase& db, const Candidate& c,
                             const std::string& raw, absl::Duration tolerance,
                             absl::Status* rejection,
                             std::vector<CountShortfall>* shortfalls) {
  ASSIGN_OR_RETURN(std::unique_ptr<CrmTransaction> txn, db.BeginWrite());
  // Lock first: the version must be read after any concurrent import has
  // committed (PostgreSQL row locks; SQLite has one writer anyway).
  ASSIGN_OR_RETURN(Installation installation, txn->LockInstallation());
  OwnerView installed_rows;
  ASSIGN_OR_RETURN(std::vector<ModuleUsage> usage,
                   LockAndCount(*txn, c, &installed_rows));
  ASSIGN_OR_RETURN(int64_t installed, txn->HighestImportedVersion(c.owner()));
  *rejection = CheckInstallation(c, installation);
  if (rejection->ok())
    *rejection = CheckVersionAndTimes(c, installed, tolerance);
  if (rejection->ok()) {
    *shortfalls = FindShortfalls(c.set(), usage);
    if (!shortfalls->empty()) *rejection = ShortfallError(c, *shortfalls);
  }
  if (rejection->ok()) {
    const std::vector<std::string> hidden =
        FindHiddenHoldings(c.set(), installed_rows);
    if (!hidden.empty()) {
      *rejection = absl::FailedPreconditionError(absl::StrCat(
          c.Prefix(), "unassign first: ", absl::StrJoin(hidden, "; ")));
    }
  }
  if (!rejection->ok()) return *rejection;  // txn rolls back
  RETURN_IF_ERROR(Install(*txn, c, raw));
  return txn->Commit();
}

// The version column of import_history is signed 64-bit: a version beyond
// it (always rejected) is recorded as 0; the message keeps the real value.
int64_t HistoryVersion(uint64_t version) {
  return version > static_cast<uint64_t>(INT64_MAX)
             ? 0
             : static_cast<int64_t>(version);
}

// Appends a "rejected" entry in its own transaction; returns `rejection`,
// noting in its message when the entry could not be written.
absl::Status RecordRejection(CrmDatabase& db, const Candidate& c,
                             const absl::Status& rejection) {
  absl::Status recorded = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<CrmTransaction> txn, db.BeginWrite());
    RETURN_IF_ERROR(
        txn->RecordImport({0, c.owner(), HistoryVersion(c.set().version()),
                           kRejected, std::string(rejection.message()), c.now})
            .status());
    RETURN_IF_ERROR(
        txn->AddSystemMessage(
               ImportMessage(c, kRejected, kMessageError, rejection.message()))
            .status());
    return txn->Commit();
  }();
  if (recorded.ok()) return rejection;
  return absl::Status(
      rejection.code(),
      absl::StrCat(rejection.message(), " (not recorded in import_history: ",
                   recorded.ToString(), ")"));
}

}  // namespace

LicenseImporter::LicenseImporter(const keys::TrustStore* trust,
                                 const Clock* clock, ImportPolicy policy)
    : trust_(trust), clock_(clock), policy_(policy) {}

absl::StatusOr<ImportResult> LicenseImporter::Import(
    CrmDatabase& db, const v1::SignedLicenseSet& envelope,
    std::vector<CountShortfall>* shortfalls) const {
  return ImportBytes(db, envelope, envelope.SerializeAsString(), shortfalls);
}

absl::StatusOr<ImportResult> LicenseImporter::ImportFile(
    CrmDatabase& db, const std::string& path,
    std::vector<CountShortfall>* shortfalls) const {
  if (shortfalls != nullptr) shortfalls->clear();
  ASSIGN_OR_RETURN(std::string raw,
                   ReadFileLimited(path, keys::kMaxEnvelopeBytes));
  if (raw.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the file is empty"));
  }
  absl::StatusOr<v1::SignedLicenseSet> envelope =
      keys::DecodeSignedLicenseSet(raw);
  if (!envelope.ok()) {
    return absl::Status(envelope.status().code(),
                        absl::StrCat(path, ": ", envelope.status().message()));
  }
  return ImportBytes(db, *envelope, raw, shortfalls);
}

absl::StatusOr<ImportResult> LicenseImporter::ImportBytes(
    CrmDatabase& db, const v1::SignedLicenseSet& envelope,
    const std::string& raw, std::vector<CountShortfall>* shortfalls) const {
  if (shortfalls != nullptr) shortfalls->clear();
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(keys::VerifiedLicenseSet verified,
                   trust_->VerifyLicenseSet(envelope, now));
  Candidate c{&envelope, &verified, absl::ToUnixSeconds(now),
              policy_.started_by};
  // Best effort: a database that cannot take this cannot take the import
  // either, and the import's own error is the one to report.
  SystemMessage started = ImportMessage(c, "started", kMessageInfo,
                                        absl::StrCat("importing ", SetName(c)));
  started.expected_end = c.now + 60;
  system_messages::Record(db, started).IgnoreError();
  absl::Status rejection;
  std::vector<CountShortfall> found;
  absl::Status status =
      CheckAndInstall(db, c, raw, policy_.future_tolerance, &rejection, &found);
  if (shortfalls != nullptr) *shortfalls = found;
  if (!rejection.ok()) return RecordRejection(db, c, rejection);
  if (!status.ok()) {
    system_messages::Record(
        db, ImportMessage(c, "failed", kMessageError, status.ToString()))
        .IgnoreError();
    return status;
  }
  return ImportResult{c.owner(), c.set().version(),
                      c.set().module_licenses_size()};
}

}  // namespace superlicense::client
