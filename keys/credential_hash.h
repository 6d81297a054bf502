// Hashing of installation credentials: the authority stores only an Argon2id
// hash (PHC string: "$argon2id$v=19$m=...,t=...,p=...$salt$hash") and checks
// presented secrets against it.
#ifndef SUPERLICENSE_KEYS_CREDENTIAL_HASH_H_
#define SUPERLICENSE_KEYS_CREDENTIAL_HASH_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense::keys {

// Returns a new random secret: 32 bytes as 64 lower-case hex digits.
std::string NewCredentialSecret();

// Returns the Argon2id hash of `secret` with a fresh salt (19 MiB, 2 passes,
// 1 lane: the OWASP minimum; credentials are random, not human passwords).
absl::StatusOr<std::string> HashCredentialSecret(absl::string_view secret);

// OK when `secret` matches `hash`; UNAUTHENTICATED otherwise (also for a
// malformed hash). Never includes the secret in the message.
absl::Status CheckCredentialSecret(absl::string_view secret,
                                   const std::string& hash);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_CREDENTIAL_HASH_H_
