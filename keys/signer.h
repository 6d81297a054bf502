// Signer and Verifier: the only view the rest of the code has of a key.
//
// A Signer signs messages and tells its key id, algorithm and public key;
// nothing on it reveals the private key. A Verifier checks signatures made by
// one public key. Messages are the exact bytes to sign: callers pass the
// pre-authentication encoding of keys/signed_bytes.h, never raw payloads.
#ifndef SUPERLICENSE_KEYS_SIGNER_H_
#define SUPERLICENSE_KEYS_SIGNER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::keys {

using v1::SignatureAlgorithm;

// Length of a key id (SHA-256 of the raw public key).
inline constexpr size_t kKeyIdSize = 32;
// Length of a signature for both supported algorithms.
inline constexpr size_t kSignatureSize = 64;

// Returns "ed25519", "ecdsa-p256-sha256" or "unspecified".
absl::string_view AlgorithmName(SignatureAlgorithm algorithm);

// Parses the names AlgorithmName returns. INVALID_ARGUMENT for anything else.
absl::StatusOr<SignatureAlgorithm> ParseAlgorithmName(absl::string_view name);

// Returns the key id of a raw public key: its SHA-256 (32 bytes).
std::string KeyIdOf(absl::string_view public_key);

// A private key that can sign. Implementations are thread-safe.
class Signer {
 public:
  virtual ~Signer() = default;

  // Signs `message` and returns the 64-byte signature. INTERNAL or
  // UNAVAILABLE (token) when the key cannot sign.
  virtual absl::StatusOr<std::string> Sign(absl::string_view message) const = 0;

  // SHA-256 of public_key().
  virtual const std::string& key_id() const = 0;
  virtual SignatureAlgorithm algorithm() const = 0;
  // Raw public key: 32 bytes (Ed25519) or a 65-byte uncompressed point (P-256).
  virtual const std::string& public_key() const = 0;
};

// A public key that checks signatures. Thread-safe.
class Verifier {
 public:
  virtual ~Verifier() = default;

  // Makes a verifier for a raw public key. INVALID_ARGUMENT when the
  // algorithm is unknown or the key is malformed (wrong length, not a point
  // on the curve).
  static absl::StatusOr<std::unique_ptr<Verifier>> Create(
      SignatureAlgorithm algorithm, absl::string_view public_key);

  // Returns OK when `signature` is a valid signature of `message` by this
  // key; PERMISSION_DENIED otherwise (including a signature of wrong length).
  virtual absl::Status Verify(absl::string_view message,
                              absl::string_view signature) const = 0;

  virtual const std::string& key_id() const = 0;
  virtual SignatureAlgorithm algorithm() const = 0;
  virtual const std::string& public_key() const = 0;
};

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_SIGNER_H_
