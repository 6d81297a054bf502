#include "authority/auth/authenticator.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "authority/auth/caller.h"
#include "authority/auth/grpc_status.h"
#include "keys/status_macros.h"

namespace superlicense::authority {
namespace {

// Set by gRPC's TLS handshake from a verified client certificate.
constexpr char kCommonNameProperty[] = "x509_common_name";

absl::string_view View(const grpc::string_ref& value) {
  return absl::string_view(value.data(), value.size());
}

// The verified client certificate's common name, if the peer sent one.
absl::StatusOr<absl::optional<std::string>> PeerCommonName(
    const grpc::AuthContext& context) {
  const std::vector<grpc::string_ref> names =
      context.FindPropertyValues(kCommonNameProperty);
  if (names.empty()) return absl::nullopt;
  if (names.size() > 1) {
    return absl::UnauthenticatedError(
        "client certificate has more than one common name");
  }
  return std::string(View(names[0]));
}

// The installation credential of the call, if it has one.
absl::StatusOr<absl::optional<std::string>> FindCredential(
    const grpc::AuthMetadataProcessor::InputMetadata& metadata) {
  auto [begin, end] = metadata.equal_range(kCredentialMetadataKey);
  if (begin == end) return absl::nullopt;
  if (std::next(begin) != end) {
    return absl::UnauthenticatedError(
        "more than one installation credential in the call");
  }
  return std::string(View(begin->second));
}

absl::Status NoIdentityError() {
  return absl::UnauthenticatedError(
      "no client certificate and no installation credential");
}

}  // namespace

CallAuthenticator::CallAuthenticator(PrincipalDirectory staff,
                                     InstallationCredentials* installations,
                                     const Clock* clock, Options options)
    : staff_(std::move(staff)),
      options_(options),
      credentials_(installations, clock, options.credential_cache) {}

grpc::Status CallAuthenticator::Process(const InputMetadata& auth_metadata,
                                        grpc::AuthContext* context,
                                        OutputMetadata* consumed_auth_metadata,
                                        OutputMetadata* response_metadata) {
  absl::StatusOr<absl::optional<std::string>> common_name =
      PeerCommonName(*context);
  if (!common_name.ok()) return ToGrpcStatus(common_name.status());
  absl::StatusOr<absl::optional<std::string>> credential =
      FindCredential(auth_metadata);
  if (!credential.ok()) return ToGrpcStatus(credential.status());
  return ToGrpcStatus(Screen(*common_name, *credential));
}

absl::Status CallAuthenticator::Screen(
    absl::optional<absl::string_view> common_name,
    absl::optional<absl::string_view> credential) const {
  if (common_name.has_value()) return FindStaff(*common_name).status();
  if (credential.has_value()) return ParseCredential(*credential).status();
  if (options_.allow_anonymous) return absl::OkStatus();
  return NoIdentityError();
}

absl::StatusOr<Principal> CallAuthenticator::AuthenticateCall(
    const grpc::AuthContext& context, const InputMetadata& metadata) {
  ASSIGN_OR_RETURN(absl::optional<std::string> common_name,
                   PeerCommonName(context));
  ASSIGN_OR_RETURN(absl::optional<std::string> credential,
                   FindCredential(metadata));
  return Authenticate(common_name, credential);
}

absl::StatusOr<Principal> CallAuthenticator::Authenticate(
    absl::optional<absl::string_view> common_name,
    absl::optional<absl::string_view> credential) {
  if (common_name.has_value()) {
    ASSIGN_OR_RETURN(const Principal* staff, FindStaff(*common_name));
    return *staff;
  }
  if (credential.has_value()) {
    ASSIGN_OR_RETURN(std::string serial, credentials_.Verify(*credential));
    Principal installation;
    installation.name = InstallationPrincipalName(serial);
    installation.roles = RoleSet{Role::kInstallation};
    installation.serial = std::move(serial);
    installation.rate_limit_per_minute =
        std::max<uint32_t>(options_.installation_rate_limit_per_minute, 1);
    return installation;
  }
  return NoIdentityError();
}

absl::StatusOr<const Principal*> CallAuthenticator::FindStaff(
    absl::string_view common_name) const {
  const Principal* staff = staff_.FindByCommonName(common_name);
  if (staff == nullptr) {
    return absl::UnauthenticatedError(absl::StrCat("client certificate \"",
                                                   absl::CEscape(common_name),
                                                   "\" names no principal"));
  }
  return staff;
}

void CallAuthenticator::EraseCredential(
    std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
  metadata->erase(kCredentialMetadataKey);
}

void CallAuthenticator::ForgetInstallation(absl::string_view serial) {
  credentials_.Forget(serial);
}

}  // namespace superlicense::authority
