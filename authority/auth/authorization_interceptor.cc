#include "authority/auth/authorization_interceptor.h"

#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace superlicense::authority {
namespace {

using grpc::experimental::InterceptionHookPoints;

// One per call; gRPC owns it and destroys it with the call's context.
class AuthorizationInterceptor final : public grpc::experimental::Interceptor {
 public:
  AuthorizationInterceptor(CallAuthenticator* authenticator,
                           Authorizer* authorizer,
                           grpc::experimental::ServerRpcInfo* rpc_info)
      : authenticator_(authenticator),
        authorizer_(authorizer),
        context_(rpc_info->server_context()),
        method_(rpc_info->method() == nullptr ? "" : rpc_info->method()) {}

  ~AuthorizationInterceptor() override { authorizer_->Forget(context_); }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::multimap<grpc::string_ref, grpc::string_ref>* metadata =
          methods->GetRecvInitialMetadata();
      absl::StatusOr<Principal> principal = Authenticate(*metadata);
      CallAuthenticator::EraseCredential(metadata);
      authorizer_->Record(context_, authorizer_->Decide(method_, principal));
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      authorizer_->Forget(context_);
    }
    methods->Proceed();
  }

 private:
  absl::StatusOr<Principal> Authenticate(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    const std::shared_ptr<const grpc::AuthContext> auth =
        context_->auth_context();
    if (auth == nullptr) {
      return absl::UnauthenticatedError("the call has no security context");
    }
    return authenticator_->AuthenticateCall(*auth, metadata);
  }

  CallAuthenticator* const authenticator_;        // not owned
  Authorizer* const authorizer_;                  // not owned
  const grpc::ServerContextBase* const context_;  // not owned
  const std::string method_;
};

class AuthorizationInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  AuthorizationInterceptorFactory(CallAuthenticator* authenticator,
                                  Authorizer* authorizer)
      : authenticator_(authenticator), authorizer_(authorizer) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new AuthorizationInterceptor(authenticator_, authorizer_, info);
  }

 private:
  CallAuthenticator* const authenticator_;  // not owned
  Authorizer* const authorizer_;            // not owned
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewAuthorizationInterceptorFactory(CallAuthenticator* authenticator,
                                   Authorizer* authorizer) {
  return std::make_unique<AuthorizationInterceptorFactory>(authenticator,
                                                           authorizer);
}

}  // namespace superlicense::authority
