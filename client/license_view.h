// LicenseView: the run-time answer to "may associate A use module M?".
//
// Load() reads every installed owner from the CRM database ONCE and checks
// it against what was signed: the owner's newest stored envelope is verified
// completely against the trust bundle (keys::TrustStore::VerifyLicenseSet),
// and the ModuleOwner row and the owner's ModuleLicense rows must equal, field
// by field and signature by signature, what that verified set installs — so
// an edited, added or removed row is found. Assignments the LicenseAssigner
// would refuse — beyond a restricted module's licenseNumber, of an associate
// that does not exist, twice to one associate, of a hidden module no held
// plan implies — and a clock earlier than the newest time seen for the owner
// (the clock watermark, minus a small tolerance), are tampering too. (Links
// whose ModuleLicense row does not exist are not read: they grant nothing.) A
// tampered owner fails closed: none of its licenses are granted, and its
// OwnerStatus says why. Other owners are unaffected.
//
// After Load() every check is answered from memory (hash lookups, no I/O).
// A LicenseView is immutable and thread-safe; LiveLicenseView (below) swaps
// in a new one when the database changes.
#ifndef SUPERLICENSE_CLIENT_LICENSE_VIEW_H_
#define SUPERLICENSE_CLIENT_LICENSE_VIEW_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/crm_database.h"
#include "keys/clock.h"
#include "keys/trust_store.h"

namespace superlicense::client {

// The state of one owner's licenses, worst first when several apply.
enum class LicenseState {
  kOk,            // everything in order
  kAdminWarning,  // now >= adminWarningDate: warn the administrator
  kExpired,       // now >= expiration (not 0): warn, licenses still work
  kPastGrace,     // now >= graceTo: licenses stop, the CRM is read-only
  kTampered,      // rows, signatures, counts or the clock do not add up
};

// "ok", "admin-warning", "expired", "past-grace", "tampered".
absl::string_view LicenseStateName(LicenseState state);

// The included amount of one metered service, from a verified license set
// (LicenseSet.metered_services): base + per_user x users, in the service's
// unit. `service` is the short name ("storage", "mailing_emails", ...; see
// client/consumption.h).
struct MeteredThreshold {
  std::string service;
  uint64_t base_amount = 0;
  uint64_t per_user_amount = 0;
};

// One installed owner as the view sees it.
struct OwnerStatus {
  std::string owner_name;
  std::string company_name;
  std::string serial;
  uint64_t version = 0;
  int64_t expiration = 0;  // 0 = forever
  int64_t grace_to = 0;
  int64_t maintenance_to = 0;
  int64_t admin_warning_date = 0;  // 0 = none
  LicenseState state = LicenseState::kOk;
  // Why the state is not kOk, e.g. `module "web": 6 assigned, licenseNumber
  // 5` or `ModuleLicense row "sale-cal" differs from the signed set
  // (licenseNumber)`; empty for kOk.
  std::string reason;
  // The consumption thresholds of the owner's stored set, taken only from
  // the envelope that verified against the trust bundle (empty when it did
  // not verify or meters nothing). Filled even when the owner is tampered
  // with in other ways: the signed thresholds are still the issuer's.
  std::vector<MeteredThreshold> metered_services;
  // True when the owner's licenses are granted (every state but kPastGrace
  // and kTampered).
  bool grants() const {
    return state != LicenseState::kPastGrace &&
           state != LicenseState::kTampered;
  }
};

// One module license with its use, for status screens.
struct ModuleStatus {
  std::string owner_name;
  std::string module_name;
  std::string description;
  int64_t license_type = 0;  // 1 system, 2 site, 3 user
  int64_t license_number = 0;
  int64_t extra_flags = 0;  // 1 user plan, 2 plan marker
  bool unrestricted = false;
  bool hidden = false;
  int64_t in_use = 0;  // SUM(LicenseAssocLink.licenseNumber)
  // license_number - in_use, never below 0; unrestricted: license_number.
  int64_t free = 0;
};

class LicenseView {
 public:
  // Reads and checks every owner (see the file comment). Fails only when the
  // database cannot be read; tampering is reported per owner, not as an
  // error. `clock` is read once; now earlier than the watermark minus
  // `clock_tolerance` is tampering.
  static absl::StatusOr<std::shared_ptr<const LicenseView>> Load(
      CrmReader& db, const keys::TrustStore& trust, const Clock& clock,
      absl::Duration clock_tolerance = absl::Minutes(5));

  // True when `associate_id` holds `module` ("owner.module", the owner
  // matched case-insensitively, or "module", which means SUPEROFFICE when
  // installed, else the first owner by name) through a
  // LicenseAssocLink and the owner grants() — or when `module` is a system or
  // site license (licenseType 1 or 2) of an owner that grants(). False for
  // anything unknown. From memory; thread-safe.
  bool Has(int64_t associate_id, absl::string_view module) const;

  // The installation row read at Load() (empty serial when not initialised).
  const Installation& installation() const { return installation_; }
  // Every installed owner, by name.
  const std::vector<OwnerStatus>& owners() const { return owners_; }
  // Every module of every owner, in owner then sortOrder order.
  const std::vector<ModuleStatus>& modules() const { return modules_; }
  // The database's change stamp at Load() (CrmReader::ChangeStamp()).
  int64_t change_stamp() const { return change_stamp_; }
  // The clock's time at Load().
  absl::Time loaded_at() const { return loaded_at_; }
  // The earliest time after loaded_at() at which an owner's state changes
  // by date alone (its adminWarningDate, expiration or graceTo is reached);
  // absl::InfiniteFuture() when none. LiveLicenseView reloads from then on.
  absl::Time stale_at() const { return stale_at_; }

 private:
  LicenseView() = default;

  // Adds one checked owner: its status, its modules and, when it grants,
  // its system licenses and links.
  void AddOwner(OwnerStatus status, const OwnerView& rows);
  // Looks `key` ("OWNER.module") up for `associate_id`.
  bool HasKey(int64_t associate_id, absl::string_view key) const;

  Installation installation_;
  std::vector<OwnerStatus> owners_;
  std::vector<ModuleStatus> modules_;
  int64_t change_stamp_ = 0;
  absl::Time loaded_at_ = absl::InfinitePast();
  absl::Time stale_at_ = absl::InfiniteFuture();
  // "owner.module" of system/site licenses of granting owners.
  absl::flat_hash_set<std::string> system_licenses_;
  // associate id -> "owner.module" held, granting owners only.
  absl::flat_hash_map<int64_t, absl::flat_hash_set<std::string>> held_;
  std::string default_owner_;  // owner meant by a bare module name
};

// A LicenseView that follows the database: Refresh() compares the
// database's change stamp with the view's and reloads when it moved (any
// committed write to the licensing tables, including edits made behind the
// library's back), or when the clock reached the view's stale_at(). Has() is
// answered by the current view and never waits for a reload. Thread-safe;
// concurrent Refresh() calls run one at a time.
class LiveLicenseView {
 public:
  // `trust` and `clock` are not owned and must outlive this object.
  LiveLicenseView(const keys::TrustStore* trust, const Clock* clock);

  // Loads when nothing is loaded yet or the stamp changed; returns whether
  // it reloaded. Errors from reading the database; the old view stays.
  absl::StatusOr<bool> Refresh(CrmReader& db);

  // The current view; nullptr before the first successful Refresh().
  std::shared_ptr<const LicenseView> current() const;

  // current()->Has(...); false before the first Refresh().
  bool Has(int64_t associate_id, absl::string_view module) const;

 private:
  const keys::TrustStore* const trust_;
  const Clock* const clock_;
  std::mutex refresh_mu_;  // held through a whole Refresh()
  mutable std::mutex mu_;
  std::shared_ptr<const LicenseView> view_ ABSL_GUARDED_BY(mu_);
};

}  // namespace superlicense::client

#endif  // SUPERLICENSE_CLIENT_LICENSE_VIEW_H_
