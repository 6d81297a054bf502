// Bad input for every field of every request of the SuperLicense service, on
// the in-process LicenseAuthority over a real RocksDB store.
//
// Cases() lists, per RPC and field path (nested fields joined with "."), the
// bad values and the answer: INVALID_ARGUMENT for a value that breaks the
// field's rule; NOT_FOUND where the value is well-formed but names nothing
// stored (a serial with a valid check digit and no customer, a version never
// issued); a few other codes where the value is well-formed but conflicts
// with what is stored (named in the case). NoBadValue() lists the fields
// where every value is valid, with the reason. The message must name the
// field and show the bad value. Nothing may be stored: customers, their sets
// and newest versions, usage, the catalogue and the credential hashes are
// the same afterwards, and the audit log has grown by exactly the one event
// of the failed call when the RPC is a mutating one (LicenseAuthority audits
// failed mutating calls), by none otherwise.
//
// EveryFieldHasABadInputCase walks the request descriptors, so a field added
// to authority.proto fails the test until it has a case here.
#include <algorithm>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "authority/service/license_authority.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "keys/public_key_file.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"
#include "superlicense/v1/authority.pb.h"
#include "tests/support/fake_clock.h"
#include "tests/support/signing_identity.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::authority {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::superlicense::testing::FakeClock;
using ::superlicense::testing::MakeTestSigningIdentity;
using ::superlicense::testing::TempDir;
using ::superlicense::testing::TestSigningIdentity;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1800000000;  // 2027-01-15T08:00:00Z
constexpr int64_t kYear = 365 * 86400;
constexpr int64_t kMaxDate = 253402300799;  // 9999-12-31T23:59:59Z
constexpr char kOwner[] = "SUPEROFFICE";
constexpr char kSerialA[] = "1010000014";       // sets v1 (revoked), v2
constexpr char kSerialB[] = "1010000024";       // no sets
constexpr char kAbsentSerial[] = "1010099994";  // valid check digit, no one
constexpr char kBadCheckDigit[] = "1010000015";
constexpr char kSeedIdempotencyKey[] = "seed-issue-1";

const Caller kIssuer{"alice", RoleSet{Role::kIssuer}, ""};
const Caller kAuditor{"audrey", RoleSet{Role::kAuditor}, ""};
const Caller kInstallationA{"installation:1010000014",
                            RoleSet{Role::kInstallation}, kSerialA};

v1::ModuleGrant Grant(const std::string& name, uint32_t count) {
  v1::ModuleGrant grant;
  grant.set_module_name(name);
  grant.set_license_number(count);
  return grant;
}

v1::IssueLicenseSetRequest ValidIssue(const std::string& serial) {
  v1::IssueLicenseSetRequest request;
  request.set_serial(serial);
  request.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
  *request.add_modules() = Grant("ten-sales-premium", 10);
  *request.add_modules() = Grant("user", 5);
  request.set_expiration(kNow + kYear);
  request.set_grace_to(kNow + kYear + 30 * 86400);
  request.set_maintenance_to(kNow + kYear);
  request.set_next_check_date(kNow + 30 * 86400);
  request.set_admin_warning_date(kNow + kYear - 30 * 86400);
  v1::MeteredServiceThreshold* storage = request.add_metered_services();
  storage->set_service(v1::METERED_SERVICE_KIND_STORAGE);
  storage->set_base_amount(1 << 30);
  storage->set_per_user_amount(1 << 20);
  return request;
}

// A new partner-style entry that the catalogue accepts.
v1::CatalogEntry ValidCatalogEntry() {
  v1::CatalogEntry entry;
  entry.set_owner_name(kOwner);
  v1::ModuleLicense* module = entry.mutable_module();
  module->set_module_name("acme-connector");
  module->set_description("ACME connector");
  module->set_tooltip("Synchronises ACME");
  module->set_license_type(v1::LICENSE_TYPE_SYSTEM);
  module->set_sort_order(1990);
  return entry;
}

// The authority over a fresh store, with two customers, two sets of A (v1
// revoked, issued with an idempotency key), and a usage report of A.
struct Environment {
  TempDir dir;
  FakeClock clock{absl::FromUnixSeconds(kNow)};
  std::unique_ptr<AuthorityStore> store;
  std::unique_ptr<LicenseAuthority> authority;

  absl::Status Open() {
    absl::StatusOr<std::unique_ptr<AuthorityStore>> opened =
        AuthorityStore::Open(dir.File("db"), &clock);
    if (!opened.ok()) return opened.status();
    store = *std::move(opened);
    absl::StatusOr<Catalog> catalog = Catalog::LoadFile(kDefaultCatalogPath);
    if (!catalog.ok()) return catalog.status();
    absl::StatusOr<TestSigningIdentity> made = MakeTestSigningIdentity(kNow);
    if (!made.ok()) return made.status();
    SigningIdentity identity = std::move(made->identity);
    authority = std::make_unique<LicenseAuthority>(
        store.get(), *std::move(catalog), std::move(identity), &clock);
    return Seed();
  }

  absl::Status Seed() {
    for (const char* company : {"Company A AS", "Company B AS"}) {
      v1::CreateCustomerRequest create;
      create.set_company_name(company);
      absl::Status created =
          authority->CreateCustomer(kIssuer, create).status();
      if (!created.ok()) return created;
    }
    v1::IssueLicenseSetRequest issue = ValidIssue(kSerialA);
    issue.set_idempotency_key(kSeedIdempotencyKey);
    absl::Status status = authority->IssueLicenseSet(kIssuer, issue).status();
    if (!status.ok()) return status;
    status = authority->IssueLicenseSet(kIssuer, ValidIssue(kSerialA)).status();
    if (!status.ok()) return status;
    v1::RevokeLicenseSetRequest revoke;
    revoke.set_serial(kSerialA);
    revoke.set_version(1);
    revoke.set_reason("replaced");
    status = authority->RevokeLicenseSet(kIssuer, revoke).status();
    if (!status.ok()) return status;
    v1::ReportUsageRequest report;
    report.set_serial(kSerialA);
    report.set_month("2027-01");
    report.set_users(7);
    v1::ServiceUsage* used = report.add_usage();
    used->set_service(v1::METERED_SERVICE_KIND_STORAGE);
    used->set_used(1 << 20);
    return authority->ReportUsage(kInstallationA, report).status();
  }

  // Everything stored but the audit log, one record a line.
  std::string Records() const {
    std::vector<std::string> lines;
    auto add = [&](const std::string& what, const absl::Status& status) {
      lines.push_back(absl::StrCat(what, " failed: ", status.ToString()));
    };
    absl::StatusOr<std::string> highest = store->HighestSerial();
    lines.push_back(
        absl::StrCat("highest serial ", highest.ok() ? *highest : "?"));
    absl::StatusOr<std::vector<v1::CustomerRecord>> customers =
        store->ListCustomers("", 100000);
    if (!customers.ok()) add("ListCustomers", customers.status());
    std::vector<std::string> serials = {kAbsentSerial};
    for (const v1::CustomerRecord& record :
         customers.value_or(std::vector<v1::CustomerRecord>())) {
      serials.push_back(record.customer().serial());
    }
    for (const std::string& serial : serials) {
      absl::StatusOr<StoredCustomer> customer = store->GetCustomer(serial);
      lines.push_back(
          customer.ok()
              ? absl::StrCat("customer ", customer->ShortDebugString())
              : absl::StrCat("customer ", serial, " ",
                             customer.status().ToString()));
      absl::StatusOr<uint64_t> newest = store->NewestVersion(kOwner, serial);
      lines.push_back(
          absl::StrCat("newest ", serial, " ", newest.ok() ? *newest : 999999));
      absl::StatusOr<std::vector<v1::IssuedLicenseSet>> sets =
          store->ListSets(kOwner, serial, 0, 100000);
      if (!sets.ok()) add("ListSets", sets.status());
      for (const v1::IssuedLicenseSet& set :
           sets.value_or(std::vector<v1::IssuedLicenseSet>())) {
        lines.push_back(absl::StrCat(
            "set ", set.serial(), " v", set.version(), " revoked_at ",
            set.revoked_at(), " reason ", set.revocation_reason(), " bytes ",
            std::hash<std::string>{}(set.signed_set().SerializeAsString())));
      }
      for (const char* month : {"2026-12", "2027-01", "2027-02"}) {
        absl::StatusOr<std::optional<StoredUsage>> usage =
            store->GetUsage(kOwner, serial, month);
        if (usage.ok() && usage->has_value()) {
          lines.push_back(absl::StrCat("usage ", serial, " ",
                                       (*usage)->ShortDebugString()));
        }
      }
    }
    absl::StatusOr<std::vector<v1::CatalogEntry>> added =
        store->ListCatalogEntries();
    if (!added.ok()) add("ListCatalogEntries", added.status());
    for (const v1::CatalogEntry& entry :
         added.value_or(std::vector<v1::CatalogEntry>())) {
      lines.push_back(
          absl::StrCat("stored catalog ", entry.ShortDebugString()));
    }
    absl::StatusOr<v1::ListCatalogResponse> catalog =
        authority->ListCatalog(kIssuer, {});
    lines.push_back(absl::StrCat(
        "catalog ", catalog.ok() ? catalog->entries_size() : -1, " entries ",
        catalog.ok() ? std::hash<std::string>{}(catalog->SerializeAsString())
                     : 0));
    return absl::StrJoin(lines, "\n");
  }

  std::vector<v1::AuditEvent> Audit() const {
    return store->ListAudit(1, 1000000).value_or(std::vector<v1::AuditEvent>());
  }
};

// Built on first use, destroyed after the last test.
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

Environment* SharedEnvironment() {
  if (shared_environment != nullptr) return shared_environment;
  auto env = std::make_unique<Environment>();
  absl::Status opened = env->Open();
  EXPECT_TRUE(opened.ok()) << opened;
  if (!opened.ok()) return nullptr;
  shared_environment = env.release();
  return shared_environment;
}

// One RPC: who calls it, whether it writes (and so audits failures), a
// request it accepts in a fresh Environment, and the call.
struct RpcUnderTest {
  bool mutating;
  std::function<std::unique_ptr<Message>()> valid;
  std::function<absl::Status(LicenseAuthority&, const Message&)> call;
};

template <typename Request, typename Call>
RpcUnderTest Rpc(bool mutating, std::function<Request()> valid, Call call) {
  return RpcUnderTest{
      mutating,
      [valid] { return std::unique_ptr<Message>(new Request(valid())); },
      [call](LicenseAuthority& authority, const Message& request) {
        return call(authority, static_cast<const Request&>(request)).status();
      }};
}

const std::map<std::string, RpcUnderTest>& Rpcs() {
  using LA = LicenseAuthority;
  static const auto* rpcs = new std::map<std::string, RpcUnderTest>{
      {"CreateCustomer",
       Rpc<v1::CreateCustomerRequest>(
           true,
           [] {
             v1::CreateCustomerRequest r;
             r.set_company_name("New Company AS");
             return r;
           },
           [](LA& a, const auto& r) { return a.CreateCustomer(kIssuer, r); })},
      {"GetCustomer",
       Rpc<v1::GetCustomerRequest>(
           false,
           [] {
             v1::GetCustomerRequest r;
             r.set_serial(kSerialA);
             return r;
           },
           [](LA& a, const auto& r) { return a.GetCustomer(kIssuer, r); })},
      {"ListCustomers",
       Rpc<v1::ListCustomersRequest>(
           false, [] { return v1::ListCustomersRequest(); },
           [](LA& a, const auto& r) { return a.ListCustomers(kIssuer, r); })},
      {"RenameCustomer",
       Rpc<v1::RenameCustomerRequest>(
           true,
           [] {
             v1::RenameCustomerRequest r;
             r.set_serial(kSerialB);
             r.set_company_name("Renamed AS");
             return r;
           },
           [](LA& a, const auto& r) { return a.RenameCustomer(kIssuer, r); })},
      {"IssueLicenseSet",
       Rpc<v1::IssueLicenseSetRequest>(
           true, [] { return ValidIssue(kSerialB); },
           [](LA& a, const auto& r) { return a.IssueLicenseSet(kIssuer, r); })},
      {"GetLicenseSet",
       Rpc<v1::GetLicenseSetRequest>(
           false,
           [] {
             v1::GetLicenseSetRequest r;
             r.set_serial(kSerialA);
             r.set_version(2);
             return r;
           },
           [](LA& a, const auto& r) { return a.GetLicenseSet(kIssuer, r); })},
      {"ListLicenseSets",
       Rpc<v1::ListLicenseSetsRequest>(
           false,
           [] {
             v1::ListLicenseSetsRequest r;
             r.set_serial(kSerialA);
             return r;
           },
           [](LA& a, const auto& r) { return a.ListLicenseSets(kIssuer, r); })},
      {"RevokeLicenseSet", Rpc<v1::RevokeLicenseSetRequest>(
                               true,
                               [] {
                                 v1::RevokeLicenseSetRequest r;
                                 r.set_serial(kSerialA);
                                 r.set_version(2);
                                 r.set_reason("wrong counts");
                                 return r;
                               },
                               [](LA& a, const auto& r) {
                                 return a.RevokeLicenseSet(kIssuer, r);
                               })},
      {"FetchLicenseSet", Rpc<v1::FetchLicenseSetRequest>(
                              false,
                              [] {
                                v1::FetchLicenseSetRequest r;
                                r.set_serial(kSerialA);
                                return r;
                              },
                              [](LA& a, const auto& r) {
                                return a.FetchLicenseSet(kInstallationA, r);
                              })},
      {"AcceptLicenseSet", Rpc<v1::AcceptLicenseSetRequest>(
                               true,
                               [] {
                                 v1::AcceptLicenseSetRequest r;
                                 r.set_serial(kSerialA);
                                 r.set_version(2);
                                 v1::ModuleUsage* usage = r.add_usage();
                                 usage->set_module_name("user");
                                 usage->set_in_use(3);
                                 return r;
                               },
                               [](LA& a, const auto& r) {
                                 return a.AcceptLicenseSet(kInstallationA, r);
                               })},
      {"ReportUsage", Rpc<v1::ReportUsageRequest>(
                          true,
                          [] {
                            v1::ReportUsageRequest r;
                            r.set_serial(kSerialA);
                            r.set_month("2026-12");
                            r.set_users(5);
                            v1::ServiceUsage* used = r.add_usage();
                            used->set_service(
                                v1::METERED_SERVICE_KIND_MAILING_EMAILS);
                            used->set_used(250);
                            return r;
                          },
                          [](LA& a, const auto& r) {
                            return a.ReportUsage(kInstallationA, r);
                          })},
      {"GetUsage",
       Rpc<v1::GetUsageRequest>(
           false,
           [] {
             v1::GetUsageRequest r;
             r.set_serial(kSerialA);
             r.set_month("2027-01");
             return r;
           },
           [](LA& a, const auto& r) { return a.GetUsage(kIssuer, r); })},
      {"GetTrustBundle",
       Rpc<v1::GetTrustBundleRequest>(
           false, [] { return v1::GetTrustBundleRequest(); },
           [](LA& a, const auto&) { return a.GetTrustBundle(kIssuer); })},
      {"ListKeys",
       Rpc<v1::ListKeysRequest>(
           false, [] { return v1::ListKeysRequest(); },
           [](LA& a, const auto& r) { return a.ListKeys(kAuditor, r); })},
      {"ListCatalog",
       Rpc<v1::ListCatalogRequest>(
           false, [] { return v1::ListCatalogRequest(); },
           [](LA& a, const auto& r) { return a.ListCatalog(kIssuer, r); })},
      {"PutCatalogEntry", Rpc<v1::CatalogEntry>(true, ValidCatalogEntry,
                                                [](LA& a, const auto& r) {
                                                  return a.PutCatalogEntry(
                                                      kIssuer, r);
                                                })},
      {"CreateBackup", Rpc<v1::CreateBackupRequest>(
                           true, [] { return v1::CreateBackupRequest(); },
                           [](LA& a, const auto&) {
                             // No --backup-dir: refused before anything is
                             // written, the request has no field that could be
                             // bad.
                             return a.CreateBackup(kIssuer, "");
                           })},
      {"ListAuditEvents",
       Rpc<v1::ListAuditEventsRequest>(
           false, [] { return v1::ListAuditEventsRequest(); },
           [](LA& a, const auto& r) {
             return a.ListAuditEvents(kAuditor, r);
           })},
      {"VerifyAuditChain",
       Rpc<v1::VerifyAuditChainRequest>(
           false, [] { return v1::VerifyAuditChainRequest(); },
           [](LA& a, const auto&) { return a.VerifyAuditChain(kAuditor); })},
  };
  return *rpcs;
}

constexpr absl::StatusCode IA = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode NF = absl::StatusCode::kNotFound;

// One bad value of one field.
struct BadInput {
  std::string rpc;
  std::string field;  // path in the request, e.g. "modules.license_number"
  std::string what;   // the bad value, for the test name
  std::function<void(Message*)> change;  // makes the valid request bad
  absl::StatusCode code;
  std::vector<std::string> message_has;  // field and value as shown
};

template <typename Request>
BadInput Bad(std::string rpc, std::string field, std::string what,
             std::function<void(Request&)> change, absl::StatusCode code,
             std::vector<std::string> message_has) {
  return BadInput{std::move(rpc),
                  std::move(field),
                  std::move(what),
                  [change](Message* m) { change(*static_cast<Request*>(m)); },
                  code,
                  std::move(message_has)};
}

const std::string k256(256, 'x');
const std::string k1001(1001, 'x');

// Text fields checked by CheckText: empty, too long, control characters,
// not UTF-8.
template <typename Request>
void AddTextCases(std::vector<BadInput>* cases, const std::string& rpc,
                  const std::string& field, size_t max_bytes,
                  void (Request::*set)(const std::string&)) {
  const std::string too_long(max_bytes + 1, 'x');
  auto setter = [set](std::string value) {
    return [set, value](Request& r) { (r.*set)(value); };
  };
  cases->push_back(Bad<Request>(rpc, field, "Empty", setter(""), IA,
                                {field, "\"\"", "not 0"}));
  cases->push_back(
      Bad<Request>(rpc, field, "TooLong", setter(too_long), IA,
                   {field, "xxxx...", absl::StrCat("not ", too_long.size())}));
  cases->push_back(Bad<Request>(rpc, field, "ControlCharacter",
                                setter("Acme\nAS"), IA,
                                {field, "\"Acme?AS\"", "control"}));
  cases->push_back(Bad<Request>(rpc, field, "Delete", setter("Acme\x7f"), IA,
                                {field, "\"Acme?\"", "control"}));
  cases->push_back(Bad<Request>(rpc, field, "NotUtf8", setter("Acme\xff AS"),
                                IA, {field, "Acme\\xff AS", "UTF-8"}));
}

// Serial fields: wrong check digit, length, characters; `absent` is the
// code for a well-formed serial nobody has (0: not a case).
template <typename Request>
void AddSerialCases(std::vector<BadInput>* cases, const std::string& rpc,
                    const std::string& field,
                    void (Request::*set)(const std::string&),
                    bool empty_is_bad = true) {
  auto setter = [set](std::string value) {
    return [set, value](Request& r) { (r.*set)(value); };
  };
  cases->push_back(Bad<Request>(rpc, field, "CheckDigit",
                                setter(kBadCheckDigit), IA,
                                {field + ": ", kBadCheckDigit, "check digit"}));
  cases->push_back(Bad<Request>(rpc, field, "TooShort", setter("101000001"), IA,
                                {field + ": ", "\"101000001\"", "10"}));
  cases->push_back(Bad<Request>(rpc, field, "TooLong", setter("10100000140"),
                                IA, {field + ": ", "\"10100000140\""}));
  cases->push_back(Bad<Request>(rpc, field, "Letters", setter("10100000a4"), IA,
                                {field + ": ", "\"10100000a4\"", "digits"}));
  cases->push_back(Bad<Request>(rpc, field, "ControlCharacter",
                                setter("101000\n014"), IA,
                                {field + ": ", "\"101000?014\""}));
  if (empty_is_bad) {
    cases->push_back(Bad<Request>(rpc, field, "Empty", setter(""), IA,
                                  {field + ": ", "\"\"", "not 0"}));
  }
}

template <typename Request>
void AddAbsentSerialCase(std::vector<BadInput>* cases, const std::string& rpc,
                         const std::string& field,
                         void (Request::*set)(const std::string&),
                         absl::StatusCode code,
                         std::vector<std::string> message_has) {
  cases->push_back(Bad<Request>(
      rpc, field, "Absent", [set](Request& r) { (r.*set)(kAbsentSerial); },
      code, std::move(message_has)));
}

template <typename Request>
void AddPageSizeCases(std::vector<BadInput>* cases, const std::string& rpc,
                      void (Request::*set)(uint32_t)) {
  cases->push_back(Bad<Request>(rpc, "page_size", "AboveMax",
                                [set](Request& r) { (r.*set)(1001); }, IA,
                                {"page_size 1001", "0 to 1000"}));
  cases->push_back(Bad<Request>(
      rpc, "page_size", "Huge",
      [set](Request& r) { (r.*set)(std::numeric_limits<uint32_t>::max()); }, IA,
      {"page_size 4294967295"}));
}

void AddCustomerCases(std::vector<BadInput>* cases) {
  using Create = v1::CreateCustomerRequest;
  AddTextCases<Create>(cases, "CreateCustomer", "company_name", 255,
                       &Create::set_company_name);
  AddSerialCases<Create>(cases, "CreateCustomer", "serial", &Create::set_serial,
                         /*empty_is_bad=*/false);
  cases->push_back(Bad<Create>("CreateCustomer", "serial", "Taken",
                               [](Create& r) { r.set_serial(kSerialA); },
                               absl::StatusCode::kAlreadyExists, {kSerialA}));

  using Get = v1::GetCustomerRequest;
  AddSerialCases<Get>(cases, "GetCustomer", "serial", &Get::set_serial);
  AddAbsentSerialCase<Get>(cases, "GetCustomer", "serial", &Get::set_serial, NF,
                           {"no customer", kAbsentSerial});

  using List = v1::ListCustomersRequest;
  AddPageSizeCases<List>(cases, "ListCustomers", &List::set_page_size);
  AddSerialCases<List>(cases, "ListCustomers", "page_token",
                       &List::set_page_token, /*empty_is_bad=*/false);

  using Rename = v1::RenameCustomerRequest;
  AddSerialCases<Rename>(cases, "RenameCustomer", "serial",
                         &Rename::set_serial);
  AddAbsentSerialCase<Rename>(cases, "RenameCustomer", "serial",
                              &Rename::set_serial, NF,
                              {"no customer", kAbsentSerial});
  AddTextCases<Rename>(cases, "RenameCustomer", "company_name", 255,
                       &Rename::set_company_name);
}

void AddDateCases(std::vector<BadInput>* cases, const std::string& field,
                  void (v1::IssueLicenseSetRequest::*set)(int64_t)) {
  using Issue = v1::IssueLicenseSetRequest;
  cases->push_back(Bad<Issue>("IssueLicenseSet", field, "Negative",
                              [set](Issue& r) { (r.*set)(-1); }, IA,
                              {field + " -1", "Unix seconds"}));
  cases->push_back(
      Bad<Issue>("IssueLicenseSet", field, "AfterYear9999",
                 [set](Issue& r) { (r.*set)(kMaxDate + 1); }, IA,
                 {absl::StrCat(field, " ", kMaxDate + 1), "9999-12-31"}));
  cases->push_back(Bad<Issue>(
      "IssueLicenseSet", field, "Min",
      [set](Issue& r) { (r.*set)(std::numeric_limits<int64_t>::min()); }, IA,
      {absl::StrCat(field, " ", std::numeric_limits<int64_t>::min())}));
}

void AddIssueCases(std::vector<BadInput>* cases) {
  using Issue = v1::IssueLicenseSetRequest;
  const std::string rpc = "IssueLicenseSet";
  AddSerialCases<Issue>(cases, rpc, "serial", &Issue::set_serial);
  AddAbsentSerialCase<Issue>(cases, rpc, "serial", &Issue::set_serial, NF,
                             {"no customer", kAbsentSerial});
  for (const auto& [what, owner, shown] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"OtherOwner", "PARTNER", "\"PARTNER\""},
           {"Lowercase", "superoffice", "\"superoffice\""},
           {"ControlCharacter", "SUPER\nOFFICE", "\"SUPER?OFFICE\""},
           {"TooLong", std::string(300, 'A'), "\"AAAA"}}) {
    cases->push_back(
        Bad<Issue>(rpc, "owner_name", what,
                   [owner = owner](Issue& r) { r.set_owner_name(owner); }, IA,
                   {"owner_name " + shown, "issues for SUPEROFFICE"}));
  }
  cases->push_back(Bad<Issue>(rpc, "site", "Missing",
                              [](Issue& r) { r.clear_site(); }, IA,
                              {"site.kind 0", "CENTRAL or SATELLITE"}));
  cases->push_back(Bad<Issue>(
      rpc, "site.kind", "Unspecified",
      [](Issue& r) { r.mutable_site()->set_kind(v1::SITE_KIND_UNSPECIFIED); },
      IA, {"site.kind 0"}));
  cases->push_back(Bad<Issue>(rpc, "site.kind", "UnknownEnumValue",
                              [](Issue& r) {
                                r.mutable_site()->set_kind(
                                    static_cast<v1::SiteKind>(99));
                              },
                              IA, {"site.kind 99"}));
  cases->push_back(
      Bad<Issue>(rpc, "site.satellite_id", "OnCentral",
                 [](Issue& r) { r.mutable_site()->set_satellite_id(5); }, IA,
                 {"site.satellite_id 5", "central"}));
  cases->push_back(Bad<Issue>(
      rpc, "site.satellite_id", "ZeroOnSatellite",
      [](Issue& r) { r.mutable_site()->set_kind(v1::SITE_KIND_SATELLITE); }, IA,
      {"site.satellite_id 0", "satellite"}));
  cases->push_back(Bad<Issue>(rpc, "modules", "Empty",
                              [](Issue& r) { r.clear_modules(); }, IA,
                              {"modules: empty"}));
  cases->push_back(
      Bad<Issue>(rpc, "modules", "GrantedTwice",
                 [](Issue& r) { *r.add_modules() = Grant("user", 1); }, IA,
                 {"modules[2]", "\"user\"", "granted twice"}));
  for (const auto& [what, name, shown] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"Unknown", "no-such-module", "\"no-such-module\""},
           {"Empty", "", "\"\""},
           {"Uppercase", "USER", "\"USER\""},
           {"ControlCharacter", "user\n", "\"user\\n\""},
           {"TooLong", std::string(300, 'u'), "\"uuuu"}}) {
    cases->push_back(Bad<Issue>(
        rpc, "modules.module_name", what,
        [name = name](Issue& r) {
          r.mutable_modules(1)->set_module_name(name);
        },
        IA, {"modules[1].module_name " + shown, "not in the catalogue"}));
  }
  cases->push_back(
      Bad<Issue>(rpc, "modules.license_number", "Zero",
                 [](Issue& r) { r.mutable_modules(1)->set_license_number(0); },
                 IA, {"modules[1].license_number 0"}));
  cases->push_back(
      Bad<Issue>(rpc, "modules.license_number", "SumOverflows",
                 [](Issue& r) {
                   r.mutable_modules(1)->set_license_number(
                       std::numeric_limits<uint32_t>::max());
                 },
                 IA, {"\"user\"", "license_number 4294967305", "exceeds"}));
  for (const auto& [field, set] :
       std::vector<std::pair<std::string, void (Issue::*)(int64_t)>>{
           {"expiration", &Issue::set_expiration},
           {"grace_to", &Issue::set_grace_to},
           {"maintenance_to", &Issue::set_maintenance_to},
           {"next_check_date", &Issue::set_next_check_date},
           {"admin_warning_date", &Issue::set_admin_warning_date}}) {
    AddDateCases(cases, field, set);
  }
  cases->push_back(
      Bad<Issue>(rpc, "expiration", "InThePast",
                 [](Issue& r) { r.set_expiration(kNow - 1); }, IA,
                 {absl::StrCat("expiration ", kNow - 1), "in the past"}));
  cases->push_back(
      Bad<Issue>(rpc, "grace_to", "BeforeExpiration",
                 [](Issue& r) { r.set_grace_to(kNow + 10); }, IA,
                 {absl::StrCat("grace_to ", kNow + 10), "before expiration"}));
  cases->push_back(Bad<Issue>(rpc, "grace_to", "WithoutExpiration",
                              [](Issue& r) {
                                r.set_expiration(0);
                                r.set_admin_warning_date(0);
                              },
                              IA, {"grace_to", "without an expiration"}));
  cases->push_back(Bad<Issue>(
      rpc, "admin_warning_date", "AfterExpiration",
      [](Issue& r) { r.set_admin_warning_date(kNow + 2 * kYear); }, IA,
      {absl::StrCat("admin_warning_date ", kNow + 2 * kYear),
       "after expiration"}));
  cases->push_back(Bad<Issue>(
      rpc, "metered_services", "ServiceTwice",
      [](Issue& r) { *r.add_metered_services() = r.metered_services(0); }, IA,
      {"metered_services[1].service", "METERED_SERVICE_KIND_STORAGE",
       "twice"}));
  cases->push_back(Bad<Issue>(rpc, "metered_services.service", "Unspecified",
                              [](Issue& r) {
                                r.mutable_metered_services(0)->set_service(
                                    v1::METERED_SERVICE_KIND_UNSPECIFIED);
                              },
                              IA, {"metered_services[0].service 0"}));
  cases->push_back(Bad<Issue>(rpc, "metered_services.service",
                              "UnknownEnumValue",
                              [](Issue& r) {
                                r.mutable_metered_services(0)->set_service(
                                    static_cast<v1::MeteredServiceKind>(77));
                              },
                              IA, {"metered_services[0].service 77"}));
  cases->push_back(
      Bad<Issue>(rpc, "metered_services.base_amount", "Huge",
                 [](Issue& r) {
                   r.mutable_metered_services(0)->set_base_amount(
                       std::numeric_limits<uint64_t>::max());
                 },
                 IA, {"metered_services[0].base_amount 18446744073709551615"}));
  cases->push_back(Bad<Issue>(
      rpc, "metered_services.per_user_amount", "Huge",
      [](Issue& r) {
        r.mutable_metered_services(0)->set_per_user_amount((1ull << 62) + 1);
      },
      IA, {"metered_services[0].per_user_amount 4611686018427387905"}));
  cases->push_back(
      Bad<Issue>(rpc, "idempotency_key", "TooLong",
                 [](Issue& r) { r.set_idempotency_key(std::string(129, 'k')); },
                 IA, {"idempotency_key", "129 bytes"}));
  cases->push_back(Bad<Issue>(
      rpc, "idempotency_key", "UsedForAnotherRequest",
      [](Issue& r) { r.set_idempotency_key(kSeedIdempotencyKey); },
      absl::StatusCode::kFailedPrecondition,
      {"idempotency_key", kSeedIdempotencyKey, "different request"}));
}

void AddSetCases(std::vector<BadInput>* cases) {
  using Get = v1::GetLicenseSetRequest;
  AddSerialCases<Get>(cases, "GetLicenseSet", "serial", &Get::set_serial);
  AddAbsentSerialCase<Get>(cases, "GetLicenseSet", "serial", &Get::set_serial,
                           NF, {"no license set", kAbsentSerial});
  cases->push_back(Bad<Get>("GetLicenseSet", "version", "Zero",
                            [](Get& r) { r.set_version(0); }, NF,
                            {"no license set", "version 0"}));
  cases->push_back(Bad<Get>(
      "GetLicenseSet", "version", "NeverIssued",
      [](Get& r) { r.set_version(std::numeric_limits<uint64_t>::max()); }, NF,
      {"version 18446744073709551615"}));

  using List = v1::ListLicenseSetsRequest;
  AddSerialCases<List>(cases, "ListLicenseSets", "serial", &List::set_serial);
  AddAbsentSerialCase<List>(cases, "ListLicenseSets", "serial",
                            &List::set_serial, NF,
                            {"no customer", kAbsentSerial});
  AddPageSizeCases<List>(cases, "ListLicenseSets", &List::set_page_size);
  for (const auto& [what, token] :
       std::vector<std::pair<std::string, std::string>>{
           {"Letters", "abc"},
           {"Negative", "-1"},
           {"TooBig", "99999999999999999999999"}}) {
    cases->push_back(
        Bad<List>("ListLicenseSets", "page_token", what,
                  [token = token](List& r) { r.set_page_token(token); }, IA,
                  {"page_token \"" + token + "\"", "not a version"}));
  }
  cases->push_back(Bad<List>("ListLicenseSets", "page_token", "TrailingNewline",
                             [](List& r) { r.set_page_token("2\n"); }, IA,
                             {"page_token \"2?\"", "not a version"}));

  using Revoke = v1::RevokeLicenseSetRequest;
  AddSerialCases<Revoke>(cases, "RevokeLicenseSet", "serial",
                         &Revoke::set_serial);
  AddAbsentSerialCase<Revoke>(cases, "RevokeLicenseSet", "serial",
                              &Revoke::set_serial, NF,
                              {"no license set", kAbsentSerial});
  cases->push_back(Bad<Revoke>("RevokeLicenseSet", "version", "Zero",
                               [](Revoke& r) { r.set_version(0); }, NF,
                               {"no license set", "version 0"}));
  cases->push_back(Bad<Revoke>("RevokeLicenseSet", "version", "NeverIssued",
                               [](Revoke& r) { r.set_version(3); }, NF,
                               {"version 3"}));
  cases->push_back(Bad<Revoke>("RevokeLicenseSet", "version", "RevokedAlready",
                               [](Revoke& r) { r.set_version(1); },
                               absl::StatusCode::kFailedPrecondition,
                               {"version 1", "revoked already"}));
  AddTextCases<Revoke>(cases, "RevokeLicenseSet", "reason", 255,
                       &Revoke::set_reason);
}

void AddInstallationCases(std::vector<BadInput>* cases) {
  using Fetch = v1::FetchLicenseSetRequest;
  AddSerialCases<Fetch>(cases, "FetchLicenseSet", "serial", &Fetch::set_serial);
  cases->push_back(Bad<Fetch>("FetchLicenseSet", "serial",
                              "AnotherInstallations",
                              [](Fetch& r) { r.set_serial(kSerialB); },
                              absl::StatusCode::kPermissionDenied, {kSerialB}));

  using Accept = v1::AcceptLicenseSetRequest;
  AddSerialCases<Accept>(cases, "AcceptLicenseSet", "serial",
                         &Accept::set_serial);
  cases->push_back(
      Bad<Accept>("AcceptLicenseSet", "serial", "AnotherInstallations",
                  [](Accept& r) { r.set_serial(kSerialB); },
                  absl::StatusCode::kPermissionDenied, {kSerialB}));
  cases->push_back(Bad<Accept>("AcceptLicenseSet", "version", "Zero",
                               [](Accept& r) { r.set_version(0); }, NF,
                               {"no license set", "version 0"}));
  cases->push_back(Bad<Accept>("AcceptLicenseSet", "version", "NeverIssued",
                               [](Accept& r) { r.set_version(9); }, NF,
                               {"version 9"}));
  cases->push_back(Bad<Accept>("AcceptLicenseSet", "usage", "ModuleTwice",
                               [](Accept& r) { *r.add_usage() = r.usage(0); },
                               IA,
                               {"usage[1].module_name", "\"user\"", "twice"}));
  for (const auto& [what, name, shown] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"Empty", "", "\"\""},
           {"ControlCharacter", "us\ner", "\"us?er\""},
           {"TooLong", std::string(65, 'u'), "not 65"}}) {
    cases->push_back(Bad<Accept>(
        "AcceptLicenseSet", "usage.module_name", what,
        [name = name](Accept& r) { r.mutable_usage(0)->set_module_name(name); },
        IA, {"usage[0].module_name", shown}));
  }
  cases->push_back(Bad<Accept>(
      "AcceptLicenseSet", "usage.module_name", "NotInTheSet",
      [](Accept& r) { r.mutable_usage(0)->set_module_name("no-such-module"); },
      IA, {"usage[0].module_name", "\"no-such-module\""}));
}

void AddUsageCases(std::vector<BadInput>* cases) {
  using Report = v1::ReportUsageRequest;
  AddSerialCases<Report>(cases, "ReportUsage", "serial", &Report::set_serial);
  cases->push_back(Bad<Report>("ReportUsage", "serial", "AnotherInstallations",
                               [](Report& r) { r.set_serial(kSerialB); },
                               absl::StatusCode::kPermissionDenied,
                               {kSerialB}));
  using Get = v1::GetUsageRequest;
  AddSerialCases<Get>(cases, "GetUsage", "serial", &Get::set_serial);
  AddAbsentSerialCase<Get>(cases, "GetUsage", "serial", &Get::set_serial, NF,
                           {"no customer", kAbsentSerial});
  const std::vector<std::pair<std::string, std::string>> bad_months = {
      {"Empty", ""},
      {"MonthThirteen", "2027-13"},
      {"MonthZero", "2027-00"},
      {"Year1999", "1999-12"},
      {"OneDigitMonth", "2027-1"},
      {"Slash", "2027/01"},
      {"WithDay", "2027-01-15"},
      {"Signs", "+202-01"},
      {"ControlCharacter", "2027-0\n"}};
  for (const auto& [what, month] : bad_months) {
    std::string shown = month;
    for (char& c : shown) c = c == '\n' ? '?' : c;
    cases->push_back(
        Bad<Report>("ReportUsage", "month", what,
                    [month = month](Report& r) { r.set_month(month); }, IA,
                    {"month \"" + shown + "\"", "YYYY-MM"}));
    cases->push_back(Bad<Get>("GetUsage", "month", what,
                              [month = month](Get& r) { r.set_month(month); },
                              IA, {"month \"" + shown + "\"", "YYYY-MM"}));
  }
  cases->push_back(
      Bad<Report>("ReportUsage", "month", "NextMonth",
                  [](Report& r) { r.set_month("2027-02"); }, IA,
                  {"month \"2027-02\"", "after the current month 2027-01"}));
  cases->push_back(Bad<Report>("ReportUsage", "users", "AboveTenMillion",
                               [](Report& r) { r.set_users(10'000'001); }, IA,
                               {"users 10000001", "at most 10000000"}));
  cases->push_back(Bad<Report>(
      "ReportUsage", "users", "Huge",
      [](Report& r) { r.set_users(std::numeric_limits<uint64_t>::max()); }, IA,
      {"users 18446744073709551615"}));
  cases->push_back(Bad<Report>(
      "ReportUsage", "usage", "ServiceTwice",
      [](Report& r) { *r.add_usage() = r.usage(0); }, IA,
      {"usage[1].service", "METERED_SERVICE_KIND_MAILING_EMAILS", "twice"}));
  cases->push_back(Bad<Report>("ReportUsage", "usage.service", "Unspecified",
                               [](Report& r) {
                                 r.mutable_usage(0)->set_service(
                                     v1::METERED_SERVICE_KIND_UNSPECIFIED);
                               },
                               IA, {"usage[0].service 0"}));
  cases->push_back(Bad<Report>("ReportUsage", "usage.service",
                               "UnknownEnumValue",
                               [](Report& r) {
                                 r.mutable_usage(0)->set_service(
                                     static_cast<v1::MeteredServiceKind>(-3));
                               },
                               IA, {"usage[0].service -3"}));
  cases->push_back(
      Bad<Report>("ReportUsage", "usage.used", "Above2To63",
                  [](Report& r) { r.mutable_usage(0)->set_used(1ull << 63); },
                  IA, {"usage[0].used 9223372036854775808"}));
}

void AddOwnerFilterCases(std::vector<BadInput>* cases) {
  for (const auto& [what, owner, shown] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"Lowercase", "superoffice", "\"superoffice\""},
           {"ControlCharacter", "SUPER\nOFFICE", "\"SUPER?OFFICE\""},
           {"TooLong", std::string(33, 'A'), "\"AAAA"}}) {
    cases->push_back(Bad<v1::ListKeysRequest>(
        "ListKeys", "owner_name", what,
        [owner = owner](v1::ListKeysRequest& r) { r.set_owner_name(owner); },
        IA, {"owner_name " + shown}));
    cases->push_back(Bad<v1::ListCatalogRequest>(
        "ListCatalog", "owner_name", what,
        [owner = owner](v1::ListCatalogRequest& r) { r.set_owner_name(owner); },
        IA, {"owner_name " + shown}));
  }
  using Events = v1::ListAuditEventsRequest;
  AddPageSizeCases<Events>(cases, "ListAuditEvents", &Events::set_page_size);
}

void AddCatalogCases(std::vector<BadInput>* cases) {
  using Entry = v1::CatalogEntry;
  const std::string rpc = "PutCatalogEntry";
  auto add = [&](std::string field, std::string what,
                 std::function<void(Entry&)> change,
                 std::vector<std::string> message_has) {
    cases->push_back(Bad<Entry>(rpc, std::move(field), std::move(what),
                                std::move(change), IA, std::move(message_has)));
  };
  add("owner_name", "Empty", [](Entry& e) { e.set_owner_name(""); },
      {"owner_name \"\"", "A-Z and 0-9"});
  add("owner_name", "Lowercase", [](Entry& e) { e.set_owner_name("acme"); },
      {"owner_name \"acme\""});
  add("owner_name", "ControlCharacter",
      [](Entry& e) { e.set_owner_name("AC\nME"); }, {"owner_name \"AC\\nME\""});
  add("owner_name", "TooLong",
      [](Entry& e) { e.set_owner_name(std::string(33, 'A')); },
      {"owner_name \"AAAA"});
  add("module", "Missing", [](Entry& e) { e.clear_module(); },
      {"module.module_name \"\""});
  for (const auto& [what, name, shown] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"Empty", "", "\"\""},
           {"Uppercase", "Acme", "\"Acme\""},
           {"LeadingDash", "-acme", "\"-acme\""},
           {"ControlCharacter", "ac\tme", "\"ac\\tme\""},
           {"TooLong", std::string(65, 'a'), "\"aaaa"}}) {
    add("module.module_name", what,
        [name = name](Entry& e) { e.mutable_module()->set_module_name(name); },
        {"module.module_name " + shown, "a-z, 0-9"});
  }
  add("module.description", "TooLong",
      [](Entry& e) { e.mutable_module()->set_description(k256); },
      {"module.description", "256 bytes"});
  add("module.tooltip", "TooLong",
      [](Entry& e) { e.mutable_module()->set_tooltip(k1001); },
      {"module.tooltip", "1001 bytes"});
  add("module.module_version", "TooLong",
      [](Entry& e) {
        e.mutable_module()->set_module_version(std::string(33, '1'));
      },
      {"module.module_version", "33 bytes"});
  add("module.license_type", "Unspecified",
      [](Entry& e) {
        e.mutable_module()->set_license_type(v1::LICENSE_TYPE_UNSPECIFIED);
      },
      {"module.license_type 0"});
  add("module.license_type", "UnknownEnumValue",
      [](Entry& e) {
        e.mutable_module()->set_license_type(static_cast<v1::LicenseType>(9));
      },
      {"module.license_type 9"});
  add("module.allowed_assocs_mask", "OnASystemLicense",
      [](Entry& e) { e.mutable_module()->set_allowed_assocs_mask(1); },
      {"module.allowed_assocs_mask 1", "must be 0"});
  add("module.allowed_assocs_mask", "ZeroOnAUserLicense",
      [](Entry& e) {
        e.mutable_module()->set_license_type(v1::LICENSE_TYPE_USER);
      },
      {"module.allowed_assocs_mask 0", "at least one"});
  add("module.extra_flags", "Three",
      [](Entry& e) { e.mutable_module()->set_extra_flags(3); },
      {"module.extra_flags 3"});
  add("module.extra_flags", "PlanOnASystemLicense",
      [](Entry& e) { e.mutable_module()->set_extra_flags(1); },
      {"module.extra_flags 1", "user license"});
  add("module.extra_info", "TooLong",
      [](Entry& e) {
        e.mutable_module()->set_extra_info(std::string(4000, 'i'));
      },
      {"module.extra_info", "4000 bytes"});
  add("module.extra_info", "PlanWithoutSet",
      [](Entry& e) {
        e.mutable_module()->set_license_type(v1::LICENSE_TYPE_USER);
        e.mutable_module()->set_allowed_assocs_mask(1);
        e.mutable_module()->set_extra_flags(1);
        e.mutable_module()->set_extra_info("user,web");
      },
      {"module.extra_info \"user,web\"", "set="});
  add("module.sort_order", "UsedByAnotherEntry",
      [](Entry& e) {
        // The shipped catalogue's first entry's position.
        const v1::ListCatalogResponse listed =
            *shared_environment->authority->ListCatalog(kIssuer, {});
        e.mutable_module()->set_sort_order(
            listed.entries(0).module().sort_order());
      },
      {"module.sort_order", "also used by"});
  add("module.prerequisite_module", "Unknown",
      [](Entry& e) { e.mutable_module()->set_prerequisite_module("no-such"); },
      {"module.prerequisite_module \"no-such\"", "not in the catalogue"});
  add("module.prerequisite_module", "Itself",
      [](Entry& e) {
        e.mutable_module()->set_prerequisite_module("acme-connector");
      },
      {"module.prerequisite_module \"acme-connector\"", "itself"});
  add("module.prerequisite_module", "BadName",
      [](Entry& e) { e.mutable_module()->set_prerequisite_module("No Such"); },
      {"module.prerequisite_module \"No Such\""});
  add("grant_name", "OnANonPlan",
      [](Entry& e) { e.set_grant_name("acme-premium"); },
      {"grant_name \"acme-premium\"", "only plans"});
  add("grant_name", "BadName", [](Entry& e) { e.set_grant_name("Acme!"); },
      {"grant_name \"Acme!\""});
  add("plan_markers", "OnANonPlan", [](Entry& e) { e.add_plan_markers("ten"); },
      {"plan_markers", "only plans"});
  cases->push_back(Bad<Entry>(
      rpc, "module.description", "NotUtf8",
      [](Entry& e) { e.mutable_module()->set_description("ACME \xff"); }, IA,
      {"module.description"}));
}

const std::vector<BadInput>& Cases() {
  static const auto* cases = [] {
    auto* all = new std::vector<BadInput>();
    AddCustomerCases(all);
    AddIssueCases(all);
    AddSetCases(all);
    AddInstallationCases(all);
    AddUsageCases(all);
    AddOwnerFilterCases(all);
    AddCatalogCases(all);
    return all;
  }();
  return *cases;
}

// Fields where every value is valid: "Rpc/field" -> why.
const std::map<std::string, std::string>& NoBadValue() {
  static const auto* fields = new std::map<std::string, std::string>{
      {"FetchLicenseSet/installed_version",
       "any version: at or above the newest answers \"not modified\""},
      {"AcceptLicenseSet/usage.in_use",
       "a count the installation reports, 0 to 2^32-1; more than licensed is "
       "what the authority wants to learn"},
      {"ListAuditEvents/from_sequence",
       "any sequence: 0 means 1, past the end answers no events"},
      {"PutCatalogEntry/module.license_number",
       "ignored: the grant's count replaces it"},
      {"PutCatalogEntry/module.unrestricted", "a bool"},
      {"PutCatalogEntry/module.hidden", "a bool"},
  };
  return *fields;
}

// "Rpc/path" of every field of every request, nested messages included.
void Walk(const std::string& rpc, const Descriptor& message,
          const std::string& prefix, std::set<std::string>* out) {
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor* field = message.field(i);
    const std::string path = prefix + field->name();
    out->insert(rpc + "/" + path);
    if (field->message_type() != nullptr && prefix.size() < 64) {
      Walk(rpc, *field->message_type(), path + ".", out);
    }
  }
}

TEST(BadInputMatrixTest, EveryFieldHasABadInputCase) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "superlicense.v1.SuperLicense");
  ASSERT_NE(service, nullptr);
  std::set<std::string> fields;
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* method = service->method(i);
    EXPECT_EQ(Rpcs().count(method->name()), 1u)
        << "RPC " << method->name() << " has no entry in Rpcs()";
    Walk(method->name(), *method->input_type(), "", &fields);
  }
  std::set<std::string> covered;
  for (const BadInput& bad : Cases()) covered.insert(bad.rpc + "/" + bad.field);
  for (const auto& [field, why] : NoBadValue()) {
    covered.insert(field);
  }
  std::vector<std::string> missing;
  for (const std::string& field : fields) {
    if (covered.count(field) == 0) missing.push_back(field);
  }
  EXPECT_TRUE(missing.empty())
      << "fields without a bad-input case or a NoBadValue() entry: "
      << absl::StrJoin(missing, ", ");
  std::vector<std::string> stale;
  for (const std::string& field : covered) {
    if (fields.count(field) == 0) stale.push_back(field);
  }
  EXPECT_TRUE(stale.empty())
      << "cases for fields that do not exist: " << absl::StrJoin(stale, ", ");
}

// Every valid base request is accepted (in a fresh store), so in each case
// the one changed field is what is refused.
TEST(BadInputMatrixTest, EveryValidRequestIsAccepted) {
  Environment fresh;
  ASSERT_OK(fresh.Open());
  for (const auto& [name, rpc] : Rpcs()) {
    if (name == "CreateBackup") continue;  // needs a backup directory
    std::unique_ptr<Message> request = rpc.valid();
    EXPECT_OK(rpc.call(*fresh.authority, *request)) << name;
  }
}

// The name of a case, e.g. "IssueLicenseSet.modules.license_number/Zero".
std::string CaseName(const BadInput& bad) {
  return absl::StrCat(bad.rpc, ".", bad.field, "/", bad.what);
}

// Runs one case.
void RunCase(Environment& env, const BadInput& bad) {
  const RpcUnderTest& rpc = Rpcs().at(bad.rpc);
  std::unique_ptr<Message> request = rpc.valid();
  bad.change(request.get());
  SCOPED_TRACE(absl::StrCat(CaseName(bad), ": ", request->ShortDebugString()));
  const std::string records_before = env.Records();
  const std::vector<v1::AuditEvent> audit_before = env.Audit();

  const absl::Status status = rpc.call(*env.authority, *request);

  const std::vector<v1::AuditEvent> audit_after = env.Audit();
  EXPECT_EQ(status.code(), bad.code) << status;
  for (const std::string& part : bad.message_has) {
    EXPECT_THAT(std::string(status.message()), HasSubstr(part));
  }
  EXPECT_EQ(env.Records(), records_before);
  EXPECT_GE(audit_after.size(), audit_before.size());
  const size_t added = audit_after.size() - audit_before.size();
  if (!rpc.mutating) {
    EXPECT_EQ(added, 0u) << "a read was audited";
  } else if (added != 1) {
    ADD_FAILURE() << added << " audit events; a failed mutating call is "
                  << "audited once";
  } else {
    EXPECT_EQ(audit_after.back().method(), bad.rpc);
    EXPECT_EQ(audit_after.back().result(), absl::StatusCodeToString(bad.code));
  }
}

// One process for every case (ctest runs each test in its own process, and
// the environment takes a second to build).
TEST(BadInputMatrixTest, EveryBadValueIsRefusedNamingTheFieldStoringNothing) {
  Environment* env = SharedEnvironment();
  ASSERT_NE(env, nullptr);
  std::set<std::string> names;
  for (const BadInput& bad : Cases()) {
    EXPECT_TRUE(names.insert(CaseName(bad)).second)
        << "two cases named " << CaseName(bad);
    RunCase(*env, bad);
  }
  std::cout << Cases().size() << " cases\n";
  RecordProperty("cases", static_cast<int>(Cases().size()));
}

}  // namespace
}  // namespace superlicense::authority
