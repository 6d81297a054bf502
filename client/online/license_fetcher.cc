#include "client/online/license_fetcher.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/system_messages.h"
#include "keys/status_macros.h"
#include "superlicense/v1/authority.grpc.pb.h"

namespace superlicense::client {
namespace {

constexpr char kCredentialKey[] = "x-superlicense-credential";
constexpr char kDefaultOwner[] = "SUPEROFFICE";

// gRPC rejects metadata values outside printable ASCII; refusing them here
// gives a clear error instead of a failed call.
bool IsPrintableAscii(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f; });
}

absl::Status CheckEndpoint(const AuthorityEndpoint& endpoint) {
  if (endpoint.target.empty()) {
    return absl::InvalidArgumentError("endpoint.target is empty");
  }
  if (endpoint.ca_pem.empty()) {
    return absl::InvalidArgumentError("endpoint.ca_pem is empty");
  }
  // The credential's value is never echoed, only what is wrong with it.
  if (endpoint.credential.empty()) {
    return absl::InvalidArgumentError("endpoint.credential is empty");
  }
  if (!IsPrintableAscii(endpoint.credential)) {
    return absl::InvalidArgumentError(
        "endpoint.credential holds characters other than printable ASCII");
  }
  if (endpoint.deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "endpoint.deadline ", absl::FormatDuration(endpoint.deadline),
        " is not positive"));
  }
  return absl::OkStatus();
}

// The owner whose installed version is sent: SUPEROFFICE, or the only
// installed owner when SUPEROFFICE is not installed but exactly one other
// owner is.
absl::StatusOr<std::string> OwnerToAsk(CrmDatabase& db) {
  ASSIGN_OR_RETURN(std::vector<std::string> owners, db.ListOwnerNames());
  if (owners.size() == 1) return owners.front();
  return std::string(kDefaultOwner);
}

// Licenses in use per module name: SUM(LicenseAssocLink.licenseNumber) over
// the owner's module rows; every module is listed, unused ones with 0.
// Rows of the same name (different moduleVersion) are added together.
absl::StatusOr<std::vector<v1::ModuleUsage>> UsageOf(
    CrmDatabase& db, const std::string& owner_name) {
  ASSIGN_OR_RETURN(OwnerView view, db.GetOwner(owner_name));
  std::map<int64_t, int64_t> in_use_by_id;
  for (const AssocLinkRecord& link : view.assoc_links) {
    in_use_by_id[link.module_license_id] += link.license_number;
  }
  std::vector<v1::ModuleUsage> usage;
  std::map<std::string, size_t> index_by_name;
  for (const ModuleRecord& module : view.modules) {
    auto [it, inserted] =
        index_by_name.emplace(module.module_name, usage.size());
    if (inserted) {
      usage.emplace_back();
      usage.back().set_module_name(module.module_name);
    }
    v1::ModuleUsage& entry = usage[it->second];
    const int64_t total = entry.in_use() + in_use_by_id[module.id];
    entry.set_in_use(static_cast<uint32_t>(
        std::clamp<int64_t>(total, 0, std::numeric_limits<uint32_t>::max())));
  }
  return usage;
}

// The metered service of a short name ("storage", ...); INVALID_ARGUMENT
// naming an unknown one.
absl::StatusOr<v1::MeteredServiceKind> ServiceKindOf(absl::string_view name) {
  static constexpr std::pair<const char*, v1::MeteredServiceKind> kNames[] = {
      {"storage", v1::METERED_SERVICE_KIND_STORAGE},
      {"mailing_emails", v1::METERED_SERVICE_KIND_MAILING_EMAILS},
      {"customer_centre_logins",
       v1::METERED_SERVICE_KIND_CUSTOMER_CENTRE_LOGINS},
      {"chat_sessions", v1::METERED_SERVICE_KIND_CHAT_SESSIONS},
      {"form_submissions", v1::METERED_SERVICE_KIND_FORM_SUBMISSIONS},
  };
  for (const auto& [short_name, kind] : kNames) {
    if (name == short_name) return kind;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "report.used: unknown service \"", absl::CHexEscape(name),
      "\" (known: storage, mailing_emails, customer_centre_logins, "
      "chat_sessions, form_submissions)"));
}

// The request for `report`, without the serial. Checks locally only what
// the server could not name as well: the service names, and the month's
// shape and users' sign so that a typo fails before any network traffic.
absl::StatusOr<v1::ReportUsageRequest> UsageRequestOf(
    const MonthlyUsageReport& report) {
  const bool month_shape =
      report.month.size() == 7 && report.month[4] == '-' &&
      std::all_of(report.month.begin(), report.month.end(),
                  [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
  if (!month_shape) {
    return absl::InvalidArgumentError(
        absl::StrCat("report.month \"", absl::CHexEscape(report.month),
                     "\": must be YYYY-MM"));
  }
  if (report.users < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("report.users ", report.users, ": must not be negative"));
  }
  v1::ReportUsageRequest request;
  request.set_month(report.month);
  request.set_users(static_cast<uint64_t>(report.users));
  for (const auto& [name, used] : report.used) {
    ASSIGN_OR_RETURN(v1::MeteredServiceKind kind, ServiceKindOf(name));
    v1::ServiceUsage* entry = request.add_usage();
    entry->set_service(kind);
    entry->set_used(used);
  }
  return request;
}

class GrpcLicenseFetcher final : public LicenseFetcher {
 public:
  GrpcLicenseFetcher(const AuthorityEndpoint& endpoint,
                     std::unique_ptr<v1::SuperLicense::Stub> stub)
      : credential_(endpoint.credential),
        deadline_(endpoint.deadline),
        stub_(std::move(stub)) {}

  absl::StatusOr<FetchResult> FetchAndImport(
      CrmDatabase& db, const LicenseImporter& importer,
      std::vector<CountShortfall>* shortfalls) override;
  absl::Status ReportUsage(CrmDatabase& db,
                           const MonthlyUsageReport& report) override;

 private:
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  // `status` as an absl::Status with the same code, the message prefixed
  // with `rpc` and the credential's secret replaced by "***" (should a
  // server ever echo it).
  absl::Status Translate(absl::string_view rpc,
                         const grpc::Status& status) const;

  absl::StatusOr<v1::FetchLicenseSetResponse> Fetch(
      const std::string& serial, uint64_t installed_version) const;
  absl::StatusOr<v1::AcceptLicenseSetResponse> Accept(
      const std::string& serial, uint64_t version,
      std::vector<v1::ModuleUsage> usage) const;

  const std::string credential_;
  const absl::Duration deadline_;
  const std::unique_ptr<v1::SuperLicense::Stub> stub_;
};

std::unique_ptr<grpc::ClientContext> GrpcLicenseFetcher::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  context->AddMetadata(kCredentialKey, credential_);
  return context;
}

absl::Status GrpcLicenseFetcher::Translate(absl::string_view rpc,
                                           const grpc::Status& status) const {
  std::string message = status.error_message();
  const size_t dot = credential_.find('.');
  const std::string secret =
      dot == std::string::npos ? credential_ : credential_.substr(dot + 1);
  if (!secret.empty()) {
    absl::StrReplaceAll({{credential_, "***"}}, &message);
    absl::StrReplaceAll({{secret, "***"}}, &message);
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(rpc, ": ", message));
}

absl::StatusOr<v1::FetchLicenseSetResponse> GrpcLicenseFetcher::Fetch(
    const std::string& serial, uint64_t installed_version) const {
  v1::FetchLicenseSetRequest request;
  request.set_serial(serial);
  request.set_installed_version(installed_version);
  v1::FetchLicenseSetResponse response;
  grpc::Status status =
      stub_->FetchLicenseSet(NewContext().get(), request, &response);
  if (!status.ok()) return Translate("FetchLicenseSet", status);
  return response;
}

absl::StatusOr<v1::AcceptLicenseSetResponse> GrpcLicenseFetcher::Accept(
    const std::string& serial, uint64_t version,
    std::vector<v1::ModuleUsage> usage) const {
  v1::AcceptLicenseSetRequest request;
  request.set_serial(serial);
  request.set_version(version);
  for (v1::ModuleUsage& entry : usage) {
    *request.add_usage() = std::move(entry);
  }
  v1::AcceptLicenseSetResponse response;
  grpc::Status status =
      stub_->AcceptLicenseSet(NewContext().get(), request, &response);
  if (!status.ok()) return Translate("AcceptLicenseSet", status);
  return response;
}

absl::StatusOr<FetchResult> GrpcLicenseFetcher::FetchAndImport(
    CrmDatabase& db, const LicenseImporter& importer,
    std::vector<CountShortfall>* shortfalls) {
  if (shortfalls != nullptr) shortfalls->clear();
  absl::StatusOr<Installation> installation = db.GetInstallation();
  if (absl::IsNotFound(installation.status())) {
    return absl::FailedPreconditionError(
        "installation not initialised: run crmlicense init");
  }
  RETURN_IF_ERROR(installation.status());
  ASSIGN_OR_RETURN(const std::string owner, OwnerToAsk(db));
  ASSIGN_OR_RETURN(const int64_t installed, db.HighestImportedVersion(owner));

  ASSIGN_OR_RETURN(
      v1::FetchLicenseSetResponse fetched,
      Fetch(installation->serial, static_cast<uint64_t>(installed)));
  FetchResult result;
  if (!fetched.modified()) {
    // Nothing newer: report the installed version with today's usage again,
    // which also repairs an acceptance lost after an earlier import.
    if (installed == 0) return result;
    ASSIGN_OR_RETURN(std::vector<v1::ModuleUsage> usage, UsageOf(db, owner));
    ASSIGN_OR_RETURN(
        v1::AcceptLicenseSetResponse accepted,
        Accept(installation->serial, static_cast<uint64_t>(installed),
               std::move(usage)));
    result.accepted_at = accepted.accepted_at();
    return result;
  }
  result.modified = true;
  // "New licence available" on the status tab, even if the import is then
  // refused; best effort: a message that cannot be written stops nothing.
  SystemMessage available;
  available.owner_name = owner;
  available.operation = "fetch";
  available.status = "available";
  available.message = absl::StrCat(
      "New licence available from the authority (installed version ", installed,
      ")");
  available.started = absl::ToUnixSeconds(absl::Now());
  available.started_by = importer.policy().started_by.substr(0, 255);
  available.type = kMessageInfo;
  (void)system_messages::Record(db, available);
  ASSIGN_OR_RETURN(result.import,
                   importer.Import(db, fetched.signed_set(), shortfalls));

  const std::string imported = absl::StrCat(
      "license set ", installation->serial, " version ", result.import.version,
      " of owner ", result.import.owner_name, " imported; ");
  absl::StatusOr<std::vector<v1::ModuleUsage>> usage =
      UsageOf(db, result.import.owner_name);
  if (!usage.ok()) {
    return absl::Status(
        usage.status().code(),
        absl::StrCat(imported, "reading usage: ", usage.status().message()));
  }
  absl::StatusOr<v1::AcceptLicenseSetResponse> accepted =
      Accept(installation->serial, result.import.version, *std::move(usage));
  if (!accepted.ok()) {
    return absl::Status(accepted.status().code(),
                        absl::StrCat(imported, accepted.status().message()));
  }
  result.accepted_at = accepted->accepted_at();
  return result;
}

absl::Status GrpcLicenseFetcher::ReportUsage(CrmDatabase& db,
                                             const MonthlyUsageReport& report) {
  ASSIGN_OR_RETURN(v1::ReportUsageRequest request, UsageRequestOf(report));
  absl::StatusOr<Installation> installation = db.GetInstallation();
  if (absl::IsNotFound(installation.status())) {
    return absl::FailedPreconditionError(
        "installation not initialised: run crmlicense init");
  }
  RETURN_IF_ERROR(installation.status());
  request.set_serial(installation->serial);
  v1::ReportUsageResponse response;
  grpc::Status status =
      stub_->ReportUsage(NewContext().get(), request, &response);
  if (!status.ok()) return Translate("ReportUsage", status);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<LicenseFetcher>> LicenseFetcher::Connect(
    const AuthorityEndpoint& endpoint) {
  RETURN_IF_ERROR(CheckEndpoint(endpoint));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = endpoint.ca_pem;
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(endpoint.target, grpc::SslCredentials(ssl));
  if (channel == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "endpoint.target \"", endpoint.target, "\": cannot make a channel"));
  }
  return std::unique_ptr<LicenseFetcher>(std::make_unique<GrpcLicenseFetcher>(
      endpoint, v1::SuperLicense::NewStub(channel)));
}

}  // namespace superlicense::client
