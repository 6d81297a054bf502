// What every crmlicense command needs: the global flags (--db, --trust,
// --json, with their environment variables), the opened CRM database, the
// trust bundle, and printing either text or JSON.
#ifndef SUPERLICENSE_TOOLS_CRMLICENSE_SESSION_H_
#define SUPERLICENSE_TOOLS_CRMLICENSE_SESSION_H_

#include <google/protobuf/struct.pb.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/crm_database.h"
#include "keys/trust_store.h"

namespace superlicense::crmlicense {

struct GlobalFlags {
  std::string db;     // --db, SUPERLICENSE_CRM_DB
  std::string trust;  // --trust, SUPERLICENSE_TRUST
  bool json = false;  // --json
  std::string user;   // --user, SUPERLICENSE_CRM_USER
};

// Adds --db, --trust, --json and --user to `app` (usable before or after
// the subcommand).
void AddGlobalFlags(CLI::App* app, GlobalFlags* flags);

// The acting (logged-in) user, recorded as started_by of system messages:
// --user, else $SUPERLICENSE_CRM_USER, else $USER, else "unknown".
std::string ActingUser(const GlobalFlags& flags);

// Opens (creating or migrating the schema of) the database of --db.
// INVALID_ARGUMENT when --db is missing.
absl::StatusOr<std::unique_ptr<client::CrmDatabase>> OpenDatabase(
    const GlobalFlags& flags);

// Reads the trust bundle of --trust. INVALID_ARGUMENT when missing.
absl::StatusOr<keys::TrustStore> LoadTrust(const GlobalFlags& flags);

// Prints `json` as JSON when --json, else `text` as is.
void Print(const GlobalFlags& flags, const google::protobuf::Struct& json,
           const std::string& text);

// Small builders for JSON output.
google::protobuf::Value JsonString(const std::string& value);
google::protobuf::Value JsonNumber(double value);
google::protobuf::Value JsonBool(bool value);
google::protobuf::Value JsonStruct(google::protobuf::Struct value);

}  // namespace superlicense::crmlicense

#endif  // SUPERLICENSE_TOOLS_CRMLICENSE_SESSION_H_
