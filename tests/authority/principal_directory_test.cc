// Parsing and validating the principals file.
#include "authority/auth/principal_directory.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::authority {
namespace {

using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::superlicense::testing::WriteFileOrDie;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kValidFile[] = R"json({
  "principals": [
    {"name": "alice", "certificate_common_name": "alice.issuer",
     "roles": ["issuer"], "rate_limit_per_minute": 120},
    {"name": "audrey", "certificateCommonName": "audrey.auditor",
     "roles": ["auditor", "key-admin"]}
  ]
})json";

TEST(PrincipalDirectoryTest, FindsPrincipalsByCommonName) {
  ASSERT_OK_AND_ASSIGN(PrincipalDirectory directory,
                       PrincipalDirectory::FromJson(kValidFile));
  EXPECT_EQ(directory.size(), 2u);

  const Principal* alice = directory.FindByCommonName("alice.issuer");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->roles, RoleSet({Role::kIssuer}));
  EXPECT_EQ(alice->serial, "");
  EXPECT_EQ(alice->rate_limit_per_minute, 120u);

  const Principal* audrey = directory.FindByCommonName("audrey.auditor");
  ASSERT_NE(audrey, nullptr);
  EXPECT_EQ(audrey->roles, RoleSet({Role::kAuditor, Role::kKeyAdmin}));
  EXPECT_EQ(audrey->rate_limit_per_minute, kDefaultRateLimitPerMinute);
}

TEST(PrincipalDirectoryTest, LooksUpCommonNamesExactly) {
  ASSERT_OK_AND_ASSIGN(PrincipalDirectory directory,
                       PrincipalDirectory::FromJson(kValidFile));
  EXPECT_EQ(directory.FindByCommonName("alice"), nullptr);
  EXPECT_EQ(directory.FindByCommonName("ALICE.ISSUER"), nullptr);
  EXPECT_EQ(directory.FindByCommonName("alice.issuer "), nullptr);
  EXPECT_EQ(directory.FindByCommonName(""), nullptr);
}

TEST(PrincipalDirectoryTest, AcceptsAnEmptyFile) {
  ASSERT_OK_AND_ASSIGN(PrincipalDirectory directory,
                       PrincipalDirectory::FromJson("{}"));
  EXPECT_EQ(directory.size(), 0u);
}

TEST(PrincipalDirectoryTest, LoadsAFile) {
  TempDir dir;
  WriteFileOrDie(dir.File("principals.json"), kValidFile);
  ASSERT_OK_AND_ASSIGN(PrincipalDirectory directory,
                       PrincipalDirectory::Load(dir.File("principals.json")));
  EXPECT_NE(directory.FindByCommonName("alice.issuer"), nullptr);
}

TEST(PrincipalDirectoryTest, LoadNamesThePathOfABadFile) {
  TempDir dir;
  WriteFileOrDie(dir.File("principals.json"), "{\"principals\": [");
  EXPECT_THAT(PrincipalDirectory::Load(dir.File("principals.json")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(dir.File("principals.json"))));
}

TEST(PrincipalDirectoryTest, LoadOfAMissingFileIsNotFound) {
  TempDir dir;
  EXPECT_THAT(PrincipalDirectory::Load(dir.File("missing.json")),
              StatusIs(absl::StatusCode::kNotFound));
}

struct BadFileCase {
  const char* test_name;
  const char* json;
  // Every one must appear in the message.
  const char* naming_1;
  const char* naming_2;
};

// Entry 0 is always valid, so errors must name the entry that is not.
constexpr char kAlice[] =
    R"({"name": "alice", "certificate_common_name": "alice.cn", )"
    R"("roles": ["issuer"]})";

class PrincipalDirectoryBadFileTest
    : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(PrincipalDirectoryBadFileTest, IsInvalidArgumentNamingTheEntry) {
  EXPECT_THAT(PrincipalDirectory::FromJson(GetParam().json),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(GetParam().naming_1),
                             HasSubstr(GetParam().naming_2))));
}

#define SL_FILE(second_entry) \
  (std::string(R"({"principals": [)") + kAlice + ", " + second_entry + "]}")

const std::string kDuplicateCn =
    SL_FILE(R"({"name": "bob", "certificate_common_name": "alice.cn", )"
            R"("roles": ["auditor"]})");
const std::string kDuplicateName =
    SL_FILE(R"({"name": "alice", "certificate_common_name": "bob.cn", )"
            R"("roles": ["auditor"]})");
const std::string kUnknownRole =
    SL_FILE(R"({"name": "bob", "certificate_common_name": "bob.cn", )"
            R"("roles": ["auditor", "admin"]})");
const std::string kInstallationRole =
    SL_FILE(R"({"name": "bob", "certificate_common_name": "bob.cn", )"
            R"("roles": ["installation"]})");
const std::string kRepeatedRole =
    SL_FILE(R"({"name": "bob", "certificate_common_name": "bob.cn", )"
            R"("roles": ["auditor", "auditor"]})");
const std::string kNoRoles =
    SL_FILE(R"({"name": "bob", "certificate_common_name": "bob.cn"})");
const std::string kNoName =
    SL_FILE(R"({"certificate_common_name": "bob.cn", "roles": ["auditor"]})");
const std::string kNoCn = SL_FILE(R"({"name": "bob", "roles": ["auditor"]})");
const std::string kInstallationName =
    SL_FILE(R"({"name": "installation:1010000014", "certificate_common_name": )"
            R"("bob.cn", "roles": ["auditor"]})");
const std::string kUnknownField =
    SL_FILE(R"({"name": "bob", "certificate_common_name": "bob.cn", )"
            R"("roles": ["auditor"], "role": "issuer"})");

#undef SL_FILE

INSTANTIATE_TEST_SUITE_P(
    Cases, PrincipalDirectoryBadFileTest,
    ::testing::Values(
        BadFileCase{"DuplicateCommonName", kDuplicateCn.c_str(),
                    "entry 1 (\"bob\")", "\"alice.cn\" is already used"},
        BadFileCase{"DuplicateName", kDuplicateName.c_str(),
                    "entry 1 (\"alice\")", "name is already used by entry 0"},
        BadFileCase{"UnknownRole", kUnknownRole.c_str(), "entry 1 (\"bob\")",
                    "unknown role \"admin\""},
        BadFileCase{"InstallationRole", kInstallationRole.c_str(),
                    "entry 1 (\"bob\")", "\"installation\" is not allowed"},
        BadFileCase{"RepeatedRole", kRepeatedRole.c_str(), "entry 1 (\"bob\")",
                    "\"auditor\" is repeated"},
        BadFileCase{"NoRoles", kNoRoles.c_str(), "entry 1 (\"bob\")",
                    "roles is empty"},
        BadFileCase{"NoName", kNoName.c_str(), "entry 1 (\"\")",
                    "name is empty"},
        BadFileCase{"NoCommonName", kNoCn.c_str(), "entry 1 (\"bob\")",
                    "certificate_common_name is empty"},
        BadFileCase{"InstallationName", kInstallationName.c_str(),
                    "entry 1 (\"installation:1010000014\")",
                    "may not start with"},
        BadFileCase{"UnknownField", kUnknownField.c_str(), "malformed JSON",
                    "role"},
        BadFileCase{"MalformedJson", R"({"principals": [{"name": "bob",)",
                    "principals file", "malformed JSON"},
        BadFileCase{"TrailingGarbage", R"({"principals": []} x)",
                    "principals file", "malformed JSON"},
        BadFileCase{"RateLimitNotANumber",
                    R"({"principals": [{"name": "bob", )"
                    R"("rate_limit_per_minute": "many"}]})",
                    "principals file", "malformed JSON"},
        BadFileCase{"NegativeRateLimit",
                    R"({"principals": [{"name": "bob", )"
                    R"("rate_limit_per_minute": -1}]})",
                    "principals file", "malformed JSON"}),
    [](const ::testing::TestParamInfo<BadFileCase>& param) {
      return std::string(param.param.test_name);
    });

}  // namespace
}  // namespace superlicense::authority
