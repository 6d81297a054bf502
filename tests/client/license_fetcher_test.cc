// Tests of client/online/license_fetcher.h against the real authority
// (AuthorityServer over TLS on 127.0.0.1, port 0, RocksDB in a temporary
// directory) and a SQLite CRM database. PostgreSQL is covered by the
// importer's own tests; the online flow only adds the RPCs around it.
#include "client/online/license_fetcher.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "authority/server/authority_server.h"
#include "client/crm_database.h"
#include "client/license_assigner.h"
#include "client/license_importer.h"
#include "client/system_messages.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/owner_keyring.h"
#include "keys/public_key_file.h"
#include "keys/sealed_keystore.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"
#include "superlicense/v1/authority.grpc.pb.h"
#include "tests/support/client_fixture.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace superlicense::client {
namespace {

using ::superlicense::testing::WithoutJournal;

using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::superlicense::testing::WriteFileOrDie;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPassphrase[] = "fetcher-test-passphrase";
constexpr char kCompany[] = "Online Company AS";
constexpr char kPrincipals[] = R"({"principals": [
  {"name": "alice", "certificate_common_name": "alice", "roles": ["issuer"]},
  {"name": "audrey", "certificate_common_name": "audrey", "roles": ["auditor"]}]})";

// Module name -> license number, as issued from the catalogue.
using Grants = std::vector<std::pair<std::string, int>>;

// A stand-in authority over TLS (the test PKI's server certificate) that
// offers one given set and records what the client sends; it lets the tests
// see the usage of AcceptLicenseSet and make AcceptLicenseSet fail.
class RecordingAuthority final : public v1::SuperLicense::Service {
 public:
  // Starts on 127.0.0.1:0 offering `offered`; AcceptLicenseSet answers
  // `accept_status`.
  RecordingAuthority(const superlicense::testing::TestPki& pki,
                     v1::SignedLicenseSet offered, grpc::Status accept_status)
      : offered_(std::move(offered)), accept_status_(std::move(accept_status)) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({pki.server.key_pem, pki.server.cert_pem});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl),
                             &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~RecordingAuthority() override {
    server_->Shutdown(std::chrono::system_clock::now());
  }

  int port() const { return port_; }

  grpc::Status FetchLicenseSet(grpc::ServerContext* context,
                               const v1::FetchLicenseSetRequest* request,
                               v1::FetchLicenseSetResponse* response) override {
    Record(*context);
    fetches.push_back(*request);
    response->set_modified(true);
    *response->mutable_signed_set() = offered_;
    return grpc::Status::OK;
  }

  grpc::Status AcceptLicenseSet(
      grpc::ServerContext* context, const v1::AcceptLicenseSetRequest* request,
      v1::AcceptLicenseSetResponse* response) override {
    Record(*context);
    accepts.push_back(*request);
    response->set_accepted_at(1234);
    return accept_status_;
  }

  // What the client sent, in call order (the credential metadata, the time
  // left until the call's deadline, the requests). Written by the server's
  // threads; read them only after the client's call has returned.
  std::vector<std::string> credentials;
  std::vector<absl::Duration> deadlines;
  std::vector<v1::FetchLicenseSetRequest> fetches;
  std::vector<v1::AcceptLicenseSetRequest> accepts;

 private:
  void Record(const grpc::ServerContext& context) {
    auto range =
        context.client_metadata().equal_range("x-superlicense-credential");
    for (auto it = range.first; it != range.second; ++it) {
      credentials.emplace_back(it->second.data(), it->second.size());
    }
    deadlines.push_back(absl::FromChrono(context.deadline()) - absl::Now());
  }

  const v1::SignedLicenseSet offered_;
  const grpc::Status accept_status_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

class LicenseFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki =
        superlicense::testing::MakeTestPki(dir_.path(), {"alice", "audrey"});
    ASSERT_OK(pki.status());
    pki_ = *pki;
    ASSERT_NO_FATAL_FAILURE(MakeKeys());
    WriteFileOrDie(dir_.File("principals.json"), kPrincipals);
    WriteFileOrDie(dir_.File("passphrase"), kPassphrase);
    options_.listen = "127.0.0.1:0";
    options_.data_dir = dir_.File("data");
    options_.keyring = dir_.File("keyring.json");
    options_.trust_bundle = dir_.File("trust.bundle");
    options_.tls_cert = pki_.server.cert_path;
    options_.tls_key = pki_.server.key_path;
    options_.client_ca = pki_.ca.cert_path;
    options_.principals = dir_.File("principals.json");
    options_.secrets.passphrase.file = dir_.File("passphrase");
    options_.secrets.passphrase.allow_prompt = false;
    auto server =
        authority::AuthorityServer::Start(options_, &SystemClock::Get());
    ASSERT_OK(server.status());
    server_ = *std::move(server);

    credential_ = NewCustomer(kCompany);
    ASSERT_GT(credential_.size(), 11u);
    serial_ = credential_.substr(0, 10);
    secret_ = credential_.substr(11);
    importer_ =
        std::make_unique<LicenseImporter>(trust_.get(), &SystemClock::Get());
    ASSERT_OK_AND_ASSIGN(db_,
                         CrmDatabase::Open("sqlite:" + dir_.File("crm.db")));
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    ASSERT_OK(txn->SetInstallation({serial_, kCompany, SiteKind::kCentral, 0}));
    ASSERT_OK(txn->Commit());
  }

  // A root key, a certified SUPEROFFICE owner key in a sealed keystore, the
  // keyring and the trust bundle the server and the importer use.
  void MakeKeys() {
    ASSERT_OK_AND_ASSIGN(
        root_, keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519));
    auto owner = keys::CreateSealedKeystore(
        dir_.File("owner.key"), v1::SIGNATURE_ALGORITHM_ED25519, kPassphrase,
        "SUPEROFFICE", keys::Argon2Params{64, 1, 1});
    ASSERT_OK(owner.status());
    v1::OwnerKeyCertificate content;
    content.set_owner_name("SUPEROFFICE");
    *content.mutable_key() = keys::PublicKeyOf(**owner, "");
    content.set_valid_from(absl::ToUnixSeconds(absl::Now()) - 3600);
    content.set_valid_until(absl::ToUnixSeconds(absl::Now()) + 86400 * 365);
    ASSERT_OK_AND_ASSIGN(v1::SignedPublicKey certificate,
                         keys::CertifyOwnerKey(*root_, content));
    v1::OwnerKeyring keyring;
    keyring.set_owner_name("SUPEROFFICE");
    ASSERT_OK(keys::RotateIn(&keyring, "sealed:" + dir_.File("owner.key"),
                             certificate, (*owner)->public_key(), 0));
    ASSERT_OK(keys::WriteOwnerKeyring(dir_.File("keyring.json"), keyring));
    v1::TrustBundle bundle;
    bundle.set_version(1);
    bundle.set_threshold(1);
    *bundle.add_root_keys() = keys::PublicKeyOf(*root_, "root");
    ASSERT_OK_AND_ASSIGN(v1::SignedTrustBundle signed_bundle,
                         keys::SignTrustBundle(*root_, bundle));
    WriteFileOrDie(dir_.File("trust.bundle"),
                   signed_bundle.SerializeAsString());
    ASSERT_OK_AND_ASSIGN(keys::TrustStore trust,
                         keys::TrustStore::FromAnchor(signed_bundle));
    trust_ = std::make_unique<keys::TrustStore>(std::move(trust));
  }

  // A staff stub with the client certificate of `name`.
  std::unique_ptr<v1::SuperLicense::Stub> Staff(const std::string& name) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pki_.ca.cert_pem;
    ssl.pem_cert_chain = pki_.clients.at(name).cert_pem;
    ssl.pem_private_key = pki_.clients.at(name).key_pem;
    return v1::SuperLicense::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::SslCredentials(ssl)));
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(20));
    return context;
  }

  // Creates a customer as alice; returns its installation credential.
  std::string NewCustomer(const std::string& company) {
    v1::CreateCustomerRequest request;
    request.set_company_name(company);
    v1::CreateCustomerResponse response;
    grpc::Status status =
        Staff("alice")->CreateCustomer(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.installation_credential();
  }

  // Issues the next set of this customer as alice.
  v1::IssuedLicenseSet IssueSet(const Grants& grants) {
    v1::IssueLicenseSetRequest request;
    request.set_serial(serial_);
    request.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
    for (const auto& [name, count] : grants) {
      v1::ModuleGrant* grant = request.add_modules();
      grant->set_module_name(name);
      grant->set_license_number(count);
    }
    v1::IssuedLicenseSet issued;
    grpc::Status status =
        Staff("alice")->IssueLicenseSet(Context().get(), request, &issued);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return issued;
  }
  // Returns the version IssueSet() issued.
  uint64_t Issue(const Grants& grants) { return IssueSet(grants).version(); }

  // The subjects ("serial=... version=N") of this customer's successful
  // AcceptLicenseSet calls, from the authority's audit log.
  std::vector<std::string> Acceptances() {
    v1::ListAuditEventsRequest request;
    request.set_page_size(1000);
    v1::ListAuditEventsResponse response;
    grpc::Status status =
        Staff("audrey")->ListAuditEvents(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> subjects;
    for (const v1::AuditEvent& event : response.events()) {
      if (absl::StrContains(event.method(), "AcceptLicenseSet") &&
          event.result() == "OK" &&
          absl::StrContains(event.subject(), serial_)) {
        subjects.push_back(event.subject());
      }
    }
    return subjects;
  }

  std::string Accepted(uint64_t version) const {
    return absl::StrCat("serial=", serial_, " version=", version);
  }

  AuthorityEndpoint Endpoint() const {
    AuthorityEndpoint endpoint;
    endpoint.target = absl::StrCat("127.0.0.1:", server_->port());
    endpoint.ca_pem = pki_.ca.cert_pem;
    endpoint.credential = credential_;
    endpoint.deadline = absl::Seconds(20);
    return endpoint;
  }

  absl::StatusOr<FetchResult> Fetch(
      const AuthorityEndpoint& endpoint,
      std::vector<CountShortfall>* shortfalls = nullptr) {
    auto fetcher = LicenseFetcher::Connect(endpoint);
    if (!fetcher.ok()) return fetcher.status();
    return (*fetcher)->FetchAndImport(*db_, *importer_, shortfalls);
  }

  std::string Dump() {
    absl::StatusOr<std::string> dump = db_->Dump();
    EXPECT_OK(dump.status());
    return dump.value_or("");
  }

  // Adds associates ann and bob (internal users) and assigns them "user",
  // and ann also `extra` when not empty.
  void AssignUsers(const std::string& extra = "web") {
    {
      ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
      ASSERT_OK(txn->AddAssociate({0, "ann", 1, true}).status());
      ASSERT_OK(txn->AddAssociate({0, "bob", 1, true}).status());
      ASSERT_OK(txn->Commit());
    }
    LicenseAssigner assigner;
    ASSERT_OK(assigner.Assign(*db_, "ann", "user"));
    ASSERT_OK(assigner.Assign(*db_, "bob", "user"));
    if (!extra.empty()) {
      ASSERT_OK(assigner.Assign(*db_, "ann", extra));
    }
  }

  int64_t InstalledVersion() {
    absl::StatusOr<int64_t> version =
        db_->HighestImportedVersion("SUPEROFFICE");
    EXPECT_OK(version.status());
    return version.value_or(-1);
  }

  // No error may show the installation's secret (nor the whole credential).
  void ExpectNoSecret(const absl::Status& status) {
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(secret_)));
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(credential_)));
  }

  TempDir dir_;
  superlicense::testing::TestPki pki_;
  std::unique_ptr<keys::Signer> root_;
  std::unique_ptr<keys::TrustStore> trust_;
  authority::ServerOptions options_;
  std::unique_ptr<authority::AuthorityServer> server_;
  std::string credential_, serial_, secret_;
  std::unique_ptr<LicenseImporter> importer_;
  std::unique_ptr<CrmDatabase> db_;
};

TEST_F(LicenseFetcherTest, FirstFetchImportsAndAccepts) {
  ASSERT_EQ(Issue({{"user", 3}, {"saint", 1}}), 1u);
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  ASSERT_OK_AND_ASSIGN(FetchResult result, Fetch(Endpoint()));
  EXPECT_TRUE(result.modified);
  EXPECT_EQ(result.import.owner_name, "SUPEROFFICE");
  EXPECT_EQ(result.import.version, 1u);
  EXPECT_GE(result.import.modules, 2);
  EXPECT_GE(result.accepted_at, before);
  EXPECT_EQ(InstalledVersion(), 1);
  EXPECT_THAT(Acceptances(), ElementsAre(Accepted(1)));
  // The status tab shows: available, import started, import finished.
  ASSERT_OK_AND_ASSIGN(std::vector<SystemMessage> messages,
                       system_messages::List(*db_, 10));
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[2].operation, "fetch");
  EXPECT_EQ(messages[2].status, "available");
  EXPECT_THAT(messages[2].message, HasSubstr("New licence available"));
  EXPECT_EQ(messages[0].status, "finished");
}

TEST_F(LicenseFetcherTest, SecondFetchIsNotModifiedWritesNothingReportsAgain) {
  Issue({{"user", 3}});
  ASSERT_OK(Fetch(Endpoint()).status());
  const std::string dump = Dump();
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  ASSERT_OK_AND_ASSIGN(FetchResult again, Fetch(Endpoint()));
  EXPECT_FALSE(again.modified);
  EXPECT_GE(again.accepted_at, before);  // the installed version, reported
  EXPECT_EQ(Dump(), dump);
  EXPECT_THAT(Acceptances(), ElementsAre(Accepted(1), Accepted(1)));
}

TEST_F(LicenseFetcherTest, NewerIssuedVersionIsFetchedImportedAndAccepted) {
  Issue({{"user", 3}});
  ASSERT_OK(Fetch(Endpoint()).status());
  ASSERT_EQ(Issue({{"user", 5}, {"web", 2}}), 2u);
  ASSERT_OK_AND_ASSIGN(FetchResult result, Fetch(Endpoint()));
  EXPECT_TRUE(result.modified);
  EXPECT_EQ(result.import.version, 2u);
  ASSERT_OK_AND_ASSIGN(OwnerView owner, db_->GetOwner("SUPEROFFICE"));
  EXPECT_THAT(owner.modules, ::testing::Contains(AllOf(
                                 Field(&ModuleRecord::module_name, "web"),
                                 Field(&ModuleRecord::license_number, 2))));
  EXPECT_THAT(Acceptances(), ElementsAre(Accepted(1), Accepted(2)));
}

TEST_F(LicenseFetcherTest, WrongCredentialIsUnauthenticatedAndWritesNothing) {
  Issue({{"user", 3}});
  const std::string dump = Dump();
  AuthorityEndpoint endpoint = Endpoint();
  endpoint.credential.back() = endpoint.credential.back() == 'a' ? 'b' : 'a';
  absl::Status status = Fetch(endpoint).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated,
                               StartsWith("FetchLicenseSet: ")));
  ExpectNoSecret(status);
  EXPECT_THAT(std::string(status.message()),
              Not(HasSubstr(endpoint.credential.substr(11))));
  EXPECT_EQ(Dump(), dump);
  EXPECT_THAT(Acceptances(), ::testing::IsEmpty());
}

TEST_F(LicenseFetcherTest, AnotherInstallationCannotFetchThisSerial) {
  Issue({{"user", 3}});
  const std::string dump = Dump();
  AuthorityEndpoint endpoint = Endpoint();
  endpoint.credential = NewCustomer("Other AS");
  absl::Status status = Fetch(endpoint).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied,
                               StartsWith("FetchLicenseSet: ")));
  ExpectNoSecret(status);
  EXPECT_THAT(std::string(status.message()),
              Not(HasSubstr(endpoint.credential.substr(11))));
  EXPECT_EQ(Dump(), dump);
}

TEST_F(LicenseFetcherTest, SetBelowAssignedCountIsRejectedAndNotAccepted) {
  Issue({{"user", 3}});
  ASSERT_OK(Fetch(Endpoint()).status());
  ASSERT_NO_FATAL_FAILURE(AssignUsers(""));
  ASSERT_EQ(Issue({{"user", 1}}), 2u);
  const std::string dump = Dump();

  std::vector<CountShortfall> shortfalls;
  absl::Status status = Fetch(Endpoint(), &shortfalls).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("user")));
  ExpectNoSecret(status);
  EXPECT_THAT(shortfalls,
              ElementsAre(AllOf(Field(&CountShortfall::module_name, "user"),
                                Field(&CountShortfall::in_use, 2),
                                Field(&CountShortfall::new_total, 1),
                                Field(&CountShortfall::must_remove, 1))));
  EXPECT_EQ(WithoutJournal(Dump()), WithoutJournal(dump));
  EXPECT_EQ(InstalledVersion(), 1);
  EXPECT_THAT(Acceptances(), ElementsAre(Accepted(1)));
}

TEST_F(LicenseFetcherTest, AuthorityDownIsUnavailable) {
  Issue({{"user", 3}});
  const AuthorityEndpoint endpoint = Endpoint();
  server_->Shutdown(absl::Now() + absl::Seconds(5));
  server_.reset();
  const std::string dump = Dump();
  absl::Status status = Fetch(endpoint).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable,
                               StartsWith("FetchLicenseSet: ")));
  ExpectNoSecret(status);
  EXPECT_EQ(Dump(), dump);
}

TEST_F(LicenseFetcherTest, ServerCertificateFromAnotherCaIsUnavailable) {
  Issue({{"user", 3}});
  AuthorityEndpoint endpoint = Endpoint();
  endpoint.ca_pem = pki_.untrusted_ca.cert_pem;
  const std::string dump = Dump();
  absl::Status status = Fetch(endpoint).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable,
                               StartsWith("FetchLicenseSet: ")));
  ExpectNoSecret(status);
  EXPECT_EQ(Dump(), dump);
  EXPECT_THAT(Acceptances(), ::testing::IsEmpty());
}

TEST_F(LicenseFetcherTest, UninitialisedInstallationIsFailedPrecondition) {
  Issue({{"user", 3}});
  ASSERT_OK_AND_ASSIGN(auto empty,
                       CrmDatabase::Open("sqlite:" + dir_.File("empty.db")));
  ASSERT_OK_AND_ASSIGN(auto fetcher, LicenseFetcher::Connect(Endpoint()));
  EXPECT_THAT(fetcher->FetchAndImport(*empty, *importer_).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("crmlicense init")));
}

TEST_F(LicenseFetcherTest, ConnectNamesTheMissingField) {
  struct Case {
    std::string field;
    AuthorityEndpoint endpoint;
  };
  std::vector<Case> cases(3, Case{"", Endpoint()});
  cases[0].field = "endpoint.target";
  cases[0].endpoint.target.clear();
  cases[1].field = "endpoint.ca_pem";
  cases[1].endpoint.ca_pem.clear();
  cases[2].field = "endpoint.credential";
  cases[2].endpoint.credential.clear();
  for (const Case& c : cases) {
    absl::Status status = LicenseFetcher::Connect(c.endpoint).status();
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr(c.field)));
    ExpectNoSecret(status);
  }
  AuthorityEndpoint bad = Endpoint();
  bad.credential += "\n";
  absl::Status status = LicenseFetcher::Connect(bad).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("endpoint.credential")));
  ExpectNoSecret(status);
}

TEST_F(LicenseFetcherTest,
       AcceptReportsUsagePerModuleWithCredentialAndDeadline) {
  const Grants grants = {{"user", 3}, {"web", 2}, {"saint", 1}};
  Issue(grants);
  ASSERT_OK(Fetch(Endpoint()).status());
  ASSERT_NO_FATAL_FAILURE(AssignUsers());
  const v1::IssuedLicenseSet v2 = IssueSet(grants);
  RecordingAuthority fake(pki_, v2.signed_set(), grpc::Status::OK);
  AuthorityEndpoint endpoint = Endpoint();
  endpoint.target = absl::StrCat("127.0.0.1:", fake.port());
  endpoint.deadline = absl::Seconds(7);

  ASSERT_OK_AND_ASSIGN(FetchResult result, Fetch(endpoint));
  EXPECT_TRUE(result.modified);
  EXPECT_EQ(result.import.version, 2u);
  EXPECT_EQ(result.accepted_at, 1234);
  ASSERT_EQ(fake.fetches.size(), 1u);
  EXPECT_EQ(fake.fetches[0].serial(), serial_);
  EXPECT_EQ(fake.fetches[0].installed_version(), 1u);
  ASSERT_EQ(fake.accepts.size(), 1u);
  EXPECT_EQ(fake.accepts[0].serial(), serial_);
  EXPECT_EQ(fake.accepts[0].version(), 2u);
  std::map<std::string, uint32_t> usage;
  for (const v1::ModuleUsage& entry : fake.accepts[0].usage()) {
    EXPECT_TRUE(usage.emplace(entry.module_name(), entry.in_use()).second)
        << entry.module_name() << " reported twice";
  }
  EXPECT_EQ(usage["user"], 2u);
  EXPECT_EQ(usage["web"], 1u);
  EXPECT_EQ(usage.count("saint"), 1u);
  EXPECT_EQ(usage["saint"], 0u);
  // Every installed module is reported.
  ASSERT_OK_AND_ASSIGN(OwnerView owner, db_->GetOwner("SUPEROFFICE"));
  for (const ModuleRecord& module : owner.modules) {
    EXPECT_EQ(usage.count(module.module_name), 1u) << module.module_name;
  }
  EXPECT_THAT(fake.credentials, ElementsAre(credential_, credential_));
  for (absl::Duration left : fake.deadlines) {
    EXPECT_GT(left, absl::Seconds(1));
    EXPECT_LE(left, absl::Seconds(8));  // gRPC rounds the deadline up
  }
}

TEST_F(LicenseFetcherTest, FailedAcceptSaysTheSetWasImported) {
  Issue({{"user", 3}});
  const v1::IssuedLicenseSet v2 = IssueSet({{"user", 4}});
  // A server that echoes the credential: the client must not pass it on.
  RecordingAuthority fake(
      pki_, v2.signed_set(),
      grpc::Status(grpc::StatusCode::UNAVAILABLE,
                   absl::StrCat("overloaded; you sent ", credential_)));
  AuthorityEndpoint endpoint = Endpoint();
  endpoint.target = absl::StrCat("127.0.0.1:", fake.port());
  absl::Status status = Fetch(endpoint).status();
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("version 2"), HasSubstr("imported"),
                             HasSubstr("AcceptLicenseSet: overloaded"))));
  ExpectNoSecret(status);
  EXPECT_EQ(InstalledVersion(), 2);
}

// The current UTC month, the newest the authority accepts.
std::string ThisMonth() {
  return absl::FormatTime("%Y-%m", absl::Now(), absl::UTCTimeZone());
}

class ReportUsageTest : public LicenseFetcherTest {
 protected:
  // Issues a set including storage: 10000 bytes + 500 per user.
  void IssueWithStorageThreshold() {
    v1::IssueLicenseSetRequest request;
    request.set_serial(serial_);
    request.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
    v1::ModuleGrant* grant = request.add_modules();
    grant->set_module_name("user");
    grant->set_license_number(3);
    v1::MeteredServiceThreshold* storage = request.add_metered_services();
    storage->set_service(v1::METERED_SERVICE_KIND_STORAGE);
    storage->set_base_amount(10000);
    storage->set_per_user_amount(500);
    v1::IssuedLicenseSet issued;
    grpc::Status status =
        Staff("alice")->IssueLicenseSet(Context().get(), request, &issued);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static MonthlyUsageReport Report() {
    MonthlyUsageReport report;
    report.month = ThisMonth();
    report.users = 12;
    report.used = {{"storage", 20000}, {"chat_sessions", 3}};
    return report;
  }

  absl::Status Send(const AuthorityEndpoint& endpoint,
                    const MonthlyUsageReport& report) {
    auto fetcher = LicenseFetcher::Connect(endpoint);
    if (!fetcher.ok()) return fetcher.status();
    return (*fetcher)->ReportUsage(*db_, report);
  }

  // GetUsage of this customer as alice (issuer).
  v1::GetUsageResponse Usage(const std::string& month) {
    v1::GetUsageRequest request;
    request.set_serial(serial_);
    request.set_month(month);
    v1::GetUsageResponse response;
    grpc::Status status =
        Staff("alice")->GetUsage(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
};

TEST_F(ReportUsageTest, SendingTwiceStoresTheSameTotals) {
  ASSERT_NO_FATAL_FAILURE(IssueWithStorageThreshold());
  ASSERT_OK(Send(Endpoint(), Report()));
  v1::GetUsageResponse first = Usage(ThisMonth());
  ASSERT_OK(Send(Endpoint(), Report()));
  v1::GetUsageResponse second = Usage(ThisMonth());
  EXPECT_TRUE(second.reported());
  EXPECT_EQ(second.users(), 12u);
  EXPECT_EQ(second.thresholds_version(), 1u);
  ASSERT_EQ(second.services_size(), 2);
  EXPECT_EQ(second.services(0).service(), v1::METERED_SERVICE_KIND_STORAGE);
  EXPECT_EQ(second.services(0).used(), 20000u);
  EXPECT_EQ(second.services(0).threshold(), 16000u);
  EXPECT_EQ(second.services(0).over(), 4000u);
  EXPECT_EQ(second.services(1).service(),
            v1::METERED_SERVICE_KIND_CHAT_SESSIONS);
  EXPECT_EQ(second.services(1).used(), 3u);
  // Only when it was received may differ.
  first.clear_received_at();
  second.clear_received_at();
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
}

TEST_F(ReportUsageTest, UnknownServiceNameIsNamedAndNothingIsSent) {
  MonthlyUsageReport report = Report();
  report.used["sms"] = 4;
  EXPECT_THAT(
      Send(Endpoint(), report),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"sms\"")));
  EXPECT_FALSE(Usage(ThisMonth()).reported());
}

TEST_F(ReportUsageTest, AuthorityErrorsArePrefixedAndHideTheSecret) {
  MonthlyUsageReport future = Report();
  future.month = "9999-12";
  absl::Status status = Send(Endpoint(), future);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(StartsWith("ReportUsage: "),
                                     HasSubstr("month \"9999-12\""))));
  AuthorityEndpoint wrong = Endpoint();
  wrong.credential.back() = wrong.credential.back() == 'a' ? 'b' : 'a';
  status = Send(wrong, Report());
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated,
                               StartsWith("ReportUsage: ")));
  ExpectNoSecret(status);
  EXPECT_FALSE(Usage(ThisMonth()).reported());
}

TEST_F(ReportUsageTest, UninitialisedInstallationIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(auto empty,
                       CrmDatabase::Open("sqlite:" + dir_.File("empty.db")));
  ASSERT_OK_AND_ASSIGN(auto fetcher, LicenseFetcher::Connect(Endpoint()));
  EXPECT_THAT(fetcher->ReportUsage(*empty, Report()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("crmlicense init")));
}

}  // namespace
}  // namespace superlicense::client
