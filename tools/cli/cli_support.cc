#include "tools/cli/cli_support.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"

namespace superlicense::cli {
namespace {

constexpr char kRejectedPayload[] = "superlicense.cli/rejected";

}  // namespace

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
