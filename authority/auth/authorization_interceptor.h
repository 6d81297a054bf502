// The server interceptor that makes each call's authorization decision
// (see authorizer.h). Install it on the server with
//
//   std::vector<std::unique_ptr<
//       grpc::experimental::ServerInterceptorFactoryInterface>> creators;
//   creators.push_back(
//       NewAuthorizationInterceptorFactory(authenticator.get(), &authorizer));
//   builder.experimental().SetInterceptorCreators(std::move(creators));
//
// When a call's metadata has arrived, it names the caller with
// CallAuthenticator::AuthenticateCall (the call's AuthContext and
// metadata), removes the installation credential from the metadata the
// handler will see, decides with Authorizer::Decide(method, principal) and
// records the decision for the call's ServerContext. It drops the decision
// when the status is sent or the call ends.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_AUTHORIZATION_INTERCEPTOR_H_
#define SUPERLICENSE_AUTHORITY_AUTH_AUTHORIZATION_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "authority/auth/authenticator.h"
#include "authority/auth/authorizer.h"

namespace superlicense::authority {

// Returns a factory of interceptors that name callers with `authenticator`
// (the one installed on the server's credentials) and record decisions in
// `authorizer`. Neither is owned; both must outlive the server.
// Thread-safe.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewAuthorizationInterceptorFactory(CallAuthenticator* authenticator,
                                   Authorizer* authorizer);

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_AUTHORIZATION_INTERCEPTOR_H_
