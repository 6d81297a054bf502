#include "authority/auth/authorizer.h"

#include <mutex>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "authority/auth/role_table.h"

namespace superlicense::authority {
namespace {

// "CreateCustomer" of "/superlicense.v1.SuperLicense/CreateCustomer".
absl::string_view ShortMethodName(absl::string_view method) {
  const size_t slash = method.rfind('/');
  return slash == absl::string_view::npos ? method : method.substr(slash + 1);
}

}  // namespace

Authorizer::Authorizer(const Clock* clock) : rate_limiter_(clock) {}

absl::StatusOr<Caller> Authorizer::Authorize(
    const grpc::ServerContextBase* context) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = decisions_.find(context);
  if (it == decisions_.end()) {
    return absl::PermissionDeniedError(
        "the call was not authorized (authorization interceptor missing)");
  }
  return it->second;
}

absl::StatusOr<Caller> Authorizer::Decide(
    absl::string_view method, const absl::StatusOr<Principal>& principal) {
  if (!principal.ok()) {
    if (absl::IsUnauthenticated(principal.status())) return principal.status();
    return absl::Status(principal.status().code(),
                        absl::StrCat("cannot authorize the call: ",
                                     principal.status().message()));
  }
  const absl::optional<RoleSet> allowed = AllowedRoles(method);
  if (!allowed.has_value()) {
    return absl::PermissionDeniedError(
        absl::StrCat("method ", method, " has no entry in the role table"));
  }
  if (!rate_limiter_.TryAcquire(principal->name,
                                principal->rate_limit_per_minute)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "principal ", principal->name, " exceeded its rate limit of ",
        principal->rate_limit_per_minute, " calls per minute"));
  }
  if (!principal->roles.Intersects(*allowed)) {
    return absl::PermissionDeniedError(
        absl::StrCat("principal ", principal->name, " with roles ",
                     principal->roles.ToString(), " may not call ",
                     ShortMethodName(method)));
  }
  return Caller{principal->name, principal->roles, principal->serial};
}

void Authorizer::Record(const grpc::ServerContextBase* context,
                        absl::StatusOr<Caller> decision) {
  std::lock_guard<std::mutex> lock(mu_);
  decisions_.insert_or_assign(context, std::move(decision));
}

void Authorizer::Forget(const grpc::ServerContextBase* context) {
  std::lock_guard<std::mutex> lock(mu_);
  decisions_.erase(context);
}

size_t Authorizer::pending_decisions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return decisions_.size();
}

}  // namespace superlicense::authority
