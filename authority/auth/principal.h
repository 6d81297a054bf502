// Principal: an authenticated identity as authentication produces it (the
// Caller handlers see, plus what the authorizer needs). No gRPC headers.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_PRINCIPAL_H_
#define SUPERLICENSE_AUTHORITY_AUTH_PRINCIPAL_H_

#include <cstdint>
#include <string>

#include "authority/auth/roles.h"

namespace superlicense::authority {

inline constexpr uint32_t kDefaultRateLimitPerMinute = 600;

struct Principal {
  // Principals-file name for staff; "installation:SERIAL" for installations.
  std::string name;
  RoleSet roles;
  // The installation's serial; empty for staff.
  std::string serial;
  // Calls per minute this principal may make (token bucket, never 0).
  uint32_t rate_limit_per_minute = kDefaultRateLimitPerMinute;
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_PRINCIPAL_H_
