// Public key files (`*.pub.json`): a v1.PublicKey in protobuf's JSON form,
// bytes in base64. What owner-new prints and certify reads.
#ifndef SUPERLICENSE_KEYS_PUBLIC_KEY_FILE_H_
#define SUPERLICENSE_KEYS_PUBLIC_KEY_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "keys/signer.h"

namespace superlicense::keys {

// Returns the PublicKey of `signer` (key id, algorithm, raw key, `name`).
v1::PublicKey PublicKeyOf(const Signer& signer, const std::string& name);

// Renders `key` as indented JSON.
std::string PublicKeyToJson(const v1::PublicKey& key);

// Parses and checks a public key: JSON form, algorithm known, the key
// well-formed and `key_id` its SHA-256. INVALID_ARGUMENT naming the field.
absl::StatusOr<v1::PublicKey> PublicKeyFromJson(const std::string& json);

// Checks an already decoded PublicKey the same way.
absl::Status CheckPublicKey(const v1::PublicKey& key);

// Reads a public key file (at most 64 KiB).
absl::StatusOr<v1::PublicKey> ReadPublicKeyFile(const std::string& path);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_PUBLIC_KEY_FILE_H_
