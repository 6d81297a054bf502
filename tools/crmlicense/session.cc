#include "tools/crmlicense/session.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/cli/cli_support.h"
#include "tools/cli/trust_bundle_files.h"

namespace superlicense::crmlicense {

void AddGlobalFlags(CLI::App* app, GlobalFlags* flags) {
  app->add_option("--db", flags->db,
                  "CRM database: sqlite:PATH or postgresql://...")
      ->check(cli::DatabaseValue())
      ->envname("SUPERLICENSE_CRM_DB");
  app->add_option("--trust", flags->trust, "Trust bundle file")
      ->check(CLI::ExistingFile)
      ->envname("SUPERLICENSE_TRUST");
  app->add_flag("--json", flags->json, "Machine-readable output");
  app->add_option("--user", flags->user,
                  "Acting user recorded in system messages (default $USER)")
      ->envname("SUPERLICENSE_CRM_USER");
}

std::string ActingUser(const GlobalFlags& flags) {
  if (!flags.user.empty()) return flags.user;
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? std::string(user) : "unknown";
}

absl::StatusOr<std::unique_ptr<client::CrmDatabase>> OpenDatabase(
    const GlobalFlags& flags) {
  if (flags.db.empty()) {
    return absl::InvalidArgumentError(
        "--db is required (sqlite:PATH or postgresql://...; or set "
        "SUPERLICENSE_CRM_DB)");
  }
  return client::CrmDatabase::Open(flags.db);
}

absl::StatusOr<keys::TrustStore> LoadTrust(const GlobalFlags& flags) {
  if (flags.trust.empty()) {
    return absl::InvalidArgumentError(
        "--trust is required (the trust bundle file; or set "
        "SUPERLICENSE_TRUST)");
  }
  return cli::ReadTrustBundleFile(flags.trust);
}

namespace {

void AppendJson(const google::protobuf::Value& value, int indent,
                std::string* out);

// Protobuf's printer leaves the order of Struct fields unspecified; scripts
// and people diffing outputs want it stable, so keys are sorted.
void AppendStruct(const google::protobuf::Struct& object, int indent,
                  std::string* out) {
  std::vector<std::string> keys;
  for (const auto& [key, unused] : object.fields()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  if (keys.empty()) {
    out->append("{}");
    return;
  }
  const std::string pad(indent + 2, ' ');
  out->append("{\n");
  for (size_t i = 0; i < keys.size(); ++i) {
    google::protobuf::Value key;
    key.set_string_value(keys[i]);
    out->append(pad);
    AppendJson(key, indent + 2, out);
    out->append(": ");
    AppendJson(object.fields().at(keys[i]), indent + 2, out);
    out->append(i + 1 < keys.size() ? ",\n" : "\n");
  }
  out->append(std::string(indent, ' ')).append("}");
}

void AppendJson(const google::protobuf::Value& value, int indent,
                std::string* out) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStructValue:
      AppendStruct(value.struct_value(), indent, out);
      return;
    case google::protobuf::Value::kListValue: {
      const auto& items = value.list_value().values();
      if (items.empty()) {
        out->append("[]");
        return;
      }
      const std::string pad(indent + 2, ' ');
      out->append("[\n");
      for (int i = 0; i < items.size(); ++i) {
        out->append(pad);
        AppendJson(items[i], indent + 2, out);
        out->append(i + 1 < items.size() ? ",\n" : "\n");
      }
      out->append(std::string(indent, ' ')).append("]");
      return;
    }
    default: {
      // Scalars: protobuf's own printer does the escaping and numbers.
      std::string scalar;
      (void)google::protobuf::util::MessageToJsonString(value, &scalar);
      out->append(scalar);
    }
  }
}

}  // namespace

void Print(const GlobalFlags& flags, const google::protobuf::Struct& json,
           const std::string& text) {
  if (flags.json) {
    std::string out;
    AppendStruct(json, 0, &out);
    std::cout << out << "\n";
  } else {
    std::cout << text;
  }
}

google::protobuf::Value JsonString(const std::string& value) {
  google::protobuf::Value v;
  v.set_string_value(value);
  return v;
}

google::protobuf::Value JsonNumber(double value) {
  google::protobuf::Value v;
  v.set_number_value(value);
  return v;
}

google::protobuf::Value JsonBool(bool value) {
  google::protobuf::Value v;
  v.set_bool_value(value);
  return v;
}

google::protobuf::Value JsonStruct(google::protobuf::Struct value) {
  google::protobuf::Value v;
  *v.mutable_struct_value() = std::move(value);
  return v;
}

}  // namespace superlicense::crmlicense
