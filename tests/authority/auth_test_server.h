// For end-to-end tests of authority/auth: a TLS gRPC server on 127.0.0.1:0
// with the CallAuthenticator and the authorization interceptor, serving a
// small SuperLicense implementation whose handlers start the way the
// authority's do (Authorize, then RequireOwnSerial where the request names a
// serial) and answer with a marker naming the caller; and the client side.
#ifndef SUPERLICENSE_TESTS_AUTHORITY_AUTH_TEST_SERVER_H_
#define SUPERLICENSE_TESTS_AUTHORITY_AUTH_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "authority/auth/authorizer.h"
#include "authority/auth/caller.h"
#include "authority/auth/installation_credentials.h"
#include "authority/auth/principal_directory.h"
#include "keys/clock.h"
#include "superlicense/v1/authority.grpc.pb.h"
#include "tests/support/test_pki.h"

namespace superlicense::testing {

// Returns "principal=alice roles=[issuer] serial=", the marker the test
// service's handlers answer with.
std::string Marker(const authority::Caller& caller);

struct ServerSetup {
  bool install_interceptor = true;
  bool allow_anonymous = false;
};

class MarkerService;

// A running server (TLS with GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY,
// the server certificate of `pki`); shut down on destruction. `store` and
// `clock` are not owned and must outlive it.
class TestServer {
 public:
  TestServer(const TestPki& pki, const authority::PrincipalDirectory& staff,
             authority::InstallationCredentials* store, const Clock* clock,
             ServerSetup setup);
  ~TestServer();

  bool running() const { return server_ != nullptr && port_ > 0; }
  std::string target() const;
  const authority::Authorizer& authorizer() const { return authorizer_; }
  // How many calls reached a handler, and how many of them the handler's
  // guard (Authorizer::Authorize) let through.
  int handler_calls() const;
  int authorized_calls() const;

 private:
  authority::Authorizer authorizer_;
  std::unique_ptr<MarkerService> service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// A TLS channel to `target` trusting the CA of `pki`, with `client` as the
// client certificate when not null. Each stub has its own connection.
std::unique_ptr<superlicense::v1::SuperLicense::Stub> NewStub(
    const std::string& target, const TestPki& pki,
    const CertificateFiles* client);

// A plaintext (insecure) channel to `target`, for showing that the TLS port
// refuses it. Each stub has its own connection.
std::unique_ptr<superlicense::v1::SuperLicense::Stub> NewPlaintextStub(
    const std::string& target);

// The RPCs the test service implements.
enum class Rpc {
  kCreateCustomer,
  kGetCustomer,
  kFetchLicenseSet,
  kGetTrustBundle,
  kListKeys,
  kListAuditEvents,
};
inline constexpr Rpc kAllRpcs[] = {
    Rpc::kCreateCustomer, Rpc::kGetCustomer, Rpc::kFetchLicenseSet,
    Rpc::kGetTrustBundle, Rpc::kListKeys,    Rpc::kListAuditEvents};

// "CreateCustomer", ...
const char* RpcName(Rpc rpc);

// The answer of one call: its status and the handler's marker.
struct Answer {
  grpc::Status status;
  std::string marker;
};

// Calls `rpc` (10 s deadline) with `credential` in the metadata unless
// empty, asking for `serial` where the request names one.
Answer Call(superlicense::v1::SuperLicense::Stub& stub, Rpc rpc,
            const std::string& credential, const std::string& serial);

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_AUTHORITY_AUTH_TEST_SERVER_H_
