#include "keys/license_set_envelope.h"

#include <google/protobuf/text_format.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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

v1::LicenseSet SampleSet() {
  v1::LicenseSet set;
  const std::string text = ReadFileOrDie(SUPERLICENSE_TEST_DATA_DIR
                                         "/format/license_set_input.textproto");
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &set));
  return set;
}

class LicenseSetEnvelopeTest
    : public ::testing::TestWithParam<v1::SignatureAlgorithm> {
 protected:
  void SetUp() override {
    auto signer = GenerateSoftwareSigner(GetParam());
    ASSERT_OK(signer.status());
    signer_ = *std::move(signer);
    auto verifier =
        Verifier::Create(signer_->algorithm(), signer_->public_key());
    ASSERT_OK(verifier.status());
    verifier_ = *std::move(verifier);
  }

  v1::SignedLicenseSet Sign(const v1::LicenseSet& set) {
    auto envelope = SignLicenseSet(set, *signer_, v1::SignedPublicKey());
    EXPECT_OK(envelope.status());
    return envelope.ok() ? *envelope : v1::SignedLicenseSet();
  }

  std::unique_ptr<Signer> signer_;
  std::unique_ptr<Verifier> verifier_;
};

TEST_P(LicenseSetEnvelopeTest, SignedSetVerifiesAndRoundTripsThroughBytes) {
  const v1::LicenseSet set = SampleSet();
  const v1::SignedLicenseSet envelope = Sign(set);
  EXPECT_EQ(envelope.payload_type(), kLicenseSetPayloadType);
  EXPECT_EQ(envelope.row_signatures_size(), set.module_licenses_size());

  ASSERT_OK_AND_ASSIGN(v1::SignedLicenseSet decoded,
                       DecodeSignedLicenseSet(DeterministicBytes(envelope)));
  ASSERT_OK_AND_ASSIGN(v1::LicenseSet verified,
                       VerifyLicenseSetSignatures(decoded, *verifier_));
  EXPECT_EQ(verified.customer().serial(), "1010000014");
  EXPECT_EQ(verified.module_licenses_size(), set.module_licenses_size());
  EXPECT_EQ(verified.rows_digest(), RowsDigest(set));
}

// Every byte of the payload is covered by the owner signature.
TEST_P(LicenseSetEnvelopeTest, EveryFlippedPayloadByteIsRejected) {
  const v1::SignedLicenseSet envelope = Sign(SampleSet());
  for (size_t i = 0; i < envelope.payload().size(); ++i) {
    v1::SignedLicenseSet bad = envelope;
    (*bad.mutable_payload())[i] ^= 0x20;
    EXPECT_THAT(VerifyLicenseSetSignatures(bad, *verifier_),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("owner signature")))
        << "payload byte " << i;
  }
}

TEST_P(LicenseSetEnvelopeTest, RowSignaturesCannotBeSwapped) {
  v1::SignedLicenseSet envelope = Sign(SampleSet());
  envelope.mutable_row_signatures()->SwapElements(1, 2);
  EXPECT_THAT(VerifyLicenseSetSignatures(envelope, *verifier_),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("module \"saint\"")));
}

// Large sets verify their rows on every core; the error still names the
// first bad row, whichever thread found it.
TEST_P(LicenseSetEnvelopeTest, LargeSetNamesTheFirstBadRowWhateverTheThreads) {
  v1::LicenseSet set = SampleSet();
  const v1::ModuleLicense model = set.module_licenses(0);
  set.clear_module_licenses();
  for (int i = 0; i < 300; ++i) {
    v1::ModuleLicense* row = set.add_module_licenses();
    *row = model;
    row->set_module_name(absl::StrCat("module-", i));
    row->set_sort_order(static_cast<uint32_t>(i));
  }
  const v1::SignedLicenseSet envelope = Sign(set);
  EXPECT_OK(VerifyLicenseSetSignatures(envelope, *verifier_).status());

  v1::SignedLicenseSet bad = envelope;
  for (int index : {250, 120, 290}) {
    (*bad.mutable_row_signatures(index)
          ->mutable_signature()
          ->mutable_signature())[5] ^= 0x01;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    EXPECT_THAT(VerifyLicenseSetSignatures(bad, *verifier_),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("module \"module-120\" (sort_order 120)")));
  }
}

TEST_P(LicenseSetEnvelopeTest, RowSignatureWithWrongSortOrderIsRejected) {
  v1::SignedLicenseSet envelope = Sign(SampleSet());
  envelope.mutable_row_signatures(0)->set_sort_order(11);
  EXPECT_THAT(VerifyLicenseSetSignatures(envelope, *verifier_),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("sort_order 11")));
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, LicenseSetEnvelopeTest,
    ::testing::Values(v1::SIGNATURE_ALGORITHM_ED25519,
                      v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256));

TEST(SignLicenseSetTest, RejectsRowsOutOfOrder) {
  ASSERT_OK_AND_ASSIGN(auto signer,
                       GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519));
  v1::LicenseSet set = SampleSet();
  set.mutable_module_licenses(2)->set_sort_order(20);
  EXPECT_THAT(SignLicenseSet(set, *signer, v1::SignedPublicKey()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sort_order 20 does not follow 20")));
}

TEST(DecodeSignedLicenseSetTest, RejectsOversizedFileBeforeParsing) {
  EXPECT_THAT(
      DecodeSignedLicenseSet(std::string(kMaxEnvelopeBytes + 1, 'x')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most")));
}

TEST(DecodeSignedLicenseSetTest, RejectsGarbageAndEmptyInput) {
  EXPECT_THAT(DecodeSignedLicenseSet("\xff\xff\xff"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      DecodeSignedLicenseSet(""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("payload_type")));
}

class EnvelopeShapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto signer = GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519);
    ASSERT_OK(signer.status());
    auto envelope = SignLicenseSet(SampleSet(), **signer, {});
    ASSERT_OK(envelope.status());
    envelope_ = *envelope;
  }
  v1::SignedLicenseSet envelope_;
};

TEST_F(EnvelopeShapeTest, RejectsSignatureOfWrongLength) {
  envelope_.mutable_signatures(0)->mutable_signature()->append(500, 'x');
  EXPECT_THAT(CheckLicenseSetEnvelopeShape(envelope_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("signatures[0].signature is 564 bytes")));
}

TEST_F(EnvelopeShapeTest, RejectsShortKeyId) {
  envelope_.mutable_row_signatures(2)->mutable_signature()->set_key_id("k");
  EXPECT_THAT(CheckLicenseSetEnvelopeShape(envelope_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row_signatures[2].key_id is 1 bytes")));
}

TEST_F(EnvelopeShapeTest, RejectsUnknownAlgorithm) {
  envelope_.mutable_signatures(0)->set_algorithm(
      static_cast<v1::SignatureAlgorithm>(9));
  EXPECT_THAT(
      CheckLicenseSetEnvelopeShape(envelope_),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("algorithm 9")));
}

TEST_F(EnvelopeShapeTest, RejectsMissingAndTooManySignatures) {
  v1::SignedLicenseSet none = envelope_;
  none.clear_signatures();
  EXPECT_THAT(
      CheckLicenseSetEnvelopeShape(none),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0 signatures")));
  for (int i = 0; i < kMaxSignatures; ++i) {
    *envelope_.add_signatures() = envelope_.signatures(0);
  }
  EXPECT_THAT(
      CheckLicenseSetEnvelopeShape(envelope_),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("9 signatures")));
}

TEST(ParseStrictTest, RejectsFieldsThisVersionDoesNotKnow) {
  v1::ModuleLicense row;
  row.set_module_name("user");
  std::string bytes = row.SerializeAsString();
  bytes += std::string("\xa0\x06\x01", 3);  // field 100, varint 1
  v1::ModuleLicense parsed;
  EXPECT_THAT(ParseStrict(bytes, "row", &parsed),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row has fields this version does not know")));
  v1::LicenseSet set;
  *set.add_module_licenses() = parsed;  // unknown field nested one level down
  v1::LicenseSet reparsed;
  EXPECT_THAT(ParseStrict(set.SerializeAsString(), "payload", &reparsed),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseStrict(row.SerializeAsString(), "row", &parsed), IsOk());
}

}  // namespace
}  // namespace superlicense::keys
