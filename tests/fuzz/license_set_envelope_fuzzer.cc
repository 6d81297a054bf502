// Fuzzes the bytes of a signed license-set file (.lic): decoding and shape
// checks (keys/license_set_envelope.h), the whole chain check against the
// fixed test trust store (keys/trust_store.h), and the owner-key signature
// layer alone against the key the envelope claims, so that payload parsing,
// the rows digest and row signatures are reached even when the chain fails.
//
// Seeds: corpus/license_set_envelope_fuzzer/ (tests/data/format/license_set.lic
// and its negative vectors), which verify against TestTrustStore().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "keys/license_set_envelope.h"
#include "keys/signer.h"
#include "keys/trust_store.h"
#include "tests/fuzz/fuzz_support.h"

namespace superlicense::fuzzing {
namespace {

void VerifyWithClaimedKey(const v1::SignedLicenseSet& envelope) {
  absl::StatusOr<v1::OwnerKeyCertificate> certificate =
      TestTrustStore().VerifyOwnerCertificate(envelope.owner_key());
  if (!certificate.ok()) return;
  absl::StatusOr<std::unique_ptr<keys::Verifier>> owner =
      keys::Verifier::Create(certificate->key().algorithm(),
                             certificate->key().public_key());
  if (!owner.ok()) return;
  Report("owner signatures",
         keys::VerifyLicenseSetSignatures(envelope, **owner).status());
}

}  // namespace
}  // namespace superlicense::fuzzing

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)superlicense::fuzzing::TestTrustStore();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace superlicense;
  absl::StatusOr<v1::SignedLicenseSet> envelope =
      keys::DecodeSignedLicenseSet(fuzzing::AsView(data, size));
  fuzzing::Report("decode", envelope.status());
  if (!envelope.ok()) return 0;
  absl::StatusOr<keys::VerifiedLicenseSet> verified =
      fuzzing::TestTrustStore().VerifyLicenseSet(*envelope, fuzzing::FuzzNow());
  fuzzing::Report("verify", verified.status());
  if (verified.ok() && verified->set.owner().owner_name() !=
                           verified->owner_certificate.owner_name()) {
    std::abort();  // the chain check let a set through for another owner
  }
  fuzzing::VerifyWithClaimedKey(*envelope);
  return 0;
}
