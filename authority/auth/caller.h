// Caller: who is making an authorised call to the authority, as handlers see
// it (from Authorizer::Authorize), and the check that binds an installation
// to its own serial. No gRPC headers.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_CALLER_H_
#define SUPERLICENSE_AUTHORITY_AUTH_CALLER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "authority/auth/roles.h"

namespace superlicense::authority {

struct Caller {
  // Principal name: the principals-file name for staff,
  // "installation:SERIAL" for installations. Goes into audit events.
  std::string principal;
  RoleSet roles;
  // The installation's serial; empty for staff.
  std::string serial;

  // True for an installation (a caller bound to one serial).
  bool is_installation() const {
    return roles.Contains(Role::kInstallation) || !serial.empty();
  }
};

// Returns OK when `caller` may act on `serial`: staff may act on any serial,
// an installation only on its own. PERMISSION_DENIED otherwise (also for an
// installation caller without a serial).
absl::Status RequireOwnSerial(const Caller& caller, absl::string_view serial);

// Returns "installation:SERIAL", the principal name of an installation.
std::string InstallationPrincipalName(absl::string_view serial);

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_CALLER_H_
