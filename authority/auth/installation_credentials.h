// Installation credentials: an installation authenticates every call with
// the metadata entry "x-superlicense-credential: SERIAL.SECRET", where SERIAL
// is its 10-digit serial and SECRET the random string the authority returned
// once from CreateCustomer. The authority stores only a slow hash of it
// (Argon2id), so verifications are cached here. No gRPC headers.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_INSTALLATION_CREDENTIALS_H_
#define SUPERLICENSE_AUTHORITY_AUTH_INSTALLATION_CREDENTIALS_H_

#include <cstddef>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "keys/clock.h"

namespace superlicense::authority {

// The metadata key that carries the credential (lower case, as gRPC wants).
inline constexpr char kCredentialMetadataKey[] = "x-superlicense-credential";

// Checks a credential against what the authority stored. The store
// implements it (Argon2id hash per serial). Implementations are thread-safe.
class InstallationCredentials {
 public:
  virtual ~InstallationCredentials() = default;
  // Returns OK when `secret` is the current secret of `serial`. Any error
  // means "not authenticated"; UNAVAILABLE / INTERNAL are passed on as
  // such. Never puts `secret` in the status.
  virtual absl::Status Verify(absl::string_view serial,
                              absl::string_view secret) = 0;
};

// New secrets come from keys::NewCredentialSecret (keys/credential_hash.h).

// Returns "SERIAL.SECRET", the credential an installation sends.
std::string FormatCredential(absl::string_view serial,
                             absl::string_view secret);

// The two parts of a credential; views into the string parsed.
struct CredentialParts {
  absl::string_view serial;
  absl::string_view secret;
};

// Splits "SERIAL.SECRET". UNAUTHENTICATED (never echoing the input) unless
// SERIAL is a valid serial (10 digits, check digit) and SECRET is 1 to 256
// bytes.
absl::StatusOr<CredentialParts> ParseCredential(absl::string_view credential);

// Verifies credentials through an InstallationCredentials and remembers the
// ones that verified, keyed by the SHA-256 of the whole credential, for a
// bounded time and number, so the slow hash runs once per installation and
// period instead of on every call. Failures are never remembered.
// Thread-safe.
class CachedCredentialVerifier {
 public:
  struct Options {
    // How long a verified credential is trusted without asking again.
    absl::Duration ttl = absl::Minutes(5);
    // Most credentials remembered; the one expiring first makes room.
    size_t max_entries = 10000;
  };

  // `credentials` and `clock` are not owned and must outlive this object.
  CachedCredentialVerifier(InstallationCredentials* credentials,
                           const Clock* clock, Options options);
  CachedCredentialVerifier(const CachedCredentialVerifier&) = delete;
  CachedCredentialVerifier& operator=(const CachedCredentialVerifier&) = delete;

  // Returns the serial of a valid credential. UNAUTHENTICATED for a
  // malformed credential or one the store rejects; UNAVAILABLE / INTERNAL
  // when the store cannot answer. Messages never contain the credential.
  absl::StatusOr<std::string> Verify(absl::string_view credential);

  // Drops every remembered credential of `serial` (call it when the serial's
  // credential is replaced or the customer removed).
  void Forget(absl::string_view serial);

  // Number of remembered credentials (for tests and metrics).
  size_t size() const;

 private:
  struct Entry {
    std::string serial;
    absl::Time expires;
  };

  // Returns the serial of a remembered, unexpired credential.
  absl::optional<std::string> Lookup(const std::string& digest);
  void Remember(const std::string& digest, absl::string_view serial);
  void MakeRoomLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  InstallationCredentials* const credentials_;  // not owned
  const Clock* const clock_;                    // not owned
  const Options options_;
  mutable std::mutex mu_;
  // SHA-256(credential) -> serial and expiry.
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_INSTALLATION_CREDENTIALS_H_
