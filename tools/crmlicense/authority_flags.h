// The flags of the commands that talk to the authority (fetch, usage report
// --send): --authority, --ca, --credential, --timeout, with their
// environment variables, and the connection they describe.
#ifndef SUPERLICENSE_TOOLS_CRMLICENSE_AUTHORITY_FLAGS_H_
#define SUPERLICENSE_TOOLS_CRMLICENSE_AUTHORITY_FLAGS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/online/license_fetcher.h"

namespace superlicense::crmlicense {

struct AuthorityFlags {
  std::string authority;   // --authority, SUPERLICENSE_AUTHORITY
  std::string ca;          // --ca, SUPERLICENSE_CA
  std::string credential;  // --credential, SUPERLICENSE_CREDENTIAL
  int timeout_seconds = 30;
};

// Adds the four options to `command`.
void AddAuthorityFlags(CLI::App* command, AuthorityFlags* flags);

// Checks the flags, reads the CA file and connects. INVALID_ARGUMENT naming
// a missing flag or a timeout outside 1 to 3600 seconds; the file's error
// for an unreadable CA; LicenseFetcher::Connect's errors.
absl::StatusOr<std::unique_ptr<client::LicenseFetcher>> ConnectAuthority(
    const AuthorityFlags& flags);

}  // namespace superlicense::crmlicense

#endif  // SUPERLICENSE_TOOLS_CRMLICENSE_AUTHORITY_FLAGS_H_
