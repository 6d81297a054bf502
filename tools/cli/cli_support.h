// What the command-line tools share: exit codes (DESIGN.md §7), dates,
// reading and writing message files, and printing.
#ifndef SUPERLICENSE_TOOLS_CLI_CLI_SUPPORT_H_
#define SUPERLICENSE_TOOLS_CLI_CLI_SUPPORT_H_

#include <google/protobuf/message.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  kExitRejected = 3,  // rejected by policy or verification
};

// Marks `status` as a rejection by policy or verification (exit code 3).
absl::Status Rejected(absl::Status status);

// Prints "PROGRAM: message" to stderr for an error and returns the exit
// code for `status`.
int ExitCodeFor(absl::string_view program, const absl::Status& status);

// Parses "YYYY-MM-DD" (midnight UTC) or RFC 3339 ("2027-01-31T12:00:00Z")
// into Unix seconds. INVALID_ARGUMENT naming `flag` and the value.
absl::StatusOr<int64_t> ParseDate(absl::string_view flag,
                                  absl::string_view value);

// Checks of flag values for CLI11 (`option->check(cli::DateValue())`): a bad
// value is then a usage error (exit 2) reported while the command line is
// parsed, before anything is read, written or connected, as
// "--flag: why" with the value.
//
// A serial: 10 digits with a valid check digit.
CLI::Validator SerialValue();
// A date as ParseDate reads it.
CLI::Validator DateValue();
// A calendar month "YYYY-MM", year 2000 to 9999, month 01 to 12.
CLI::Validator MonthValue();
// NAME=COUNT with a non-empty NAME and COUNT 1 to 2^32-1.
CLI::Validator NameCountValue();
// SERVICE=BASE+PERUSER with a metered service name and two numbers.
CLI::Validator MeteredValue();
// An owner name: 1 to 32 characters of A-Z and 0-9.
CLI::Validator OwnerValue();
// Hex bytes.
CLI::Validator HexValue();
// KEY_ID_HEX=REASON with a non-empty reason.
CLI::Validator RevocationValue();
// HOST:PORT with a port 1 to 65535.
CLI::Validator AuthorityValue();
// An installation credential SERIAL.SECRET (the secret is never shown).
CLI::Validator CredentialValue();
// A CRM database: sqlite:PATH or postgresql://... (postgres://...).
CLI::Validator DatabaseValue();

// Formats Unix seconds as RFC 3339 UTC; 0 as "never".
std::string FormatDate(int64_t seconds);

// Reads a message from a file: protobuf JSON for `.json`, text format for
// `.textproto`/`.txtpb`, binary otherwise. Unknown JSON fields are errors.
absl::Status ReadMessageFile(const std::string& path, size_t max_bytes,
                             google::protobuf::Message* message);

// Renders `message` as indented protobuf JSON.
std::string ToJson(const google::protobuf::Message& message);

// Writes `content` to `path` atomically; "-" writes to stdout.
absl::Status WriteOutput(const std::string& path, absl::string_view content,
                         bool create_new = false);

// Returns lower-case hex of `bytes`.
std::string Hex(absl::string_view bytes);

// Parses hex into bytes. INVALID_ARGUMENT naming `what` when malformed.
absl::StatusOr<std::string> FromHex(absl::string_view what,
                                    absl::string_view hex);

}  // namespace superlicense::cli

#endif  // SUPERLICENSE_TOOLS_CLI_CLI_SUPPORT_H_
