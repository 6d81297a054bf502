// Keys on a PKCS#11 token (an HSM, or SoftHSM2 in tests), reached through the
// raw Cryptoki API loaded with dlopen. Private keys are generated on the token
// as sensitive and non-extractable and never leave it; signing happens on the
// token. Ed25519 (CKM_EDDSA) and ECDSA P-256 (CKM_ECDSA over a SHA-256 digest
// made on the host).
//
// Cryptoki state is per process: a module is loaded and initialised once and
// finalised when the last Signer using it is destroyed; a token is logged in
// once (CKU_USER) and stays logged in while any Signer on it lives. Every
// later Generate/Open on that token must still present the same PIN.
//
// Error messages name the token and key labels, the Cryptoki function and its
// return code ("token \"hsm\": C_Login: CKR_PIN_INCORRECT (0xa0)"); never the
// PIN.
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
// RFC 7512; attributes in any order, each at most once; values may be
// %-encoded). INVALID_ARGUMENT naming the attribute when one is unknown,
// repeated, empty or badly escaped, when token or object is missing, when the
// scheme is not "pkcs11:" and for query attributes ("?..."). Messages never
// repeat attribute values, which might hold a PIN.
absl::StatusOr<Pkcs11Location> ParsePkcs11Uri(absl::string_view uri);

// Generates a key pair labelled `location.key_label` on the token:
// private key CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_TOKEN, CKA_PRIVATE,
// CKA_SIGN (and not CKA_DERIVE); public key CKA_TOKEN, CKA_VERIFY. Both carry
// the label as CKA_LABEL and CKA_ID.
// ALREADY_EXISTS when a key with that label is there; NOT_FOUND when no token
// has the label; PERMISSION_DENIED for a wrong PIN; UNAVAILABLE when the
// module cannot be loaded or the token is gone. Also INVALID_ARGUMENT for an
// unknown algorithm, an empty key label or a token label longer than 32
// bytes; FAILED_PRECONDITION when several tokens have the label, or when
// other code in the process logged the token in (the PIN cannot be checked);
// UNIMPLEMENTED when the token lacks the mechanism.
absl::StatusOr<std::unique_ptr<Signer>> GeneratePkcs11Key(
    const Pkcs11Location& location, absl::string_view pin,
    SignatureAlgorithm algorithm);

// Opens an existing key pair by label for signing; the same errors, and
// NOT_FOUND when no private key or no public key has the label;
// FAILED_PRECONDITION when several do, or when the key is not Ed25519 or
// ECDSA P-256. The returned Signer keeps a logged-in session and is
// thread-safe; its signatures are made one at a time on that session.
absl::StatusOr<std::unique_ptr<Signer>> OpenPkcs11Key(
    const Pkcs11Location& location, absl::string_view pin);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_PKCS11_KEYSTORE_H_
