#include "authority/auth/roles.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace superlicense::authority {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kIssuer:
      return "issuer";
    case Role::kInstallation:
      return "installation";
    case Role::kKeyAdmin:
      return "key-admin";
    case Role::kAuditor:
      return "auditor";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role role : kAllRoles) {
    if (RoleName(role) == name) return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role \"", absl::CEscape(name),
                   "\" (known: issuer, installation, key-admin, auditor)"));
}

std::string RoleSet::ToString() const {
  std::string out = "[";
  const char* separator = "";
  for (Role role : kAllRoles) {
    if (!Contains(role)) continue;
    absl::StrAppend(&out, separator, RoleName(role));
    separator = ", ";
  }
  out += "]";
  return out;
}

}  // namespace superlicense::authority
