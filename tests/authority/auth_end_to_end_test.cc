// Authentication and authorization over real gRPC calls: every implemented
// RPC by every kind of caller, rate limits, the fail-closed guard, the
// credential cache, and calls sharing a connection. The server and the
// client helpers are in auth_test_server.h.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "authority/auth/installation_credentials.h"
#include "authority/auth/principal_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/credential_hash.h"
#include "tests/authority/auth_test_server.h"
#include "tests/authority/fake_installation_credentials.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace superlicense::authority {
namespace {

namespace v1 = ::superlicense::v1;
using ::superlicense::testing::Answer;
using ::superlicense::testing::Call;
using ::superlicense::testing::CertificateFiles;
using ::superlicense::testing::FakeClock;
using ::superlicense::testing::FakeInstallationCredentials;
using ::superlicense::testing::kAllRpcs;
using ::superlicense::testing::NewPlaintextStub;
using ::superlicense::testing::NewStub;
using ::superlicense::testing::RefusedClientCertificates;
using ::superlicense::testing::Rpc;
using ::superlicense::testing::RpcName;
using ::superlicense::testing::ServerSetup;
using ::superlicense::testing::TempDir;
using ::superlicense::testing::TestPki;
using ::superlicense::testing::TestServer;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIssuerCn[] = "alice.issuer.test";
constexpr char kAuditorCn[] = "audrey.auditor.test";
constexpr char kKeyAdminCn[] = "kim.key-admin.test";
constexpr char kLimitedCn[] = "lim.issuer.test";
constexpr char kUnknownCn[] = "stranger.test";

constexpr char kPrincipalsJson[] = R"json({"principals": [
  {"name": "alice", "certificate_common_name": "alice.issuer.test",
   "roles": ["issuer"]},
  {"name": "audrey", "certificate_common_name": "audrey.auditor.test",
   "roles": ["auditor"]},
  {"name": "kim", "certificate_common_name": "kim.key-admin.test",
   "roles": ["key-admin"]},
  {"name": "lim", "certificate_common_name": "lim.issuer.test",
   "roles": ["issuer"], "rate_limit_per_minute": 3}
]})json";

constexpr char kSerialA[] = "1010000014";      // the installation calling
constexpr char kSerialB[] = "1010000024";      // another customer
constexpr char kSerialCache[] = "1010000034";  // only the cache test
constexpr char kSerialWrong[] = "1010000044";  // only wrong secrets

// Calls `rpc`, asking for serial A where the request names one.
Answer Call(v1::SuperLicense::Stub& stub, Rpc rpc,
            const std::string& credential) {
  return Call(stub, rpc, credential, kSerialA);
}

// What every test shares: one PKI, one credential store, one server.
struct Environment {
  TempDir dir;
  TestPki pki;
  // Expired and self-signed, both with the issuer's common name.
  RefusedClientCertificates refused;
  absl::optional<PrincipalDirectory> staff;
  FakeClock clock{absl::FromUnixSeconds(1700000000)};
  FakeInstallationCredentials store;
  std::string secret_a = keys::NewCredentialSecret();
  std::string secret_b = keys::NewCredentialSecret();
  std::string secret_cache = keys::NewCredentialSecret();
  std::unique_ptr<TestServer> server;

  std::unique_ptr<TestServer> StartServer(ServerSetup setup) {
    return std::make_unique<TestServer>(pki, *staff, &store, &clock, setup);
  }
};

// Built on first use; destroyed after the last test.
Environment* shared_environment = nullptr;

class EnvironmentCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    delete shared_environment;
    shared_environment = nullptr;
  }
};
::testing::Environment* const kCleanup =
    ::testing::AddGlobalTestEnvironment(new EnvironmentCleanup);

// Returns the shared environment, or nullptr (after a test failure) when it
// cannot be built.
Environment* SharedEnvironment() {
  if (shared_environment != nullptr) return shared_environment;
  auto env = std::make_unique<Environment>();
  absl::StatusOr<TestPki> pki = ::superlicense::testing::MakeTestPki(
      env->dir.path(),
      {kIssuerCn, kAuditorCn, kKeyAdminCn, kLimitedCn, kUnknownCn});
  EXPECT_TRUE(pki.ok()) << pki.status();
  absl::StatusOr<PrincipalDirectory> staff =
      PrincipalDirectory::FromJson(kPrincipalsJson);
  EXPECT_TRUE(staff.ok()) << staff.status();
  if (!pki.ok() || !staff.ok()) return nullptr;
  absl::StatusOr<RefusedClientCertificates> refused =
      ::superlicense::testing::MakeRefusedClientCertificates(env->dir.path(),
                                                             *pki, kIssuerCn);
  EXPECT_TRUE(refused.ok()) << refused.status();
  if (!refused.ok()) return nullptr;
  env->refused = *std::move(refused);
  env->pki = *std::move(pki);
  env->staff = *std::move(staff);
  env->store.SetSecret(kSerialA, env->secret_a);
  env->store.SetSecret(kSerialB, env->secret_b);
  env->store.SetSecret(kSerialCache, env->secret_cache);
  env->store.SetSecret(kSerialWrong, keys::NewCredentialSecret());
  env->server = env->StartServer(ServerSetup{});
  EXPECT_TRUE(env->server->running());
  if (!env->server->running()) return nullptr;
  shared_environment = env.release();
  return shared_environment;
}

// Who calls, in the matrix.
enum class Who {
  kIssuer,
  kAuditor,
  kKeyAdmin,
  kOwnInstallation,    // credential of A, asking for A
  kOtherInstallation,  // credential of A, asking for B
  kNobody,             // TLS, no certificate, no credential
  kUnknownCertificate,
  kUntrustedCertificate,  // signed by an unrelated CA
  kWrongSecret,
  kMalformedCredential,
  kExpiredCertificate,     // the issuer's CN, trusted CA, expired yesterday
  kSelfSignedCertificate,  // the issuer's CN, its own issuer
  kPlaintext,              // no TLS at all, to the TLS port
};
constexpr Who kEveryone[] = {Who::kIssuer,
                             Who::kAuditor,
                             Who::kKeyAdmin,
                             Who::kOwnInstallation,
                             Who::kOtherInstallation,
                             Who::kNobody,
                             Who::kUnknownCertificate,
                             Who::kUntrustedCertificate,
                             Who::kWrongSecret,
                             Who::kMalformedCredential,
                             Who::kExpiredCertificate,
                             Who::kSelfSignedCertificate,
                             Who::kPlaintext};

const char* WhoName(Who who) {
  switch (who) {
    case Who::kIssuer:
      return "Issuer";
    case Who::kAuditor:
      return "Auditor";
    case Who::kKeyAdmin:
      return "KeyAdmin";
    case Who::kOwnInstallation:
      return "OwnInstallation";
    case Who::kOtherInstallation:
      return "OtherInstallation";
    case Who::kNobody:
      return "Nobody";
    case Who::kUnknownCertificate:
      return "UnknownCertificate";
    case Who::kUntrustedCertificate:
      return "UntrustedCertificate";
    case Who::kWrongSecret:
      return "WrongSecret";
    case Who::kMalformedCredential:
      return "MalformedCredential";
    case Who::kExpiredCertificate:
      return "ExpiredCertificate";
    case Who::kSelfSignedCertificate:
      return "SelfSignedCertificate";
    case Who::kPlaintext:
      return "Plaintext";
  }
  return "?";
}

constexpr grpc::StatusCode OK = grpc::StatusCode::OK;
constexpr grpc::StatusCode PD = grpc::StatusCode::PERMISSION_DENIED;
constexpr grpc::StatusCode UA = grpc::StatusCode::UNAUTHENTICATED;
constexpr grpc::StatusCode UV = grpc::StatusCode::UNAVAILABLE;

// The expected code of every call: rows in the order of Who, columns in
// the order of Rpc (CreateCustomer, GetCustomer, FetchLicenseSet,
// GetTrustBundle, ListKeys, ListAuditEvents).
//
// UNAUTHENTICATED comes from the authenticator, after a TLS handshake that
// succeeded: no certificate and no credential, a verified certificate whose
// CN names no principal, a bad credential. UNAVAILABLE is the client's code
// for a connection that never carried the call because the TLS handshake
// failed: the server verifies client certificates
// (GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY) and aborts the handshake
// for one from an unknown CA, a self-signed one or an expired one, whatever
// its CN; and a plaintext HTTP/2 preface is not a TLS ClientHello. None of
// these reaches the authenticator, so no principal, however well named, is
// ever looked up.
constexpr grpc::StatusCode kExpected[][6] = {
    /* Issuer */ {OK, OK, PD, OK, PD, PD},
    /* Auditor */ {PD, OK, PD, OK, OK, OK},
    /* KeyAdmin */ {PD, PD, PD, OK, OK, PD},
    /* OwnInstallation */ {PD, PD, OK, OK, PD, PD},
    /* OtherInstallation */ {PD, PD, PD, OK, PD, PD},
    /* Nobody */ {UA, UA, UA, UA, UA, UA},
    /* UnknownCertificate */ {UA, UA, UA, UA, UA, UA},
    /* UntrustedCertificate */ {UV, UV, UV, UV, UV, UV},
    /* WrongSecret */ {UA, UA, UA, UA, UA, UA},
    /* MalformedCredential */ {UA, UA, UA, UA, UA, UA},
    /* ExpiredCertificate */ {UV, UV, UV, UV, UV, UV},
    /* SelfSignedCertificate */ {UV, UV, UV, UV, UV, UV},
    /* Plaintext */ {UV, UV, UV, UV, UV, UV},
};

// The principal in the marker of a successful call.
const char* ExpectedPrincipal(Who who) {
  switch (who) {
    case Who::kIssuer:
      return "principal=alice roles=[issuer] serial=";
    case Who::kAuditor:
      return "principal=audrey roles=[auditor] serial=";
    case Who::kKeyAdmin:
      return "principal=kim roles=[key-admin] serial=";
    case Who::kOwnInstallation:
    case Who::kOtherInstallation:
      return "principal=installation:1010000014 roles=[installation] "
             "serial=1010000014";
    default:
      return "(no successful call)";
  }
}

// How `who` connects: the client certificate (or none) and the credential
// (or empty), over TLS unless `plaintext`.
struct Connection {
  const CertificateFiles* certificate = nullptr;
  std::string credential;
  bool plaintext = false;
};

Connection ConnectionOf(Who who, const Environment& env) {
  const auto& clients = env.pki.clients;
  const std::string credential_a = FormatCredential(kSerialA, env.secret_a);
  switch (who) {
    case Who::kIssuer:
      return {&clients.at(kIssuerCn), ""};
    case Who::kAuditor:
      return {&clients.at(kAuditorCn), ""};
    case Who::kKeyAdmin:
      return {&clients.at(kKeyAdminCn), ""};
    case Who::kOwnInstallation:
    case Who::kOtherInstallation:
      return {nullptr, credential_a};
    case Who::kNobody:
      return {nullptr, ""};
    case Who::kUnknownCertificate:
      return {&clients.at(kUnknownCn), ""};
    case Who::kUntrustedCertificate:
      return {&env.pki.untrusted_client, ""};
    case Who::kWrongSecret:
      return {nullptr, FormatCredential(kSerialA, "not-" + env.secret_a)};
    case Who::kMalformedCredential:
      return {nullptr, "1010000015." + env.secret_a};
    case Who::kExpiredCertificate:
      return {&env.refused.expired, ""};
    case Who::kSelfSignedCertificate:
      return {&env.refused.self_signed, ""};
    case Who::kPlaintext:
      // With a valid credential: it must not matter.
      return {nullptr, credential_a, /*plaintext=*/true};
  }
  return {};
}

class AuthMatrixTest : public ::testing::TestWithParam<std::tuple<Who, Rpc>> {};

TEST_P(AuthMatrixTest, GivesExactlyTheExpectedCode) {
  const auto [who, rpc] = GetParam();
  Environment* env = SharedEnvironment();
  ASSERT_NE(env, nullptr);
  const Connection connection = ConnectionOf(who, *env);
  auto stub = connection.plaintext ? NewPlaintextStub(env->server->target())
                                   : NewStub(env->server->target(), env->pki,
                                             connection.certificate);
  const std::string serial =
      who == Who::kOtherInstallation ? kSerialB : kSerialA;

  const int handler_calls_before = env->server->handler_calls();
  const int authorized_calls_before = env->server->authorized_calls();

  const Answer answer = Call(*stub, rpc, connection.credential, serial);

  const grpc::StatusCode expected =
      kExpected[static_cast<int>(who)][static_cast<int>(rpc)];
  EXPECT_EQ(answer.status.error_code(), expected)
      << "message: " << answer.status.error_message();
  if (expected == OK) {
    EXPECT_EQ(answer.marker, ExpectedPrincipal(who));
  }
  if (expected == PD && who != Who::kOtherInstallation) {
    EXPECT_THAT(answer.status.error_message(),
                HasSubstr(absl::StrCat("may not call ", RpcName(rpc))));
  }
  if (who == Who::kOtherInstallation && rpc == Rpc::kFetchLicenseSet) {
    EXPECT_EQ(answer.status.error_message(),
              "principal installation:1010000014 may not act for serial "
              "\"1010000024\"");
  }
  // Unauthenticated calls never get past the handler's guard; only a
  // well-formed credential (verified on the call's thread, never in the
  // metadata processor) reaches the guard at all.
  if (expected == UA || expected == UV) {
    EXPECT_EQ(env->server->authorized_calls(), authorized_calls_before);
    if (who != Who::kWrongSecret) {
      EXPECT_EQ(env->server->handler_calls(), handler_calls_before);
    }
  }
  // Nothing of the secret ever comes back.
  EXPECT_THAT(answer.status.error_message(), Not(HasSubstr(env->secret_a)));
}

INSTANTIATE_TEST_SUITE_P(
    EveryRoleAndRpc, AuthMatrixTest,
    ::testing::Combine(::testing::ValuesIn(kEveryone),
                       ::testing::ValuesIn(kAllRpcs)),
    [](const ::testing::TestParamInfo<std::tuple<Who, Rpc>>& param) {
      return std::string(WhoName(std::get<0>(param.param))) +
             RpcName(std::get<1>(param.param));
    });

class AuthEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = SharedEnvironment();
    ASSERT_NE(env_, nullptr);
  }

  std::unique_ptr<v1::SuperLicense::Stub> StubFor(
      const TestServer& server, const CertificateFiles* certificate) {
    return NewStub(server.target(), env_->pki, certificate);
  }
  const CertificateFiles* Client(const std::string& common_name) const {
    return &env_->pki.clients.at(common_name);
  }

  Environment* env_ = nullptr;
};

TEST_F(AuthEndToEndTest, RateLimitAnswersResourceExhaustedAfterTheBudget) {
  env_->clock.Advance(absl::Hours(1));  // a full bucket, whatever ran before
  auto stub = StubFor(*env_->server, Client(kLimitedCn));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call(*stub, Rpc::kGetTrustBundle, "").status.error_code(), OK);
  }
  const Answer over = Call(*stub, Rpc::kGetTrustBundle, "");
  EXPECT_EQ(over.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(over.status.error_message(),
            "principal lim exceeded its rate limit of 3 calls per minute");
  // Others are not affected.
  auto issuer = StubFor(*env_->server, Client(kIssuerCn));
  EXPECT_EQ(Call(*issuer, Rpc::kGetTrustBundle, "").status.error_code(), OK);
  // 3 per minute: a token every 20 seconds.
  env_->clock.Advance(absl::Seconds(20));
  EXPECT_EQ(Call(*stub, Rpc::kGetTrustBundle, "").status.error_code(), OK);
  EXPECT_EQ(Call(*stub, Rpc::kGetTrustBundle, "").status.error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(AuthEndToEndTest, GuardFailsClosedWithoutTheInterceptor) {
  std::unique_ptr<TestServer> server =
      env_->StartServer(ServerSetup{/*install_interceptor=*/false});
  ASSERT_TRUE(server->running());
  auto issuer = StubFor(*server, Client(kIssuerCn));
  const Answer answer = Call(*issuer, Rpc::kCreateCustomer, "");
  EXPECT_EQ(answer.status.error_code(), PD);
  EXPECT_THAT(answer.status.error_message(), HasSubstr("not authorized"));
  auto installation = StubFor(*server, nullptr);
  EXPECT_EQ(Call(*installation, Rpc::kFetchLicenseSet,
                 FormatCredential(kSerialA, env_->secret_a))
                .status.error_code(),
            PD);
  // Authentication still runs before the handler.
  EXPECT_EQ(Call(*installation, Rpc::kGetTrustBundle, "").status.error_code(),
            UA);
}

TEST_F(AuthEndToEndTest, AnonymousCallsReachTheGuardWhenAllowedAndFailThere) {
  ServerSetup setup;
  setup.allow_anonymous = true;
  std::unique_ptr<TestServer> server = env_->StartServer(setup);
  ASSERT_TRUE(server->running());
  auto nobody = StubFor(*server, nullptr);
  const Answer answer = Call(*nobody, Rpc::kGetTrustBundle, "");
  EXPECT_EQ(answer.status.error_code(), UA);
  EXPECT_THAT(answer.status.error_message(),
              HasSubstr("no client certificate and no installation"));
  EXPECT_EQ(server->handler_calls(), 1);  // the guard in the handler said no
  // A malformed credential is stopped before any handler ...
  EXPECT_EQ(Call(*nobody, Rpc::kGetTrustBundle, "1010000014-wrong")
                .status.error_code(),
            UA);
  EXPECT_EQ(server->handler_calls(), 1);
  // ... a well-formed wrong one is verified on the call's thread (the
  // metadata processor never hashes) and refused by the guard.
  EXPECT_EQ(Call(*nobody, Rpc::kGetTrustBundle, "1010000014.wrong")
                .status.error_code(),
            UA);
  EXPECT_EQ(server->handler_calls(), 2);
  auto auditor = StubFor(*server, Client(kAuditorCn));
  EXPECT_EQ(Call(*auditor, Rpc::kGetTrustBundle, "").status.error_code(), OK);
}

TEST_F(AuthEndToEndTest, CredentialIsVerifiedOnceForRepeatedCalls) {
  auto stub = StubFor(*env_->server, nullptr);
  const std::string credential =
      FormatCredential(kSerialCache, env_->secret_cache);
  env_->clock.Advance(absl::Hours(1));  // whatever ran before has expired
  const int verified_before = env_->store.calls(kSerialCache);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Call(*stub, Rpc::kFetchLicenseSet, credential, kSerialCache)
                  .status.error_code(),
              OK);
  }
  EXPECT_EQ(env_->store.calls(kSerialCache) - verified_before, 1);
}

TEST_F(AuthEndToEndTest, WrongSecretIsNeverCached) {
  auto stub = StubFor(*env_->server, nullptr);
  const std::string wrong = FormatCredential(kSerialWrong, "guess");
  const int verified_before = env_->store.calls(kSerialWrong);
  for (int i = 0; i < 3; ++i) {
    const Answer answer = Call(*stub, Rpc::kGetTrustBundle, wrong);
    EXPECT_EQ(answer.status.error_code(), UA);
    EXPECT_THAT(answer.status.error_message(), Not(HasSubstr("guess")));
  }
  EXPECT_EQ(env_->store.calls(kSerialWrong) - verified_before, 3);
}

TEST_F(AuthEndToEndTest, TwoCredentialsInOneCallAreUnauthenticated) {
  auto stub = StubFor(*env_->server, nullptr);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  context.AddMetadata(kCredentialMetadataKey,
                      FormatCredential(kSerialA, env_->secret_a));
  context.AddMetadata(kCredentialMetadataKey,
                      FormatCredential(kSerialB, env_->secret_b));
  v1::SignedTrustBundle response;
  const grpc::Status status =
      stub->GetTrustBundle(&context, v1::GetTrustBundleRequest(), &response);
  EXPECT_EQ(status.error_code(), UA);
  EXPECT_THAT(status.error_message(), HasSubstr("more than one"));
}

TEST_F(AuthEndToEndTest, EachCallOnAConnectionIsAuthenticatedOnItsOwn) {
  auto stub = StubFor(*env_->server, nullptr);
  const std::string credential_a = FormatCredential(kSerialA, env_->secret_a);
  const std::string credential_b = FormatCredential(kSerialB, env_->secret_b);
  EXPECT_THAT(Call(*stub, Rpc::kGetTrustBundle, credential_a).marker,
              HasSubstr("serial=1010000014"));
  EXPECT_THAT(Call(*stub, Rpc::kGetTrustBundle, credential_b).marker,
              HasSubstr("serial=1010000024"));
  EXPECT_EQ(Call(*stub, Rpc::kFetchLicenseSet, credential_b, kSerialA)
                .status.error_code(),
            PD);
  EXPECT_EQ(Call(*stub, Rpc::kGetTrustBundle, "").status.error_code(), UA);
  EXPECT_EQ(Call(*stub, Rpc::kFetchLicenseSet, credential_a, kSerialA)
                .status.error_code(),
            OK);
}

// gRPC 1.51 shares one AuthContext between the calls of a connection;
// concurrent calls with different credentials must still each get their own
// principal.
TEST_F(AuthEndToEndTest, ConcurrentCallsOnAConnectionKeepTheirPrincipals) {
  auto stub = StubFor(*env_->server, nullptr);
  const std::string credentials[] = {
      FormatCredential(kSerialA, env_->secret_a),
      FormatCredential(kSerialB, env_->secret_b)};
  const std::string serials[] = {kSerialA, kSerialB};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const int who = (t + i) % 2;
        const Answer answer =
            Call(*stub, Rpc::kFetchLicenseSet, credentials[who], serials[who]);
        if (!answer.status.ok() ||
            !absl::StrContains(answer.marker,
                               absl::StrCat("serial=", serials[who]))) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(AuthEndToEndTest, CertificateTakesPrecedenceOverACredential) {
  auto issuer = StubFor(*env_->server, Client(kIssuerCn));
  const Answer answer = Call(*issuer, Rpc::kGetTrustBundle,
                             FormatCredential(kSerialA, env_->secret_a));
  EXPECT_EQ(answer.status.error_code(), OK);
  EXPECT_EQ(answer.marker, ExpectedPrincipal(Who::kIssuer));
  EXPECT_EQ(Call(*issuer, Rpc::kFetchLicenseSet,
                 FormatCredential(kSerialA, env_->secret_a))
                .status.error_code(),
            PD);
}

TEST_F(AuthEndToEndTest, DecisionsAreDroppedWhenCallsEnd) {
  auto issuer = StubFor(*env_->server, Client(kIssuerCn));
  for (Rpc rpc : kAllRpcs) Call(*issuer, rpc, "");
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (env_->server->authorizer().pending_decisions() != 0 &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(env_->server->authorizer().pending_decisions(), 0u);
}

}  // namespace
}  // namespace superlicense::authority
