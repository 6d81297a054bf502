// superlicensed end to end: the real server over TLS on 127.0.0.1 (port 0),
// staff with client certificates, installations with their credential.
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authority/server/authority_server.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "health.grpc.pb.h"
#include "keys/owner_keyring.h"
#include "keys/public_key_file.h"
#include "keys/sealed_keystore.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"
#include "superlicense/v1/authority.grpc.pb.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace superlicense::authority {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::TempDir;
using ::superlicense::testing::WriteFileOrDie;
using ::testing::HasSubstr;

// Fields a message holds that its type does not declare.
int UnknownFieldCount(const google::protobuf::Message& message) {
  return message.GetReflection()->GetUnknownFields(message).field_count();
}

constexpr char kPassphrase[] = "server-test-passphrase";
constexpr char kPrincipals[] = R"({"principals": [
  {"name": "alice", "certificate_common_name": "alice", "roles": ["issuer"]},
  {"name": "audrey", "certificate_common_name": "audrey", "roles": ["auditor"]},
  {"name": "kim", "certificate_common_name": "kim", "roles": ["key-admin"]},
  {"name": "observer", "certificate_common_name": "observer",
   "roles": ["auditor"], "rate_limit_per_minute": 1000000}]})";

// The month the matrix reports and reads usage for.
constexpr char kMatrixMonth[] = "2020-01";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = testing::MakeTestPki(dir_.path(),
                                    {"alice", "audrey", "kim", "observer"});
    ASSERT_OK(pki.status());
    pki_ = *pki;
    MakeKeys();
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
    StartServer();
  }

  void MakeKeys() {
    root_ = *keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519);
    auto owner = keys::CreateSealedKeystore(
        dir_.File("owner.key"), v1::SIGNATURE_ALGORITHM_ED25519, kPassphrase,
        "SUPEROFFICE", keys::Argon2Params{64, 1, 1});
    ASSERT_OK(owner.status());
    v1::OwnerKeyCertificate content;
    content.set_owner_name("SUPEROFFICE");
    *content.mutable_key() = keys::PublicKeyOf(**owner, "");
    content.set_valid_from(absl::ToUnixSeconds(absl::Now()) - 3600);
    content.set_valid_until(absl::ToUnixSeconds(absl::Now()) + 86400 * 365);
    auto certificate = keys::CertifyOwnerKey(*root_, content);
    ASSERT_OK(certificate.status());
    v1::OwnerKeyring keyring;
    keyring.set_owner_name("SUPEROFFICE");
    ASSERT_OK(keys::RotateIn(&keyring, "sealed:" + dir_.File("owner.key"),
                             *certificate, (*owner)->public_key(), 0));
    ASSERT_OK(keys::WriteOwnerKeyring(dir_.File("keyring.json"), keyring));
    v1::TrustBundle bundle;
    bundle.set_version(1);
    bundle.set_threshold(1);
    *bundle.add_root_keys() = keys::PublicKeyOf(*root_, "root");
    auto signed_bundle = keys::SignTrustBundle(*root_, bundle);
    ASSERT_OK(signed_bundle.status());
    WriteFileOrDie(dir_.File("trust.bundle"),
                   signed_bundle->SerializeAsString());
    trust_ = std::make_unique<keys::TrustStore>(
        *keys::TrustStore::FromAnchor(*signed_bundle));
  }

  void StartServer() {
    auto server = AuthorityServer::Start(options_, &SystemClock::Get());
    ASSERT_OK(server.status());
    server_ = *std::move(server);
  }

  // A stub as staff member `name` (client certificate) or, with an empty
  // name, with no certificate.
  std::unique_ptr<v1::SuperLicense::Stub> Stub(const std::string& name) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pki_.ca.cert_pem;
    if (!name.empty()) {
      ssl.pem_cert_chain = pki_.clients.at(name).cert_pem;
      ssl.pem_private_key = pki_.clients.at(name).key_pem;
    }
    return v1::SuperLicense::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::SslCredentials(ssl)));
  }

  // A stub presenting `client` as its certificate.
  std::unique_ptr<v1::SuperLicense::Stub> StubWith(
      const testing::CertificateFiles* client) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pki_.ca.cert_pem;
    ssl.pem_cert_chain = client->cert_pem;
    ssl.pem_private_key = client->key_pem;
    return v1::SuperLicense::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::SslCredentials(ssl)));
  }

  // A stub without TLS, to the TLS port.
  std::unique_ptr<v1::SuperLicense::Stub> PlaintextStub() {
    return v1::SuperLicense::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials()));
  }

  static std::unique_ptr<grpc::ClientContext> Context(
      const std::string& credential = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(20));
    if (!credential.empty()) {
      context->AddMetadata("x-superlicense-credential", credential);
    }
    return context;
  }

  // Creates a customer as alice; returns its credential.
  std::string NewCustomer(const std::string& company) {
    v1::CreateCustomerRequest request;
    request.set_company_name(company);
    v1::CreateCustomerResponse response;
    grpc::Status status =
        Stub("alice")->CreateCustomer(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.installation_credential();
  }

  // What callers can see of the store, read through the service's own RPCs
  // as "observer" (an auditor without a practical rate limit): customers,
  // every version of their sets (with revocations), their usage of
  // kMatrixMonth, the catalogue, the keys, and the whole audit log. One line
  // per record, so a difference shows which record changed; a read that
  // fails shows as a line too.
  std::string ObservableState() {
    if (observer_ == nullptr) observer_ = Stub("observer");
    std::vector<std::string> lines;
    auto failed = [&](const std::string& what, const grpc::Status& status) {
      lines.push_back(absl::StrCat(what, " failed: ", status.error_code(), " ",
                                   status.error_message()));
    };
    std::vector<std::string> serials;
    v1::ListCustomersRequest customers;
    customers.set_page_size(1000);
    do {
      v1::ListCustomersResponse page;
      grpc::Status status =
          observer_->ListCustomers(Context().get(), customers, &page);
      if (!status.ok()) {
        failed("ListCustomers", status);
        break;
      }
      for (const v1::CustomerRecord& record : page.customers()) {
        serials.push_back(record.customer().serial());
        lines.push_back(absl::StrCat("customer ", record.ShortDebugString()));
      }
      customers.set_page_token(page.next_page_token());
    } while (!customers.page_token().empty());
    for (const std::string& serial : serials) AddSetsAndUsage(serial, &lines);
    v1::ListCatalogResponse catalog;
    grpc::Status status = observer_->ListCatalog(Context().get(), {}, &catalog);
    if (!status.ok()) failed("ListCatalog", status);
    for (const v1::CatalogEntry& entry : catalog.entries()) {
      lines.push_back(absl::StrCat("catalog ", entry.ShortDebugString()));
    }
    v1::ListKeysResponse keys;
    status = observer_->ListKeys(Context().get(), {}, &keys);
    if (!status.ok()) failed("ListKeys", status);
    for (const v1::KeyRecord& key : keys.keys()) {
      lines.push_back(absl::StrCat("key ", key.key().key_id(), " ",
                                   v1::KeyState_Name(key.state())));
    }
    AddAudit(&lines);
    return Joined(lines);
  }

  void AddSetsAndUsage(const std::string& serial,
                       std::vector<std::string>* lines) {
    v1::ListLicenseSetsRequest sets;
    sets.set_serial(serial);
    sets.set_page_size(1000);
    v1::ListLicenseSetsResponse listed;
    grpc::Status status =
        observer_->ListLicenseSets(Context().get(), sets, &listed);
    if (!status.ok()) {
      lines->push_back(absl::StrCat("ListLicenseSets ", serial,
                                    " failed: ", status.error_message()));
    }
    for (const v1::IssuedLicenseSet& set : listed.sets()) {
      lines->push_back(absl::StrCat(
          "set ", set.serial(), " v", set.version(), " revoked_at ",
          set.revoked_at(), " \"", set.revocation_reason(), "\" payload ",
          std::hash<std::string>{}(set.signed_set().SerializeAsString())));
    }
    v1::GetUsageRequest usage;
    usage.set_serial(serial);
    usage.set_month(kMatrixMonth);
    v1::GetUsageResponse reported;
    status = observer_->GetUsage(Context().get(), usage, &reported);
    lines->push_back(status.ok()
                         ? absl::StrCat("usage ", reported.ShortDebugString())
                         : absl::StrCat("GetUsage ", serial,
                                        " failed: ", status.error_message()));
  }

  // Every audit event, and whether the chain over them is intact.
  void AddAudit(std::vector<std::string>* lines) {
    v1::ListAuditEventsRequest request;
    request.set_from_sequence(1);
    request.set_page_size(1000);
    for (;;) {
      v1::ListAuditEventsResponse page;
      grpc::Status status =
          observer_->ListAuditEvents(Context().get(), request, &page);
      if (!status.ok()) {
        lines->push_back(
            absl::StrCat("ListAuditEvents failed: ", status.error_message()));
        break;
      }
      for (const v1::AuditEvent& event : page.events()) {
        lines->push_back(absl::StrCat(
            "audit ", event.sequence(), " ", event.principal(), " ",
            event.method(), " ", event.subject(), " ", event.result()));
      }
      if (page.events_size() < 1000) break;
      request.set_from_sequence(request.from_sequence() + 1000);
    }
    v1::VerifyAuditChainResponse chain;
    grpc::Status status =
        observer_->VerifyAuditChain(Context().get(), {}, &chain);
    lines->push_back(
        status.ok() ? absl::StrCat("audit chain ", chain.ShortDebugString())
                    : absl::StrCat("VerifyAuditChain failed: ",
                                   status.error_message()));
  }

  static std::string Joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) absl::StrAppend(&out, line, "\n");
    return out;
  }

  v1::IssueLicenseSetRequest IssueRequest(const std::string& serial) {
    v1::IssueLicenseSetRequest request;
    request.set_serial(serial);
    request.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
    for (auto [name, count] : std::vector<std::pair<std::string, int>>{
             {"ten-sales-premium", 10}, {"user", 2}, {"saint", 1}}) {
      v1::ModuleGrant* grant = request.add_modules();
      grant->set_module_name(name);
      grant->set_license_number(count);
    }
    return request;
  }

  TempDir dir_;
  testing::TestPki pki_;
  std::unique_ptr<keys::Signer> root_;
  std::unique_ptr<keys::TrustStore> trust_;
  ServerOptions options_;
  std::unique_ptr<AuthorityServer> server_;
  std::unique_ptr<v1::SuperLicense::Stub> observer_;  // ObservableState
};

TEST_F(ServerTest, IssueFetchVerifyAcceptOverTls) {
  const std::string credential = NewCustomer("Demo Company AS");
  const std::string serial = credential.substr(0, 10);
  v1::IssuedLicenseSet issued;
  ASSERT_TRUE(
      Stub("alice")
          ->IssueLicenseSet(Context().get(), IssueRequest(serial), &issued)
          .ok());
  EXPECT_EQ(issued.version(), 1u);

  // The installation: TLS without a client certificate, its credential.
  auto installation = Stub("");
  v1::FetchLicenseSetRequest fetch;
  fetch.set_serial(serial);
  v1::FetchLicenseSetResponse fetched;
  grpc::Status status =
      installation->FetchLicenseSet(Context(credential).get(), fetch, &fetched);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(fetched.modified());
  ASSERT_OK_AND_ASSIGN(
      keys::VerifiedLicenseSet verified,
      trust_->VerifyLicenseSet(fetched.signed_set(), absl::Now()));
  EXPECT_EQ(verified.set.customer().company_name(), "Demo Company AS");
  // The service sends the set in the bytes it was stored as: it arrives as
  // issued, every field known to the client.
  EXPECT_EQ(fetched.signed_set().SerializeAsString(),
            issued.signed_set().SerializeAsString());
  EXPECT_EQ(UnknownFieldCount(fetched), 0);
  EXPECT_EQ(UnknownFieldCount(fetched.signed_set()), 0);
  // With version 1 installed there is nothing newer: an empty answer.
  fetch.set_installed_version(1);
  v1::FetchLicenseSetResponse not_modified;
  status = installation->FetchLicenseSet(Context(credential).get(), fetch,
                                         &not_modified);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(not_modified.ByteSizeLong(), 0u);
  fetch.set_installed_version(0);

  v1::AcceptLicenseSetRequest accept;
  accept.set_serial(serial);
  accept.set_version(1);
  v1::AcceptLicenseSetResponse accepted;
  EXPECT_TRUE(
      installation
          ->AcceptLicenseSet(Context(credential).get(), accept, &accepted)
          .ok());

  // Another customer's credential cannot fetch this serial.
  const std::string other = NewCustomer("Other AS");
  EXPECT_EQ(installation->FetchLicenseSet(Context(other).get(), fetch, &fetched)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A wrong secret is unauthenticated.
  std::string wrong = credential;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(installation->FetchLicenseSet(Context(wrong).get(), fetch, &fetched)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// Every RPC of the service as every kind of caller: allowed ones get past
// authorization (any code but PERMISSION_DENIED/UNAUTHENTICATED), the rest
// are refused with the caller's exact code and change nothing a caller can
// observe. Refusals by the role table are not audited (the handler refuses
// before the authority runs), so the audit log stays as it was too.
TEST_F(ServerTest, EveryRpcAndRoleIsAuthorizedByTheRoleTable) {
  const std::string credential = NewCustomer("Matrix AS");
  const std::string serial = credential.substr(0, 10);
  // A second customer with a set, so refused calls have something to change.
  const std::string other = NewCustomer("Matrix Other AS").substr(0, 10);
  v1::IssuedLicenseSet issued;
  ASSERT_TRUE(
      Stub("alice")
          ->IssueLicenseSet(Context().get(), IssueRequest(other), &issued)
          .ok());
  ASSERT_OK_AND_ASSIGN(
      testing::RefusedClientCertificates refused,
      testing::MakeRefusedClientCertificates(dir_.path(), pki_, "alice"));
  constexpr grpc::StatusCode kDenied = grpc::StatusCode::PERMISSION_DENIED;
  constexpr grpc::StatusCode kNoPrincipal = grpc::StatusCode::UNAUTHENTICATED;
  constexpr grpc::StatusCode kNoTls = grpc::StatusCode::UNAVAILABLE;
  struct Who {
    std::string name;
    std::unique_ptr<v1::SuperLicense::Stub> stub;
    std::string credential;
    grpc::StatusCode refusal;  // the code of every call it may not make
  };
  std::vector<Who> callers;
  for (const char* name : {"alice", "audrey", "kim"}) {
    callers.push_back({name, Stub(name), "", kDenied});
  }
  callers.push_back({"installation", Stub(""), credential, kDenied});
  callers.push_back({"anonymous", Stub(""), "", kNoPrincipal});
  // Refused in the TLS handshake, before any principal is looked up, so
  // alice's name and a valid credential do not help (see
  // auth_end_to_end_test.cc).
  callers.push_back({"expired-alice", StubWith(&refused.expired), "", kNoTls});
  callers.push_back(
      {"self-signed-alice", StubWith(&refused.self_signed), "", kNoTls});
  callers.push_back({"plaintext", PlaintextStub(), credential, kNoTls});

  using Call = std::function<grpc::Status(v1::SuperLicense::Stub&,
                                          grpc::ClientContext*)>;
  const std::map<std::string, std::pair<Call, std::set<std::string>>> rpcs = {
      {"CreateCustomer",
       {[&](auto& s, auto* c) {
          v1::CreateCustomerRequest r;
          r.set_company_name("X");
          v1::CreateCustomerResponse o;
          return s.CreateCustomer(c, r, &o);
        },
        {"alice"}}},
      {"GetCustomer",
       {[&](auto& s, auto* c) {
          v1::GetCustomerRequest r;
          r.set_serial(serial);
          v1::CustomerRecord o;
          return s.GetCustomer(c, r, &o);
        },
        {"alice", "audrey"}}},
      {"ListCustomers",
       {[&](auto& s, auto* c) {
          v1::ListCustomersRequest r;
          v1::ListCustomersResponse o;
          return s.ListCustomers(c, r, &o);
        },
        {"alice", "audrey"}}},
      {"RenameCustomer",
       {[&](auto& s, auto* c) {
          v1::RenameCustomerRequest r;
          r.set_serial(serial);
          r.set_company_name("Y");
          v1::CustomerRecord o;
          return s.RenameCustomer(c, r, &o);
        },
        {"alice"}}},
      {"IssueLicenseSet",
       {[&](auto& s, auto* c) {
          v1::IssuedLicenseSet o;
          return s.IssueLicenseSet(c, IssueRequest(serial), &o);
        },
        {"alice"}}},
      {"GetLicenseSet",
       {[&](auto& s, auto* c) {
          v1::GetLicenseSetRequest r;
          r.set_serial(serial);
          r.set_version(1);
          v1::IssuedLicenseSet o;
          return s.GetLicenseSet(c, r, &o);
        },
        {"alice", "audrey"}}},
      {"ListLicenseSets",
       {[&](auto& s, auto* c) {
          v1::ListLicenseSetsRequest r;
          r.set_serial(serial);
          v1::ListLicenseSetsResponse o;
          return s.ListLicenseSets(c, r, &o);
        },
        {"alice", "audrey"}}},
      {"RevokeLicenseSet",
       {[&](auto& s, auto* c) {
          v1::RevokeLicenseSetRequest r;
          r.set_serial(serial);
          r.set_version(99);
          r.set_reason("z");
          v1::IssuedLicenseSet o;
          return s.RevokeLicenseSet(c, r, &o);
        },
        {"alice"}}},
      {"FetchLicenseSet",
       {[&](auto& s, auto* c) {
          v1::FetchLicenseSetRequest r;
          r.set_serial(serial);
          v1::FetchLicenseSetResponse o;
          return s.FetchLicenseSet(c, r, &o);
        },
        {"installation"}}},
      {"AcceptLicenseSet",
       {[&](auto& s, auto* c) {
          v1::AcceptLicenseSetRequest r;
          r.set_serial(serial);
          r.set_version(99);
          v1::AcceptLicenseSetResponse o;
          return s.AcceptLicenseSet(c, r, &o);
        },
        {"installation"}}},
      {"ReportUsage",
       {[&](auto& s, auto* c) {
          v1::ReportUsageRequest r;
          r.set_serial(serial);
          r.set_month("2020-01");
          v1::ReportUsageResponse o;
          return s.ReportUsage(c, r, &o);
        },
        {"installation"}}},
      {"GetUsage",
       {[&](auto& s, auto* c) {
          v1::GetUsageRequest r;
          r.set_serial(serial);
          r.set_month("2020-01");
          v1::GetUsageResponse o;
          return s.GetUsage(c, r, &o);
        },
        {"alice", "audrey"}}},
      {"GetTrustBundle",
       {[&](auto& s, auto* c) {
          v1::GetTrustBundleRequest r;
          v1::SignedTrustBundle o;
          return s.GetTrustBundle(c, r, &o);
        },
        {"alice", "audrey", "kim", "installation"}}},
      {"ListKeys",
       {[&](auto& s, auto* c) {
          v1::ListKeysRequest r;
          v1::ListKeysResponse o;
          return s.ListKeys(c, r, &o);
        },
        {"audrey", "kim"}}},
      {"ListAuditEvents",
       {[&](auto& s, auto* c) {
          v1::ListAuditEventsRequest r;
          v1::ListAuditEventsResponse o;
          return s.ListAuditEvents(c, r, &o);
        },
        {"audrey"}}},
      {"VerifyAuditChain",
       {[&](auto& s, auto* c) {
          v1::VerifyAuditChainRequest r;
          v1::VerifyAuditChainResponse o;
          return s.VerifyAuditChain(c, r, &o);
        },
        {"audrey"}}},
      {"ListCatalog",
       {[&](auto& s, auto* c) {
          v1::ListCatalogRequest r;
          v1::ListCatalogResponse o;
          return s.ListCatalog(c, r, &o);
        },
        {"alice", "audrey"}}},
      {"PutCatalogEntry",
       {[&](auto& s, auto* c) {
          v1::CatalogEntry r;
          v1::CatalogEntry o;
          return s.PutCatalogEntry(c, r, &o);
        },
        {"alice"}}},
      {"CreateBackup",
       {[&](auto& s, auto* c) {
          v1::CreateBackupRequest r;
          v1::CreateBackupResponse o;
          return s.CreateBackup(c, r, &o);
        },
        {"kim"}}},
  };
  // Every RPC of the descriptor is in this matrix.
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "superlicense.v1.SuperLicense");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(static_cast<size_t>(service->method_count()), rpcs.size());
  for (int i = 0; i < service->method_count(); ++i) {
    EXPECT_TRUE(rpcs.count(service->method(i)->name()))
        << service->method(i)->name();
  }
  std::string state = ObservableState();
  ASSERT_THAT(state, HasSubstr("set " + other + " v1 "));
  int refusals = 0;
  for (const auto& [rpc, entry] : rpcs) {
    for (Who& who : callers) {
      grpc::Status status =
          entry.first(*who.stub, Context(who.credential).get());
      const std::string call =
          absl::StrCat(rpc, " as ", who.name, ": ", status.error_code(), " ",
                       status.error_message());
      if (entry.second.count(who.name) != 0) {
        EXPECT_NE(status.error_code(), kDenied) << call;
        EXPECT_NE(status.error_code(), kNoPrincipal) << call;
        EXPECT_NE(status.error_code(), kNoTls) << call;
        state = ObservableState();  // an allowed call may change it
        continue;
      }
      ++refusals;
      EXPECT_EQ(status.error_code(), who.refusal) << call;
      const std::string after = ObservableState();
      EXPECT_EQ(after, state) << call;
      state = after;
    }
  }
  size_t allowed = 0;
  for (const auto& [rpc, entry] : rpcs) allowed += entry.second.size();
  EXPECT_EQ(static_cast<size_t>(refusals),
            rpcs.size() * callers.size() - allowed);
  EXPECT_GE(refusals, 100);
}

TEST_F(ServerTest, StateSurvivesAGracefulRestart) {
  const std::string serial = NewCustomer("Restart AS").substr(0, 10);
  v1::IssuedLicenseSet issued;
  ASSERT_TRUE(
      Stub("alice")
          ->IssueLicenseSet(Context().get(), IssueRequest(serial), &issued)
          .ok());
  server_->Shutdown(absl::Now() + absl::Seconds(5));
  server_.reset();
  StartServer();
  ASSERT_TRUE(
      Stub("alice")
          ->IssueLicenseSet(Context().get(), IssueRequest(serial), &issued)
          .ok());
  EXPECT_EQ(issued.version(), 2u);
  v1::VerifyAuditChainResponse chain;
  ASSERT_TRUE(
      Stub("audrey")->VerifyAuditChain(Context().get(), {}, &chain).ok());
  EXPECT_TRUE(chain.intact());
  EXPECT_GE(chain.events_checked(), 3u);
}

TEST_F(ServerTest, InstallationRateLimitComesFromTheOptions) {
  server_->Shutdown(absl::Now() + absl::Seconds(5));
  server_.reset();
  options_.installation_rate_limit_per_minute = 3;
  StartServer();
  const std::string credential = NewCustomer("Limited AS");
  v1::FetchLicenseSetRequest fetch;
  fetch.set_serial(credential.substr(0, 10));
  v1::FetchLicenseSetResponse fetched;
  auto installation = Stub("");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(
        installation
            ->FetchLicenseSet(Context(credential).get(), fetch, &fetched)
            .ok());
  }
  const grpc::Status limited =
      installation->FetchLicenseSet(Context(credential).get(), fetch, &fetched);
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(), HasSubstr("rate limit of 3 calls"));
  // Staff keep their own limits.
  EXPECT_FALSE(NewCustomer("Staff Unaffected AS").empty());
}

TEST_F(ServerTest, BackupRestoresTheAuthority) {
  server_.reset();
  options_.backup_dir = dir_.File("backups");
  std::filesystem::create_directories(options_.backup_dir);
  StartServer();
  const std::string serial = NewCustomer("Backup AS").substr(0, 10);
  v1::IssuedLicenseSet issued;
  ASSERT_TRUE(
      Stub("alice")
          ->IssueLicenseSet(Context().get(), IssueRequest(serial), &issued)
          .ok());
  v1::CreateBackupResponse backup;
  grpc::Status status = Stub("kim")->CreateBackup(Context().get(), {}, &backup);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(
      Stub("alice")
          ->IssueLicenseSet(Context().get(), IssueRequest(serial), &issued)
          .ok());
  EXPECT_EQ(issued.version(), 2u);

  // Restore: a server on the backup sees version 1 as the newest.
  server_->Shutdown(absl::Now() + absl::Seconds(5));
  server_.reset();
  options_.data_dir = backup.path();
  StartServer();
  v1::GetCustomerRequest get;
  get.set_serial(serial);
  v1::CustomerRecord record;
  ASSERT_TRUE(Stub("audrey")->GetCustomer(Context().get(), get, &record).ok());
  EXPECT_EQ(record.newest_version(), 1u);
  v1::VerifyAuditChainResponse chain;
  ASSERT_TRUE(
      Stub("audrey")->VerifyAuditChain(Context().get(), {}, &chain).ok());
  EXPECT_TRUE(chain.intact());
}

TEST_F(ServerTest, PartnerCatalogueEntryCanBeIssued) {
  v1::CatalogEntry entry;
  entry.set_owner_name("SUPEROFFICE");
  entry.mutable_module()->set_module_name("acme-connector");
  entry.mutable_module()->set_description("ACME connector");
  entry.mutable_module()->set_license_type(v1::LICENSE_TYPE_SYSTEM);
  entry.mutable_module()->set_sort_order(1990);
  v1::CatalogEntry stored;
  grpc::Status status =
      Stub("alice")->PutCatalogEntry(Context().get(), entry, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string serial = NewCustomer("Connector AS").substr(0, 10);
  v1::IssueLicenseSetRequest request = IssueRequest(serial);
  v1::ModuleGrant* grant = request.add_modules();
  grant->set_module_name("acme-connector");
  grant->set_license_number(1);
  v1::IssuedLicenseSet issued;
  status = Stub("alice")->IssueLicenseSet(Context().get(), request, &issued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // It survives a restart (stored beside the shipped catalogue).
  server_->Shutdown(absl::Now() + absl::Seconds(5));
  server_.reset();
  StartServer();
  status = Stub("alice")->IssueLicenseSet(Context().get(), request, &issued);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServerTest, BadRequestNamesTheField) {
  const std::string serial = NewCustomer("Bad AS").substr(0, 10);
  v1::IssueLicenseSetRequest request = IssueRequest(serial);
  request.mutable_modules(0)->set_module_name("x\"; DROP TABLE customers;--");
  v1::IssuedLicenseSet issued;
  grpc::Status status =
      Stub("alice")->IssueLicenseSet(Context().get(), request, &issued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("modules[0].module_name"));
}

TEST_F(ServerTest, RotatedOwnerKeySignsAfterReloadWithoutRestart) {
  const std::string serial = NewCustomer("Rotation AS").substr(0, 10);
  v1::IssuedLicenseSet before;
  ASSERT_TRUE(
      Stub("alice")
          ->IssueLicenseSet(Context().get(), IssueRequest(serial), &before)
          .ok());
  // A new certified key rotated into the keyring.
  auto next = keys::CreateSealedKeystore(
      dir_.File("owner2.key"), v1::SIGNATURE_ALGORITHM_ED25519, kPassphrase,
      "SUPEROFFICE", keys::Argon2Params{64, 1, 1});
  ASSERT_OK(next.status());
  v1::OwnerKeyCertificate content;
  content.set_owner_name("SUPEROFFICE");
  *content.mutable_key() = keys::PublicKeyOf(**next, "");
  content.set_valid_from(absl::ToUnixSeconds(absl::Now()) - 3600);
  content.set_valid_until(absl::ToUnixSeconds(absl::Now()) + 86400 * 365);
  auto certificate = keys::CertifyOwnerKey(*root_, content);
  ASSERT_OK(certificate.status());
  auto keyring = keys::ReadOwnerKeyring(dir_.File("keyring.json"));
  ASSERT_OK(keyring.status());
  ASSERT_OK(keys::RotateIn(&*keyring, "sealed:" + dir_.File("owner2.key"),
                           *certificate, (*next)->public_key(), 1));
  ASSERT_OK(keys::WriteOwnerKeyring(dir_.File("keyring.json"), *keyring));

  ASSERT_OK(server_->ReloadSigningKey(options_));
  v1::IssuedLicenseSet after;
  ASSERT_TRUE(
      Stub("alice")
          ->IssueLicenseSet(Context().get(), IssueRequest(serial), &after)
          .ok());
  EXPECT_EQ(after.signed_set().signatures(0).key_id(), (*next)->key_id());
  EXPECT_NE(before.signed_set().signatures(0).key_id(), (*next)->key_id());
  // Both verify: the old key is verify-only, its sets stay valid.
  EXPECT_OK(
      trust_->VerifyLicenseSet(before.signed_set(), absl::Now()).status());
  EXPECT_OK(trust_->VerifyLicenseSet(after.signed_set(), absl::Now()).status());
  v1::ListKeysResponse listed;
  ASSERT_TRUE(Stub("kim")->ListKeys(Context().get(), {}, &listed).ok());
  ASSERT_EQ(listed.keys_size(), 2);
  EXPECT_EQ(listed.keys(0).state(), v1::KEY_STATE_VERIFY_ONLY);
  EXPECT_EQ(listed.keys(1).state(), v1::KEY_STATE_ACTIVE);

  // A broken keyring leaves the key in use.
  WriteFileOrDie(dir_.File("keyring.json"), "{ not json");
  EXPECT_FALSE(server_->ReloadSigningKey(options_).ok());
  ASSERT_TRUE(
      Stub("alice")
          ->IssueLicenseSet(Context().get(), IssueRequest(serial), &after)
          .ok());
  EXPECT_EQ(after.signed_set().signatures(0).key_id(), (*next)->key_id());
}

TEST_F(ServerTest, HealthServiceAnswersWithoutCredentials) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pki_.ca.cert_pem;
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl)));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(ServerOptionsTest, RefusesNonLoopbackWithoutTls) {
  EXPECT_OK(CheckLoopback("127.0.0.1:0"));
  EXPECT_OK(CheckLoopback("localhost:8443"));
  EXPECT_OK(CheckLoopback("[::1]:8443"));
  EXPECT_THAT(CheckLoopback("0.0.0.0:8443"),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("TLS")));
  EXPECT_THAT(CheckLoopback("10.0.0.1:8443"),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CheckLoopback("nonsense"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace superlicense::authority
