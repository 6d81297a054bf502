#include "keys/signer.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/sha256.h"
#include "keys/software_signer.h"
#include "tests/support/status_matchers.h"

namespace superlicense::keys {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string FromHex(const char* hex) { return absl::HexStringToBytes(hex); }

// RFC 8032, section 7.1, TEST 2 (one-byte message 0x72).
TEST(SignerTest, Ed25519MatchesRfc8032Vector) {
  const std::string seed = FromHex(
      "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  ASSERT_OK_AND_ASSIGN(auto signer, InsecureTestSignerFromSeed(
                                        v1::SIGNATURE_ALGORITHM_ED25519, seed));
  EXPECT_EQ(absl::BytesToHexString(signer->public_key()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  ASSERT_OK_AND_ASSIGN(std::string signature, signer->Sign(FromHex("72")));
  EXPECT_EQ(absl::BytesToHexString(signature),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}

TEST(SignerTest, KeyIdIsSha256OfPublicKey) {
  ASSERT_OK_AND_ASSIGN(auto signer,
                       GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519));
  EXPECT_EQ(signer->key_id(), Sha256(signer->public_key()));
  EXPECT_EQ(signer->key_id().size(), kKeyIdSize);
}

class SignerAlgorithmTest
    : public ::testing::TestWithParam<v1::SignatureAlgorithm> {};

TEST_P(SignerAlgorithmTest, SignatureVerifiesWithItsPublicKeyOnly) {
  ASSERT_OK_AND_ASSIGN(auto signer, GenerateSoftwareSigner(GetParam()));
  ASSERT_OK_AND_ASSIGN(auto other, GenerateSoftwareSigner(GetParam()));
  ASSERT_OK_AND_ASSIGN(std::string signature, signer->Sign("message"));
  EXPECT_EQ(signature.size(), kSignatureSize);

  ASSERT_OK_AND_ASSIGN(auto verifier,
                       Verifier::Create(GetParam(), signer->public_key()));
  EXPECT_EQ(verifier->key_id(), signer->key_id());
  EXPECT_THAT(verifier->Verify("message", signature), IsOk());
  EXPECT_THAT(verifier->Verify("messagf", signature),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(verifier->Verify("message", signature.substr(1)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("63")));

  ASSERT_OK_AND_ASSIGN(auto other_verifier,
                       Verifier::Create(GetParam(), other->public_key()));
  EXPECT_THAT(other_verifier->Verify("message", signature), Not(IsOk()));
}

TEST_P(SignerAlgorithmTest, EveryFlippedSignatureBitIsRejected) {
  ASSERT_OK_AND_ASSIGN(auto signer, GenerateSoftwareSigner(GetParam()));
  ASSERT_OK_AND_ASSIGN(auto verifier,
                       Verifier::Create(GetParam(), signer->public_key()));
  ASSERT_OK_AND_ASSIGN(std::string signature, signer->Sign("message"));
  for (size_t i = 0; i < signature.size(); ++i) {
    std::string bad = signature;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_THAT(verifier->Verify("message", bad),
                StatusIs(absl::StatusCode::kPermissionDenied))
        << "byte " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, SignerAlgorithmTest,
    ::testing::Values(v1::SIGNATURE_ALGORITHM_ED25519,
                      v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256),
    [](const auto& param_info) {
      std::string name(AlgorithmName(param_info.param));
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

TEST(VerifierTest, RejectsMalformedPublicKeys) {
  EXPECT_THAT(
      Verifier::Create(v1::SIGNATURE_ALGORITHM_ED25519, std::string(31, 'a')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("31")));
  EXPECT_THAT(Verifier::Create(v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
                               std::string(65, '\x04')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Verifier::Create(v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
                               std::string(33, '\x02')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("65")));
  EXPECT_THAT(Verifier::Create(v1::SIGNATURE_ALGORITHM_UNSPECIFIED,
                               std::string(32, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SignerTest, TestSeedMustBe32Bytes) {
  EXPECT_THAT(InsecureTestSignerFromSeed(v1::SIGNATURE_ALGORITHM_ED25519,
                                         std::string(31, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      InsecureTestSignerFromSeed(v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
                                 std::string(32, '\0')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scalar")));
}

TEST(AlgorithmNameTest, RoundTrips) {
  for (auto algorithm : {v1::SIGNATURE_ALGORITHM_ED25519,
                         v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256}) {
    ASSERT_OK_AND_ASSIGN(auto parsed,
                         ParseAlgorithmName(AlgorithmName(algorithm)));
    EXPECT_EQ(parsed, algorithm);
  }
  EXPECT_THAT(ParseAlgorithmName("rsa"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rsa")));
}

// FIPS 180-2 "abc".
TEST(Sha256Test, MatchesKnownAnswer) {
  EXPECT_EQ(absl::BytesToHexString(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace superlicense::keys
