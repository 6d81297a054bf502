#include "tools/cli/cli_support.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"
#include "superlicense/serial_number.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::cli {
namespace {

constexpr char kRejectedPayload[] = "superlicense.cli/rejected";

// The value as a message shows it: quoted, escaped, cut to 64 bytes.
std::string Quoted(absl::string_view value) {
  std::string shown =
      absl::StrCat("\"", absl::CHexEscape(value.substr(0, 64)), "\"");
  if (value.size() > 64) shown += "...";
  return shown;
}

// A CLI11 validator from a check that returns "" or why `value` is bad.
CLI::Validator Check(std::string description,
                     std::function<std::string(const std::string&)> why) {
  return CLI::Validator(
      [why](std::string& value) {
        const std::string bad = why(value);
        return bad.empty() ? bad : absl::StrCat(Quoted(value), " ", bad);
      },
      description);
}

bool IsMonth(absl::string_view value) {
  if (value.size() != 7 || value[4] != '-') return false;
  for (size_t i = 0; i < value.size(); ++i) {
    if (i != 4 && !absl::ascii_isdigit(static_cast<unsigned char>(value[i]))) {
      return false;
    }
  }
  int year = 0;
  int month = 0;
  return absl::SimpleAtoi(value.substr(0, 4), &year) &&
         absl::SimpleAtoi(value.substr(5, 2), &month) && year >= 2000 &&
         month >= 1 && month <= 12;
}

bool IsHex(absl::string_view value) {
  return !value.empty() && value.size() % 2 == 0 &&
         value.find_first_not_of("0123456789abcdefABCDEF") ==
             absl::string_view::npos;
}

}  // namespace

CLI::Validator AuthorityValue() {
  return Check("HOST:PORT", [](const std::string& value) -> std::string {
    const size_t colon = value.rfind(':');
    int port = 0;
    if (colon != std::string::npos && colon > 0 &&
        absl::SimpleAtoi(value.substr(colon + 1), &port) && port >= 1 &&
        port <= 65535) {
      return "";
    }
    return "must be HOST:PORT";
  });
}

CLI::Validator CredentialValue() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const size_t dot = value.find('.');
        if (dot != std::string::npos && dot + 1 < value.size() &&
            CheckSerial(value.substr(0, dot)).ok()) {
          return "";
        }
        return "must be SERIAL.SECRET (the value is not shown)";
      },
      "SERIAL.SECRET");
}

CLI::Validator DatabaseValue() {
  return Check("DATABASE", [](const std::string& value) -> std::string {
    if ((absl::StartsWith(value, "sqlite:") && value.size() > 7) ||
        absl::StartsWith(value, "postgresql://") ||
        absl::StartsWith(value, "postgres://")) {
      return "";
    }
    return "must be sqlite:PATH or postgresql://...";
  });
}

CLI::Validator SerialValue() {
  return Check("SERIAL", [](const std::string& value) -> std::string {
    absl::Status status = CheckSerial(value);
    if (status.ok()) return "";
    return "is not a serial (10 digits with a valid check digit)";
  });
}

CLI::Validator DateValue() {
  return Check("DATE", [](const std::string& value) -> std::string {
    if (ParseDate("", value).ok()) return "";
    return "is not a date (YYYY-MM-DD or RFC 3339)";
  });
}

CLI::Validator MonthValue() {
  return Check("YYYY-MM", [](const std::string& value) -> std::string {
    if (IsMonth(value)) return "";
    return "is not a month (YYYY-MM, year 2000 to 9999, month 01 to 12)";
  });
}

CLI::Validator NameCountValue() {
  return Check("NAME=COUNT", [](const std::string& value) -> std::string {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(value, absl::MaxSplits('=', 1));
    uint32_t count = 0;
    if (value.find('=') == std::string::npos || parts.first.empty() ||
        !absl::SimpleAtoi(parts.second, &count) || count == 0 ||
        !absl::ascii_isdigit(static_cast<unsigned char>(parts.second[0]))) {
      return "must be NAME=COUNT, COUNT 1 to 4294967295";
    }
    return "";
  });
}

CLI::Validator MeteredValue() {
  return Check("SERVICE=BASE+PERUSER",
               [](const std::string& value) -> std::string {
                 std::vector<std::string> parts =
                     absl::StrSplit(value, absl::ByAnyChar("=+"));
                 v1::MeteredServiceKind kind;
                 uint64_t base = 0;
                 uint64_t per_user = 0;
                 if (parts.size() == 3 && value.find('=') < value.find('+') &&
                     v1::MeteredServiceKind_Parse(
                         absl::StrCat("METERED_SERVICE_KIND_",
                                      absl::AsciiStrToUpper(parts[0])),
                         &kind) &&
                     kind != v1::METERED_SERVICE_KIND_UNSPECIFIED &&
                     absl::SimpleAtoi(parts[1], &base) &&
                     absl::SimpleAtoi(parts[2], &per_user)) {
                   return "";
                 }
                 return "must be SERVICE=BASE+PERUSER, SERVICE one of "
                        "storage, mailing_emails, customer_centre_logins, "
                        "chat_sessions, form_submissions";
               });
}

CLI::Validator OwnerValue() {
  return Check("OWNER", [](const std::string& value) -> std::string {
    if (!value.empty() && value.size() <= 32 &&
        value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
            std::string::npos) {
      return "";
    }
    return "must be 1 to 32 characters of A-Z and 0-9";
  });
}

CLI::Validator HexValue() {
  return Check("HEX", [](const std::string& value) -> std::string {
    return IsHex(value) ? "" : "is not hex";
  });
}

CLI::Validator RevocationValue() {
  return Check("KEY_ID_HEX=REASON",
               [](const std::string& value) -> std::string {
                 const size_t equals = value.find('=');
                 if (equals != std::string::npos && equals + 1 < value.size() &&
                     IsHex(absl::string_view(value).substr(0, equals))) {
                   return "";
                 }
                 return "must be KEY_ID_HEX=REASON";
               });
}

absl::Status Rejected(absl::Status status) {
  status.SetPayload(kRejectedPayload, absl::Cord("1"));
  return status;
}

int ExitCodeFor(absl::string_view program, const absl::Status& status) {
  if (status.ok()) return kExitOk;
  std::cerr << program << ": " << status.message() << "\n";
  if (status.GetPayload(kRejectedPayload).has_value()) return kExitRejected;
  return kExitError;
}

absl::StatusOr<int64_t> ParseDate(absl::string_view flag,
                                  absl::string_view value) {
  absl::Time time;
  std::string error;
  const std::string text(value);
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &time, &error) ||
      absl::ParseTime(absl::RFC3339_full, text, absl::UTCTimeZone(), &time,
                      &error)) {
    return absl::ToUnixSeconds(time);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " \"", value.substr(0, 64),
                   "\" is not a date (YYYY-MM-DD or RFC 3339)"));
}

std::string FormatDate(int64_t seconds) {
  if (seconds == 0) return "never";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

absl::Status ReadMessageFile(const std::string& path, size_t max_bytes,
                             google::protobuf::Message* message) {
  ASSIGN_OR_RETURN(std::string content, ReadFileLimited(path, max_bytes));
  bool ok = false;
  std::string detail;
  if (absl::EndsWith(path, ".json")) {
    auto status = google::protobuf::util::JsonStringToMessage(content, message);
    ok = status.ok();
    if (!ok) detail = std::string(status.message().as_string());
  } else if (absl::EndsWith(path, ".textproto") ||
             absl::EndsWith(path, ".txtpb")) {
    ok = google::protobuf::TextFormat::ParseFromString(content, message);
  } else {
    ok = message->ParseFromString(content);
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a valid ", message->GetTypeName(),
                     detail.empty() ? "" : ": ", detail));
  }
  return absl::OkStatus();
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

absl::Status WriteOutput(const std::string& path, absl::string_view content,
                         bool create_new) {
  if (path == "-") {
    std::cout << content << std::flush;
    return absl::OkStatus();
  }
  return WriteFileAtomically(
      path, content, 0644,
      create_new ? WriteMode::kCreateNew : WriteMode::kReplace);
}

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

absl::StatusOr<std::string> FromHex(absl::string_view what,
                                    absl::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0 ||
      hex.find_first_not_of("0123456789abcdefABCDEF") !=
          absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", hex.substr(0, 80), "\" is not hex"));
  }
  return absl::HexStringToBytes(hex);
}

}  // namespace superlicense::cli
