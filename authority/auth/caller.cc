#include "authority/auth/caller.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace superlicense::authority {

absl::Status RequireOwnSerial(const Caller& caller, absl::string_view serial) {
  if (!caller.is_installation()) return absl::OkStatus();
  if (!caller.serial.empty() && caller.serial == serial) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("principal ", caller.principal, " may not act for serial \"",
                   absl::CEscape(serial), "\""));
}

std::string InstallationPrincipalName(absl::string_view serial) {
  return absl::StrCat("installation:", serial);
}

}  // namespace superlicense::authority
