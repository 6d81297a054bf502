#include "tools/cli/authority_client.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"
#include "tools/cli/cli_support.h"

namespace superlicense::cli {
namespace {

constexpr size_t kMaxPemBytes = 1 << 20;
constexpr char kCredentialMetadataKey[] = "x-superlicense-credential";

void FromEnvironment(std::string* value, const char* variable) {
  if (!value->empty()) return;
  const char* from_env = std::getenv(variable);
  if (from_env != nullptr) *value = from_env;
}

absl::StatusOr<std::string> ReadPem(absl::string_view flag,
                                    const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFileLimited(path, kMaxPemBytes);
  if (!pem.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", pem.status().message()));
  }
  return pem;
}

}  // namespace

void AddConnectionFlags(CLI::App* command, ConnectionFlags* flags) {
  command
      ->add_option("--authority", flags->authority,
                   "host:port of superlicensed ($SUPERLICENSE_AUTHORITY)")
      ->check(cli::AuthorityValue());
  command
      ->add_option("--ca", flags->ca,
                   "CA certificate of the server ($SUPERLICENSE_CA)")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--cert", flags->cert,
                   "Client certificate ($SUPERLICENSE_CERT)")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--key", flags->key,
                   "Client private key ($SUPERLICENSE_KEY)")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--credential", flags->credential,
                   "Installation credential ($SUPERLICENSE_CREDENTIAL)")
      ->check(cli::CredentialValue());
  command
      ->add_option("--timeout", flags->timeout_seconds,
                   "Seconds per call (default 30)")
      ->check(CLI::PositiveNumber);
}

void FillFromEnvironment(ConnectionFlags* flags) {
  FromEnvironment(&flags->authority, "SUPERLICENSE_AUTHORITY");
  FromEnvironment(&flags->ca, "SUPERLICENSE_CA");
  FromEnvironment(&flags->cert, "SUPERLICENSE_CERT");
  FromEnvironment(&flags->key, "SUPERLICENSE_KEY");
  FromEnvironment(&flags->credential, "SUPERLICENSE_CREDENTIAL");
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> NewChannel(
    const ConnectionFlags& flags, bool client_certificate,
    grpc::ChannelArguments arguments) {
  grpc::SslCredentialsOptions ssl;
  ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem("--ca", flags.ca));
  if (client_certificate) {
    ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem("--cert", flags.cert));
    ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem("--key", flags.key));
  }
  arguments.SetMaxReceiveMessageSize(8 << 20);
  return grpc::CreateCustomChannel(flags.authority, grpc::SslCredentials(ssl),
                                   arguments);
}

absl::StatusOr<std::unique_ptr<AuthorityClient>> AuthorityClient::Connect(
    ConnectionFlags flags) {
  FillFromEnvironment(&flags);
  if (flags.authority.empty()) {
    return absl::InvalidArgumentError(
        "--authority (or SUPERLICENSE_AUTHORITY) is required");
  }
  if (flags.ca.empty()) {
    return absl::InvalidArgumentError("--ca (or SUPERLICENSE_CA) is required");
  }
  ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::Channel> channel,
      NewChannel(flags, !flags.cert.empty() || !flags.key.empty()));
  std::unique_ptr<AuthorityClient> client(new AuthorityClient());
  client->stub_ = v1::SuperLicense::NewStub(std::move(channel));
  client->flags_ = std::move(flags);
  return client;
}

std::unique_ptr<grpc::ClientContext> AuthorityClient::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Seconds(flags_.timeout_seconds)));
  if (!flags_.credential.empty()) {
    context->AddMetadata(kCredentialMetadataKey, flags_.credential);
  }
  return context;
}

absl::Status FromGrpc(absl::string_view rpc, const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(rpc, ": ", status.error_message()));
}

}  // namespace superlicense::cli
