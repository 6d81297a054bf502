// The role table: for every RPC of the authority, the roles that may call
// it. Every RPC has an explicit entry; CheckRoleTableCovers proves it at
// server start-up and in tests. No gRPC headers.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_ROLE_TABLE_H_
#define SUPERLICENSE_AUTHORITY_AUTH_ROLE_TABLE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "authority/auth/roles.h"

namespace google::protobuf {
class ServiceDescriptor;
}  // namespace google::protobuf

namespace superlicense::authority {

// One row of the table.
struct MethodRoles {
  // Full gRPC method name: "/superlicense.v1.SuperLicense/CreateCustomer".
  const char* method;
  RoleSet allowed;
};

// Returns every row of the table (a constant; thread-safe).
absl::Span<const MethodRoles> RoleTable();

// Returns the roles that may call the full method name `method`, or nullopt
// when the table has no entry (callers must deny such calls).
absl::optional<RoleSet> AllowedRoles(absl::string_view method);

// Returns OK when the table has exactly one entry per method of `services`
// and no other entry; FAILED_PRECONDITION naming every method without an
// entry, every entry without a method, and every duplicate entry otherwise.
absl::Status CheckRoleTableCovers(
    absl::Span<const google::protobuf::ServiceDescriptor* const> services);
// As above for one service (the authority's superlicense.v1.SuperLicense).
absl::Status CheckRoleTableCovers(
    const google::protobuf::ServiceDescriptor& service);

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_ROLE_TABLE_H_
