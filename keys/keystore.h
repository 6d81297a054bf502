// One entry point for every kind of keystore, chosen by URI:
//   sealed:PATH                                   (the embedded default)
//   pkcs11:token=LABEL;object=LABEL[;module=PATH] (an HSM token)
#ifndef SUPERLICENSE_KEYS_KEYSTORE_H_
#define SUPERLICENSE_KEYS_KEYSTORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/pkcs11_keystore.h"
#include "keys/sealed_keystore.h"
#include "keys/secret.h"
#include "keys/signer.h"

namespace superlicense::keys {

struct KeystoreLocation {
  enum class Kind { kSealed, kPkcs11 };
  Kind kind = Kind::kSealed;
  std::string sealed_path;  // kSealed
  Pkcs11Location pkcs11;    // kPkcs11
};

// Parses a keystore URI. INVALID_ARGUMENT naming the URI when its scheme is
// neither sealed: nor pkcs11: or its parts are malformed.
absl::StatusOr<KeystoreLocation> ParseKeystoreUri(absl::string_view uri);

// Where the passphrase (sealed) or PIN (pkcs11) comes from. By default the
// environment variables SUPERLICENSE_PASSPHRASE / SUPERLICENSE_PKCS11_PIN,
// then a prompt on the terminal.
struct KeystoreSecrets {
  SecretSource passphrase{"", "SUPERLICENSE_PASSPHRASE", true,
                          "Keystore passphrase: ", false};
  SecretSource pin{"", "SUPERLICENSE_PKCS11_PIN", true, "Token PIN: ", false};
};

// Opens the key for signing; the errors of OpenSealedKeystore /
// OpenPkcs11Key, and NOT_FOUND when no passphrase or PIN is given.
absl::StatusOr<std::unique_ptr<Signer>> OpenKeystore(
    const KeystoreLocation& location, const KeystoreSecrets& secrets);

// Makes a new key in the keystore; the errors of CreateSealedKeystore /
// GeneratePkcs11Key. A new sealed keystore's passphrase is asked twice when
// prompted.
absl::StatusOr<std::unique_ptr<Signer>> CreateKeystoreKey(
    const KeystoreLocation& location, SignatureAlgorithm algorithm,
    absl::string_view label, KeystoreSecrets secrets,
    const Argon2Params& argon2 = Argon2Params());

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_KEYSTORE_H_
