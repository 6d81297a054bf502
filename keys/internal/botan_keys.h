// The Botan adapter: the only place that turns Botan keys and exceptions into
// Signer / Verifier objects and absl::Status. Included only by keys/*.cc.
#ifndef SUPERLICENSE_KEYS_INTERNAL_BOTAN_KEYS_H_
#define SUPERLICENSE_KEYS_INTERNAL_BOTAN_KEYS_H_

#include <botan/pk_keys.h>
#include <botan/rng.h>
#include <botan/secmem.h>

#include <exception>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/signer.h"

namespace superlicense::keys::internal {

// Wraps a Botan private key (Ed25519 or ECDSA P-256) as a Signer that reuses
// one Botan::PK_Signer under a mutex.
absl::StatusOr<std::unique_ptr<Signer>> MakeBotanSigner(
    std::unique_ptr<Botan::Private_Key> key);

// Length of the private key bytes of both algorithms: the Ed25519 seed or
// the P-256 scalar, big-endian.
inline constexpr size_t kPrivateKeyBytes = 32;

// Returns fresh private key bytes for `algorithm` from `rng`.
// INVALID_ARGUMENT for an unknown algorithm.
absl::StatusOr<Botan::secure_vector<uint8_t>> GeneratePrivateBytes(
    SignatureAlgorithm algorithm, Botan::RandomNumberGenerator& rng);

// Makes a signer from private key bytes (kPrivateKeyBytes long).
// INVALID_ARGUMENT when their length is wrong or they are not a valid scalar.
absl::StatusOr<std::unique_ptr<Signer>> SignerFromPrivateBytes(
    SignatureAlgorithm algorithm, const Botan::secure_vector<uint8_t>& bytes);

// Translates an exception thrown by Botan into INTERNAL naming `what`.
// The exception text never contains key material (Botan reports sizes and
// algorithm names only), but it is truncated for safety.
absl::Status BotanError(absl::string_view what, const std::exception& e);

}  // namespace superlicense::keys::internal

#endif  // SUPERLICENSE_KEYS_INTERNAL_BOTAN_KEYS_H_
