// Keys on a PKCS#11 token (an HSM, or SoftHSM2 in tests), reached through the
// raw Cryptoki API loaded with dlopen. Private keys are generated on the token
// as sensitive and non-extractable and never leave it; signing happens on the
// token. Ed25519 (CKM_EDDSA) and ECDSA P-256 (CKM_ECDSA over a SHA-256 digest
// made on the host).
#ifndef SUPERLICENSE_KEYS_PKCS11_KEYSTORE_H_
#define SUPERLICENSE_KEYS_PKCS11_KEYSTORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/signer.h"

namespace superlicense::keys {

// Default Cryptoki module: SoftHSM2 as Debian installs it.
inline constexpr char kDefaultPkcs11Module[] =
    "/usr/lib/softhsm/libsofthsm2.so";

// Where a key lives on a token.
struct Pkcs11Location {
  std::string module = kDefaultPkcs11Module;  // path of the Cryptoki library
  std::string token_label;                    // CKA_LABEL of the token
  std::string key_label;                      // CKA_LABEL of the key pair
};

// Parses "pkcs11:token=LABEL;object=LABEL[;module=PATH]" (a subset of
// RFC 7512; values may be %-encoded). INVALID_ARGUMENT naming the attribute.
absl::StatusOr<Pkcs11Location> ParsePkcs11Uri(absl::string_view uri);

// Generates a key pair labelled `location.key_label` on the token:
// private key CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_TOKEN, CKA_SIGN.
// ALREADY_EXISTS when a key with that label is there; NOT_FOUND when no token
// has the label; PERMISSION_DENIED for a wrong PIN; UNAVAILABLE when the
// module cannot be loaded.
absl::StatusOr<std::unique_ptr<Signer>> GeneratePkcs11Key(
    const Pkcs11Location& location, absl::string_view pin,
    SignatureAlgorithm algorithm);

// Opens an existing key pair by label for signing; the same errors, and
// NOT_FOUND when no key has the label. The returned Signer keeps a logged-in
// session and is thread-safe.
absl::StatusOr<std::unique_ptr<Signer>> OpenPkcs11Key(
    const Pkcs11Location& location, absl::string_view pin);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_PKCS11_KEYSTORE_H_
