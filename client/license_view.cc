#include "client/license_view.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/consumption.h"
#include "client/internal/plans.h"
#include "client/internal/set_records.h"
#include "keys/license_set_envelope.h"
#include "keys/status_macros.h"

namespace superlicense::client {
namespace {

constexpr char kDefaultOwner[] = "SUPEROFFICE";
constexpr int64_t kSystemLicense = 1;
constexpr int64_t kSiteLicense = 2;
using internal::kPlanFlag;

// (moduleName, moduleVersion): how rows of one owner are told apart.
using ModuleKey = std::pair<std::string, std::string>;

std::string FormatUnix(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

std::string RowName(const std::string& name, const std::string& version) {
  return version.empty()
             ? absl::StrCat("\"", name, "\"")
             : absl::StrCat("\"", name, "\" version \"", version, "\"");
}

// SUM(LicenseAssocLink.licenseNumber) per ModuleLicense_id.
std::map<int64_t, int64_t> Assigned(const OwnerView& rows) {
  std::map<int64_t, int64_t> assigned;
  for (const AssocLinkRecord& link : rows.assoc_links) {
    assigned[link.module_license_id] += link.license_number;
  }
  return assigned;
}

// The stored envelope, decoded and verified.
struct SignedSet {
  v1::SignedLicenseSet envelope;
  keys::VerifiedLicenseSet verified;
};

absl::StatusOr<SignedSet> VerifyStored(const EnvelopeRecord& record,
                                       const keys::TrustStore& trust,
                                       absl::Time now) {
  SignedSet out;
  ASSIGN_OR_RETURN(out.envelope, keys::DecodeSignedLicenseSet(record.envelope));
  ASSIGN_OR_RETURN(out.verified, trust.VerifyLicenseSet(out.envelope, now));
  return out;
}

// Appends a problem for every stored row that is not what `signed_set`
// installs, and for every signed row that is missing.
void CompareRows(const OwnerView& rows, const SignedSet& signed_set,
                 std::vector<std::string>& problems) {
  const OwnerRecord expected_owner =
      internal::MakeOwnerRecord(signed_set.envelope, signed_set.verified, 0);
  std::vector<std::string> fields =
      internal::OwnerDifferences(rows.owner, expected_owner);
  if (!fields.empty()) {
    problems.push_back(absl::StrCat("ModuleOwner row \"", rows.owner.owner_name,
                                    "\" differs from the signed set (",
                                    absl::StrJoin(fields, ", "), ")"));
  }
  std::map<ModuleKey, ModuleRecord> expected;
  for (ModuleRecord& m : internal::MakeModuleRecords(signed_set.envelope,
                                                     signed_set.verified, 0)) {
    ModuleKey key{m.module_name, m.module_version};
    expected.emplace(std::move(key), std::move(m));
  }
  std::map<ModuleKey, bool> seen;
  for (const ModuleRecord& stored : rows.modules) {
    const ModuleKey key{stored.module_name, stored.module_version};
    const std::string name = RowName(stored.module_name, stored.module_version);
    auto it = expected.find(key);
    if (it == expected.end()) {
      problems.push_back(absl::StrCat("ModuleLicense row ", name,
                                      " is not in the signed set"));
      continue;
    }
    if (seen[key]) {
      problems.push_back(
          absl::StrCat("ModuleLicense row ", name, " appears more than once"));
      continue;
    }
    seen[key] = true;
    fields = internal::ModuleDifferences(stored, it->second);
    if (!fields.empty()) {
      problems.push_back(absl::StrCat("ModuleLicense row ", name,
                                      " differs from the signed set (",
                                      absl::StrJoin(fields, ", "), ")"));
    }
  }
  for (const auto& [key, module] : expected) {
    if (!seen[key]) {
      problems.push_back(absl::StrCat("module ", RowName(key.first, key.second),
                                      " of the signed set is missing"));
    }
  }
}

// Appends a problem when the set is not this installation's.
void CompareInstallation(const v1::LicenseSet& set,
                         const Installation& installation,
                         std::vector<std::string>& problems) {
  if (set.customer().serial() != installation.serial) {
    problems.push_back(absl::StrCat(
        "the signed set is for serial ", set.customer().serial(),
        ", not this installation's serial \"", installation.serial, "\""));
  }
  const bool satellite = installation.site_kind == SiteKind::kSatellite;
  const v1::SiteKind kind =
      satellite ? v1::SITE_KIND_SATELLITE : v1::SITE_KIND_CENTRAL;
  if (set.site().kind() != kind ||
      (satellite && set.site().satellite_id() !=
                        static_cast<uint64_t>(installation.satellite_id))) {
    problems.push_back(absl::StrCat(
        "the signed set is for site ", v1::SiteKind_Name(set.site().kind()),
        " ", set.site().satellite_id(), ", not this installation's site"));
  }
}

// Appends a problem for links beyond a restricted module's licenseNumber,
// and for links that occupy less than one license (they would hide from
// the count).
void CompareCounts(const OwnerView& rows, std::vector<std::string>& problems) {
  const std::map<int64_t, int64_t> assigned = Assigned(rows);
  for (const AssocLinkRecord& link : rows.assoc_links) {
    if (link.license_number < 1) {
      problems.push_back(absl::StrCat("LicenseAssocLink row ", link.id,
                                      ": licenseNumber ", link.license_number));
    }
  }
  for (const ModuleRecord& m : rows.modules) {
    auto it = assigned.find(m.id);
    if (m.unrestricted || it == assigned.end()) continue;
    if (it->second > m.license_number) {
      problems.push_back(
          absl::StrCat("module \"", m.module_name, "\": ", it->second,
                       " assigned, licenseNumber ", m.license_number));
    }
  }
}

// Appends a problem for every link the LicenseAssigner would have refused to
// write: a link of an associate that does not exist, a second link of one
// associate to one module, and a link to a hidden module that no plan the
// associate holds implies (hidden modules come only through plans).
void CompareLinks(const OwnerView& rows,
                  const absl::flat_hash_set<int64_t>& associates,
                  std::vector<std::string>& problems) {
  std::map<int64_t, const ModuleRecord*> modules;
  for (const ModuleRecord& m : rows.modules) modules[m.id] = &m;
  // associate -> names of the modules of this owner it holds.
  std::map<int64_t, absl::flat_hash_set<std::string>> held;
  std::set<std::pair<int64_t, int64_t>> links;
  for (const AssocLinkRecord& link : rows.assoc_links) {
    const std::string row = absl::StrCat("LicenseAssocLink row ", link.id);
    if (!associates.contains(link.assoc_id)) {
      problems.push_back(
          absl::StrCat(row, ": associate ", link.assoc_id, " does not exist"));
    }
    if (!links.emplace(link.module_license_id, link.assoc_id).second) {
      problems.push_back(absl::StrCat(row, ": associate ", link.assoc_id,
                                      " holds the module more than once"));
    }
    held[link.assoc_id].insert(modules.at(link.module_license_id)->module_name);
  }
  for (const AssocLinkRecord& link : rows.assoc_links) {
    const ModuleRecord& m = *modules.at(link.module_license_id);
    if (!m.hidden || m.extra_flags == kPlanFlag) continue;
    bool implied = false;
    for (const ModuleRecord& plan : rows.modules) {
      if (!held[link.assoc_id].contains(plan.module_name)) continue;
      for (const std::string& name :
           internal::PlanModuleNames(plan.extra_flags, plan.extra_info)) {
        implied = implied || name == m.module_name;
      }
    }
    if (!implied) {
      problems.push_back(absl::StrCat("LicenseAssocLink row ", link.id,
                                      ": hidden module \"", m.module_name,
                                      "\" held by associate ", link.assoc_id,
                                      " without a plan that implies it"));
    }
  }
}

// Checks the stored envelope of `rows`' owner against the trust bundle, the
// installation and the rows; fills the set's facts into `status`.
absl::Status CheckSigned(CrmReader& db, const keys::TrustStore& trust,
                         absl::Time now, const Installation& installation,
                         const OwnerView& rows, OwnerStatus& status,
                         std::vector<std::string>& problems) {
  const std::string& name = rows.owner.owner_name;
  absl::StatusOr<EnvelopeRecord> record = db.LatestEnvelope(name);
  if (absl::IsNotFound(record.status())) {
    problems.push_back("no signed license set is stored for the owner");
    return absl::OkStatus();
  }
  if (!record.ok()) return record.status();
  status.version = static_cast<uint64_t>(record->version);
  absl::StatusOr<SignedSet> signed_set = VerifyStored(*record, trust, now);
  if (!signed_set.ok()) {
    problems.push_back(
        absl::StrCat("the stored license set v", record->version,
                     " does not verify: ", signed_set.status().message()));
    return absl::OkStatus();
  }
  const v1::LicenseSet& set = signed_set->verified.set;
  status.company_name = set.customer().company_name();
  status.serial = set.customer().serial();
  status.version = set.version();
  for (const v1::MeteredServiceThreshold& t : set.metered_services()) {
    status.metered_services.push_back(
        {std::string(MeteredServiceName(t.service())), t.base_amount(),
         t.per_user_amount()});
  }
  if (set.owner().owner_name() != name) {
    problems.push_back(absl::StrCat("the stored license set is for owner ",
                                    set.owner().owner_name()));
  }
  if (set.version() != static_cast<uint64_t>(record->version)) {
    problems.push_back(absl::StrCat("license_envelope row v", record->version,
                                    " holds a set of version ", set.version()));
  }
  ASSIGN_OR_RETURN(int64_t highest, db.HighestImportedVersion(name));
  if (static_cast<uint64_t>(highest) > set.version()) {
    problems.push_back(absl::StrCat("the stored license set v", set.version(),
                                    " is older than the imported v", highest));
  }
  CompareInstallation(set, installation, problems);
  CompareRows(rows, *signed_set, problems);
  return absl::OkStatus();
}

// The state by date alone: the worst of the dates reached.
LicenseState DateState(const OwnerStatus& s, int64_t now, std::string* reason) {
  if (s.grace_to != 0 && now >= s.grace_to) {
    *reason = absl::StrCat("past graceTo ", FormatUnix(s.grace_to),
                           ": licenses stop");
    return LicenseState::kPastGrace;
  }
  if (s.expiration != 0 && now >= s.expiration) {
    *reason = absl::StrCat("expired on ", FormatUnix(s.expiration));
    if (s.grace_to != 0) {
      absl::StrAppend(reason, "; licenses stop at graceTo ",
                      FormatUnix(s.grace_to));
    }
    return LicenseState::kExpired;
  }
  if (s.admin_warning_date != 0 && now >= s.admin_warning_date) {
    *reason = absl::StrCat("adminWarningDate ",
                           FormatUnix(s.admin_warning_date), " reached");
    return LicenseState::kAdminWarning;
  }
  return LicenseState::kOk;
}

// The dates after `now` at which DateState() changes.
absl::Time NextDate(const OwnerStatus& s, int64_t now) {
  absl::Time next = absl::InfiniteFuture();
  for (int64_t date : {s.admin_warning_date, s.expiration, s.grace_to}) {
    if (date != 0 && date > now) {
      next = std::min(next, absl::FromUnixSeconds(date));
    }
  }
  return next;
}

ModuleStatus MakeModuleStatus(const std::string& owner, const ModuleRecord& m,
                              int64_t in_use) {
  ModuleStatus s;
  s.owner_name = owner;
  s.module_name = m.module_name;
  s.description = m.module_description;
  s.license_type = m.license_type;
  s.license_number = m.license_number;
  s.extra_flags = m.extra_flags;
  s.unrestricted = m.unrestricted;
  s.hidden = m.hidden;
  s.in_use = in_use;
  s.free = m.unrestricted ? m.license_number
                          : std::max<int64_t>(0, m.license_number - in_use);
  return s;
}

// Checks one owner completely; returns its status.
absl::StatusOr<OwnerStatus> CheckOwner(
    CrmReader& db, const keys::TrustStore& trust, absl::Time now,
    absl::Duration tolerance, const Installation& installation,
    const absl::flat_hash_set<int64_t>& associates, const OwnerView& rows) {
  OwnerStatus status;
  status.owner_name = rows.owner.owner_name;
  status.expiration = rows.owner.expiration;
  status.grace_to = rows.owner.grace_to;
  status.maintenance_to = rows.owner.maintenance_to;
  status.admin_warning_date = rows.owner.admin_warning_date.value_or(0);
  std::vector<std::string> problems;
  RETURN_IF_ERROR(
      CheckSigned(db, trust, now, installation, rows, status, problems));
  CompareCounts(rows, problems);
  CompareLinks(rows, associates, problems);
  ASSIGN_OR_RETURN(int64_t watermark, db.GetClockWatermark(status.owner_name));
  if (now < absl::FromUnixSeconds(watermark) - tolerance) {
    problems.push_back(
        absl::StrCat("clock is before the newest time seen (now ",
                     FormatUnix(absl::ToUnixSeconds(now)), ", newest seen ",
                     FormatUnix(watermark), ")"));
  }
  if (!problems.empty()) {
    status.state = LicenseState::kTampered;
    status.reason = absl::StrJoin(problems, "; ");
    return status;
  }
  status.state = DateState(status, absl::ToUnixSeconds(now), &status.reason);
  return status;
}

}  // namespace

absl::string_view LicenseStateName(LicenseState state) {
  switch (state) {
    case LicenseState::kOk:
      return "ok";
    case LicenseState::kAdminWarning:
      return "admin-warning";
    case LicenseState::kExpired:
      return "expired";
    case LicenseState::kPastGrace:
      return "past-grace";
    case LicenseState::kTampered:
      return "tampered";
  }
  return "unknown";
}

absl::StatusOr<std::shared_ptr<const LicenseView>> LicenseView::Load(
    CrmReader& db, const keys::TrustStore& trust, const Clock& clock,
    absl::Duration clock_tolerance) {
  std::shared_ptr<LicenseView> view(new LicenseView());
  // The stamp is read before anything else: a change committed after this
  // read moves the stamp away from the one recorded, so LiveLicenseView
  // reloads even when this load already saw part of that change.
  ASSIGN_OR_RETURN(view->change_stamp_, db.ChangeStamp());
  const absl::Time now = clock.Now();
  view->loaded_at_ = now;
  absl::StatusOr<Installation> installation = db.GetInstallation();
  if (installation.ok()) {
    view->installation_ = *std::move(installation);
  } else if (!absl::IsNotFound(installation.status())) {
    return installation.status();
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names, db.ListOwnerNames());
  // Links may only name existing associates (CompareLinks).
  ASSIGN_OR_RETURN(std::vector<Associate> associate_rows, db.ListAssociates());
  absl::flat_hash_set<int64_t> associates;
  for (const Associate& a : associate_rows) associates.insert(a.id);
  for (const std::string& name : names) {
    absl::StatusOr<OwnerView> rows = db.GetOwner(name);
    // Deleted since ListOwnerNames(): the stamp has moved, so the next
    // Refresh() reloads.
    if (absl::IsNotFound(rows.status())) continue;
    if (!rows.ok()) return rows.status();
    ASSIGN_OR_RETURN(OwnerStatus status,
                     CheckOwner(db, trust, now, clock_tolerance,
                                view->installation_, associates, *rows));
    view->stale_at_ =
        std::min(view->stale_at_, NextDate(status, absl::ToUnixSeconds(now)));
    view->AddOwner(std::move(status), *rows);
  }
  for (const OwnerStatus& owner : view->owners_) {
    if (owner.owner_name == kDefaultOwner) view->default_owner_ = kDefaultOwner;
  }
  if (view->default_owner_.empty() && !view->owners_.empty()) {
    view->default_owner_ = view->owners_.front().owner_name;
  }
  return std::shared_ptr<const LicenseView>(std::move(view));
}

void LicenseView::AddOwner(OwnerStatus status, const OwnerView& rows) {
  const std::map<int64_t, int64_t> assigned = Assigned(rows);
  std::vector<ModuleStatus> modules;
  std::map<int64_t, std::string> keys;  // ModuleLicense_id -> OWNER.module
  for (const ModuleRecord& m : rows.modules) {
    auto it = assigned.find(m.id);
    modules.push_back(MakeModuleStatus(status.owner_name, m,
                                       it == assigned.end() ? 0 : it->second));
    keys[m.id] = absl::StrCat(status.owner_name, ".", m.module_name);
    if (status.grants() &&
        (m.license_type == kSystemLicense || m.license_type == kSiteLicense)) {
      system_licenses_.insert(keys[m.id]);
    }
  }
  if (status.grants()) {
    for (const AssocLinkRecord& link : rows.assoc_links) {
      auto it = keys.find(link.module_license_id);
      if (it != keys.end()) held_[link.assoc_id].insert(it->second);
    }
  }
  // Sort the owner's modules by sortOrder (rows come in id order).
  std::vector<std::pair<int64_t, size_t>> order;
  for (size_t i = 0; i < rows.modules.size(); ++i) {
    order.emplace_back(rows.modules[i].sort_order, i);
  }
  std::stable_sort(order.begin(), order.end());
  for (const auto& [sort_order, index] : order) {
    modules_.push_back(std::move(modules[index]));
  }
  owners_.push_back(std::move(status));
}

bool LicenseView::Has(int64_t associate_id, absl::string_view module) const {
  // Builds "OWNER.module" in a stack buffer: no allocation per check.
  char buffer[256];
  absl::string_view owner = default_owner_;
  absl::string_view name = module;
  const size_t dot = module.find('.');
  if (dot != absl::string_view::npos) {
    owner = module.substr(0, dot);
    name = module.substr(dot + 1);
  }
  if (owner.empty() || name.empty()) return false;
  const size_t size = owner.size() + 1 + name.size();
  std::string heap;
  char* out = buffer;
  if (size > sizeof(buffer)) {
    heap.resize(size);
    out = heap.data();
  }
  for (size_t i = 0; i < owner.size(); ++i) {
    out[i] = absl::ascii_toupper(static_cast<unsigned char>(owner[i]));
  }
  out[owner.size()] = '.';
  std::copy(name.begin(), name.end(), out + owner.size() + 1);
  return HasKey(associate_id, absl::string_view(out, size));
}

bool LicenseView::HasKey(int64_t associate_id, absl::string_view key) const {
  if (system_licenses_.contains(key)) return true;
  auto it = held_.find(associate_id);
  return it != held_.end() && it->second.contains(key);
}

LiveLicenseView::LiveLicenseView(const keys::TrustStore* trust,
                                 const Clock* clock)
    : trust_(trust), clock_(clock) {}

absl::StatusOr<bool> LiveLicenseView::Refresh(CrmReader& db) {
  std::lock_guard<std::mutex> refreshing(refresh_mu_);
  ASSIGN_OR_RETURN(int64_t stamp, db.ChangeStamp());
  std::shared_ptr<const LicenseView> view = current();
  if (view != nullptr && view->change_stamp() == stamp &&
      clock_->Now() < view->stale_at()) {
    return false;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const LicenseView> next,
                   LicenseView::Load(db, *trust_, *clock_));
  std::lock_guard<std::mutex> lock(mu_);
  view_ = std::move(next);
  return true;
}

std::shared_ptr<const LicenseView> LiveLicenseView::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return view_;
}

bool LiveLicenseView::Has(int64_t associate_id,
                          absl::string_view module) const {
  std::shared_ptr<const LicenseView> view = current();
  return view != nullptr && view->Has(associate_id, module);
}

}  // namespace superlicense::client
