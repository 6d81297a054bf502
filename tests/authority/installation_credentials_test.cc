// Installation credentials: secrets, parsing, and the verification cache.
#include "authority/auth/installation_credentials.h"

#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/authority/fake_installation_credentials.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"

namespace superlicense::authority {
namespace {

using ::superlicense::testing::FakeClock;
using ::superlicense::testing::FakeInstallationCredentials;
using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSerial[] = "1010000014";
constexpr char kOtherSerial[] = "1010000024";
constexpr char kSecret[] = "s3cret-Of-The-Installation";

TEST(ParseCredentialTest, SplitsSerialAndSecret) {
  const std::string credential = FormatCredential(kSerial, "a.b");
  EXPECT_EQ(credential, "1010000014.a.b");
  ASSERT_OK_AND_ASSIGN(CredentialParts parts, ParseCredential(credential));
  EXPECT_EQ(parts.serial, kSerial);
  EXPECT_EQ(parts.secret, "a.b");
}

TEST(ParseCredentialTest, RejectsMalformedCredentialsWithoutEchoingThem) {
  const std::string too_long_secret(257, 'x');
  for (const std::string& bad : {
           std::string(""),
           std::string("1010000014"),
           std::string("1010000014."),
           std::string(".secret"),
           std::string("101000001.secret-abc"),    // 9 digits
           std::string("10100000144.secret-abc"),  // 11 digits
           std::string("1010000015.secret-abc"),   // check digit
           std::string("10100000x4.secret-abc"),
           std::string("1010000014.") + too_long_secret,
       }) {
    EXPECT_THAT(ParseCredential(bad),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         Not(HasSubstr("secret-abc"))))
        << bad;
  }
}

class CachedCredentialVerifierTest : public ::testing::Test {
 protected:
  CachedCredentialVerifierTest() {
    store_.SetSecret(kSerial, kSecret);
    store_.SetSecret(kOtherSerial, "other-secret");
  }

  CachedCredentialVerifier::Options options_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  FakeInstallationCredentials store_;
};

TEST_F(CachedCredentialVerifierTest, VerifiesOncePerCredential) {
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<std::string> serial =
        verifier.Verify(FormatCredential(kSerial, kSecret));
    ASSERT_THAT(serial, IsOk());
    EXPECT_EQ(*serial, kSerial);
  }
  EXPECT_EQ(store_.calls(kSerial), 1);
  EXPECT_EQ(verifier.size(), 1u);
}

TEST_F(CachedCredentialVerifierTest, NeverCachesAWrongSecret) {
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, "wrong-secret")),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         Not(HasSubstr("wrong-secret"))));
  }
  EXPECT_EQ(store_.calls(kSerial), 3);
  EXPECT_EQ(verifier.size(), 0u);
  // The right secret afterwards is verified and then cached.
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)), IsOk());
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)), IsOk());
  EXPECT_EQ(store_.calls(kSerial), 4);
  // And does not make a wrong secret pass.
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, "wrong-secret")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(store_.calls(kSerial), 5);
}

TEST_F(CachedCredentialVerifierTest, UnknownSerialIsUnauthenticated) {
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  EXPECT_THAT(verifier.Verify(FormatCredential("1010000034", kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "invalid installation credential"));
}

TEST_F(CachedCredentialVerifierTest, MalformedCredentialNeverReachesTheStore) {
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  EXPECT_THAT(verifier.Verify("1010000015.secret"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(store_.calls("1010000015"), 0);
}

TEST_F(CachedCredentialVerifierTest, StoreOutageIsPassedOnAndNotCached) {
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  store_.SetOutage(absl::UnavailableError("database down: secret-ish detail"));
  EXPECT_THAT(
      verifier.Verify(FormatCredential(kSerial, kSecret)),
      StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr(kSecret))));
  store_.SetOutage(absl::OkStatus());
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)), IsOk());
  EXPECT_EQ(store_.calls(kSerial), 2);
}

TEST_F(CachedCredentialVerifierTest, AsksAgainAfterTheTtl) {
  options_.ttl = absl::Minutes(5);
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)), IsOk());
  clock_.Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)), IsOk());
  EXPECT_EQ(store_.calls(kSerial), 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)), IsOk());
  EXPECT_EQ(store_.calls(kSerial), 2);
}

TEST_F(CachedCredentialVerifierTest, ARevokedCredentialFailsAfterTheTtl) {
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)), IsOk());
  store_.SetSecret(kSerial, "replaced");
  clock_.Advance(options_.ttl);
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CachedCredentialVerifierTest, ForgetDropsTheSerialAtOnce) {
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)), IsOk());
  EXPECT_THAT(verifier.Verify(FormatCredential(kOtherSerial, "other-secret")),
              IsOk());
  store_.SetSecret(kSerial, "replaced");
  verifier.Forget(kSerial);
  EXPECT_EQ(verifier.size(), 1u);
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier.Verify(FormatCredential(kOtherSerial, "other-secret")),
              IsOk());
  EXPECT_EQ(store_.calls(kOtherSerial), 1);
}

TEST_F(CachedCredentialVerifierTest, KeepsAtMostMaxEntries) {
  options_.max_entries = 2;
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  const std::string serials[] = {"1010000014", "1010000024", "1010000034"};
  for (const std::string& serial : serials) {
    store_.SetSecret(serial, kSecret);
    EXPECT_THAT(verifier.Verify(FormatCredential(serial, kSecret)), IsOk());
    clock_.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(verifier.size(), 2u);
  // The one expiring first (the oldest) made room; the others are cached.
  EXPECT_THAT(verifier.Verify(FormatCredential(serials[2], kSecret)), IsOk());
  EXPECT_THAT(verifier.Verify(FormatCredential(serials[1], kSecret)), IsOk());
  EXPECT_EQ(store_.calls(serials[1]), 1);
  EXPECT_EQ(store_.calls(serials[2]), 1);
  EXPECT_THAT(verifier.Verify(FormatCredential(serials[0], kSecret)), IsOk());
  EXPECT_EQ(store_.calls(serials[0]), 2);
}

TEST_F(CachedCredentialVerifierTest, KeysTheCacheByTheWholeCredential) {
  CachedCredentialVerifier verifier(&store_, &clock_, options_);
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, kSecret)), IsOk());
  // Same serial, another secret: not served from the cache.
  EXPECT_THAT(verifier.Verify(FormatCredential(kSerial, "other-secret")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(store_.calls(kSerial), 2);
}

}  // namespace
}  // namespace superlicense::authority
