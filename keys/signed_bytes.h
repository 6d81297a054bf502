// The signed bytes: exactly what every SuperLicense signature covers.
// Specified in docs/FORMAT.md; this file is its one implementation, pinned by
// the known-answer vectors in tests/data/format/.
//
// Every signature is over PAE(payload_type, payload), the DSSE v1
// pre-authentication encoding, with one payload type per kind of signed
// object, so a signature of one kind can never pass as another.
#ifndef SUPERLICENSE_KEYS_SIGNED_BYTES_H_
#define SUPERLICENSE_KEYS_SIGNED_BYTES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/signer.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::keys {

// Payload types (docs/FORMAT.md, "Payload types").
inline constexpr absl::string_view kLicenseSetPayloadType =
    "application/vnd.superlicense.license-set.v1+protobuf";
inline constexpr absl::string_view kModuleLicensePayloadType =
    "application/vnd.superlicense.module-license.v1";
inline constexpr absl::string_view kOwnerKeyCertificatePayloadType =
    "application/vnd.superlicense.owner-key-certificate.v1+protobuf";
inline constexpr absl::string_view kTrustBundlePayloadType =
    "application/vnd.superlicense.trust-bundle.v1+protobuf";

// Returns the DSSE v1 pre-authentication encoding:
//   "DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload
// where LEN is the byte length in ASCII decimal without leading zeros.
std::string PreAuthEncode(absl::string_view payload_type,
                          absl::string_view payload);

// Signs PAE(payload_type, payload) and returns the signature with the
// signer's key id and algorithm. Errors from the signer pass through.
absl::StatusOr<v1::Signature> SignPayload(const Signer& signer,
                                          absl::string_view payload_type,
                                          absl::string_view payload);

// Checks that `signature` was made by `verifier`'s key over
// PAE(payload_type, payload). PERMISSION_DENIED when the key id or algorithm
// differ from the verifier's or the signature does not verify.
absl::Status VerifyPayloadSignature(const Verifier& verifier,
                                    absl::string_view payload_type,
                                    absl::string_view payload,
                                    const v1::Signature& signature);

// What a module license row is bound to: the set it belongs to.
struct RowBinding {
  std::string owner_name;
  std::string serial;
  v1::SiteKind site_kind = v1::SITE_KIND_UNSPECIFIED;
  uint32_t satellite_id = 0;
  uint64_t set_version = 0;
};

// Returns the binding of the rows of `set`.
RowBinding RowBindingOf(const v1::LicenseSet& set);

// Returns ROW(row): the canonical, length-prefixed encoding of every field of
// `row` bound to `binding` (docs/FORMAT.md, "Row encoding"). A row signature
// is over PAE(kModuleLicensePayloadType, RowBytes(...)).
std::string RowBytes(const RowBinding& binding, const v1::ModuleLicense& row);

// Returns SHA-256 over the count and the length-prefixed ROW encodings of all
// rows of `set`, in their order (docs/FORMAT.md, "Rows digest").
std::string RowsDigest(const v1::LicenseSet& set);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_SIGNED_BYTES_H_
