// slctl issue, slctl sets list | get | revoke, slctl audit list | verify:
// licensing staff's work against superlicensed.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "keys/status_macros.h"
#include "tools/cli/authority_client.h"
#include "tools/cli/cli_support.h"
#include "tools/slctl/commands.h"

namespace superlicense::slctl {
namespace {

using cli::AuthorityClient;

struct IssueFlags {
  cli::ConnectionFlags connection;
  std::string serial;
  std::vector<std::string> modules;  // NAME=COUNT
  std::vector<std::string> plans;    // PLAN=COUNT (own variable: CLI11
                                     // options sharing one would overwrite
                                     // each other)
  std::vector<std::string> metered;  // SERVICE=BASE+PERUSER
  uint32_t satellite = 0;
  std::string expires, grace_to, maintenance_to, next_check, admin_warning;
  std::string idempotency_key;
  std::string out;
  bool json = false;
};

absl::Status AddGrant(const std::string& flag, v1::IssueLicenseSetRequest* r) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(flag, absl::MaxSplits('=', 1));
  uint32_t count = 0;
  if (parts.first.empty() || !absl::SimpleAtoi(parts.second, &count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--module \"", flag, "\" must be NAME=COUNT"));
  }
  v1::ModuleGrant* grant = r->add_modules();
  grant->set_module_name(parts.first);
  grant->set_license_number(count);
  return absl::OkStatus();
}

absl::Status AddMetered(const std::string& flag,
                        v1::IssueLicenseSetRequest* r) {
  std::vector<std::string> parts = absl::StrSplit(flag, absl::ByAnyChar("=+"));
  v1::MeteredServiceKind kind;
  v1::MeteredServiceThreshold* t = r->add_metered_services();
  uint64_t base = 0, per_user = 0;
  if (parts.size() != 3 ||
      !v1::MeteredServiceKind_Parse(
          absl::StrCat("METERED_SERVICE_KIND_",
                       absl::AsciiStrToUpper(parts[0])),
          &kind) ||
      !absl::SimpleAtoi(parts[1], &base) ||
      !absl::SimpleAtoi(parts[2], &per_user)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metered \"", flag,
                     "\" must be SERVICE=BASE+PERUSER, SERVICE one of storage, "
                     "mailing_emails, customer_centre_logins, chat_sessions, "
                     "form_submissions"));
  }
  t->set_service(kind);
  t->set_base_amount(base);
  t->set_per_user_amount(per_user);
  return absl::OkStatus();
}

absl::Status SetDate(absl::string_view flag, const std::string& value,
                     void (v1::IssueLicenseSetRequest::*set)(int64_t),
                     v1::IssueLicenseSetRequest* request) {
  if (value.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(int64_t seconds, cli::ParseDate(flag, value));
  (request->*set)(seconds);
  return absl::OkStatus();
}

absl::StatusOr<v1::IssueLicenseSetRequest> BuildRequest(const IssueFlags& f) {
  v1::IssueLicenseSetRequest r;
  r.set_serial(f.serial);
  r.mutable_site()->set_kind(f.satellite == 0 ? v1::SITE_KIND_CENTRAL
                                              : v1::SITE_KIND_SATELLITE);
  r.mutable_site()->set_satellite_id(f.satellite);
  for (const std::string& m : f.plans) RETURN_IF_ERROR(AddGrant(m, &r));
  for (const std::string& m : f.modules) RETURN_IF_ERROR(AddGrant(m, &r));
  for (const std::string& m : f.metered) RETURN_IF_ERROR(AddMetered(m, &r));
  using R = v1::IssueLicenseSetRequest;
  RETURN_IF_ERROR(SetDate("--expires", f.expires, &R::set_expiration, &r));
  RETURN_IF_ERROR(SetDate("--grace-to", f.grace_to, &R::set_grace_to, &r));
  RETURN_IF_ERROR(SetDate("--maintenance-to", f.maintenance_to,
                          &R::set_maintenance_to, &r));
  RETURN_IF_ERROR(
      SetDate("--next-check", f.next_check, &R::set_next_check_date, &r));
  RETURN_IF_ERROR(SetDate("--admin-warning", f.admin_warning,
                          &R::set_admin_warning_date, &r));
  r.set_idempotency_key(f.idempotency_key);
  return r;
}

absl::Status WriteSet(const v1::IssuedLicenseSet& issued,
                      const std::string& out, bool json) {
  if (!out.empty()) {
    RETURN_IF_ERROR(
        cli::WriteOutput(out, issued.signed_set().SerializeAsString()));
  }
  v1::LicenseSet set;
  set.ParseFromString(issued.signed_set().payload());
  if (json) {
    std::cout << cli::ToJson(set);
    return absl::OkStatus();
  }
  std::cout << "license set " << issued.serial() << " v" << issued.version()
            << ": " << set.module_licenses_size()
            << " module licenses, expires " << cli::FormatDate(set.expiration())
            << (issued.revoked_at() != 0
                    ? absl::StrCat(", REVOKED ",
                                   cli::FormatDate(issued.revoked_at()), " (",
                                   issued.revocation_reason(), ")")
                    : "")
            << (out.empty() ? "" : " -> " + out) << "\n";
  return absl::OkStatus();
}

absl::Status RunIssue(const IssueFlags& flags) {
  ASSIGN_OR_RETURN(v1::IssueLicenseSetRequest request, BuildRequest(flags));
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::IssuedLicenseSet issued;
  RETURN_IF_ERROR(cli::FromGrpc(
      "IssueLicenseSet", client->stub().IssueLicenseSet(
                             client->NewContext().get(), request, &issued)));
  return WriteSet(issued, flags.out, flags.json);
}

struct SetsFlags {
  cli::ConnectionFlags connection;
  std::string serial;
  uint64_t version = 0;
  std::string reason;
  std::string out;
  bool json = false;
};

absl::Status RunSetsList(const SetsFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::ListLicenseSetsRequest request;
  request.set_serial(flags.serial);
  do {
    v1::ListLicenseSetsResponse page;
    RETURN_IF_ERROR(cli::FromGrpc(
        "ListLicenseSets", client->stub().ListLicenseSets(
                               client->NewContext().get(), request, &page)));
    for (const auto& issued : page.sets()) {
      RETURN_IF_ERROR(WriteSet(issued, "", flags.json));
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return absl::OkStatus();
}

absl::Status RunSetsGet(const SetsFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::GetLicenseSetRequest request;
  request.set_serial(flags.serial);
  request.set_version(flags.version);
  v1::IssuedLicenseSet issued;
  RETURN_IF_ERROR(cli::FromGrpc(
      "GetLicenseSet", client->stub().GetLicenseSet(client->NewContext().get(),
                                                    request, &issued)));
  return WriteSet(issued, flags.out, flags.json);
}

absl::Status RunSetsRevoke(const SetsFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::RevokeLicenseSetRequest request;
  request.set_serial(flags.serial);
  request.set_version(flags.version);
  request.set_reason(flags.reason);
  v1::IssuedLicenseSet issued;
  RETURN_IF_ERROR(cli::FromGrpc(
      "RevokeLicenseSet", client->stub().RevokeLicenseSet(
                              client->NewContext().get(), request, &issued)));
  return WriteSet(issued, "", false);
}

struct AuditFlags {
  cli::ConnectionFlags connection;
  uint64_t from = 1;
  bool json = false;
};

absl::Status RunAuditList(const AuditFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::ListAuditEventsRequest request;
  request.set_from_sequence(flags.from);
  request.set_page_size(1000);
  while (true) {
    v1::ListAuditEventsResponse page;
    RETURN_IF_ERROR(cli::FromGrpc(
        "ListAuditEvents", client->stub().ListAuditEvents(
                               client->NewContext().get(), request, &page)));
    for (const v1::AuditEvent& e : page.events()) {
      if (flags.json) {
        std::cout << cli::ToJson(e);
      } else {
        std::cout << e.sequence() << "  " << cli::FormatDate(e.time()) << "  "
                  << e.principal() << "  " << e.method() << "  " << e.subject()
                  << "  " << e.result() << "\n";
      }
    }
    if (page.events_size() < 1000) return absl::OkStatus();
    request.set_from_sequence(page.events(page.events_size() - 1).sequence() +
                              1);
  }
}

absl::Status RunAuditVerify(const AuditFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::VerifyAuditChainResponse response;
  RETURN_IF_ERROR(cli::FromGrpc("VerifyAuditChain",
                                client->stub().VerifyAuditChain(
                                    client->NewContext().get(),
                                    v1::VerifyAuditChainRequest(), &response)));
  if (!response.intact()) {
    return cli::Rejected(absl::DataLossError(absl::StrCat(
        "audit chain broken at event ", response.first_bad_sequence(), " (",
        response.events_checked(), " events before it verify)")));
  }
  std::cout << "audit chain intact: " << response.events_checked()
            << " events\n";
  return absl::OkStatus();
}

}  // namespace

void AddIssueCommands(CLI::App* app, CLI::App* sets, absl::Status* result) {
  auto issue = std::make_shared<IssueFlags>();
  CLI::App* c = app->add_subcommand(
      "issue", "Issue the next license set version of a customer");
  c->add_option("--serial", issue->serial, "Customer serial")
      ->check(cli::SerialValue())
      ->required();
  c->add_option("--module", issue->modules,
                "NAME=COUNT, e.g. user=5 or saint=1")
      ->check(cli::NameCountValue());
  c->add_option("--plan", issue->plans, "PLAN=COUNT, e.g. ten-sales-premium=10")
      ->check(cli::NameCountValue());
  c->add_option("--metered", issue->metered, "SERVICE=BASE+PERUSER")
      ->check(cli::MeteredValue());
  c->add_option("--satellite", issue->satellite,
                "Satellite id (default central)")
      ->check(CLI::Range(1u, 4294967295u));
  c->add_option("--expires", issue->expires, "Expiration date (default never)")
      ->check(cli::DateValue());
  c->add_option("--grace-to", issue->grace_to, "Grace end date")
      ->check(cli::DateValue());
  c->add_option("--maintenance-to", issue->maintenance_to, "Maintenance end")
      ->check(cli::DateValue());
  c->add_option("--next-check", issue->next_check, "Next check date")
      ->check(cli::DateValue());
  c->add_option("--admin-warning", issue->admin_warning, "Admin warning date")
      ->check(cli::DateValue());
  c->add_option("--idempotency-key", issue->idempotency_key,
                "Retrying with the same key returns the first result");
  c->add_option("--out", issue->out, "Write the signed set (.lic) here");
  c->add_flag("--json", issue->json, "Print the set as JSON");
  cli::AddConnectionFlags(c, &issue->connection);
  c->callback([=] { *result = RunIssue(*issue); });

  auto set_flags = std::make_shared<SetsFlags>();
  c = sets->add_subcommand("list", "A customer's versions, newest first");
  c->add_option("--serial", set_flags->serial, "Customer serial")
      ->check(cli::SerialValue())
      ->required();
  c->add_flag("--json", set_flags->json, "Machine-readable output");
  cli::AddConnectionFlags(c, &set_flags->connection);
  c->callback([=] { *result = RunSetsList(*set_flags); });

  c = sets->add_subcommand("get", "Fetch one version");
  c->add_option("--serial", set_flags->serial, "Customer serial")
      ->check(cli::SerialValue())
      ->required();
  c->add_option("--version", set_flags->version, "Version")
      ->check(CLI::PositiveNumber)
      ->required();
  c->add_option("--out", set_flags->out, "Write the signed set (.lic) here");
  c->add_flag("--json", set_flags->json, "Print the set as JSON");
  cli::AddConnectionFlags(c, &set_flags->connection);
  c->callback([=] { *result = RunSetsGet(*set_flags); });

  c = sets->add_subcommand("revoke", "Revoke one version");
  c->add_option("--serial", set_flags->serial, "Customer serial")
      ->check(cli::SerialValue())
      ->required();
  c->add_option("--version", set_flags->version, "Version")
      ->check(CLI::PositiveNumber)
      ->required();
  c->add_option("--reason", set_flags->reason, "Why")->required();
  cli::AddConnectionFlags(c, &set_flags->connection);
  c->callback([=] { *result = RunSetsRevoke(*set_flags); });

  CLI::App* audit = app->add_subcommand("audit", "The authority's audit log");
  audit->require_subcommand(1);
  auto audit_flags = std::make_shared<AuditFlags>();
  c = audit->add_subcommand("list", "List audit events");
  c->add_option("--from", audit_flags->from, "First sequence number");
  c->add_flag("--json", audit_flags->json, "Machine-readable output");
  cli::AddConnectionFlags(c, &audit_flags->connection);
  c->callback([=] { *result = RunAuditList(*audit_flags); });
  c = audit->add_subcommand("verify", "Check the hash chain (exit 3: broken)");
  cli::AddConnectionFlags(c, &audit_flags->connection);
  c->callback([=] { *result = RunAuditVerify(*audit_flags); });
}

}  // namespace superlicense::slctl
