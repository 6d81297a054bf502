#include "tools/crmlicense/usage_view.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "keys/status_macros.h"
#include "tools/cli/cli_support.h"

namespace superlicense::crmlicense {

absl::StatusOr<client::MonthUsage> UsageForScreen(
    client::CrmReader& db, const client::LicenseView& view,
    const std::string& month) {
  absl::StatusOr<std::vector<client::MeteredThreshold>> thresholds =
      client::ThresholdsOf(view);
  if (!thresholds.ok() && !absl::IsNotFound(thresholds.status())) {
    return thresholds.status();
  }
  return client::MonthlyUsage(
      db, month,
      thresholds.ok() ? *thresholds : std::vector<client::MeteredThreshold>{});
}

std::string UsageText(const client::MonthUsage& usage) {
  std::string text =
      absl::StrCat("consumption ", usage.month, " (", usage.users,
                   usage.scim_managed ? " active users, SCIM-managed"
                                      : " user licenses in use",
                   ")\n");
  absl::StrAppendFormat(&text, "  %-24s %14s %14s %14s  %s\n", "service",
                        "used", "threshold", "over", "unit");
  for (const client::ServiceUsage& s : usage.services) {
    const std::string threshold =
        s.metered ? absl::StrCat(s.threshold) : std::string("not metered");
    absl::StrAppendFormat(&text, "  %-24s %14d %14s %14d  %s%s\n", s.service,
                          s.used, threshold, s.over, s.unit,
                          s.over > 0 ? "  OVER THRESHOLD" : "");
  }
  return text;
}

google::protobuf::Struct UsageJson(const client::MonthUsage& usage) {
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["month"] = JsonString(usage.month);
  f["users"] = JsonNumber(static_cast<double>(usage.users));
  f["scim_managed"] = JsonBool(usage.scim_managed);
  google::protobuf::ListValue* list = f["services"].mutable_list_value();
  for (const client::ServiceUsage& s : usage.services) {
    google::protobuf::Struct row;
    auto& r = *row.mutable_fields();
    r["service"] = JsonString(s.service);
    r["unit"] = JsonString(s.unit);
    r["used"] = JsonNumber(static_cast<double>(s.used));
    r["metered"] = JsonBool(s.metered);
    r["threshold"] = JsonNumber(static_cast<double>(s.threshold));
    r["over"] = JsonNumber(static_cast<double>(s.over));
    *list->add_values() = JsonStruct(row);
  }
  return json;
}

std::string MessagesText(const std::vector<client::SystemMessage>& messages) {
  if (messages.empty()) return "no system messages\n";
  std::string text;
  for (const client::SystemMessage& m : messages) {
    absl::StrAppend(
        &text, cli::FormatDate(m.started), "  ", m.type, "  ",
        m.owner_name.empty() ? std::string() : absl::StrCat(m.owner_name, " "),
        m.operation, " ", m.status, "  by ",
        m.started_by.empty() ? std::string("-") : m.started_by,
        m.expected_end
            ? absl::StrCat("  expected end ", cli::FormatDate(*m.expected_end))
            : std::string(),
        m.message.empty() ? std::string() : absl::StrCat(": ", m.message),
        "\n");
  }
  return text;
}

google::protobuf::ListValue MessagesJson(
    const std::vector<client::SystemMessage>& messages) {
  google::protobuf::ListValue list;
  for (const client::SystemMessage& m : messages) {
    google::protobuf::Struct row;
    auto& r = *row.mutable_fields();
    r["owner"] = JsonString(m.owner_name);
    r["operation"] = JsonString(m.operation);
    r["status"] = JsonString(m.status);
    r["message"] = JsonString(m.message);
    r["started"] = JsonString(cli::FormatDate(m.started));
    r["started_by"] = JsonString(m.started_by);
    if (m.expected_end) {
      r["expected_end"] = JsonString(cli::FormatDate(*m.expected_end));
    }
    r["type"] = JsonString(m.type);
    *list.add_values() = JsonStruct(row);
  }
  return list;
}

}  // namespace superlicense::crmlicense
