#include "tools/crmlicense/authority_flags.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"
#include "tools/cli/cli_support.h"

namespace superlicense::crmlicense {
namespace {

constexpr size_t kMaxPemBytes = 64 * 1024;

}  // namespace

void AddAuthorityFlags(CLI::App* command, AuthorityFlags* flags) {
  command->add_option("--authority", flags->authority, "Authority host:port")
      ->check(cli::AuthorityValue())
      ->envname("SUPERLICENSE_AUTHORITY");
  command->add_option("--ca", flags->ca, "CA certificate of the authority")
      ->check(CLI::ExistingFile)
      ->envname("SUPERLICENSE_CA");
  command
      ->add_option("--credential", flags->credential,
                   "Installation credential SERIAL.SECRET (prefer the "
                   "environment variable)")
      ->check(cli::CredentialValue())
      ->envname("SUPERLICENSE_CREDENTIAL");
  command->add_option("--timeout", flags->timeout_seconds, "Seconds per call")
      ->check(CLI::PositiveNumber);
}

absl::StatusOr<std::unique_ptr<client::LicenseFetcher>> ConnectAuthority(
    const AuthorityFlags& flags) {
  if (flags.authority.empty()) {
    return absl::InvalidArgumentError(
        "--authority is required (host:port; or set SUPERLICENSE_AUTHORITY)");
  }
  if (flags.ca.empty()) {
    return absl::InvalidArgumentError(
        "--ca is required (the authority's CA certificate; or set "
        "SUPERLICENSE_CA)");
  }
  if (flags.credential.empty()) {
    return absl::InvalidArgumentError(
        "--credential is required (or set SUPERLICENSE_CREDENTIAL)");
  }
  if (flags.timeout_seconds <= 0 || flags.timeout_seconds > 3600) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--timeout must be 1 to 3600 seconds, got ", flags.timeout_seconds));
  }
  ASSIGN_OR_RETURN(std::string ca_pem, ReadFileLimited(flags.ca, kMaxPemBytes));
  client::AuthorityEndpoint endpoint;
  endpoint.target = flags.authority;
  endpoint.ca_pem = ca_pem;
  endpoint.credential = flags.credential;
  endpoint.deadline = absl::Seconds(flags.timeout_seconds);
  return client::LicenseFetcher::Connect(endpoint);
}

}  // namespace superlicense::crmlicense
