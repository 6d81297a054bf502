// Authorizer: decides, once per call, whether the authenticated caller may
// call the RPC, and hands the decision to the handler.
//
// gRPC 1.51 server interceptors cannot fail a call before its handler runs,
// so the decision is made by the authorization interceptor
// (authorization_interceptor.h) when the call's metadata arrives, recorded
// here under the call's ServerContext, and enforced by the handler, which
// must start with
//
//   ASSIGN_OR_RETURN(Caller caller, authorizer.Authorize(context));
//
// Authorize fails closed: a call without a recorded decision is denied.
// No gRPC headers (the context type is only declared).
#ifndef SUPERLICENSE_AUTHORITY_AUTH_AUTHORIZER_H_
#define SUPERLICENSE_AUTHORITY_AUTH_AUTHORIZER_H_

#include <cstddef>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authority/auth/caller.h"
#include "authority/auth/principal.h"
#include "authority/auth/rate_limiter.h"
#include "keys/clock.h"

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace superlicense::authority {

// Thread-safe. Must outlive the server it serves.
class Authorizer {
 public:
  // `clock` (for rate limits) is not owned and must outlive this object.
  explicit Authorizer(const Clock* clock);
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // Returns the caller of the call `context` when it may call its RPC.
  // PERMISSION_DENIED when no decision was recorded for `context` (the
  // interceptor is not installed) or the caller's roles do not allow the
  // RPC ("principal alice with roles [auditor] may not call
  // CreateCustomer"); UNAUTHENTICATED when the call has no principal;
  // RESOURCE_EXHAUSTED when the caller is over its rate limit.
  absl::StatusOr<Caller> Authorize(
      const grpc::ServerContextBase* context) const;

  // The decision for a call of the full method name `method` by
  // `principal` (or the error of authenticating it), without recording it.
  // Takes a token from the principal's rate limit when the method is in
  // the role table. Errors as Authorize.
  absl::StatusOr<Caller> Decide(absl::string_view method,
                                const absl::StatusOr<Principal>& principal);

  // Records / drops the decision of the call `context` (the interceptor
  // calls these; the pointer is only a key, never dereferenced).
  void Record(const grpc::ServerContextBase* context,
              absl::StatusOr<Caller> decision);
  void Forget(const grpc::ServerContextBase* context);

  // Number of calls with a recorded decision (calls in flight).
  size_t pending_decisions() const;

 private:
  RateLimiter rate_limiter_;
  mutable std::mutex mu_;
  absl::flat_hash_map<const grpc::ServerContextBase*, absl::StatusOr<Caller>>
      decisions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_AUTHORIZER_H_
