#include "authority/auth/principal_directory.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "authority/auth/caller.h"
#include "google/protobuf/util/json_util.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"

namespace superlicense::authority {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;

// "principals file: entry 2 (\"bob\")"
std::string EntryLabel(int index, const PrincipalEntry& entry) {
  return absl::StrCat("principals file: entry ", index, " (\"",
                      absl::CEscape(entry.name()), "\")");
}

absl::StatusOr<RoleSet> ParseEntryRoles(int index,
                                        const PrincipalEntry& entry) {
  if (entry.roles().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(EntryLabel(index, entry), ": roles is empty"));
  }
  RoleSet roles;
  for (const std::string& name : entry.roles()) {
    absl::StatusOr<Role> role = ParseRole(name);
    if (!role.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          EntryLabel(index, entry), ": ", role.status().message()));
    }
    if (*role == Role::kInstallation) {
      return absl::InvalidArgumentError(absl::StrCat(
          EntryLabel(index, entry),
          ": role \"installation\" is not allowed here (installations "
          "authenticate with their credential)"));
    }
    if (roles.Contains(*role)) {
      return absl::InvalidArgumentError(absl::StrCat(
          EntryLabel(index, entry), ": role \"", name, "\" is repeated"));
    }
    roles.Add(*role);
  }
  return roles;
}

// Checks one entry on its own (not against the others).
absl::StatusOr<Principal> ParseEntry(int index, const PrincipalEntry& entry) {
  if (entry.name().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(EntryLabel(index, entry), ": name is empty"));
  }
  if (absl::StartsWith(entry.name(), InstallationPrincipalName(""))) {
    return absl::InvalidArgumentError(
        absl::StrCat(EntryLabel(index, entry),
                     ": name may not start with \"installation:\""));
  }
  if (entry.certificate_common_name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        EntryLabel(index, entry), ": certificate_common_name is empty"));
  }
  Principal principal;
  principal.name = entry.name();
  ASSIGN_OR_RETURN(principal.roles, ParseEntryRoles(index, entry));
  if (entry.rate_limit_per_minute() != 0) {
    principal.rate_limit_per_minute = entry.rate_limit_per_minute();
  }
  return principal;
}

}  // namespace

absl::StatusOr<PrincipalDirectory> PrincipalDirectory::Load(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::string json, ReadFileLimited(path, kMaxFileBytes));
  absl::StatusOr<PrincipalDirectory> directory = FromJson(json);
  if (!directory.ok()) {
    return absl::Status(directory.status().code(),
                        absl::StrCat(path, ": ", directory.status().message()));
  }
  return directory;
}

absl::StatusOr<PrincipalDirectory> PrincipalDirectory::FromJson(
    absl::string_view json) {
  PrincipalsFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const google::protobuf::util::Status parsed =
      google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(json.data(), json.size()), &file,
          options);
  if (!parsed.ok()) {
    const auto message = parsed.message();
    return absl::InvalidArgumentError(
        absl::StrCat("principals file: malformed JSON: ",
                     absl::string_view(message.data(), message.size())));
  }
  return FromProto(file);
}

absl::StatusOr<PrincipalDirectory> PrincipalDirectory::FromProto(
    const PrincipalsFile& file) {
  PrincipalDirectory directory;
  absl::flat_hash_map<std::string, int> name_index;
  absl::flat_hash_map<std::string, int> common_name_index;
  for (int i = 0; i < file.principals_size(); ++i) {
    const PrincipalEntry& entry = file.principals(i);
    ASSIGN_OR_RETURN(Principal principal, ParseEntry(i, entry));
    if (auto [it, added] = name_index.emplace(entry.name(), i); !added) {
      return absl::InvalidArgumentError(
          absl::StrCat(EntryLabel(i, entry), ": name is already used by entry ",
                       it->second));
    }
    if (auto [it, added] =
            common_name_index.emplace(entry.certificate_common_name(), i);
        !added) {
      return absl::InvalidArgumentError(
          absl::StrCat(EntryLabel(i, entry), ": certificate_common_name \"",
                       absl::CEscape(entry.certificate_common_name()),
                       "\" is already used by entry ", it->second));
    }
    directory.by_common_name_.emplace(entry.certificate_common_name(),
                                      std::move(principal));
  }
  return directory;
}

const Principal* PrincipalDirectory::FindByCommonName(
    absl::string_view common_name) const {
  auto it = by_common_name_.find(common_name);
  return it == by_common_name_.end() ? nullptr : &it->second;
}

}  // namespace superlicense::authority
