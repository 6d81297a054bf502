// The sealed keystore: one private key in a file, encrypted with AES-256-GCM
// under a key derived from a passphrase by Argon2id. The embedded default
// keystore of the authority. File layout: docs/KEYS.md, "Sealed keystore".
//
// The private key is decrypted only into Botan::secure_vector inside keys/;
// callers get a Signer. Files are written atomically with mode 0600.
#ifndef SUPERLICENSE_KEYS_SEALED_KEYSTORE_H_
#define SUPERLICENSE_KEYS_SEALED_KEYSTORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/signer.h"

namespace superlicense::keys {

inline constexpr uint16_t kSealedKeystoreVersion = 1;

// Argon2id cost; recorded in the file so it can be raised later.
struct Argon2Params {
  uint32_t memory_kib = 65536;  // 64 MiB
  uint32_t iterations = 3;
  uint32_t parallelism = 1;
};

// What can be read from a keystore without the passphrase.
struct SealedKeystoreInfo {
  uint16_t version = 0;
  SignatureAlgorithm algorithm = v1::SIGNATURE_ALGORITHM_UNSPECIFIED;
  std::string public_key;
  std::string key_id;
  std::string label;  // e.g. the owner name
  Argon2Params argon2;
};

// Generates a new key and writes it sealed under `passphrase` to `path`.
// ALREADY_EXISTS when `path` exists (a key is never overwritten);
// INVALID_ARGUMENT for an empty passphrase, a label over 255 bytes or an
// unknown algorithm.
absl::StatusOr<std::unique_ptr<Signer>> CreateSealedKeystore(
    const std::string& path, SignatureAlgorithm algorithm,
    absl::string_view passphrase, absl::string_view label,
    const Argon2Params& argon2 = Argon2Params());

// Opens the keystore at `path` for signing. NOT_FOUND when missing;
// INVALID_ARGUMENT when it is not a sealed keystore; FAILED_PRECONDITION for
// a format version this build does not read; DATA_LOSS when the file is
// truncated or damaged; PERMISSION_DENIED for a wrong passphrase.
absl::StatusOr<std::unique_ptr<Signer>> OpenSealedKeystore(
    const std::string& path, absl::string_view passphrase);

// Reads the public part (no passphrase needed); the errors of
// OpenSealedKeystore except PERMISSION_DENIED.
absl::StatusOr<SealedKeystoreInfo> ReadSealedKeystoreInfo(
    const std::string& path);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_SEALED_KEYSTORE_H_
