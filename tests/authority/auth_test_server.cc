#include "tests/authority/auth_test_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "authority/auth/authenticator.h"
#include "authority/auth/authorization_interceptor.h"
#include "authority/auth/grpc_status.h"
#include "keys/status_macros.h"

namespace superlicense::testing {

namespace v1 = ::superlicense::v1;
using authority::Authorizer;
using authority::CallAuthenticator;
using authority::Caller;
using authority::kCredentialMetadataKey;
using authority::NewAuthorizationInterceptorFactory;
using authority::RequireOwnSerial;
using authority::ToGrpcStatus;

std::string Marker(const Caller& caller) {
  return absl::StrCat("principal=", caller.principal,
                      " roles=", caller.roles.ToString(),
                      " serial=", caller.serial);
}

// Handlers written as the authority's are: absl::Status inside, the guard
// first, grpc::Status only at the edge.
class MarkerService final : public v1::SuperLicense::Service {
 public:
  explicit MarkerService(const Authorizer* authorizer)
      : authorizer_(authorizer) {}

  // How many calls reached a handler.
  int handler_calls() const { return handler_calls_.load(); }
  int authorized_calls() const { return authorized_calls_.load(); }

  grpc::Status CreateCustomer(grpc::ServerContext* context,
                              const v1::CreateCustomerRequest* request,
                              v1::CreateCustomerResponse* response) override {
    return ToGrpcStatus(Mark(*context, absl::nullopt,
                             response->mutable_installation_credential()));
  }
  grpc::Status GetCustomer(grpc::ServerContext* context,
                           const v1::GetCustomerRequest* request,
                           v1::CustomerRecord* response) override {
    return ToGrpcStatus(
        Mark(*context, absl::nullopt,
             response->mutable_customer()->mutable_company_name()));
  }
  grpc::Status FetchLicenseSet(grpc::ServerContext* context,
                               const v1::FetchLicenseSetRequest* request,
                               v1::FetchLicenseSetResponse* response) override {
    return ToGrpcStatus(
        Mark(*context, request->serial(),
             response->mutable_signed_set()->mutable_payload_type()));
  }
  grpc::Status GetTrustBundle(grpc::ServerContext* context,
                              const v1::GetTrustBundleRequest* request,
                              v1::SignedTrustBundle* response) override {
    return ToGrpcStatus(
        Mark(*context, absl::nullopt, response->mutable_payload_type()));
  }
  grpc::Status ListKeys(grpc::ServerContext* context,
                        const v1::ListKeysRequest* request,
                        v1::ListKeysResponse* response) override {
    return ToGrpcStatus(Mark(*context, absl::nullopt,
                             response->add_keys()->mutable_owner_name()));
  }
  grpc::Status ListAuditEvents(grpc::ServerContext* context,
                               const v1::ListAuditEventsRequest* request,
                               v1::ListAuditEventsResponse* response) override {
    return ToGrpcStatus(Mark(*context, absl::nullopt,
                             response->add_events()->mutable_principal()));
  }

 private:
  // The start of every handler; `serial` is the serial the request asks
  // for, when it asks for one.
  absl::Status Mark(const grpc::ServerContext& context,
                    absl::optional<std::string> serial, std::string* marker) {
    ++handler_calls_;
    ASSIGN_OR_RETURN(Caller caller, authorizer_->Authorize(&context));
    ++authorized_calls_;
    if (serial.has_value()) RETURN_IF_ERROR(RequireOwnSerial(caller, *serial));
    if (context.client_metadata().count(kCredentialMetadataKey) != 0) {
      return absl::InternalError("the handler can see the credential");
    }
    *marker = Marker(caller);
    return absl::OkStatus();
  }

  const Authorizer* const authorizer_;  // not owned
  std::atomic<int> handler_calls_{0};
  std::atomic<int> authorized_calls_{0};  // past the guard
};

TestServer::TestServer(const TestPki& pki,
                       const authority::PrincipalDirectory& staff,
                       authority::InstallationCredentials* store,
                       const Clock* clock, ServerSetup setup)
    : authorizer_(clock),
      service_(std::make_unique<MarkerService>(&authorizer_)) {
  CallAuthenticator::Options options;
  options.allow_anonymous = setup.allow_anonymous;
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = pki.ca.cert_pem;
  ssl.pem_key_cert_pairs.push_back({pki.server.key_pem, pki.server.cert_pem});
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::SslServerCredentials(ssl);
  auto authenticator =
      std::make_shared<CallAuthenticator>(staff, store, clock, options);
  credentials->SetAuthMetadataProcessor(authenticator);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", credentials, &port_);
  builder.RegisterService(service_.get());
  if (setup.install_interceptor) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        creators;
    creators.push_back(
        NewAuthorizationInterceptorFactory(authenticator.get(), &authorizer_));
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  server_ = builder.BuildAndStart();
}

TestServer::~TestServer() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(5));
  }
}

std::string TestServer::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

int TestServer::handler_calls() const { return service_->handler_calls(); }

int TestServer::authorized_calls() const {
  return service_->authorized_calls();
}

std::unique_ptr<v1::SuperLicense::Stub> NewStub(
    const std::string& target, const TestPki& pki,
    const CertificateFiles* client) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pki.ca.cert_pem;
  if (client != nullptr) {
    ssl.pem_private_key = client->key_pem;
    ssl.pem_cert_chain = client->cert_pem;
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return v1::SuperLicense::NewStub(
      grpc::CreateCustomChannel(target, grpc::SslCredentials(ssl), args));
}

std::unique_ptr<v1::SuperLicense::Stub> NewPlaintextStub(
    const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return v1::SuperLicense::NewStub(grpc::CreateCustomChannel(
      target, grpc::InsecureChannelCredentials(), args));
}

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kCreateCustomer:
      return "CreateCustomer";
    case Rpc::kGetCustomer:
      return "GetCustomer";
    case Rpc::kFetchLicenseSet:
      return "FetchLicenseSet";
    case Rpc::kGetTrustBundle:
      return "GetTrustBundle";
    case Rpc::kListKeys:
      return "ListKeys";
    case Rpc::kListAuditEvents:
      return "ListAuditEvents";
  }
  return "?";
}

namespace {

template <typename Request, typename Response>
Answer CallUnary(grpc::Status (v1::SuperLicense::Stub::*method)(
                     grpc::ClientContext*, const Request&, Response*),
                 v1::SuperLicense::Stub& stub, grpc::ClientContext* context,
                 const Request& request,
                 std::function<std::string(const Response&)> mark) {
  Response response;
  Answer answer;
  answer.status = (stub.*method)(context, request, &response);
  answer.marker = mark(response);
  return answer;
}

}  // namespace

Answer Call(v1::SuperLicense::Stub& stub, Rpc rpc,
            const std::string& credential, const std::string& serial) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  if (!credential.empty()) {
    context.AddMetadata(kCredentialMetadataKey, credential);
  }
  using Stub = v1::SuperLicense::Stub;
  switch (rpc) {
    case Rpc::kCreateCustomer: {
      v1::CreateCustomerRequest request;
      request.set_serial(serial);
      return CallUnary<v1::CreateCustomerRequest, v1::CreateCustomerResponse>(
          &Stub::CreateCustomer, stub, &context, request,
          [](const auto& r) { return r.installation_credential(); });
    }
    case Rpc::kGetCustomer: {
      v1::GetCustomerRequest request;
      request.set_serial(serial);
      return CallUnary<v1::GetCustomerRequest, v1::CustomerRecord>(
          &Stub::GetCustomer, stub, &context, request,
          [](const auto& r) { return r.customer().company_name(); });
    }
    case Rpc::kFetchLicenseSet: {
      v1::FetchLicenseSetRequest request;
      request.set_serial(serial);
      return CallUnary<v1::FetchLicenseSetRequest, v1::FetchLicenseSetResponse>(
          &Stub::FetchLicenseSet, stub, &context, request,
          [](const auto& r) { return r.signed_set().payload_type(); });
    }
    case Rpc::kGetTrustBundle:
      return CallUnary<v1::GetTrustBundleRequest, v1::SignedTrustBundle>(
          &Stub::GetTrustBundle, stub, &context, {},
          [](const auto& r) { return r.payload_type(); });
    case Rpc::kListKeys:
      return CallUnary<v1::ListKeysRequest, v1::ListKeysResponse>(
          &Stub::ListKeys, stub, &context, {}, [](const auto& r) {
            return r.keys().empty() ? "" : r.keys(0).owner_name();
          });
    case Rpc::kListAuditEvents:
      return CallUnary<v1::ListAuditEventsRequest, v1::ListAuditEventsResponse>(
          &Stub::ListAuditEvents, stub, &context, {}, [](const auto& r) {
            return r.events().empty() ? "" : r.events(0).principal();
          });
  }
  return Answer{grpc::Status(grpc::StatusCode::INTERNAL, "unknown rpc"), ""};
}

}  // namespace superlicense::testing
