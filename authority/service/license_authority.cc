#include "authority/service/license_authority.h"

#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authority/service/request_checks.h"
#include "keys/credential_hash.h"
#include "keys/license_set_envelope.h"
#include "keys/sha256.h"
#include "keys/status_macros.h"
#include "superlicense/serial_number.h"

namespace superlicense::authority {
namespace {

constexpr uint32_t kDefaultPage = 100;
constexpr uint32_t kMaxPage = 1000;
constexpr uint64_t kFirstSerialBody = 101000001;  // serial 1010000014

uint32_t PageSize(uint32_t requested) {
  return requested == 0 ? kDefaultPage : requested;
}

AuditEntry Entry(const Caller& caller, absl::string_view method,
                 absl::string_view subject) {
  return {caller.principal, std::string(method), std::string(subject), "OK"};
}

// base + per_user x users, saturating at 2^64-1.
uint64_t Threshold(const v1::MeteredServiceThreshold& threshold,
                   uint64_t users) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const uint64_t base = threshold.base_amount();
  const uint64_t per_user = threshold.per_user_amount();
  if (users != 0 && per_user > (kMax - base) / users) return kMax;
  return base + per_user * users;
}

// The thresholds of `set` (whose payload the authority signed itself) by
// service.
absl::StatusOr<std::map<int, v1::MeteredServiceThreshold>> ThresholdsOf(
    const v1::IssuedLicenseSet& set) {
  v1::LicenseSet content;
  if (!content.ParseFromString(set.signed_set().payload())) {
    return absl::DataLossError(absl::StrCat("stored license set ", set.serial(),
                                            " version ", set.version(),
                                            " is damaged"));
  }
  std::map<int, v1::MeteredServiceThreshold> out;
  for (const v1::MeteredServiceThreshold& t : content.metered_services()) {
    out.emplace(t.service(), t);
  }
  return out;
}

// One summary per service that was reported or has a threshold.
void AddSummaries(const std::optional<StoredUsage>& usage,
                  const std::map<int, v1::MeteredServiceThreshold>& thresholds,
                  v1::GetUsageResponse* response) {
  std::map<int, uint64_t> used;
  if (usage.has_value()) {
    for (const v1::ServiceUsage& u : usage->usage()) {
      used[u.service()] = u.used();
    }
  }
  const uint64_t users = usage.has_value() ? usage->users() : 0;
  for (int kind = v1::MeteredServiceKind_MIN + 1;
       kind <= v1::MeteredServiceKind_MAX; ++kind) {
    const auto reported = used.find(kind);
    const auto threshold = thresholds.find(kind);
    if (reported == used.end() && threshold == thresholds.end()) continue;
    v1::ServiceUsageSummary* summary = response->add_services();
    summary->set_service(static_cast<v1::MeteredServiceKind>(kind));
    summary->set_reported(reported != used.end());
    summary->set_used(reported != used.end() ? reported->second : 0);
    summary->set_has_threshold(threshold != thresholds.end());
    summary->set_threshold(threshold != thresholds.end()
                               ? Threshold(threshold->second, users)
                               : 0);
    summary->set_over(summary->used() > summary->threshold()
                          ? summary->used() - summary->threshold()
                          : 0);
  }
}

}  // namespace

LicenseAuthority::LicenseAuthority(AuthorityStore* store, Catalog catalog,
                                   SigningIdentity identity, const Clock* clock)
    : store_(store),
      clock_(clock),
      catalog_(std::move(catalog)),
      identity_(std::make_shared<const SigningIdentity>(std::move(identity))) {}

std::shared_ptr<const SigningIdentity> LicenseAuthority::Identity() const {
  std::lock_guard<std::mutex> lock(identity_mu_);
  return identity_;
}

absl::Status LicenseAuthority::SetIdentity(SigningIdentity identity) {
  std::lock_guard<std::mutex> lock(identity_mu_);
  if (identity.owner.owner_name() != identity_->owner.owner_name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the new key is for owner ", identity.owner.owner_name(),
        ", this authority issues for ", identity_->owner.owner_name()));
  }
  identity_ = std::make_shared<const SigningIdentity>(std::move(identity));
  return absl::OkStatus();
}

int64_t LicenseAuthority::Now() const {
  return absl::ToUnixSeconds(clock_->Now());
}

absl::Status LicenseAuthority::AuditFailure(const Caller& caller,
                                            absl::string_view method,
                                            absl::string_view subject,
                                            const absl::Status& status) {
  AuditEntry entry = Entry(caller, method, subject);
  entry.result = absl::StatusCodeToString(status.code());
  absl::Status audited = store_->AppendAudit(entry);
  if (!audited.ok()) return audited;  // a failed audit write wins
  return status;
}

absl::StatusOr<std::string> LicenseAuthority::AllocateSerial(
    const std::string& requested) {
  if (!requested.empty()) {
    RETURN_IF_ERROR(CheckSerialField("serial", requested));
    return requested;
  }
  // The next body above the highest serial handed out.
  ASSIGN_OR_RETURN(std::string highest, store_->HighestSerial());
  uint64_t body = kFirstSerialBody;
  uint64_t highest_body = 0;
  if (!highest.empty() &&
      absl::SimpleAtoi(highest.substr(0, 9), &highest_body)) {
    body = std::max(body, highest_body + 1);
  }
  return SerialFromBody(body);
}

absl::StatusOr<v1::CreateCustomerResponse> LicenseAuthority::CreateCustomer(
    const Caller& caller, const v1::CreateCustomerRequest& request) {
  const std::string subject = absl::StrCat("serial=", Shown(request.serial()));
  absl::Status valid = CheckText("company_name", request.company_name(), 255);
  if (!valid.ok())
    return AuditFailure(caller, "CreateCustomer", subject, valid);
  std::lock_guard<std::mutex> lock(serial_mu_);
  absl::StatusOr<std::string> serial = AllocateSerial(request.serial());
  if (!serial.ok()) {
    return AuditFailure(caller, "CreateCustomer", subject, serial.status());
  }
  const std::string secret = keys::NewCredentialSecret();
  ASSIGN_OR_RETURN(std::string hash, keys::HashCredentialSecret(secret));
  StoredCustomer customer;
  customer.mutable_record()->mutable_customer()->set_serial(*serial);
  customer.mutable_record()->mutable_customer()->set_company_name(
      request.company_name());
  customer.mutable_record()->set_created_at(Now());
  customer.set_credential_hash(hash);
  absl::Status created = store_->CreateCustomer(
      customer,
      Entry(caller, "CreateCustomer", absl::StrCat("serial=", *serial)));
  if (!created.ok()) {
    return AuditFailure(caller, "CreateCustomer", subject, created);
  }
  v1::CreateCustomerResponse response;
  *response.mutable_customer() = customer.record();
  response.set_installation_credential(absl::StrCat(*serial, ".", secret));
  return response;
}

absl::StatusOr<v1::CustomerRecord> LicenseAuthority::GetCustomer(
    const Caller& caller, const v1::GetCustomerRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  RETURN_IF_ERROR(CheckSerialField("serial", request.serial()));
  RETURN_IF_ERROR(RequireOwnSerial(caller, request.serial()));
  ASSIGN_OR_RETURN(StoredCustomer customer,
                   store_->GetCustomer(request.serial()));
  v1::CustomerRecord record = customer.record();
  ASSIGN_OR_RETURN(
      uint64_t newest,
      store_->NewestVersion(identity->owner.owner_name(), request.serial()));
  record.set_newest_version(newest);
  return record;
}

absl::StatusOr<v1::ListCustomersResponse> LicenseAuthority::ListCustomers(
    const Caller& caller, const v1::ListCustomersRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  RETURN_IF_ERROR(CheckPageSize("page_size", request.page_size(), kMaxPage));
  if (!request.page_token().empty()) {
    RETURN_IF_ERROR(CheckSerialField("page_token", request.page_token()));
  }
  const uint32_t size = PageSize(request.page_size());
  ASSIGN_OR_RETURN(std::vector<v1::CustomerRecord> page,
                   store_->ListCustomers(request.page_token(), size));
  v1::ListCustomersResponse response;
  for (v1::CustomerRecord& record : page) {
    ASSIGN_OR_RETURN(uint64_t newest,
                     store_->NewestVersion(identity->owner.owner_name(),
                                           record.customer().serial()));
    record.set_newest_version(newest);
    *response.add_customers() = std::move(record);
  }
  if (page.size() == size) {
    response.set_next_page_token(
        response.customers(response.customers_size() - 1).customer().serial());
  }
  return response;
}

absl::StatusOr<v1::CustomerRecord> LicenseAuthority::RenameCustomer(
    const Caller& caller, const v1::RenameCustomerRequest& request) {
  const std::string subject = absl::StrCat("serial=", Shown(request.serial()));
  absl::Status valid = CheckSerialField("serial", request.serial());
  if (valid.ok())
    valid = CheckText("company_name", request.company_name(), 255);
  if (!valid.ok())
    return AuditFailure(caller, "RenameCustomer", subject, valid);
  absl::StatusOr<v1::CustomerRecord> renamed =
      store_->RenameCustomer(request.serial(), request.company_name(),
                             Entry(caller, "RenameCustomer", subject));
  if (!renamed.ok()) {
    return AuditFailure(caller, "RenameCustomer", subject, renamed.status());
  }
  return renamed;
}

absl::StatusOr<v1::LicenseSet> LicenseAuthority::BuildSet(
    const v1::IssueLicenseSetRequest& request,
    const v1::CustomerRecord& customer) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  v1::LicenseSet set;
  *set.mutable_owner() = identity->owner;
  *set.mutable_customer() = customer.customer();
  *set.mutable_site() = request.site();
  set.set_expiration(request.expiration());
  set.set_grace_to(request.grace_to());
  set.set_maintenance_to(request.maintenance_to());
  set.set_next_check_date(request.next_check_date());
  set.set_admin_warning_date(request.admin_warning_date());
  *set.mutable_metered_services() = request.metered_services();
  std::lock_guard<std::mutex> lock(catalog_mu_);
  ASSIGN_OR_RETURN(
      std::vector<v1::ModuleLicense> rows,
      catalog_.Expand(identity->owner.owner_name(), request.modules()));
  for (v1::ModuleLicense& row : rows) {
    *set.add_module_licenses() = std::move(row);
  }
  return set;
}

absl::StatusOr<v1::IssuedLicenseSet> LicenseAuthority::IssueLicenseSet(
    const Caller& caller, const v1::IssueLicenseSetRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  const std::string subject = absl::StrCat("serial=", Shown(request.serial()));
  const std::string& owner = identity->owner.owner_name();
  absl::Status valid = CheckIssueRequest(request, Now());
  if (valid.ok() && !request.owner_name().empty() &&
      request.owner_name() != owner) {
    valid = absl::InvalidArgumentError(
        absl::StrCat("owner_name \"", Shown(request.owner_name()),
                     "\": this authority issues for ", owner));
  }
  absl::StatusOr<StoredCustomer> customer =
      valid.ok() ? store_->GetCustomer(request.serial())
                 : absl::StatusOr<StoredCustomer>(valid);
  absl::StatusOr<v1::LicenseSet> content =
      customer.ok() ? BuildSet(request, customer->record())
                    : absl::StatusOr<v1::LicenseSet>(customer.status());
  if (!content.ok()) {
    return AuditFailure(caller, "IssueLicenseSet", subject, content.status());
  }
  const IdempotencyKey idempotency{caller.principal, request.idempotency_key(),
                                   keys::Sha256(request.SerializeAsString())};
  auto build = [&](uint64_t version) -> absl::StatusOr<v1::SignedLicenseSet> {
    v1::LicenseSet set = *content;
    set.set_version(version);
    set.set_issued_at(Now());
    return keys::SignLicenseSet(std::move(set), *identity->signer,
                                identity->certificate);
  };
  absl::StatusOr<v1::IssuedLicenseSet> issued =
      store_->IssueNext(owner, request.serial(), idempotency, build,
                        Entry(caller, "IssueLicenseSet", subject));
  if (!issued.ok()) {
    return AuditFailure(caller, "IssueLicenseSet", subject, issued.status());
  }
  return issued;
}

absl::StatusOr<v1::IssuedLicenseSet> LicenseAuthority::GetLicenseSet(
    const Caller& caller, const v1::GetLicenseSetRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  RETURN_IF_ERROR(CheckSerialField("serial", request.serial()));
  RETURN_IF_ERROR(RequireOwnSerial(caller, request.serial()));
  return store_->GetSet(identity->owner.owner_name(), request.serial(),
                        request.version());
}

absl::StatusOr<v1::ListLicenseSetsResponse> LicenseAuthority::ListLicenseSets(
    const Caller& caller, const v1::ListLicenseSetsRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  RETURN_IF_ERROR(CheckSerialField("serial", request.serial()));
  RETURN_IF_ERROR(CheckPageSize("page_size", request.page_size(), kMaxPage));
  uint64_t before = 0;
  if (!request.page_token().empty() &&
      (!absl::c_all_of(request.page_token(), absl::ascii_isdigit) ||
       !absl::SimpleAtoi(request.page_token(), &before))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token \"", Shown(request.page_token()), "\": not a version"));
  }
  RETURN_IF_ERROR(store_->GetCustomer(request.serial()).status());
  const uint32_t size = PageSize(request.page_size());
  ASSIGN_OR_RETURN(std::vector<v1::IssuedLicenseSet> sets,
                   store_->ListSets(identity->owner.owner_name(),
                                    request.serial(), before, size));
  v1::ListLicenseSetsResponse response;
  for (v1::IssuedLicenseSet& set : sets) *response.add_sets() = std::move(set);
  if (sets.size() == size && response.sets(size - 1).version() > 1) {
    response.set_next_page_token(
        absl::StrCat(response.sets(size - 1).version()));
  }
  return response;
}

absl::StatusOr<v1::IssuedLicenseSet> LicenseAuthority::RevokeLicenseSet(
    const Caller& caller, const v1::RevokeLicenseSetRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  const std::string subject = absl::StrCat("serial=", Shown(request.serial()),
                                           " version=", request.version());
  absl::Status valid = CheckSerialField("serial", request.serial());
  if (valid.ok()) valid = CheckText("reason", request.reason(), 255);
  if (!valid.ok())
    return AuditFailure(caller, "RevokeLicenseSet", subject, valid);
  absl::StatusOr<v1::IssuedLicenseSet> revoked = store_->RevokeSet(
      identity->owner.owner_name(), request.serial(), request.version(),
      request.reason(), Entry(caller, "RevokeLicenseSet", subject));
  if (!revoked.ok()) {
    return AuditFailure(caller, "RevokeLicenseSet", subject, revoked.status());
  }
  return revoked;
}

absl::StatusOr<std::optional<EncodedSet>>
LicenseAuthority::FetchEncodedLicenseSet(
    const Caller& caller, const v1::FetchLicenseSetRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  RETURN_IF_ERROR(CheckSerialField("serial", request.serial()));
  RETURN_IF_ERROR(RequireOwnSerial(caller, request.serial()));
  // The common answer, "not modified", reads one small record.
  ASSIGN_OR_RETURN(
      uint64_t newest_issued,
      store_->NewestVersion(identity->owner.owner_name(), request.serial()));
  if (newest_issued <= request.installed_version()) return std::nullopt;
  // Only versions above the installed one can be an answer.
  return store_->NewestValidEncodedSetBetween(identity->owner.owner_name(),
                                              request.serial(), newest_issued,
                                              request.installed_version() + 1);
}

absl::StatusOr<v1::FetchLicenseSetResponse> LicenseAuthority::FetchLicenseSet(
    const Caller& caller, const v1::FetchLicenseSetRequest& request) {
  ASSIGN_OR_RETURN(std::optional<EncodedSet> newest,
                   FetchEncodedLicenseSet(caller, request));
  v1::FetchLicenseSetResponse response;
  if (!newest.has_value()) return response;
  response.set_modified(true);
  if (!response.mutable_signed_set()->ParseFromString(newest->signed_set)) {
    return absl::DataLossError(absl::StrCat("stored license set ",
                                            request.serial(), " version ",
                                            newest->version, " is damaged"));
  }
  return response;
}

absl::Status LicenseAuthority::CheckUsageAgainstSet(
    const std::string& owner, const v1::AcceptLicenseSetRequest& request) {
  ASSIGN_OR_RETURN(v1::IssuedLicenseSet issued,
                   store_->GetSet(owner, request.serial(), request.version()));
  v1::LicenseSet set;
  if (!set.ParseFromString(issued.signed_set().payload())) {
    return absl::InternalError(
        absl::StrCat("stored license set ", request.serial(), " v",
                     request.version(), " is unreadable"));
  }
  std::set<std::string> held;
  for (const v1::ModuleLicense& m : set.module_licenses()) {
    held.insert(m.module_name());
  }
  std::set<std::string> seen;
  for (int i = 0; i < request.usage_size(); ++i) {
    const std::string& name = request.usage(i).module_name();
    const std::string field = absl::StrCat("usage[", i, "].module_name");
    if (held.count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, " \"", Shown(name),
                                                     "\": not a module of v",
                                                     request.version()));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " \"", Shown(name), "\": listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::AcceptLicenseSetResponse> LicenseAuthority::AcceptLicenseSet(
    const Caller& caller, const v1::AcceptLicenseSetRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  const std::string subject = absl::StrCat("serial=", Shown(request.serial()),
                                           " version=", request.version());
  absl::Status valid = CheckSerialField("serial", request.serial());
  if (valid.ok()) valid = RequireOwnSerial(caller, request.serial());
  std::vector<v1::ModuleUsage> usage;
  for (int i = 0; valid.ok() && i < request.usage_size(); ++i) {
    valid = CheckText(absl::StrCat("usage[", i, "].module_name"),
                      request.usage(i).module_name(), 64);
    usage.push_back(request.usage(i));
  }
  if (valid.ok()) {
    valid = CheckUsageAgainstSet(identity->owner.owner_name(), request);
  }
  if (valid.ok()) {
    valid = store_->RecordAcceptance(
        identity->owner.owner_name(), request.serial(), request.version(),
        usage, Entry(caller, "AcceptLicenseSet", subject));
  }
  if (!valid.ok()) {
    return AuditFailure(caller, "AcceptLicenseSet", subject, valid);
  }
  v1::AcceptLicenseSetResponse response;
  response.set_accepted_at(Now());
  return response;
}

absl::StatusOr<v1::ReportUsageResponse> LicenseAuthority::ReportUsage(
    const Caller& caller, const v1::ReportUsageRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  const std::string subject = absl::StrCat(
      "serial=", Shown(request.serial()), " month=", Shown(request.month()),
      " users=", request.users(), " services=", request.usage_size());
  absl::Status valid = CheckSerialField("serial", request.serial());
  if (valid.ok()) valid = RequireOwnSerial(caller, request.serial());
  if (valid.ok()) valid = CheckUsageReport(request, Now());
  if (!valid.ok()) return AuditFailure(caller, "ReportUsage", subject, valid);
  StoredUsage usage;
  usage.set_month(request.month());
  usage.set_users(request.users());
  *usage.mutable_usage() = request.usage();
  usage.set_reported_by(caller.principal);
  absl::StatusOr<StoredUsage> stored =
      store_->PutUsage(identity->owner.owner_name(), request.serial(),
                       std::move(usage), Entry(caller, "ReportUsage", subject));
  if (!stored.ok()) {
    return AuditFailure(caller, "ReportUsage", subject, stored.status());
  }
  v1::ReportUsageResponse response;
  response.set_received_at(stored->received_at());
  return response;
}

absl::StatusOr<v1::GetUsageResponse> LicenseAuthority::GetUsage(
    const Caller& caller, const v1::GetUsageRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  const std::string& owner = identity->owner.owner_name();
  RETURN_IF_ERROR(CheckSerialField("serial", request.serial()));
  RETURN_IF_ERROR(CheckMonthField("month", request.month()));
  RETURN_IF_ERROR(RequireOwnSerial(caller, request.serial()));
  RETURN_IF_ERROR(store_->GetCustomer(request.serial()).status());
  ASSIGN_OR_RETURN(std::optional<StoredUsage> usage,
                   store_->GetUsage(owner, request.serial(), request.month()));
  ASSIGN_OR_RETURN(std::optional<v1::IssuedLicenseSet> set,
                   store_->NewestValidSet(owner, request.serial()));
  std::map<int, v1::MeteredServiceThreshold> thresholds;
  v1::GetUsageResponse response;
  response.set_serial(request.serial());
  response.set_month(request.month());
  if (set.has_value()) {
    ASSIGN_OR_RETURN(thresholds, ThresholdsOf(*set));
    response.set_thresholds_version(set->version());
  }
  if (usage.has_value()) {
    response.set_reported(true);
    response.set_users(usage->users());
    response.set_received_at(usage->received_at());
  }
  AddSummaries(usage, thresholds, &response);
  return response;
}

absl::StatusOr<v1::SignedTrustBundle> LicenseAuthority::GetTrustBundle(
    const Caller& caller) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  return identity->trust_bundle;
}

absl::StatusOr<v1::ListKeysResponse> LicenseAuthority::ListKeys(
    const Caller& caller, const v1::ListKeysRequest& request) {
  const std::shared_ptr<const SigningIdentity> identity = Identity();
  RETURN_IF_ERROR(CheckOwnerFilter("owner_name", request.owner_name()));
  v1::ListKeysResponse response;
  const v1::OwnerKeyring& keyring = identity->keyring;
  if (!request.owner_name().empty() &&
      request.owner_name() != keyring.owner_name()) {
    return response;
  }
  for (const v1::OwnerKeyEntry& entry : keyring.keys()) {
    v1::OwnerKeyCertificate content;
    if (!content.ParseFromString(entry.certificate().payload())) continue;
    v1::KeyRecord* record = response.add_keys();
    record->set_owner_name(keyring.owner_name());
    *record->mutable_key() = content.key();
    record->set_state(entry.state());
    *record->mutable_certificate() = entry.certificate();
  }
  return response;
}

absl::StatusOr<v1::ListAuditEventsResponse> LicenseAuthority::ListAuditEvents(
    const Caller& caller, const v1::ListAuditEventsRequest& request) {
  RETURN_IF_ERROR(CheckPageSize("page_size", request.page_size(), kMaxPage));
  ASSIGN_OR_RETURN(std::vector<v1::AuditEvent> events,
                   store_->ListAudit(request.from_sequence(),
                                     PageSize(request.page_size())));
  v1::ListAuditEventsResponse response;
  for (v1::AuditEvent& event : events)
    *response.add_events() = std::move(event);
  return response;
}

absl::StatusOr<v1::VerifyAuditChainResponse> LicenseAuthority::VerifyAuditChain(
    const Caller& caller) {
  return store_->VerifyAudit();
}

absl::StatusOr<v1::ListCatalogResponse> LicenseAuthority::ListCatalog(
    const Caller& caller, const v1::ListCatalogRequest& request) const {
  RETURN_IF_ERROR(CheckOwnerFilter("owner_name", request.owner_name()));
  v1::ListCatalogResponse response;
  std::lock_guard<std::mutex> lock(catalog_mu_);
  for (v1::CatalogEntry& entry : catalog_.List(request.owner_name())) {
    *response.add_entries() = std::move(entry);
  }
  return response;
}

absl::StatusOr<v1::CatalogEntry> LicenseAuthority::PutCatalogEntry(
    const Caller& caller, const v1::CatalogEntry& entry) {
  const std::string subject =
      absl::StrCat("owner=", Shown(entry.owner_name()),
                   " module=", Shown(entry.module().module_name()));
  std::lock_guard<std::mutex> lock(catalog_mu_);
  Catalog candidate = catalog_;
  absl::Status status =
      CheckUtf8("module.description", entry.module().description());
  if (status.ok()) {
    status = CheckUtf8("module.tooltip", entry.module().tooltip());
  }
  if (status.ok()) {
    status = CheckUtf8("module.extra_info", entry.module().extra_info());
  }
  if (status.ok()) status = candidate.Put(entry);
  if (status.ok()) {
    status = store_->PutCatalogEntry(entry,
                                     Entry(caller, "PutCatalogEntry", subject));
  }
  if (!status.ok()) {
    return AuditFailure(caller, "PutCatalogEntry", subject, status);
  }
  catalog_ = std::move(candidate);
  return entry;
}

absl::StatusOr<v1::CreateBackupResponse> LicenseAuthority::CreateBackup(
    const Caller& caller, const std::string& backup_dir) {
  if (backup_dir.empty()) {
    return absl::FailedPreconditionError(
        "the server was started without --backup-dir");
  }
  const absl::Time now = clock_->Now();
  v1::CreateBackupResponse response;
  response.set_created_at(absl::ToUnixSeconds(now));
  response.set_path(
      absl::StrCat(backup_dir, "/backup-",
                   absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()),
                   "-", absl::ToUnixNanos(now) % 1000000000));
  absl::Status status = store_->Backup(response.path());
  if (!status.ok()) {
    return AuditFailure(caller, "CreateBackup", response.path(), status);
  }
  RETURN_IF_ERROR(
      store_->AppendAudit(Entry(caller, "CreateBackup", response.path())));
  return response;
}

}  // namespace superlicense::authority
