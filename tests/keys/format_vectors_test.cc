// Checks the committed known-answer and negative vectors of docs/FORMAT.md
// (tests/data/format/) against the code. When the format changes on purpose,
// regenerate them with `build/bin/format_vector_gen tests/data/format`.
#include <google/protobuf/text_format.h>

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/license_set_envelope.h"
#include "keys/signed_bytes.h"
#include "tests/support/format_vector_builder.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kDataDir[] = SUPERLICENSE_TEST_DATA_DIR "/format";

FormatVectors CommittedVectors() {
  FormatVectors vectors;
  const std::string text =
      ReadFileOrDie(std::string(kDataDir) + "/vectors.textproto");
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &vectors));
  return vectors;
}

std::unique_ptr<keys::Verifier> OwnerVerifier(const FormatVectors& vectors) {
  auto verifier = keys::Verifier::Create(
      vectors.owner_key().algorithm(),
      absl::HexStringToBytes(vectors.owner_key().public_key_hex()));
  EXPECT_OK(verifier.status());
  return verifier.ok() ? *std::move(verifier) : nullptr;
}

// Known answers: the code builds exactly the committed bytes.
TEST(FormatVectorsTest, CodeReproducesCommittedVectorsByteForByte) {
  ASSERT_OK_AND_ASSIGN(BuiltVectors built, BuildFormatVectors(kDataDir));
  const FormatVectors committed = CommittedVectors();
  EXPECT_EQ(built.vectors.owner_key().DebugString(),
            committed.owner_key().DebugString());
  EXPECT_EQ(built.vectors.owner_key_p256().DebugString(),
            committed.owner_key_p256().DebugString());
  EXPECT_EQ(built.vectors.payload_hex(), committed.payload_hex());
  EXPECT_EQ(built.vectors.rows_digest_hex(), committed.rows_digest_hex());
  EXPECT_EQ(built.vectors.owner_signature_hex(),
            committed.owner_signature_hex());
  EXPECT_EQ(built.vectors.set_pae_hex(), committed.set_pae_hex());
  ASSERT_EQ(built.vectors.rows_size(), committed.rows_size());
  for (int i = 0; i < committed.rows_size(); ++i) {
    EXPECT_EQ(built.vectors.rows(i).DebugString(),
              committed.rows(i).DebugString());
  }
  ASSERT_EQ(built.vectors.pae_size(), committed.pae_size());
  for (int i = 0; i < committed.pae_size(); ++i) {
    EXPECT_EQ(built.vectors.pae(i).pae_hex(), committed.pae(i).pae_hex());
  }
  for (const auto& [name, bytes] : built.files) {
    EXPECT_EQ(bytes, ReadFileOrDie(std::string(kDataDir) + "/" + name))
        << name << " differs from what the code builds";
  }
}

TEST(FormatVectorsTest, PaeVectorsMatchSpecification) {
  const FormatVectors vectors = CommittedVectors();
  ASSERT_GE(vectors.pae_size(), 1);
  for (const PaeVector& pae : vectors.pae()) {
    EXPECT_EQ(absl::BytesToHexString(
                  keys::PreAuthEncode(pae.payload_type(), pae.payload())),
              pae.pae_hex());
  }
  // The first is the DSSE specification's own example.
  EXPECT_EQ(absl::HexStringToBytes(vectors.pae(0).pae_hex()),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
}

TEST(FormatVectorsTest, CommittedEnvelopeVerifies) {
  const FormatVectors vectors = CommittedVectors();
  auto verifier = OwnerVerifier(vectors);
  ASSERT_NE(verifier, nullptr);
  ASSERT_OK_AND_ASSIGN(
      v1::SignedLicenseSet envelope,
      keys::DecodeSignedLicenseSet(ReadFileOrDie(std::string(kDataDir) + "/" +
                                                 vectors.envelope_file())));
  ASSERT_OK_AND_ASSIGN(v1::LicenseSet set,
                       keys::VerifyLicenseSetSignatures(envelope, *verifier));
  EXPECT_EQ(set.customer().company_name(), "Example Company AS");
  EXPECT_EQ(absl::BytesToHexString(envelope.payload()), vectors.payload_hex());
  EXPECT_EQ(absl::BytesToHexString(set.rows_digest()),
            vectors.rows_digest_hex());
}

TEST(FormatVectorsTest, EveryNegativeVectorIsRejectedForItsReason) {
  const FormatVectors vectors = CommittedVectors();
  auto verifier = OwnerVerifier(vectors);
  ASSERT_NE(verifier, nullptr);
  ASSERT_GE(vectors.negatives_size(), 8);
  for (const NegativeVector& negative : vectors.negatives()) {
    SCOPED_TRACE(negative.name() + ": " + negative.why());
    EXPECT_FALSE(negative.why().empty());
    const std::string bytes =
        ReadFileOrDie(std::string(kDataDir) + "/" + negative.file());
    absl::Status status;
    auto envelope = keys::DecodeSignedLicenseSet(bytes);
    if (!envelope.ok()) {
      status = envelope.status();
    } else {
      status = keys::VerifyLicenseSetSignatures(*envelope, *verifier).status();
    }
    EXPECT_EQ(absl::StatusCodeToString(status.code()), negative.expected_code())
        << status;
    EXPECT_THAT(std::string(status.message()),
                HasSubstr(negative.expected_message()));
  }
}

}  // namespace
}  // namespace superlicense::testing
