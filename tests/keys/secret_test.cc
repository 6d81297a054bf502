#include "keys/secret.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::keys {
namespace {

using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::superlicense::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kVar[] = "SUPERLICENSE_TEST_SECRET";

TEST(ReadSecretTest, FileWinsOverEnvironmentAndTakesFirstLine) {
  TempDir dir;
  WriteFileOrDie(dir.File("pin"), "from-file\nsecond line\n");
  ::setenv(kVar, "from-env", 1);
  ASSERT_OK_AND_ASSIGN(Secret secret,
                       ReadSecret({dir.File("pin"), kVar, false, "", false}));
  EXPECT_EQ(secret.view(), "from-file");
  ::unsetenv(kVar);
}

TEST(ReadSecretTest, EnvironmentWhenNoFile) {
  ::setenv(kVar, "from-env", 1);
  ASSERT_OK_AND_ASSIGN(Secret secret, ReadSecret({"", kVar, false, "", false}));
  EXPECT_EQ(secret.view(), "from-env");
  ::unsetenv(kVar);
}

TEST(ReadSecretTest, NothingGivenIsNotFoundAndNamesTheVariable) {
  ::unsetenv(kVar);
  EXPECT_THAT(ReadSecret({"", kVar, false, "", false}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(kVar)));
}

TEST(ReadSecretTest, EmptyOrMissingFileIsAnErrorWithoutTheSecret) {
  TempDir dir;
  WriteFileOrDie(dir.File("empty"), "\n");
  EXPECT_THAT(ReadSecret({dir.File("empty"), "", false, "", false}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(
      ReadSecret({dir.File("missing"), "", false, "", false}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("missing")));
}

TEST(SecretTest, MoveLeavesSourceEmpty) {
  Secret a("value");
  Secret b(std::move(a));
  EXPECT_EQ(b.view(), "value");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): wiped on move
}

}  // namespace
}  // namespace superlicense::keys

#include "keys/credential_hash.h"

namespace superlicense::keys {
namespace {

TEST(CredentialHashTest, MatchesOnlyTheRightSecret) {
  const std::string secret = NewCredentialSecret();
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_NE(secret, NewCredentialSecret());
  ASSERT_OK_AND_ASSIGN(std::string hash, HashCredentialSecret(secret));
  EXPECT_THAT(hash, HasSubstr("$argon2id$"));
  EXPECT_EQ(hash.find(secret), std::string::npos);
  EXPECT_OK(CheckCredentialSecret(secret, hash));
  std::string wrong = secret;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  EXPECT_THAT(CheckCredentialSecret(wrong, hash),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(CheckCredentialSecret(secret, "not a hash"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // The same secret hashes differently each time (fresh salt).
  ASSERT_OK_AND_ASSIGN(std::string again, HashCredentialSecret(secret));
  EXPECT_NE(again, hash);
}

}  // namespace
}  // namespace superlicense::keys
