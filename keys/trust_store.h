// Certificates, trust bundles and the chain check of a signed license set
// (DESIGN.md §3, docs/KEYS.md):
//
//   trust bundle (root keys + threshold + revocations, signed by the roots)
//     -> owner key certificate (SignedPublicKey, signed by a threshold of
//     roots)
//       -> license set (signed by the owner key, every row too)
#ifndef SUPERLICENSE_KEYS_TRUST_STORE_H_
#define SUPERLICENSE_KEYS_TRUST_STORE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "keys/signer.h"

namespace superlicense::keys {

// Limits checked before decoding.
inline constexpr size_t kMaxTrustBundleBytes = 256 * 1024;
inline constexpr int kMaxRootKeys = 16;

// Checks an owner name: 1 to 32 characters of A-Z and 0-9.
// INVALID_ARGUMENT naming the value.
absl::Status CheckOwnerName(absl::string_view owner_name);

// Signs `certificate` with one root key. INVALID_ARGUMENT when the
// certificate is malformed (owner name, key, validity window).
absl::StatusOr<v1::SignedPublicKey> CertifyOwnerKey(
    const Signer& root, const v1::OwnerKeyCertificate& certificate);

// Adds `root`'s signature to an existing certificate (for thresholds above
// one). ALREADY_EXISTS when that root signed it already.
absl::Status CosignOwnerKey(const Signer& root,
                            v1::SignedPublicKey* certificate);

// Signs `bundle` with one root key. INVALID_ARGUMENT when malformed.
absl::StatusOr<v1::SignedTrustBundle> SignTrustBundle(
    const Signer& root, const v1::TrustBundle& bundle);

// Adds `root`'s signature to an existing bundle. ALREADY_EXISTS as above.
absl::Status CosignTrustBundle(const Signer& root,
                               v1::SignedTrustBundle* bundle);

// Decodes the bytes of a trust bundle file (size-limited).
absl::StatusOr<v1::SignedTrustBundle> DecodeTrustBundle(
    absl::string_view bytes);

// A license set whose whole chain verified.
struct VerifiedLicenseSet {
  v1::LicenseSet set;
  v1::OwnerKeyCertificate owner_certificate;
};

// What a client trusts. Immutable and thread-safe; copyable.
class TrustStore {
 public:
  // Trusts `bundle` as the anchor (compiled in, or read from a protected
  // path). It must be well-formed and signed by a threshold of its own
  // roots. INVALID_ARGUMENT / PERMISSION_DENIED.
  static absl::StatusOr<TrustStore> FromAnchor(
      const v1::SignedTrustBundle& bundle);

  // Returns the store for `next` when it may replace this one: a higher
  // version, signed by a threshold of the roots trusted now and by a
  // threshold of its own roots. FAILED_PRECONDITION for a version that is
  // not higher; PERMISSION_DENIED for too few valid signatures.
  absl::StatusOr<TrustStore> Update(const v1::SignedTrustBundle& next) const;

  // Checks an owner key certificate's root signatures and content and
  // returns the content. PERMISSION_DENIED when fewer than the threshold of
  // trusted roots signed it or the key is revoked.
  absl::StatusOr<v1::OwnerKeyCertificate> VerifyOwnerCertificate(
      const v1::SignedPublicKey& certificate) const;

  // Checks a license set completely: the owner certificate chains to the
  // roots, is for the set's owner, is not revoked, was valid when the set
  // was issued and is still in force at `now`; then the owner signature, the
  // rows digest and every row signature. INVALID_ARGUMENT for malformed
  // input; PERMISSION_DENIED with the reason otherwise.
  absl::StatusOr<VerifiedLicenseSet> VerifyLicenseSet(
      const v1::SignedLicenseSet& envelope, absl::Time now) const;

  const v1::TrustBundle& bundle() const { return bundle_; }
  const v1::SignedTrustBundle& signed_bundle() const { return signed_; }

 private:
  using RootMap = std::map<std::string, std::shared_ptr<const Verifier>>;
  TrustStore(v1::SignedTrustBundle signed_bundle, v1::TrustBundle bundle,
             RootMap roots)
      : signed_(std::move(signed_bundle)),
        bundle_(std::move(bundle)),
        roots_(std::move(roots)) {}

  const v1::Revocation* FindRevocation(const std::string& key_id) const;

  v1::SignedTrustBundle signed_;
  v1::TrustBundle bundle_;
  RootMap roots_;  // key id -> verifier
};

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_TRUST_STORE_H_
