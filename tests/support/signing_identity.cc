#include "tests/support/signing_identity.h"

#include <utility>

#include "keys/public_key_file.h"
#include "keys/software_signer.h"
#include "keys/status_macros.h"
#include "keys/trust_store.h"

namespace superlicense::testing {

absl::StatusOr<TestSigningIdentity> MakeTestSigningIdentity(int64_t now) {
  constexpr int64_t kYear = 365 * 86400;
  constexpr char kOwner[] = "SUPEROFFICE";
  TestSigningIdentity made;
  ASSIGN_OR_RETURN(
      made.root, keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519));
  authority::SigningIdentity& identity = made.identity;
  identity.owner.set_owner_name(kOwner);
  identity.owner.set_description("SuperOffice AS");
  ASSIGN_OR_RETURN(identity.signer, keys::GenerateSoftwareSigner(
                                        v1::SIGNATURE_ALGORITHM_ED25519));
  v1::OwnerKeyCertificate certificate;
  certificate.set_owner_name(kOwner);
  *certificate.mutable_key() = keys::PublicKeyOf(*identity.signer, "");
  certificate.set_valid_from(now - kYear);
  certificate.set_valid_until(now + 5 * kYear);
  ASSIGN_OR_RETURN(identity.certificate,
                   keys::CertifyOwnerKey(*made.root, certificate));
  identity.keyring.set_owner_name(kOwner);
  v1::TrustBundle bundle;
  bundle.set_version(1);
  bundle.set_threshold(1);
  *bundle.add_root_keys() = keys::PublicKeyOf(*made.root, "root");
  ASSIGN_OR_RETURN(identity.trust_bundle,
                   keys::SignTrustBundle(*made.root, bundle));
  return made;
}

}  // namespace superlicense::testing
