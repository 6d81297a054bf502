#include "keys/root_ceremony.h"

#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/public_key_file.h"
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

class RootCeremonyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RootCeremonyOptions options;
    options.shares = 5;
    options.threshold = 3;
    options.name = "root-test";
    auto result = RunRootCeremony(dir_.File("ceremony"), options);
    ASSERT_OK(result.status());
    result_ = *result;
  }

  TempDir dir_;
  RootCeremonyResult result_;
};

TEST_F(RootCeremonyTest, WritesSharesAndPublicKeyButNeverThePrivateKey) {
  ASSERT_EQ(result_.share_files.size(), 5u);
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(dir_.File("ceremony"))) {
    names.push_back(entry.path().filename());
  }
  EXPECT_THAT(names,
              ::testing::UnorderedElementsAre(
                  "root.pub.json", "share-1-of-5.txt", "share-2-of-5.txt",
                  "share-3-of-5.txt", "share-4-of-5.txt", "share-5-of-5.txt"));
  ASSERT_OK_AND_ASSIGN(v1::PublicKey key,
                       ReadPublicKeyFile(dir_.File("ceremony/root.pub.json")));
  EXPECT_EQ(key.key_id(), result_.root_key.key_id());
  EXPECT_EQ(key.name(), "root-test");
  const std::string share = ReadFileOrDie(result_.share_files[1]);
  EXPECT_THAT(share, HasSubstr("ceremony: " + result_.ceremony_id));
  EXPECT_THAT(share, HasSubstr("share: 2\n"));
  EXPECT_EQ(
      std::filesystem::status(result_.share_files[1]).permissions() &
          std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(RootCeremonyTest, AnyThresholdOfSharesRebuildsTheRoot) {
  const auto& f = result_.share_files;
  for (const std::vector<std::string>& subset :
       {std::vector<std::string>{f[0], f[1], f[2]},
        std::vector<std::string>{f[4], f[2], f[0]},
        std::vector<std::string>{f[1], f[3], f[4], f[0]}}) {
    ASSERT_OK_AND_ASSIGN(auto root, RebuildRootKey(subset));
    EXPECT_EQ(root->key_id(), result_.root_key.key_id());
    ASSERT_OK_AND_ASSIGN(std::string signature, root->Sign("m"));
    ASSERT_OK_AND_ASSIGN(auto verifier,
                         Verifier::Create(result_.root_key.algorithm(),
                                          result_.root_key.public_key()));
    EXPECT_THAT(verifier->Verify("m", signature), IsOk());
  }
}

TEST_F(RootCeremonyTest, FewerSharesThanThresholdAreRejected) {
  EXPECT_THAT(RebuildRootKey({result_.share_files[0], result_.share_files[1]}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("3 shares are needed, 2 given")));
}

TEST_F(RootCeremonyTest, RepeatedShareIsRejected) {
  const auto& f = result_.share_files;
  EXPECT_THAT(
      RebuildRootKey({f[0], f[1], f[1]}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("given twice")));
}

TEST_F(RootCeremonyTest, CorruptShareIsNamed) {
  std::string text = ReadFileOrDie(result_.share_files[2]);
  const size_t data = text.find("data: ") + 10;
  text[data] = text[data] == 'a' ? 'b' : 'a';
  WriteFileOrDie(result_.share_files[2], text);
  EXPECT_THAT(RebuildRootKey({result_.share_files[0], result_.share_files[1],
                              result_.share_files[2]}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("share-3-of-5.txt: corrupt")));
}

TEST_F(RootCeremonyTest, SharesOfTwoCeremoniesAreRejected) {
  RootCeremonyOptions options;
  ASSERT_OK_AND_ASSIGN(RootCeremonyResult other,
                       RunRootCeremony(dir_.File("other"), options));
  EXPECT_THAT(RebuildRootKey({result_.share_files[0], result_.share_files[1],
                              other.share_files[2]}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("two different ceremonies")));
}

TEST_F(RootCeremonyTest, RefusesToOverwriteAnEarlierCeremony) {
  EXPECT_THAT(RunRootCeremony(dir_.File("ceremony"), RootCeremonyOptions()),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // The earlier shares still rebuild their root.
  EXPECT_THAT(RebuildRootKey({result_.share_files[0], result_.share_files[1],
                              result_.share_files[2]}),
              IsOk());
}

TEST(RootCeremonyOptionsTest, RejectsBadCounts) {
  TempDir dir;
  for (auto [shares, threshold] :
       std::vector<std::pair<int, int>>{{1, 1}, {5, 6}, {5, 1}, {256, 3}}) {
    RootCeremonyOptions options;
    options.shares = shares;
    options.threshold = threshold;
    EXPECT_THAT(RunRootCeremony(dir.File("c"), options),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << shares << " " << threshold;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.File("c")));
}

TEST(RebuildRootKeyTest, NotAShareFile) {
  TempDir dir;
  WriteFileOrDie(dir.File("x"), "hello");
  EXPECT_THAT(RebuildRootKey({dir.File("x")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a root key share file")));
  EXPECT_THAT(RebuildRootKey({}), Not(IsOk()));
}

}  // namespace
}  // namespace superlicense::keys
