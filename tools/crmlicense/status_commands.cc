// crmlicense status | count-users: the licence screen of DOMAIN.md and the
// user counts. `status` shows the licences tab (installation; per owner its
// company, serial, dates, update status — "New licence activated" or
// "Activate new licence: blocked" with the licenses and the users holding
// them — warnings and every visible license with total / in use / free) and
// the status tab (database: owner, serial, central or satellite, next
// expiry, acting user; this month's consumption against the thresholds;
// the latest system messages). It records license state transitions as
// system messages first (RecordStateChanges). Exits 3 when an owner's
// licenses are stopped (tampered or past graceTo).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/clock_watermark.h"
#include "client/consumption.h"
#include "client/license_view.h"
#include "client/system_messages.h"
#include "client/user_count.h"
#include "keys/clock.h"
#include "keys/status_macros.h"
#include "tools/cli/cli_support.h"
#include "tools/crmlicense/commands.h"
#include "tools/crmlicense/update_status.h"
#include "tools/crmlicense/usage_view.h"

namespace superlicense::crmlicense {
namespace {

// System messages on the status tab.
constexpr int64_t kScreenMessages = 10;

const char* LicenseTypeName(int64_t type) {
  switch (type) {
    case 1:
      return "system";
    case 2:
      return "site";
    case 3:
      return "user";
  }
  return "unknown";
}

std::string SiteText(const client::Installation& installation) {
  return installation.site_kind == client::SiteKind::kSatellite
             ? absl::StrCat("satellite ", installation.satellite_id)
             : std::string("central");
}

// The warning line of an owner that is not plainly OK.
std::string WarningOf(const client::OwnerStatus& o) {
  switch (o.state) {
    case client::LicenseState::kOk:
      return "";
    case client::LicenseState::kAdminWarning:
      return absl::StrCat("the license set expires ",
                          cli::FormatDate(o.expiration), ": ask for a new one");
    case client::LicenseState::kExpired:
      return absl::StrCat("the license set expired ",
                          cli::FormatDate(o.expiration), "; licenses stop at ",
                          cli::FormatDate(o.grace_to));
    case client::LicenseState::kPastGrace:
      return absl::StrCat("licenses stopped at ", cli::FormatDate(o.grace_to),
                          ": the CRM is read-only until a new set is "
                          "imported");
    case client::LicenseState::kTampered:
      return absl::StrCat("TAMPERING: ", o.reason,
                          "; every license of this owner is refused");
  }
  return "";
}

google::protobuf::Struct OwnerJson(const client::OwnerStatus& o,
                                   const std::vector<client::ModuleStatus>& ms,
                                   bool all) {
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["owner"] = JsonString(o.owner_name);
  f["version"] = JsonNumber(static_cast<double>(o.version));
  f["state"] = JsonString(std::string(client::LicenseStateName(o.state)));
  f["reason"] = JsonString(o.reason);
  f["expiration"] = JsonString(cli::FormatDate(o.expiration));
  f["grace_to"] = JsonString(cli::FormatDate(o.grace_to));
  f["maintenance_to"] = JsonString(cli::FormatDate(o.maintenance_to));
  if (o.admin_warning_date != 0) {
    f["admin_warning_date"] = JsonString(cli::FormatDate(o.admin_warning_date));
  }
  const std::string warning = WarningOf(o);
  if (!warning.empty()) f["warning"] = JsonString(warning);
  google::protobuf::ListValue* list = f["licenses"].mutable_list_value();
  for (const client::ModuleStatus& m : ms) {
    if (m.owner_name != o.owner_name || (m.hidden && !all)) continue;
    google::protobuf::Struct row;
    auto& r = *row.mutable_fields();
    r["module"] = JsonString(m.module_name);
    r["description"] = JsonString(m.description);
    r["type"] = JsonString(LicenseTypeName(m.license_type));
    r["total"] = JsonNumber(static_cast<double>(m.license_number));
    r["in_use"] = JsonNumber(static_cast<double>(m.in_use));
    r["free"] = JsonNumber(static_cast<double>(m.free));
    r["unrestricted"] = JsonBool(m.unrestricted);
    r["plan"] = JsonBool(m.extra_flags == 1);
    r["hidden"] = JsonBool(m.hidden);
    *list->add_values() = JsonStruct(row);
  }
  return json;
}

std::string OwnerText(const client::OwnerStatus& o,
                      const std::vector<client::ModuleStatus>& ms, bool all) {
  std::string text = absl::StrCat(
      "\nowner ", o.owner_name, "  license set v", o.version, "  state ",
      client::LicenseStateName(o.state), "\n", "  expires ",
      cli::FormatDate(o.expiration), ", grace to ", cli::FormatDate(o.grace_to),
      ", maintenance to ", cli::FormatDate(o.maintenance_to), "\n");
  const std::string warning = WarningOf(o);
  if (!warning.empty()) absl::StrAppend(&text, "  WARNING: ", warning, "\n");
  absl::StrAppendFormat(&text, "  %-26s %-7s %7s %7s %7s\n", "license", "type",
                        "total", "in use", "free");
  for (const client::ModuleStatus& m : ms) {
    if (m.owner_name != o.owner_name || (m.hidden && !all)) continue;
    const std::string total =
        m.unrestricted ? std::string("unl.") : absl::StrCat(m.license_number);
    const std::string name = m.extra_flags == 1
                                 ? absl::StrCat(m.module_name, " (plan)")
                                 : m.module_name;
    absl::StrAppendFormat(&text, "  %-26s %-7s %7s %7d %7d\n", name,
                          LicenseTypeName(m.license_type), total, m.in_use,
                          m.free);
  }
  return text;
}

// The database line of the status tab: owner (the company), serial, type,
// next expiry date, acting user.
google::protobuf::Struct DatabaseJson(const client::LicenseView& view,
                                      const std::string& user) {
  int64_t next_expiry = 0;
  for (const client::OwnerStatus& o : view.owners()) {
    if (o.expiration != 0 && (next_expiry == 0 || o.expiration < next_expiry)) {
      next_expiry = o.expiration;
    }
  }
  const client::Installation& inst = view.installation();
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["owner"] = JsonString(inst.company_name);
  f["serial"] = JsonString(inst.serial);
  f["type"] = JsonString(SiteText(inst));
  f["next_expiry"] = JsonString(cli::FormatDate(next_expiry));
  f["user"] = JsonString(user);
  return json;
}

std::string DatabaseText(const google::protobuf::Struct& db) {
  const auto& f = db.fields();
  return absl::StrCat("database: owner ", f.at("owner").string_value(),
                      ", serial ", f.at("serial").string_value(), ", type ",
                      f.at("type").string_value(), ", next expiry ",
                      f.at("next_expiry").string_value(), ", logged-in user ",
                      f.at("user").string_value(), "\n");
}

// The licences tab: installation, then per owner its facts, update status
// and licenses. Fills json["owners"] and json["updates"].
absl::Status AddLicencesTab(client::CrmReader& db,
                            const client::LicenseView& view, bool all,
                            google::protobuf::Struct& json, std::string& text,
                            std::vector<std::string>& stopped) {
  const client::Installation& inst = view.installation();
  auto& f = *json.mutable_fields();
  f["serial"] = JsonString(inst.serial);
  f["company_name"] = JsonString(inst.company_name);
  f["site"] = JsonString(SiteText(inst));
  text =
      inst.serial.empty()
          ? std::string("installation not initialised: run crmlicense init\n")
          : absl::StrCat("installation ", inst.serial, "  ", inst.company_name,
                         "  ", SiteText(inst), "\n");
  absl::StrAppend(&text, "\n== Licences\n");
  google::protobuf::ListValue* owners = f["owners"].mutable_list_value();
  google::protobuf::ListValue* updates = f["updates"].mutable_list_value();
  for (const client::OwnerStatus& o : view.owners()) {
    *owners->add_values() = JsonStruct(OwnerJson(o, view.modules(), all));
    ASSIGN_OR_RETURN(UpdateStatus update, ReadUpdateStatus(db, o.owner_name));
    *updates->add_values() = JsonStruct(UpdateStatusJson(o.owner_name, update));
    std::string owner_text = OwnerText(o, view.modules(), all);
    // The company / serial and update status go after the dates line.
    const size_t dates_end = owner_text.find('\n', owner_text.find("expires"));
    owner_text.insert(
        dates_end + 1,
        absl::StrCat(
            "  company ", o.company_name, ", serial ", o.serial,
            o.expiration != 0
                ? absl::StrCat(", expiry date ", cli::FormatDate(o.expiration))
                : std::string(),
            "\n", UpdateStatusText(update)));
    absl::StrAppend(&text, owner_text);
    if (!o.grants()) stopped.push_back(o.owner_name);
  }
  if (view.owners().empty() && !inst.serial.empty()) {
    absl::StrAppend(&text, "no license set imported yet\n");
  }
  return absl::OkStatus();
}

// The status tab: database, consumption this month, latest system messages.
absl::Status AddStatusTab(client::CrmDatabase& db,
                          const client::LicenseView& view,
                          const std::string& user,
                          google::protobuf::Struct& json, std::string& text) {
  auto& f = *json.mutable_fields();
  google::protobuf::Struct database = DatabaseJson(view, user);
  absl::StrAppend(&text, "\n== Status\n", DatabaseText(database));
  f["database"] = JsonStruct(database);
  ASSIGN_OR_RETURN(client::MonthUsage usage,
                   UsageForScreen(db, view, client::MonthOf(view.loaded_at())));
  absl::StrAppend(&text, UsageText(usage));
  f["consumption"] = JsonStruct(UsageJson(usage));
  ASSIGN_OR_RETURN(std::vector<client::SystemMessage> messages,
                   client::system_messages::List(db, kScreenMessages));
  absl::StrAppend(&text, "system messages (newest first):\n",
                  MessagesText(messages));
  *f["messages"].mutable_list_value() = MessagesJson(messages);
  return absl::OkStatus();
}

absl::Status RunStatus(const GlobalFlags& flags, bool all) {
  ASSIGN_OR_RETURN(keys::TrustStore trust, LoadTrust(flags));
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  const Clock& clock = SystemClock::Get();
  ASSIGN_OR_RETURN(std::shared_ptr<const client::LicenseView> view,
                   client::LicenseView::Load(*db, trust, clock));
  RETURN_IF_ERROR(client::RecordTimeSeen(*db, clock));
  const std::string user = ActingUser(flags);
  RETURN_IF_ERROR(client::RecordStateChanges(*db, *view, user).status());

  google::protobuf::Struct json;
  std::string text;
  std::vector<std::string> stopped;
  RETURN_IF_ERROR(AddLicencesTab(*db, *view, all, json, text, stopped));
  RETURN_IF_ERROR(AddStatusTab(*db, *view, user, json, text));
  Print(flags, json, text);
  if (!stopped.empty()) {
    return cli::Rejected(absl::FailedPreconditionError(absl::StrCat(
        "licenses stopped for owner ", absl::StrJoin(stopped, ", "))));
  }
  return absl::OkStatus();
}

absl::Status RunCountUsers(const GlobalFlags& flags) {
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  ASSIGN_OR_RETURN(client::UserCount count, client::CountUsers(*db));
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["user_capacity"] = JsonNumber(static_cast<double>(count.user_capacity));
  f["user_in_use"] = JsonNumber(static_cast<double>(count.user_in_use));
  f["web_capacity"] = JsonNumber(static_cast<double>(count.web_capacity));
  f["web_in_use"] = JsonNumber(static_cast<double>(count.web_in_use));
  f["plans_in_use"] = JsonNumber(static_cast<double>(count.plans_in_use));
  f["scim_managed"] = JsonBool(count.scim_managed);
  f["active_users"] = JsonNumber(static_cast<double>(count.active_users));
  google::protobuf::ListValue* plans = f["plans"].mutable_list_value();
  std::string text = absl::StrFormat(
      "capacity (user / web licenses): user %d of %d in use, web %d of %d "
      "in use\n"
      "plans in use: %d\n",
      count.user_in_use, count.user_capacity, count.web_in_use,
      count.web_capacity, count.plans_in_use);
  for (const client::PlanCount& p : count.plans) {
    google::protobuf::Struct row;
    auto& r = *row.mutable_fields();
    r["owner"] = JsonString(p.owner_name);
    r["plan"] = JsonString(p.plan_name);
    r["description"] = JsonString(p.description);
    r["total"] = JsonNumber(static_cast<double>(p.total));
    r["in_use"] = JsonNumber(static_cast<double>(p.in_use));
    *plans->add_values() = JsonStruct(row);
    absl::StrAppendFormat(&text, "  %-28s %-24s %5d of %d\n", p.plan_name,
                          p.description, p.in_use, p.total);
  }
  absl::StrAppendFormat(
      &text, "active users holding a user license: %d%s\n", count.active_users,
      count.scim_managed ? " (SCIM-managed: this is the number billed)" : "");
  Print(flags, json, text);
  return absl::OkStatus();
}

}  // namespace

void AddStatusCommands(CLI::App* app, const GlobalFlags* flags,
                       absl::Status* result) {
  auto all = std::make_shared<bool>(false);
  CLI::App* c = app->add_subcommand(
      "status",
      "The licence screen: installation, owners, dates, update status, every "
      "license with total / in use / free, warnings; database, consumption "
      "and system messages (exit 3 when licenses are stopped)");
  c->add_flag("--all", *all, "Include hidden licenses");
  c->callback([=] { *result = RunStatus(*flags, *all); });

  c = app->add_subcommand(
      "count-users",
      "Count users: user/web capacity, plans in use, active users (SCIM)");
  c->callback([=] { *result = RunCountUsers(*flags); });
}

}  // namespace superlicense::crmlicense
