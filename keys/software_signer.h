// Signers whose private key lives in this process's locked memory
// (Botan::secure_vector inside keys/). The sealed keystore loads into one;
// tests and key ceremonies generate them.
#ifndef SUPERLICENSE_KEYS_SOFTWARE_SIGNER_H_
#define SUPERLICENSE_KEYS_SOFTWARE_SIGNER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/signer.h"

namespace superlicense::keys {

// Generates a new key pair from the system's random generator.
// INVALID_ARGUMENT for an unknown algorithm.
absl::StatusOr<std::unique_ptr<Signer>> GenerateSoftwareSigner(
    SignatureAlgorithm algorithm);

// Makes a signer from PUBLIC test bytes: the Ed25519 seed or the P-256
// private scalar (32 bytes each). Only for known-answer vectors and tests:
// anyone who has the bytes can sign. INVALID_ARGUMENT when the bytes are
// not 32 long or not a valid scalar.
absl::StatusOr<std::unique_ptr<Signer>> InsecureTestSignerFromSeed(
    SignatureAlgorithm algorithm, absl::string_view seed);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_SOFTWARE_SIGNER_H_
