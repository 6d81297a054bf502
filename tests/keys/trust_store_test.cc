#include "keys/trust_store.h"

#include <google/protobuf/text_format.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/license_set_envelope.h"
#include "keys/public_key_file.h"
#include "keys/signed_bytes.h"
#include "keys/software_signer.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::keys {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::ReadFileOrDie;
using ::superlicense::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;
constexpr int64_t kIssuedAt = 1798761600;  // 2027-01-01, the sample set's

std::unique_ptr<Signer> NewKey() {
  auto signer = GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519);
  EXPECT_OK(signer.status());
  return *std::move(signer);
}

v1::LicenseSet SampleSet() {
  v1::LicenseSet set;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      ReadFileOrDie(SUPERLICENSE_TEST_DATA_DIR
                    "/format/license_set_input.textproto"),
      &set));
  return set;
}

class TrustStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = NewKey();
    owner_ = NewKey();
    bundle_.set_version(1);
    bundle_.set_threshold(1);
    *bundle_.add_root_keys() = PublicKeyOf(*root_, "root-1");
    auto signed_bundle = SignTrustBundle(*root_, bundle_);
    ASSERT_OK(signed_bundle.status());
    auto store = TrustStore::FromAnchor(*signed_bundle);
    ASSERT_OK(store.status());
    store_ = std::make_unique<TrustStore>(*std::move(store));
  }

  v1::OwnerKeyCertificate Certificate(const Signer& key,
                                      const std::string& owner) {
    v1::OwnerKeyCertificate certificate;
    certificate.set_owner_name(owner);
    *certificate.mutable_key() = PublicKeyOf(key, "");
    certificate.set_issued_at(kIssuedAt - 10 * kDay);
    certificate.set_valid_from(kIssuedAt - 10 * kDay);
    certificate.set_valid_until(kIssuedAt + 365 * kDay);
    return certificate;
  }

  v1::SignedLicenseSet IssueWith(const Signer& signer,
                                 const v1::SignedPublicKey& certificate) {
    auto envelope = SignLicenseSet(SampleSet(), signer, certificate);
    EXPECT_OK(envelope.status());
    return *envelope;
  }

  v1::SignedLicenseSet Issue() {
    auto certificate =
        CertifyOwnerKey(*root_, Certificate(*owner_, "SUPEROFFICE"));
    EXPECT_OK(certificate.status());
    return IssueWith(*owner_, *certificate);
  }

  absl::Time Now() const { return absl::FromUnixSeconds(kIssuedAt + kDay); }

  std::unique_ptr<Signer> root_;
  std::unique_ptr<Signer> owner_;
  v1::TrustBundle bundle_;
  std::unique_ptr<TrustStore> store_;
};

TEST_F(TrustStoreTest, WholeChainVerifies) {
  ASSERT_OK_AND_ASSIGN(VerifiedLicenseSet verified,
                       store_->VerifyLicenseSet(Issue(), Now()));
  EXPECT_EQ(verified.set.customer().serial(), "1010000014");
  EXPECT_EQ(verified.owner_certificate.key().key_id(), owner_->key_id());
}

TEST_F(TrustStoreTest, SetSignedByUncertifiedKeyIsRejected) {
  // The attached certificate is genuine, but another key signed the set.
  auto certificate =
      CertifyOwnerKey(*root_, Certificate(*owner_, "SUPEROFFICE"));
  ASSERT_OK(certificate.status());
  auto intruder = NewKey();
  EXPECT_THAT(
      store_->VerifyLicenseSet(IssueWith(*intruder, *certificate), Now()),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("no signature by the owner key")));
}

TEST_F(TrustStoreTest, CertificateSignedByNonRootIsRejected) {
  auto not_root = NewKey();
  auto certificate =
      CertifyOwnerKey(*not_root, Certificate(*owner_, "SUPEROFFICE"));
  ASSERT_OK(certificate.status());
  EXPECT_THAT(store_->VerifyLicenseSet(IssueWith(*owner_, *certificate), Now()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("signed by 0 trusted root key(s), 1 needed")));
}

TEST_F(TrustStoreTest, CertificateForAnotherOwnerIsRejected) {
  auto certificate = CertifyOwnerKey(*root_, Certificate(*owner_, "PARTNER"));
  ASSERT_OK(certificate.status());
  EXPECT_THAT(store_->VerifyLicenseSet(IssueWith(*owner_, *certificate), Now()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("certified for owner PARTNER")));
}

TEST_F(TrustStoreTest, ExpiredCertificateIsRejected) {
  const v1::SignedLicenseSet envelope = Issue();
  EXPECT_THAT(store_->VerifyLicenseSet(
                  envelope, absl::FromUnixSeconds(kIssuedAt + 366 * kDay)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("owner certificate expired")));
}

TEST_F(TrustStoreTest, SetIssuedOutsideCertificateValidityIsRejected) {
  v1::OwnerKeyCertificate content = Certificate(*owner_, "SUPEROFFICE");
  content.set_valid_from(kIssuedAt + kDay);
  content.set_valid_until(kIssuedAt + 100 * kDay);
  auto certificate = CertifyOwnerKey(*root_, content);
  ASSERT_OK(certificate.status());
  EXPECT_THAT(store_->VerifyLicenseSet(IssueWith(*owner_, *certificate),
                                       Now() + absl::Hours(48)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("outside the owner certificate's validity")));
}

TEST_F(TrustStoreTest, RevokedKeyIsRejectedAfterBundleUpdate) {
  const v1::SignedLicenseSet envelope = Issue();
  v1::TrustBundle next = bundle_;
  next.set_version(2);
  v1::Revocation* revocation = next.add_revocations();
  revocation->set_key_id(owner_->key_id());
  revocation->set_reason("key compromise");
  revocation->set_revoked_at(kIssuedAt + kDay);
  ASSERT_OK_AND_ASSIGN(v1::SignedTrustBundle signed_next,
                       SignTrustBundle(*root_, next));
  ASSERT_OK_AND_ASSIGN(TrustStore updated, store_->Update(signed_next));
  EXPECT_THAT(updated.VerifyLicenseSet(envelope, Now()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("revoked on 2027-01-02T00:00:00Z: key "
                                 "compromise")));
  EXPECT_THAT(store_->VerifyLicenseSet(envelope, Now()), IsOk());
}

TEST_F(TrustStoreTest, BundleUpdateNeedsHigherVersion) {
  for (uint64_t version : {0u, 1u}) {
    v1::TrustBundle same = bundle_;
    same.set_version(version);
    auto signed_same = SignTrustBundle(*root_, same);
    if (!signed_same.ok()) continue;  // version 0 is malformed already
    EXPECT_THAT(store_->Update(*signed_same),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("is not above the trusted version 1")));
  }
}

TEST_F(TrustStoreTest, RootRotationNeedsOldAndNewRoots) {
  auto new_root = NewKey();
  v1::TrustBundle next;
  next.set_version(2);
  next.set_threshold(1);
  *next.add_root_keys() = PublicKeyOf(*new_root, "root-2");

  // Signed only by the new root: an attacker's own bundle.
  ASSERT_OK_AND_ASSIGN(v1::SignedTrustBundle only_new,
                       SignTrustBundle(*new_root, next));
  EXPECT_THAT(store_->Update(only_new),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("by the roots trusted now")));

  // Signed only by the old root: the new root has not agreed.
  ASSERT_OK_AND_ASSIGN(v1::SignedTrustBundle only_old,
                       SignTrustBundle(*root_, next));
  EXPECT_THAT(TrustStore::FromAnchor(only_old),
              StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_OK(CosignTrustBundle(*root_, &only_new));
  EXPECT_THAT(CosignTrustBundle(*root_, &only_new),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(TrustStore rotated, store_->Update(only_new));
  EXPECT_EQ(rotated.bundle().version(), 2u);

  // Certificates by the old root no longer chain; by the new root they do.
  EXPECT_THAT(rotated.VerifyLicenseSet(Issue(), Now()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto certificate =
      CertifyOwnerKey(*new_root, Certificate(*owner_, "SUPEROFFICE"));
  ASSERT_OK(certificate.status());
  EXPECT_THAT(rotated.VerifyLicenseSet(IssueWith(*owner_, *certificate), Now()),
              IsOk());
}

TEST_F(TrustStoreTest, BundleBelowThresholdIsRejected) {
  auto second = NewKey();
  v1::TrustBundle two_of_two = bundle_;
  two_of_two.set_version(2);
  two_of_two.set_threshold(2);
  *two_of_two.add_root_keys() = PublicKeyOf(*second, "root-b");
  ASSERT_OK_AND_ASSIGN(v1::SignedTrustBundle signed_bundle,
                       SignTrustBundle(*root_, two_of_two));
  EXPECT_THAT(TrustStore::FromAnchor(signed_bundle),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("signed by 1 trusted root key(s), 2 needed")));
  ASSERT_OK(CosignTrustBundle(*second, &signed_bundle));
  ASSERT_OK_AND_ASSIGN(TrustStore store, TrustStore::FromAnchor(signed_bundle));

  // With threshold 2, a certificate needs both roots.
  auto certificate =
      CertifyOwnerKey(*root_, Certificate(*owner_, "SUPEROFFICE"));
  ASSERT_OK(certificate.status());
  EXPECT_THAT(store.VerifyOwnerCertificate(*certificate),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(CosignOwnerKey(*second, &*certificate));
  EXPECT_THAT(store.VerifyOwnerCertificate(*certificate), IsOk());
}

TEST_F(TrustStoreTest, BundleSignatureDoesNotPassAsCertificateSignature) {
  // The root signed a trust bundle. Present those exact bytes and signature
  // as an owner key certificate: PAE binds the payload type, so it fails.
  const v1::SignedTrustBundle& bundle = store_->signed_bundle();
  v1::SignedPublicKey forged;
  forged.set_payload(bundle.payload());
  forged.set_payload_type(std::string(kOwnerKeyCertificatePayloadType));
  *forged.mutable_signatures() = bundle.signatures();
  EXPECT_THAT(store_->VerifyOwnerCertificate(forged),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("signed by 0 trusted root key(s)")));
  forged.set_payload_type(std::string(kTrustBundlePayloadType));
  EXPECT_THAT(
      store_->VerifyOwnerCertificate(forged),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("payload_type")));
}

TEST(CertifyOwnerKeyTest, RejectsMalformedCertificates) {
  auto root = NewKey();
  auto owner = NewKey();
  v1::OwnerKeyCertificate good;
  good.set_owner_name("SUPEROFFICE");
  *good.mutable_key() = PublicKeyOf(*owner, "");
  good.set_valid_from(1);
  good.set_valid_until(2);
  EXPECT_THAT(CertifyOwnerKey(*root, good), IsOk());

  v1::OwnerKeyCertificate bad = good;
  bad.set_owner_name("superoffice");
  EXPECT_THAT(CertifyOwnerKey(*root, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("owner_name \"superoffice\"")));
  bad = good;
  bad.set_valid_until(1);
  EXPECT_THAT(
      CertifyOwnerKey(*root, bad),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("valid_until")));
  bad = good;
  bad.mutable_key()->set_key_id(std::string(32, 'x'));
  EXPECT_THAT(CertifyOwnerKey(*root, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not the SHA-256")));
}

TEST(DecodeTrustBundleTest, RejectsOversizedAndGarbage) {
  EXPECT_THAT(
      DecodeTrustBundle(std::string(kMaxTrustBundleBytes + 1, 'x')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most")));
  EXPECT_THAT(DecodeTrustBundle("\xff\xff"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace superlicense::keys
