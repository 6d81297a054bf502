// Fuzzes the bytes of a trust bundle file: decoding (keys::DecodeTrustBundle),
// trusting it as an anchor (TrustStore::FromAnchor) and as an update of the
// fixed test store (TrustStore::Update). A bundle that is accepted either
// way is then used to check the test owner certificate and license set, so
// revocations, thresholds and root maps of fuzzed bundles are exercised.
//
// Seeds: corpus/trust_bundle_fuzzer/ (written by fuzz_seed_gen).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keys/license_set_envelope.h"
#include "keys/trust_store.h"
#include "tests/fuzz/fuzz_support.h"

namespace superlicense::fuzzing {
namespace {

const v1::SignedLicenseSet& TestEnvelope() {
  static const v1::SignedLicenseSet* envelope = [] {
    absl::StatusOr<v1::SignedLicenseSet> decoded =
        keys::DecodeSignedLicenseSet(ReadTestData("format/license_set.lic"));
    if (!decoded.ok()) std::abort();
    return new v1::SignedLicenseSet(*std::move(decoded));
  }();
  return *envelope;
}

void UseStore(const keys::TrustStore& store) {
  (void)store.VerifyOwnerCertificate(TestEnvelope().owner_key());
  Report("license set",
         store.VerifyLicenseSet(TestEnvelope(), FuzzNow()).status());
}

}  // namespace
}  // namespace superlicense::fuzzing

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)superlicense::fuzzing::TestTrustStore();
  (void)superlicense::fuzzing::TestEnvelope();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace superlicense;
  absl::StatusOr<v1::SignedTrustBundle> bundle =
      keys::DecodeTrustBundle(fuzzing::AsView(data, size));
  if (!bundle.ok()) return 0;
  absl::StatusOr<keys::TrustStore> anchored =
      keys::TrustStore::FromAnchor(*bundle);
  fuzzing::Report("anchor", anchored.status());
  if (anchored.ok()) fuzzing::UseStore(*anchored);
  absl::StatusOr<keys::TrustStore> updated =
      fuzzing::TestTrustStore().Update(*bundle);
  fuzzing::Report("update", updated.status());
  if (updated.ok()) {
    if (updated->bundle().version() <=
        fuzzing::TestTrustStore().bundle().version()) {
      std::abort();  // an update must raise the version
    }
    fuzzing::UseStore(*updated);
  }
  return 0;
}
