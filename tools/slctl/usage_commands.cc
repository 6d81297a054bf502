// slctl usage: a customer's metered use of one month against the included
// amounts of its newest valid license set, from superlicensed (GetUsage).
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "keys/status_macros.h"
#include "tools/cli/authority_client.h"
#include "tools/cli/cli_support.h"
#include "tools/slctl/commands.h"

namespace superlicense::slctl {
namespace {

using cli::AuthorityClient;

struct UsageFlags {
  cli::ConnectionFlags connection;
  std::string serial;
  std::string month;
  bool json = false;
};

// "METERED_SERVICE_KIND_MAILING_EMAILS" -> "mailing_emails", the short name
// the client and `slctl issue --metered` use.
std::string ShortName(v1::MeteredServiceKind kind) {
  std::string name = v1::MeteredServiceKind_Name(kind);
  constexpr absl::string_view kPrefix = "METERED_SERVICE_KIND_";
  if (absl::StartsWith(name, kPrefix)) name = name.substr(kPrefix.size());
  return absl::AsciiStrToLower(name);
}

void PrintUsage(const v1::GetUsageResponse& response) {
  std::cout << "customer " << response.serial() << ", month "
            << response.month() << "\n";
  if (response.reported()) {
    std::cout << "reported " << cli::FormatDate(response.received_at())
              << " for " << response.users() << " users\n";
  } else {
    std::cout << "no usage report received for " << response.month()
              << " (included amounts shown for 0 users)\n";
  }
  if (response.thresholds_version() == 0) {
    std::cout << "no valid license set: nothing is included\n";
  } else {
    std::cout << "included amounts from license set version "
              << response.thresholds_version() << "\n";
  }
  if (response.services_size() == 0) {
    std::cout << "no metered services\n";
    return;
  }
  std::cout << std::left << std::setw(24) << "service" << std::right
            << std::setw(22) << "used" << std::setw(22) << "included"
            << std::setw(22) << "over"
            << "\n";
  for (const v1::ServiceUsageSummary& s : response.services()) {
    std::cout << std::left << std::setw(24) << ShortName(s.service())
              << std::right << std::setw(22)
              << (s.reported() ? std::to_string(s.used()) : "-")
              << std::setw(22)
              << (s.has_threshold() ? std::to_string(s.threshold()) : "none")
              << std::setw(22) << s.over() << "\n";
  }
}

absl::Status RunUsage(const UsageFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::GetUsageRequest request;
  request.set_serial(flags.serial);
  request.set_month(flags.month);
  v1::GetUsageResponse response;
  RETURN_IF_ERROR(cli::FromGrpc(
      "GetUsage",
      client->stub().GetUsage(client->NewContext().get(), request, &response)));
  if (flags.json) {
    std::cout << cli::ToJson(response);
  } else {
    PrintUsage(response);
  }
  return absl::OkStatus();
}

}  // namespace

void AddUsageCommands(CLI::App* app, absl::Status* result) {
  auto flags = std::make_shared<UsageFlags>();
  CLI::App* c = app->add_subcommand(
      "usage",
      "A customer's metered use of one month against its included amounts "
      "(issuer, auditor)");
  c->add_option("--serial", flags->serial, "Customer serial")
      ->check(cli::SerialValue())
      ->required();
  c->add_option("--month", flags->month, "Calendar month (UTC), YYYY-MM")
      ->check(cli::MonthValue())
      ->required();
  c->add_flag("--json", flags->json, "Machine-readable output");
  cli::AddConnectionFlags(c, &flags->connection);
  c->callback([=] { *result = RunUsage(*flags); });
}

}  // namespace superlicense::slctl
