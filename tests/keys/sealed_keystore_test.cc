#include "keys/sealed_keystore.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/sha256.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::keys {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::ReadFileOrDie;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::superlicense::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;

// Cheap Argon2id cost for tests; the default is exercised once below.
constexpr Argon2Params kFastArgon2{64, 1, 1};
constexpr char kPassphrase[] = "correct horse battery staple";

class SealedKeystoreTest
    : public ::testing::TestWithParam<v1::SignatureAlgorithm> {
 protected:
  std::string path() const { return dir_.File("owner.key"); }

  std::unique_ptr<Signer> Create() {
    auto signer = CreateSealedKeystore(path(), GetParam(), kPassphrase,
                                       "SUPEROFFICE", kFastArgon2);
    EXPECT_OK(signer.status());
    return signer.ok() ? *std::move(signer) : nullptr;
  }

  TempDir dir_;
};

TEST_P(SealedKeystoreTest, ReopenedKeySignsWithTheSamePublicKey) {
  auto created = Create();
  ASSERT_NE(created, nullptr);
  ASSERT_OK_AND_ASSIGN(auto opened, OpenSealedKeystore(path(), kPassphrase));
  EXPECT_EQ(opened->public_key(), created->public_key());
  EXPECT_EQ(opened->key_id(), created->key_id());
  EXPECT_EQ(opened->algorithm(), GetParam());

  ASSERT_OK_AND_ASSIGN(std::string signature, opened->Sign("message"));
  ASSERT_OK_AND_ASSIGN(auto verifier, Verifier::Create(created->algorithm(),
                                                       created->public_key()));
  EXPECT_THAT(verifier->Verify("message", signature), IsOk());
}

TEST_P(SealedKeystoreTest, InfoIsReadableWithoutPassphrase) {
  auto created = Create();
  ASSERT_NE(created, nullptr);
  ASSERT_OK_AND_ASSIGN(SealedKeystoreInfo info, ReadSealedKeystoreInfo(path()));
  EXPECT_EQ(info.version, kSealedKeystoreVersion);
  EXPECT_EQ(info.algorithm, GetParam());
  EXPECT_EQ(info.public_key, created->public_key());
  EXPECT_EQ(info.key_id, created->key_id());
  EXPECT_EQ(info.label, "SUPEROFFICE");
  EXPECT_EQ(info.argon2.memory_kib, kFastArgon2.memory_kib);
}

TEST_P(SealedKeystoreTest, FileIsPrivateToItsOwner) {
  ASSERT_NE(Create(), nullptr);
  struct stat info;
  ASSERT_EQ(::stat(path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // No temporary file is left beside it.
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_P(SealedKeystoreTest, WrongPassphraseIsPermissionDenied) {
  ASSERT_NE(Create(), nullptr);
  EXPECT_THAT(OpenSealedKeystore(path(), "wrong"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("wrong passphrase")));
}

TEST_P(SealedKeystoreTest, NeverOverwritesAnExistingKey) {
  auto first = Create();
  ASSERT_NE(first, nullptr);
  const std::string before = ReadFileOrDie(path());
  EXPECT_THAT(
      CreateSealedKeystore(path(), GetParam(), kPassphrase, "X", kFastArgon2),
      StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ReadFileOrDie(path()), before);
}

// A flipped bit anywhere is reported, never a crash or a wrong key.
TEST_P(SealedKeystoreTest, EveryFlippedByteIsDetected) {
  ASSERT_NE(Create(), nullptr);
  const std::string good = ReadFileOrDie(path());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    WriteFileOrDie(path(), bad);
    EXPECT_THAT(OpenSealedKeystore(path(), kPassphrase), Not(IsOk()))
        << "byte " << i;
  }
}

TEST_P(SealedKeystoreTest, FlippedCiphertextWithFixedChecksumIsStillRejected) {
  ASSERT_NE(Create(), nullptr);
  // An attacker who also recomputes the unkeyed checksum is stopped by GCM.
  std::string bad = ReadFileOrDie(path());
  bad.resize(bad.size() - kSha256Size);
  const size_t ciphertext_byte = bad.size() - 20;
  bad[ciphertext_byte] = static_cast<char>(bad[ciphertext_byte] ^ 0x01);
  bad += Sha256(bad);
  WriteFileOrDie(path(), bad);
  EXPECT_THAT(OpenSealedKeystore(path(), kPassphrase),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("or the file was altered")));
}

TEST_P(SealedKeystoreTest, EveryTruncationIsDataLoss) {
  ASSERT_NE(Create(), nullptr);
  const std::string good = ReadFileOrDie(path());
  for (size_t size = 10; size < good.size(); ++size) {
    WriteFileOrDie(path(), good.substr(0, size));
    EXPECT_THAT(OpenSealedKeystore(path(), kPassphrase),
                StatusIs(absl::StatusCode::kDataLoss))
        << "size " << size;
  }
}

TEST_P(SealedKeystoreTest, UnknownVersionIsFailedPrecondition) {
  ASSERT_NE(Create(), nullptr);
  std::string bad = ReadFileOrDie(path());
  bad[9] = 2;  // version field: bytes 8..9, big-endian
  WriteFileOrDie(path(), bad);
  EXPECT_THAT(OpenSealedKeystore(path(), kPassphrase),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("format version 2")));
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, SealedKeystoreTest,
    ::testing::Values(v1::SIGNATURE_ALGORITHM_ED25519,
                      v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256));

TEST(SealedKeystoreErrorsTest, MissingFileIsNotFound) {
  TempDir dir;
  EXPECT_THAT(OpenSealedKeystore(dir.File("none"), kPassphrase),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("none")));
}

TEST(SealedKeystoreErrorsTest, OtherFileIsInvalidArgument) {
  TempDir dir;
  WriteFileOrDie(dir.File("notes.txt"), "hello, this is not a key");
  EXPECT_THAT(OpenSealedKeystore(dir.File("notes.txt"), kPassphrase),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a SuperLicense sealed keystore")));
}

TEST(SealedKeystoreErrorsTest, RejectsEmptyPassphraseAndBadCost) {
  TempDir dir;
  EXPECT_THAT(
      CreateSealedKeystore(dir.File("k"), v1::SIGNATURE_ALGORITHM_ED25519, "",
                           "L", kFastArgon2),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      CreateSealedKeystore(dir.File("k"), v1::SIGNATURE_ALGORITHM_ED25519, "p",
                           "L", Argon2Params{64, 0, 1}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(std::filesystem::exists(dir.File("k")));
}

TEST(SealedKeystoreErrorsTest, DefaultCostWorks) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(
      auto signer,
      CreateSealedKeystore(dir.File("k"), v1::SIGNATURE_ALGORITHM_ED25519, "p",
                           "L"));
  ASSERT_OK_AND_ASSIGN(auto opened, OpenSealedKeystore(dir.File("k"), "p"));
  EXPECT_EQ(opened->key_id(), signer->key_id());
}

}  // namespace
}  // namespace superlicense::keys
