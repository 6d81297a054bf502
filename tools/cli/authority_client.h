// Connecting the command-line tools to superlicensed: the connection flags
// and environment variables of DESIGN.md §7, a TLS channel (with a client
// certificate for staff, or an installation credential), and per-call
// contexts with a deadline.
#ifndef SUPERLICENSE_TOOLS_CLI_AUTHORITY_CLIENT_H_
#define SUPERLICENSE_TOOLS_CLI_AUTHORITY_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "superlicense/v1/authority.grpc.pb.h"

namespace superlicense::cli {

// Flags override the environment variables named beside them.
struct ConnectionFlags {
  std::string authority;   // SUPERLICENSE_AUTHORITY, host:port
  std::string ca;          // SUPERLICENSE_CA, PEM of the server's CA
  std::string cert;        // SUPERLICENSE_CERT, staff client certificate
  std::string key;         // SUPERLICENSE_KEY, its private key
  std::string credential;  // SUPERLICENSE_CREDENTIAL, installation credential
  int timeout_seconds = 30;
};

// Adds --authority, --ca, --cert, --key, --credential, --timeout.
void AddConnectionFlags(CLI::App* command, ConnectionFlags* flags);

// Fills the flags that are unset from their environment variables.
void FillFromEnvironment(ConnectionFlags* flags);

// A TLS channel to flags.authority trusting flags.ca, presenting flags.cert
// and flags.key when `client_certificate`, taking answers up to 8 MiB, with
// `arguments` added. INVALID_ARGUMENT naming an unreadable file.
absl::StatusOr<std::shared_ptr<grpc::Channel>> NewChannel(
    const ConnectionFlags& flags, bool client_certificate,
    grpc::ChannelArguments arguments = {});

// A connected client. Thread-compatible.
class AuthorityClient {
 public:
  // Fills unset flags from the environment, reads the PEM files and makes
  // the channel. INVALID_ARGUMENT naming a missing flag or unreadable file.
  static absl::StatusOr<std::unique_ptr<AuthorityClient>> Connect(
      ConnectionFlags flags);

  v1::SuperLicense::Stub& stub() { return *stub_; }

  // A context with the deadline and, for installations, the credential.
  std::unique_ptr<grpc::ClientContext> NewContext() const;

 private:
  AuthorityClient() = default;
  ConnectionFlags flags_;
  std::unique_ptr<v1::SuperLicense::Stub> stub_;
};

// Translates a failed call into absl::Status ("CreateCustomer: ...").
absl::Status FromGrpc(absl::string_view rpc, const grpc::Status& status);

}  // namespace superlicense::cli

#endif  // SUPERLICENSE_TOOLS_CLI_AUTHORITY_CLIENT_H_
