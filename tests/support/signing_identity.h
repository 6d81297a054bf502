// A signing identity for in-process authority tests and benchmarks: a fresh
// root key, an Ed25519 owner key for SUPEROFFICE that the root certifies
// (valid from a year before `now` to five years after), and a trust bundle
// (version 1, threshold 1) of that root.
#ifndef SUPERLICENSE_TESTS_SUPPORT_SIGNING_IDENTITY_H_
#define SUPERLICENSE_TESTS_SUPPORT_SIGNING_IDENTITY_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "authority/service/license_authority.h"
#include "keys/signer.h"

namespace superlicense::testing {

struct TestSigningIdentity {
  std::unique_ptr<keys::Signer> root;
  authority::SigningIdentity identity;  // trust_bundle and keyring filled
};

absl::StatusOr<TestSigningIdentity> MakeTestSigningIdentity(int64_t now);

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_SUPPORT_SIGNING_IDENTITY_H_
