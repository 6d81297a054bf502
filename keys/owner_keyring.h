// The owner keyring file (a v1.OwnerKeyring as JSON): the keys an owner holds
// and their states. Rotation makes a newly certified key active and the
// previous active key verify-only; revocation marks a key revoked.
#ifndef SUPERLICENSE_KEYS_OWNER_KEYRING_H_
#define SUPERLICENSE_KEYS_OWNER_KEYRING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "superlicense/v1/keyring.pb.h"

namespace superlicense::keys {

// Reads a keyring file. NOT_FOUND when missing; INVALID_ARGUMENT when it is
// not a keyring or breaks an invariant (owner name, one active key, every
// certificate for the keyring's owner).
absl::StatusOr<v1::OwnerKeyring> ReadOwnerKeyring(const std::string& path);

// Writes a keyring file atomically (it holds no secrets; mode 0644).
absl::Status WriteOwnerKeyring(const std::string& path,
                               const v1::OwnerKeyring& keyring);

// Returns the content of a certificate without checking its signatures
// (the trust store does that). INVALID_ARGUMENT when malformed.
absl::StatusOr<v1::OwnerKeyCertificate> CertificateContent(
    const v1::SignedPublicKey& certificate);

// Adds a certified key and makes it active; the previously active key
// becomes verify-only. `public_key` is the keystore's key: it must be the
// certified one. INVALID_ARGUMENT when the certificate is for another owner
// or key; ALREADY_EXISTS when the key is in the keyring already.
absl::Status RotateIn(v1::OwnerKeyring* keyring, const std::string& keystore,
                      const v1::SignedPublicKey& certificate,
                      const std::string& public_key, int64_t now);

// Marks the key revoked. NOT_FOUND when the keyring does not hold it.
absl::Status MarkRevoked(v1::OwnerKeyring* keyring, const std::string& key_id,
                         int64_t now);

// Returns the active key. FAILED_PRECONDITION when there is none.
absl::StatusOr<v1::OwnerKeyEntry> ActiveKey(const v1::OwnerKeyring& keyring);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_OWNER_KEYRING_H_
