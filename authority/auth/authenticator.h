// CallAuthenticator: names the caller of every call to the authority:
//   * a peer with a verified client certificate is the staff principal whose
//     certificate_common_name is the certificate's CN;
//   * otherwise a call with the metadata entry "x-superlicense-credential:
//     SERIAL.SECRET" is the installation SERIAL, with the role installation;
//   * otherwise the call is not authenticated.
//
// It runs twice per call:
//   1. as the gRPC AuthMetadataProcessor installed on the server's
//      SslServerCredentials (Process), which fails with UNAUTHENTICATED,
//      before any application code sees them, the calls it can judge
//      without the store: an unknown certificate, a malformed or repeated
//      credential, neither. It runs inline on gRPC's own thread
//      (IsBlocking() is false), so it never reads the store or hashes: a
//      blocking processor makes every call hop to another thread and back,
//      which cost a fetch about a third of its throughput;
//   2. from the authorization interceptor (authorization_interceptor.h), on
//      the server thread that runs the call, which names the principal
//      (AuthenticateCall: the credential is verified there, cached, see
//      CachedCredentialVerifier) for the call's decision. A well-formed but
//      wrong credential is refused there, before the handler runs.
// The principal cannot be handed from 1 to 2 through the AuthContext: in
// gRPC 1.51 a server call's AuthContext is the connection's, shared by every
// call on it, so a property added for one call would be seen by the next
// (another installation's credential may follow on the same connection) and
// concurrent calls would race on it.
//
// The server's TLS must verify the client certificates it receives:
// GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY (installations present no
// certificate), never a *_BUT_DONT_VERIFY mode.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_AUTHENTICATOR_H_
#define SUPERLICENSE_AUTHORITY_AUTH_AUTHENTICATOR_H_

#include <grpcpp/security/auth_metadata_processor.h>

#include <cstdint>
#include <map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "authority/auth/installation_credentials.h"
#include "authority/auth/principal.h"
#include "authority/auth/principal_directory.h"
#include "keys/clock.h"

namespace superlicense::authority {

// Thread-safe: gRPC calls Process concurrently from its own threads.
class CallAuthenticator final : public grpc::AuthMetadataProcessor {
 public:
  struct Options {
    // Calls per minute of each installation.
    uint32_t installation_rate_limit_per_minute = kDefaultRateLimitPerMinute;
    // Let calls without certificate or credential through unnamed (for a
    // health service on the same port); the authorizer then denies them
    // every RPC of the role table with UNAUTHENTICATED.
    bool allow_anonymous = false;
    CachedCredentialVerifier::Options credential_cache;
  };

  // `installations` and `clock` are not owned and must outlive this object
  // (and so the server).
  CallAuthenticator(PrincipalDirectory staff,
                    InstallationCredentials* installations, const Clock* clock,
                    Options options);

  // Process reads neither store nor hash (see above).
  bool IsBlocking() const override { return false; }

  // Fails the call unless Screen passes it. Adds nothing to `context` and
  // consumes no metadata.
  grpc::Status Process(const InputMetadata& auth_metadata,
                       grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

  // Returns the principal of a call with the peer identity `context` and
  // the client metadata `metadata`. UNAUTHENTICATED for an unknown
  // certificate CN, a certificate with several CNs, a bad or repeated
  // credential, or neither certificate nor credential; UNAVAILABLE or
  // INTERNAL when the credential store cannot answer. Messages never
  // contain the credential.
  absl::StatusOr<Principal> AuthenticateCall(const grpc::AuthContext& context,
                                             const InputMetadata& metadata);

  // The core of AuthenticateCall: the principal for a verified certificate
  // common name (when present) or else a credential (when present).
  absl::StatusOr<Principal> Authenticate(
      absl::optional<absl::string_view> common_name,
      absl::optional<absl::string_view> credential);

  // The check of Process: OK for a known certificate common name (when
  // present), else a well-formed credential (when present), else nothing at
  // all with allow_anonymous; UNAUTHENTICATED otherwise. Never reads the
  // store.
  absl::Status Screen(absl::optional<absl::string_view> common_name,
                      absl::optional<absl::string_view> credential) const;

  // Removes the credential from `metadata` (the interceptor does so before
  // handlers run, so they cannot log it).
  static void EraseCredential(
      std::multimap<grpc::string_ref, grpc::string_ref>* metadata);

  // Forgets cached verifications of `serial`'s credential; call it when the
  // credential is replaced or the customer removed.
  void ForgetInstallation(absl::string_view serial);

 private:
  // The staff principal of a verified certificate's common name.
  absl::StatusOr<const Principal*> FindStaff(
      absl::string_view common_name) const;

  const PrincipalDirectory staff_;
  const Options options_;
  CachedCredentialVerifier credentials_;
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_AUTHENTICATOR_H_
