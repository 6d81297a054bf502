// Roles, callers, the authorizer's decisions and rate limits, and the
// authenticator's choice of principal (without a server; see
// auth_end_to_end_test.cc for the same over real gRPC calls).
#include <grpcpp/support/status.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "authority/auth/authenticator.h"
#include "authority/auth/authorizer.h"
#include "authority/auth/caller.h"
#include "authority/auth/grpc_status.h"
#include "authority/auth/principal_directory.h"
#include "authority/auth/rate_limiter.h"
#include "authority/auth/roles.h"
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

constexpr char kCreateCustomer[] =
    "/superlicense.v1.SuperLicense/CreateCustomer";
constexpr char kFetchLicenseSet[] =
    "/superlicense.v1.SuperLicense/FetchLicenseSet";
constexpr char kGetTrustBundle[] =
    "/superlicense.v1.SuperLicense/GetTrustBundle";

Principal Staff(const std::string& name, RoleSet roles,
                uint32_t rate_limit = kDefaultRateLimitPerMinute) {
  return Principal{name, roles, "", rate_limit};
}

TEST(RolesTest, NamesRoundTrip) {
  for (Role role : kAllRoles) {
    ASSERT_OK_AND_ASSIGN(Role parsed, ParseRole(RoleName(role)));
    EXPECT_EQ(parsed, role);
  }
  EXPECT_EQ(RoleName(Role::kKeyAdmin), "key-admin");
  EXPECT_THAT(ParseRole("Issuer"), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("\"Issuer\"")));
}

TEST(RolesTest, RoleSetPrintsInEnumOrder) {
  EXPECT_EQ(RoleSet({Role::kAuditor, Role::kIssuer}).ToString(),
            "[issuer, auditor]");
  EXPECT_EQ(RoleSet().ToString(), "[]");
  EXPECT_EQ(RoleSet::All().ToString(),
            "[issuer, installation, key-admin, auditor]");
  EXPECT_TRUE(RoleSet({Role::kAuditor}).Intersects(RoleSet::All()));
  EXPECT_FALSE(RoleSet({Role::kAuditor}).Intersects({Role::kIssuer}));
}

TEST(RequireOwnSerialTest, BindsInstallationsToTheirSerial) {
  const Caller installation{
      "installation:1010000014", {Role::kInstallation}, "1010000014"};
  EXPECT_THAT(RequireOwnSerial(installation, "1010000014"), IsOk());
  EXPECT_THAT(RequireOwnSerial(installation, "1010000024"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "principal installation:1010000014 may not act for "
                       "serial \"1010000024\""));
  EXPECT_THAT(RequireOwnSerial(installation, ""),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(RequireOwnSerialTest, StaffMayActForAnySerial) {
  const Caller issuer{"alice", {Role::kIssuer}, ""};
  EXPECT_THAT(RequireOwnSerial(issuer, "1010000024"), IsOk());
}

TEST(RequireOwnSerialTest, InstallationWithoutSerialMayActForNone) {
  const Caller broken{"installation:", {Role::kInstallation}, ""};
  EXPECT_THAT(RequireOwnSerial(broken, ""),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

class AuthorizerTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  Authorizer authorizer_{&clock_};
};

TEST_F(AuthorizerTest, AllowsARoleOfTheTable) {
  ASSERT_OK_AND_ASSIGN(
      Caller caller,
      authorizer_.Decide(kCreateCustomer, Staff("alice", {Role::kIssuer})));
  EXPECT_EQ(caller.principal, "alice");
  EXPECT_EQ(caller.roles, RoleSet({Role::kIssuer}));
  EXPECT_EQ(caller.serial, "");
}

TEST_F(AuthorizerTest, DeniesOtherRolesNamingPrincipalRolesAndMethod) {
  EXPECT_THAT(
      authorizer_.Decide(kCreateCustomer,
                         Staff("audrey", {Role::kAuditor, Role::kKeyAdmin})),
      StatusIs(absl::StatusCode::kPermissionDenied,
               "principal audrey with roles [key-admin, auditor] may "
               "not call CreateCustomer"));
}

TEST_F(AuthorizerTest, DeniesMethodsOutsideTheTable) {
  EXPECT_THAT(authorizer_.Decide("/grpc.health.v1.Health/Check",
                                 Staff("alice", RoleSet::All())),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("no entry in the role table")));
}

TEST_F(AuthorizerTest, PassesAuthenticationErrorsOn) {
  EXPECT_THAT(
      authorizer_.Decide(kGetTrustBundle, absl::UnauthenticatedError("who?")),
      StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      authorizer_.Decide(kGetTrustBundle, absl::InternalError("confused")),
      StatusIs(absl::StatusCode::kInternal, HasSubstr("confused")));
}

TEST_F(AuthorizerTest, CarriesTheInstallationSerial) {
  const Principal installation{"installation:1010000014",
                               {Role::kInstallation},
                               "1010000014",
                               kDefaultRateLimitPerMinute};
  ASSERT_OK_AND_ASSIGN(Caller caller,
                       authorizer_.Decide(kFetchLicenseSet, installation));
  EXPECT_EQ(caller.serial, "1010000014");
  EXPECT_TRUE(caller.is_installation());
}

TEST_F(AuthorizerTest, RateLimitsEachPrincipal) {
  const Principal limited = Staff("lim", {Role::kIssuer}, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(authorizer_.Decide(kCreateCustomer, limited), IsOk());
  }
  EXPECT_THAT(authorizer_.Decide(kCreateCustomer, limited),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "principal lim exceeded its rate limit of 3 calls per "
                       "minute"));
  // Another principal has its own bucket.
  EXPECT_THAT(
      authorizer_.Decide(kCreateCustomer, Staff("alice", {Role::kIssuer}, 3)),
      IsOk());
  // 3 per minute: one token every 20 seconds.
  clock_.Advance(absl::Seconds(20));
  EXPECT_THAT(authorizer_.Decide(kCreateCustomer, limited), IsOk());
  EXPECT_THAT(authorizer_.Decide(kCreateCustomer, limited),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // The bucket holds at most one minute's budget.
  clock_.Advance(absl::Hours(1));
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(authorizer_.Decide(kCreateCustomer, limited), IsOk());
  }
  EXPECT_THAT(authorizer_.Decide(kCreateCustomer, limited),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(AuthorizerTest, DeniedCallsCountTowardsTheLimit) {
  const Principal limited = Staff("lim", {Role::kAuditor}, 1);
  EXPECT_THAT(authorizer_.Decide(kCreateCustomer, limited),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(authorizer_.Decide(kGetTrustBundle, limited),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(AuthorizerTest, FailsClosedWithoutARecordedDecision) {
  EXPECT_THAT(authorizer_.Authorize(nullptr),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("not authorized")));
  // Any pointer works as a key; it is never dereferenced.
  int call = 0;
  const auto* context = reinterpret_cast<const grpc::ServerContextBase*>(&call);
  EXPECT_THAT(authorizer_.Authorize(context),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AuthorizerTest, ReturnsTheRecordedDecisionUntilForgotten) {
  int call_1 = 0;
  int call_2 = 0;
  const auto* context_1 =
      reinterpret_cast<const grpc::ServerContextBase*>(&call_1);
  const auto* context_2 =
      reinterpret_cast<const grpc::ServerContextBase*>(&call_2);
  authorizer_.Record(context_1, Caller{"alice", {Role::kIssuer}, ""});
  authorizer_.Record(context_2, absl::PermissionDeniedError("no"));
  EXPECT_EQ(authorizer_.pending_decisions(), 2u);

  ASSERT_OK_AND_ASSIGN(Caller caller, authorizer_.Authorize(context_1));
  EXPECT_EQ(caller.principal, "alice");
  EXPECT_THAT(authorizer_.Authorize(context_2),
              StatusIs(absl::StatusCode::kPermissionDenied, "no"));

  authorizer_.Forget(context_1);
  authorizer_.Forget(context_1);
  EXPECT_THAT(authorizer_.Authorize(context_1),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("not authorized")));
  EXPECT_EQ(authorizer_.pending_decisions(), 1u);
}

TEST(RateLimiterTest, ToleratesAClockGoingBack) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  RateLimiter limiter(&clock);
  EXPECT_TRUE(limiter.TryAcquire("p", 1));
  clock.Advance(-absl::Hours(1));
  EXPECT_FALSE(limiter.TryAcquire("p", 1));
  clock.Advance(absl::Minutes(1));
  EXPECT_TRUE(limiter.TryAcquire("p", 1));
}

TEST(RateLimiterTest, DropsIdleBucketsWhenFull) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  RateLimiter limiter(&clock, /*max_tracked=*/2);
  EXPECT_TRUE(limiter.TryAcquire("a", 1));
  EXPECT_TRUE(limiter.TryAcquire("b", 1));
  EXPECT_FALSE(limiter.TryAcquire("a", 1));
  clock.Advance(absl::Minutes(1));
  EXPECT_TRUE(limiter.TryAcquire("c", 1));  // drops a and b (idle, full)
  EXPECT_FALSE(limiter.TryAcquire("c", 1));
  EXPECT_TRUE(limiter.TryAcquire("a", 1));
}

TEST(ToGrpcStatusTest, KeepsCodeAndMessage) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  const grpc::Status denied =
      ToGrpcStatus(absl::PermissionDeniedError("principal x may not"));
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(denied.error_message(), "principal x may not");
  EXPECT_EQ(ToGrpcStatus(absl::ResourceExhaustedError("")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

class CallAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        PrincipalDirectory staff,
        PrincipalDirectory::FromJson(
            R"({"principals": [{"name": "alice", "certificate_common_name":)"
            R"( "alice.cn", "roles": ["issuer"]}]})"));
    store_.SetSecret("1010000014", "right");
    CallAuthenticator::Options options;
    options.installation_rate_limit_per_minute = 60;
    authenticator_ = std::make_unique<CallAuthenticator>(
        std::move(staff), &store_, &clock_, options);
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  FakeInstallationCredentials store_;
  std::unique_ptr<CallAuthenticator> authenticator_;
};

TEST_F(CallAuthenticatorTest, MapsACertificateToItsPrincipal) {
  ASSERT_OK_AND_ASSIGN(Principal principal,
                       authenticator_->Authenticate("alice.cn", absl::nullopt));
  EXPECT_EQ(principal.name, "alice");
  EXPECT_EQ(principal.roles, RoleSet({Role::kIssuer}));
}

TEST_F(CallAuthenticatorTest, RejectsAnUnknownCertificate) {
  EXPECT_THAT(authenticator_->Authenticate("mallory.cn", absl::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("\"mallory.cn\" names no principal")));
}

TEST_F(CallAuthenticatorTest, MapsACredentialToAnInstallation) {
  ASSERT_OK_AND_ASSIGN(
      Principal principal,
      authenticator_->Authenticate(absl::nullopt, "1010000014.right"));
  EXPECT_EQ(principal.name, "installation:1010000014");
  EXPECT_EQ(principal.roles, RoleSet({Role::kInstallation}));
  EXPECT_EQ(principal.serial, "1010000014");
  EXPECT_EQ(principal.rate_limit_per_minute, 60u);
}

TEST_F(CallAuthenticatorTest, CertificateTakesPrecedenceOverCredential) {
  ASSERT_OK_AND_ASSIGN(
      Principal principal,
      authenticator_->Authenticate("alice.cn", "1010000014.right"));
  EXPECT_EQ(principal.name, "alice");
  EXPECT_EQ(store_.calls("1010000014"), 0);
}

TEST_F(CallAuthenticatorTest, RejectsAWrongSecretOrNothing) {
  EXPECT_THAT(authenticator_->Authenticate(absl::nullopt, "1010000014.wrong"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(authenticator_->Authenticate(absl::nullopt, absl::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("no client certificate")));
}

TEST_F(CallAuthenticatorTest, ForgetInstallationDropsCachedCredentials) {
  EXPECT_THAT(authenticator_->Authenticate(absl::nullopt, "1010000014.right"),
              IsOk());
  store_.SetSecret("1010000014", "new");
  EXPECT_THAT(authenticator_->Authenticate(absl::nullopt, "1010000014.right"),
              IsOk());
  authenticator_->ForgetInstallation("1010000014");
  EXPECT_THAT(authenticator_->Authenticate(absl::nullopt, "1010000014.right"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CallAuthenticatorTest, ScreenJudgesShapeAndStaffWithoutTheStore) {
  EXPECT_THAT(authenticator_->Screen("alice.cn", absl::nullopt), IsOk());
  EXPECT_THAT(authenticator_->Screen("mallory.cn", absl::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("\"mallory.cn\" names no principal")));
  // A well-formed credential passes, right or wrong: the interceptor
  // verifies it on the call's thread.
  EXPECT_THAT(authenticator_->Screen(absl::nullopt, "1010000014.right"),
              IsOk());
  EXPECT_THAT(authenticator_->Screen(absl::nullopt, "1010000014.wrong"),
              IsOk());
  EXPECT_EQ(store_.calls("1010000014"), 0);
  EXPECT_THAT(authenticator_->Screen(absl::nullopt, "1010000015.right"),
              StatusIs(absl::StatusCode::kUnauthenticated));  // check digit
  EXPECT_THAT(authenticator_->Screen(absl::nullopt, "no-dot"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(authenticator_->Screen(absl::nullopt, absl::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("no client certificate")));
}

TEST_F(CallAuthenticatorTest, ScreenPassesAnonymousCallsWhenAllowed) {
  CallAuthenticator::Options options;
  options.allow_anonymous = true;
  ASSERT_OK_AND_ASSIGN(PrincipalDirectory nobody,
                       PrincipalDirectory::FromJson(R"({"principals": []})"));
  CallAuthenticator anonymous_ok(std::move(nobody), &store_, &clock_, options);
  EXPECT_THAT(anonymous_ok.Screen(absl::nullopt, absl::nullopt), IsOk());
  EXPECT_THAT(anonymous_ok.Screen("mallory.cn", absl::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(anonymous_ok.Screen(absl::nullopt, "no-dot"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_FALSE(anonymous_ok.IsBlocking());
}

}  // namespace
}  // namespace superlicense::authority
