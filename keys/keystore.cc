#include "keys/keystore.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "keys/status_macros.h"

namespace superlicense::keys {

absl::StatusOr<KeystoreLocation> ParseKeystoreUri(absl::string_view uri) {
  KeystoreLocation location;
  if (absl::StartsWith(uri, "sealed:")) {
    location.kind = KeystoreLocation::Kind::kSealed;
    location.sealed_path = std::string(uri.substr(7));
    if (location.sealed_path.empty()) {
      return absl::InvalidArgumentError(
          "keystore \"sealed:\" names no file (use sealed:PATH)");
    }
    return location;
  }
  if (absl::StartsWith(uri, "pkcs11:")) {
    location.kind = KeystoreLocation::Kind::kPkcs11;
    ASSIGN_OR_RETURN(location.pkcs11, ParsePkcs11Uri(uri));
    return location;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "keystore \"", uri.substr(0, 200),
      "\" is neither sealed:PATH nor pkcs11:token=...;object=..."));
}

absl::StatusOr<std::unique_ptr<Signer>> OpenKeystore(
    const KeystoreLocation& location, const KeystoreSecrets& secrets) {
  if (location.kind == KeystoreLocation::Kind::kSealed) {
    ASSIGN_OR_RETURN(Secret passphrase, ReadSecret(secrets.passphrase));
    return OpenSealedKeystore(location.sealed_path, passphrase.view());
  }
  ASSIGN_OR_RETURN(Secret pin, ReadSecret(secrets.pin));
  return OpenPkcs11Key(location.pkcs11, pin.view());
}

absl::StatusOr<std::unique_ptr<Signer>> CreateKeystoreKey(
    const KeystoreLocation& location, SignatureAlgorithm algorithm,
    absl::string_view label, KeystoreSecrets secrets,
    const Argon2Params& argon2) {
  if (location.kind == KeystoreLocation::Kind::kSealed) {
    secrets.passphrase.confirm = true;
    secrets.passphrase.prompt = "New keystore passphrase: ";
    ASSIGN_OR_RETURN(Secret passphrase, ReadSecret(secrets.passphrase));
    return CreateSealedKeystore(location.sealed_path, algorithm,
                                passphrase.view(), label, argon2);
  }
  ASSIGN_OR_RETURN(Secret pin, ReadSecret(secrets.pin));
  return GeneratePkcs11Key(location.pkcs11, pin.view(), algorithm);
}

}  // namespace superlicense::keys
