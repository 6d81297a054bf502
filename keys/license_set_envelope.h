// Signing and checking SignedLicenseSet envelopes (docs/FORMAT.md).
//
// This layer checks signatures against one owner key. Whether that key is
// trusted (its certificate chains to the trust bundle, was valid at issue time
// and is not revoked) is decided by the caller.
#ifndef SUPERLICENSE_KEYS_LICENSE_SET_ENVELOPE_H_
#define SUPERLICENSE_KEYS_LICENSE_SET_ENVELOPE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/signer.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::keys {

// Limits checked before anything is decoded or verified.
inline constexpr size_t kMaxEnvelopeBytes = 4 << 20;  // a whole .lic file
inline constexpr int kMaxRows = 10000;                // module licenses per set
inline constexpr int kMaxSignatures = 8;              // owner signatures

// Signs `set` with the owner key `signer`: computes `rows_digest`,
// serialises the set deterministically as the payload, signs PAE over it and
// each row, and attaches `owner_key`. INVALID_ARGUMENT when the rows are not
// in strictly increasing `sort_order` or exceed kMaxRows; signer errors pass
// through.
absl::StatusOr<v1::SignedLicenseSet> SignLicenseSet(
    v1::LicenseSet set, const Signer& signer,
    const v1::SignedPublicKey& owner_key);

// Decodes the bytes of a `.lic` file after checking their size, then checks
// the envelope's shape (CheckLicenseSetEnvelopeShape). INVALID_ARGUMENT names
// what is wrong.
absl::StatusOr<v1::SignedLicenseSet> DecodeSignedLicenseSet(
    absl::string_view bytes);

// Checks what can be checked without keys: payload type, sizes and counts,
// key id and signature lengths, known algorithms. INVALID_ARGUMENT.
absl::Status CheckLicenseSetEnvelopeShape(const v1::SignedLicenseSet& envelope);

// Checks every signature of `envelope` against the owner key `owner`: the
// owner signature over the exact payload bytes first, then the payload's
// structure, the rows digest, and each row signature. Returns the decoded set.
// INVALID_ARGUMENT for a malformed envelope or payload; PERMISSION_DENIED when
// a signature or the rows digest does not match (the message names the row's
// module and sort order).
absl::StatusOr<v1::LicenseSet> VerifyLicenseSetSignatures(
    const v1::SignedLicenseSet& envelope, const Verifier& owner);

// Serialises `message` deterministically: the exact payload bytes to sign.
std::string DeterministicBytes(const google::protobuf::Message& message);

// Parses `bytes` into `message`, rejecting fields this version does not know
// (they would be signed but silently ignored). INVALID_ARGUMENT naming `what`.
absl::Status ParseStrict(absl::string_view bytes, absl::string_view what,
                         google::protobuf::Message* message);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_LICENSE_SET_ENVELOPE_H_
