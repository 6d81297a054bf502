// crmlicense usage record | usage report | messages: metered consumption
// (client/consumption.h) and the system messages of the status tab
// (client/system_messages.h).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/consumption.h"
#include "client/license_assigner.h"
#include "client/license_view.h"
#include "client/online/license_fetcher.h"
#include "client/system_messages.h"
#include "keys/clock.h"
#include "keys/status_macros.h"
#include "tools/cli/cli_support.h"
#include "tools/crmlicense/authority_flags.h"
#include "tools/crmlicense/commands.h"
#include "tools/crmlicense/usage_view.h"

namespace superlicense::crmlicense {
namespace {

struct RecordArgs {
  std::string service;
  int64_t amount = 0;
  std::string associate;  // id or name; empty: nobody in particular
};

absl::Status RunRecord(const GlobalFlags& flags, const RecordArgs& args) {
  RETURN_IF_ERROR(client::ValidateConsumption(args.service, args.amount));
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  int64_t associate_id = 0;
  std::string associate_name;
  if (!args.associate.empty()) {
    ASSIGN_OR_RETURN(client::Associate associate,
                     client::FindAssociate(*db, args.associate));
    associate_id = associate.id;
    associate_name = associate.name;
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<client::ConsumptionRecorder> recorder,
      client::ConsumptionRecorder::Create(std::move(db), &SystemClock::Get()));
  RETURN_IF_ERROR(recorder->Record(args.service, args.amount, associate_id));
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["service"] = JsonString(args.service);
  f["amount"] = JsonNumber(static_cast<double>(args.amount));
  f["unit"] = JsonString(std::string(client::MeteredServiceUnit(args.service)));
  if (associate_id != 0) {
    f["associate_id"] = JsonNumber(static_cast<double>(associate_id));
  }
  Print(flags, json,
        absl::StrCat("recorded ", args.amount, " ",
                     client::MeteredServiceUnit(args.service), " of ",
                     args.service,
                     associate_id != 0 ? absl::StrCat(" for ", associate_name)
                                       : std::string(),
                     "\n"));
  return absl::OkStatus();
}

struct ReportArgs {
  std::string month;  // empty: the current UTC month
  bool send = false;
  AuthorityFlags authority;
};

absl::Status RunReport(const GlobalFlags& flags, const ReportArgs& args) {
  ASSIGN_OR_RETURN(keys::TrustStore trust, LoadTrust(flags));
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  const Clock& clock = SystemClock::Get();
  const std::string month =
      args.month.empty() ? client::MonthOf(clock.Now()) : args.month;
  int64_t from = 0, to = 0;
  RETURN_IF_ERROR(client::ParseMonth(month, &from, &to));
  ASSIGN_OR_RETURN(std::shared_ptr<const client::LicenseView> view,
                   client::LicenseView::Load(*db, trust, clock));
  ASSIGN_OR_RETURN(client::MonthUsage usage, UsageForScreen(*db, *view, month));
  std::string text = UsageText(usage);
  google::protobuf::Struct json = UsageJson(usage);
  if (args.send) {
    ASSIGN_OR_RETURN(std::unique_ptr<client::LicenseFetcher> fetcher,
                     ConnectAuthority(args.authority));
    client::MonthlyUsageReport report;
    report.month = usage.month;
    report.users = usage.users;
    for (const client::ServiceUsage& s : usage.services) {
      report.used[s.service] = static_cast<uint64_t>(s.used);
    }
    RETURN_IF_ERROR(fetcher->ReportUsage(*db, report));
    (*json.mutable_fields())["sent"] = JsonBool(true);
    absl::StrAppend(&text, "usage for ", usage.month,
                    " reported to the authority\n");
  }
  Print(flags, json, text);
  return absl::OkStatus();
}

absl::Status RunMessages(const GlobalFlags& flags, int64_t limit) {
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  ASSIGN_OR_RETURN(std::vector<client::SystemMessage> messages,
                   client::system_messages::List(*db, limit));
  google::protobuf::Struct json;
  *(*json.mutable_fields())["messages"].mutable_list_value() =
      MessagesJson(messages);
  Print(flags, json, MessagesText(messages));
  return absl::OkStatus();
}

}  // namespace

void AddUsageCommands(CLI::App* app, const GlobalFlags* flags,
                      absl::Status* result) {
  CLI::App* usage = app->add_subcommand(
      "usage", "Metered consumption: record use, report a month");
  usage->require_subcommand(1);

  auto record = std::make_shared<RecordArgs>();
  CLI::App* c = usage->add_subcommand(
      "record", "Record use of a metered service (committed before exit)");
  c->add_option("service", record->service,
                "storage, mailing_emails, customer_centre_logins, "
                "chat_sessions or form_submissions")
      ->check(
          CLI::IsMember({"storage", "mailing_emails", "customer_centre_logins",
                         "chat_sessions", "form_submissions"}))
      ->required();
  c->add_option("amount", record->amount,
                "Amount in the service's unit (storage: bytes in use)")
      ->check(CLI::NonNegativeNumber)
      ->required();
  c->add_option("--associate", record->associate, "Associate id or name");
  c->callback([=] { *result = RunRecord(*flags, *record); });

  auto report = std::make_shared<ReportArgs>();
  c = usage->add_subcommand(
      "report",
      "Per service: used in the month, threshold (base + per user x users), "
      "over; --send reports the month to the authority");
  c->add_option("--month", report->month,
                "UTC calendar month YYYY-MM (default: the current one)")
      ->check(cli::MonthValue());
  c->add_flag("--send", report->send, "Send the month's totals (ReportUsage)");
  AddAuthorityFlags(c, &report->authority);
  c->callback([=] { *result = RunReport(*flags, *report); });

  auto limit = std::make_shared<int64_t>(20);
  c = app->add_subcommand("messages", "System messages, newest first");
  c->add_option("--limit", *limit, "How many (1 to 1000, default 20)")
      ->check(CLI::Range(1, 1000));
  c->callback([=] { *result = RunMessages(*flags, *limit); });
}

}  // namespace superlicense::crmlicense
