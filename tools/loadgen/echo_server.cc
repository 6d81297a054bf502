// echo_server: the ceiling for loadgen. One unary RPC that only answers,
// behind the transport superlicensed uses: TLS with a requested-and-verified
// client certificate from --client-ca, and superlicensed's server settings
// (authority/server/server_settings.h: the synchronous gRPC server and its
// threads, message limits, the health service and reflection).
// It does not do what superlicensed does per call: no AuthMetadataProcessor
// (certificate-to-principal lookup, credential shape), no authorization
// interceptor (credential check, role table, rate limit), no store, no
// audit, no signing. To measure what gRPC's own machinery for those costs,
// --pass-through-interceptor adds an interceptor that only proceeds, and
// --pass-through-processor an inline AuthMetadataProcessor that accepts
// every call (docs/PERFORMANCE.md).
//   echo_server --tls-cert F --tls-key F --client-ca F [--listen H:P]
//     [--port-file F] [--pass-through-interceptor] [--pass-through-processor]
// SIGTERM or SIGINT stop it.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "authority/server/server_settings.h"
#include "echo.grpc.pb.h"  // generated from tools/loadgen/echo.proto
#include "keys/file_io.h"

namespace {

using superlicense::loadgen::v1::Echo;
using superlicense::loadgen::v1::EchoRequest;
using superlicense::loadgen::v1::EchoResponse;

class EchoService final : public Echo::Service {
 public:
  explicit EchoService(uint32_t max_bytes) : max_bytes_(max_bytes) {}

  grpc::Status Echo(grpc::ServerContext* context, const EchoRequest* request,
                    EchoResponse* response) override {
    if (request->response_bytes() > max_bytes_) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "response_bytes is above the message limit");
    }
    response->mutable_payload()->assign(request->response_bytes(), 'x');
    return grpc::Status::OK;
  }

 private:
  const uint32_t max_bytes_;
};

// Does nothing but let each call go on: gRPC's interceptor path alone.
class PassThroughInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }
};

class PassThroughInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new PassThroughInterceptor;
  }
};

// Accepts every call inline, as superlicensed's processor does once it has
// looked at the call: gRPC's metadata-processing path alone.
class PassThroughProcessor final : public grpc::AuthMetadataProcessor {
 public:
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata&, grpc::AuthContext*,
                       OutputMetadata*, OutputMetadata*) override {
    return grpc::Status::OK;
  }
};

sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

bool ReadPem(const std::string& flag, const std::string& path,
             std::string* out) {
  auto content = superlicense::ReadFileLimited(path, 1 << 20);
  if (!content.ok()) {
    std::cerr << "echo_server: " << flag << ": " << content.status().message()
              << "\n";
    return false;
  }
  *out = *std::move(content);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0", tls_cert, tls_key, client_ca, port_file;
  int max_message_bytes = 8 << 20;  // superlicensed's default
  CLI::App app{"echo_server: the transport ceiling for loadgen"};
  app.add_option("--listen", listen, "host:port (port 0: any)");
  app.add_option("--tls-cert", tls_cert, "Server certificate (PEM)")
      ->required();
  app.add_option("--tls-key", tls_key, "Server private key (PEM)")->required();
  app.add_option("--client-ca", client_ca, "CA of client certificates (PEM)")
      ->required();
  app.add_option("--port-file", port_file, "Write the bound port here");
  app.add_option("--max-message-bytes", max_message_bytes,
                 "Largest message in either direction");
  bool pass_through_interceptor = false, pass_through_processor = false;
  app.add_flag("--pass-through-interceptor", pass_through_interceptor,
               "Run every call through an interceptor that only proceeds");
  app.add_flag("--pass-through-processor", pass_through_processor,
               "Run every call through an inline metadata processor that "
               "accepts it");
  CLI11_PARSE(app, argc, argv);
  const sigset_t signals = BlockShutdownSignals();

  // As superlicensed (authority/server/authority_server.cc): request and
  // verify a client certificate, but let calls without one through.
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  if (!ReadPem("--tls-cert", tls_cert, &pair.cert_chain) ||
      !ReadPem("--tls-key", tls_key, &pair.private_key) ||
      !ReadPem("--client-ca", client_ca, &ssl.pem_root_certs)) {
    return 1;
  }
  ssl.pem_key_cert_pairs.push_back(std::move(pair));

  EchoService service(static_cast<uint32_t>(max_message_bytes));
  superlicense::authority::PrepareServerProcess();
  grpc::ServerBuilder builder;
  int port = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::SslServerCredentials(ssl);
  if (pass_through_processor) {
    credentials->SetAuthMetadataProcessor(
        std::make_shared<PassThroughProcessor>());
  }
  builder.AddListeningPort(listen, credentials, &port);
  if (pass_through_interceptor) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        factories;
    factories.push_back(std::make_unique<PassThroughInterceptorFactory>());
    builder.experimental().SetInterceptorCreators(std::move(factories));
  }
  builder.RegisterService(&service);
  superlicense::authority::ApplyServerSettings(max_message_bytes, &builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "echo_server: cannot listen on " << listen << "\n";
    return 1;
  }
  if (!port_file.empty()) std::ofstream(port_file) << port << "\n";
  std::cerr << "echo_server: listening on port " << port << "\n";
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  std::cerr << "echo_server: stopped\n";
  return 0;
}
