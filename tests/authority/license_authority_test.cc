#include "authority/service/license_authority.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/public_key_file.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/signing_identity.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::authority {
namespace {

using ::superlicense::testing::FakeClock;
using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1800000000;  // 2027-01-15
constexpr int64_t kYear = 365 * 86400;

const Caller kIssuer{"alice", RoleSet{Role::kIssuer}, ""};

v1::ModuleGrant Grant(const std::string& name, uint32_t count) {
  v1::ModuleGrant grant;
  grant.set_module_name(name);
  grant.set_license_number(count);
  return grant;
}

class LicenseAuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = AuthorityStore::Open(dir_.File("db"), &clock_);
    ASSERT_OK(store.status());
    store_ = *std::move(store);
    auto catalog = Catalog::LoadFile(kDefaultCatalogPath);
    ASSERT_OK(catalog.status());
    ASSERT_OK_AND_ASSIGN(testing::TestSigningIdentity made,
                         testing::MakeTestSigningIdentity(kNow));
    root_ = std::move(made.root);
    SigningIdentity identity = std::move(made.identity);
    trust_ = std::make_unique<keys::TrustStore>(
        *keys::TrustStore::FromAnchor(identity.trust_bundle));
    authority_ = std::make_unique<LicenseAuthority>(
        store_.get(), *std::move(catalog), std::move(identity), &clock_);
  }

  std::string NewCustomer(const std::string& name = "Demo Company AS") {
    v1::CreateCustomerRequest request;
    request.set_company_name(name);
    auto response = authority_->CreateCustomer(kIssuer, request);
    EXPECT_OK(response.status());
    return response.ok() ? response->customer().customer().serial() : "";
  }

  v1::IssueLicenseSetRequest IssueRequest(const std::string& serial) {
    v1::IssueLicenseSetRequest request;
    request.set_serial(serial);
    request.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
    *request.add_modules() = Grant("ten-sales-premium", 10);
    *request.add_modules() = Grant("user", 5);
    *request.add_modules() = Grant("web", 5);
    *request.add_modules() = Grant("saint", 1);
    request.set_expiration(kNow + kYear);
    request.set_grace_to(kNow + kYear + 30 * 86400);
    return request;
  }

  size_t AuditCount() {
    auto chain = store_->VerifyAudit();
    EXPECT_TRUE(chain.ok() && chain->intact());
    return chain.ok() ? chain->events_checked() : 0;
  }

  TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(kNow)};
  std::unique_ptr<AuthorityStore> store_;
  std::unique_ptr<keys::Signer> root_;
  std::unique_ptr<keys::TrustStore> trust_;
  std::unique_ptr<LicenseAuthority> authority_;
};

TEST_F(LicenseAuthorityTest, CreatesCustomersWithValidSerialsAndCredentials) {
  v1::CreateCustomerRequest request;
  request.set_company_name("Demo Company AS");
  ASSERT_OK_AND_ASSIGN(auto first,
                       authority_->CreateCustomer(kIssuer, request));
  EXPECT_EQ(first.customer().customer().serial(), "1010000014");
  EXPECT_THAT(first.installation_credential(), HasSubstr("1010000014."));
  ASSERT_OK_AND_ASSIGN(auto second,
                       authority_->CreateCustomer(kIssuer, request));
  EXPECT_EQ(second.customer().customer().serial(), "1010000024");
  // The credential is stored only as a hash.
  ASSERT_OK_AND_ASSIGN(StoredCustomer stored,
                       store_->GetCustomer("1010000014"));
  EXPECT_THAT(stored.credential_hash(), HasSubstr("$argon2id$"));
  const std::string secret = first.installation_credential().substr(11);
  EXPECT_EQ(stored.SerializeAsString().find(secret), std::string::npos);

  request.set_serial("1010000015");
  EXPECT_THAT(authority_->CreateCustomer(kIssuer, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("check digit 5, expected 4")));
  request.set_serial("1010000014");
  EXPECT_THAT(authority_->CreateCustomer(kIssuer, request),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(LicenseAuthorityTest, IssuedSetVerifiesAgainstTheTrustBundle) {
  const std::string serial = NewCustomer();
  ASSERT_OK_AND_ASSIGN(
      v1::IssuedLicenseSet issued,
      authority_->IssueLicenseSet(kIssuer, IssueRequest(serial)));
  EXPECT_EQ(issued.version(), 1u);
  ASSERT_OK_AND_ASSIGN(keys::VerifiedLicenseSet verified,
                       trust_->VerifyLicenseSet(issued.signed_set(),
                                                absl::FromUnixSeconds(kNow)));
  const v1::LicenseSet& set = verified.set;
  EXPECT_EQ(set.customer().company_name(), "Demo Company AS");
  EXPECT_EQ(set.version(), 1u);
  EXPECT_EQ(set.issued_at(), kNow);
  bool found_user = false;
  for (const auto& row : set.module_licenses()) {
    if (row.module_name() == "user") {
      found_user = true;
      EXPECT_EQ(row.license_number(), 15u);  // 5 + 10 from the plan
    }
  }
  EXPECT_TRUE(found_user);
  ASSERT_OK_AND_ASSIGN(
      auto second, authority_->IssueLicenseSet(kIssuer, IssueRequest(serial)));
  EXPECT_EQ(second.version(), 2u);
}

// Each bad request is refused naming the field, and nothing is issued.
TEST_F(LicenseAuthorityTest, BadIssueRequestsAreRefusedAndAudited) {
  const std::string serial = NewCustomer();
  const size_t audit_before = AuditCount();
  struct Case {
    const char* name;
    std::function<void(v1::IssueLicenseSetRequest*)> mutate;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"unknown module",
       [](auto* r) { *r->add_modules() = Grant("sale-kal", 1); }, "sale-kal"},
      {"zero count",
       [](auto* r) { r->mutable_modules(1)->set_license_number(0); },
       "license_number 0"},
      {"prerequisite missing",
       [](auto* r) {
         r->clear_modules();
         *r->add_modules() = Grant("remote-travel", 1);
       },
       "prerequisite"},
      {"grace before expiration",
       [](auto* r) { r->set_grace_to(r->expiration() - 1); }, "grace_to"},
      {"expired already", [](auto* r) { r->set_expiration(kNow - 1); },
       "expiration"},
      {"bad serial", [](auto* r) { r->set_serial("1010000013"); }, "serial"},
      {"satellite without id",
       [](auto* r) { r->mutable_site()->set_kind(v1::SITE_KIND_SATELLITE); },
       "site.satellite_id"},
      {"no site", [](auto* r) { r->clear_site(); }, "site.kind"},
      {"other owner", [](auto* r) { r->set_owner_name("ACME"); }, "owner_name"},
      {"sql in name",
       [](auto* r) { *r->add_modules() = Grant("x'; DROP TABLE t;--", 1); },
       "module_name"},
      {"duplicate metered",
       [](auto* r) {
         for (int i = 0; i < 2; ++i) {
           r->add_metered_services()->set_service(
               v1::METERED_SERVICE_KIND_CHAT_SESSIONS);
         }
       },
       "twice"},
      {"long idempotency key",
       [](auto* r) { r->set_idempotency_key(std::string(200, 'k')); },
       "idempotency_key"},
  };
  for (const Case& c : cases) {
    v1::IssueLicenseSetRequest request = IssueRequest(serial);
    c.mutate(&request);
    EXPECT_THAT(
        authority_->IssueLicenseSet(kIssuer, request),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.name;
  }
  ASSERT_OK_AND_ASSIGN(uint64_t newest,
                       store_->NewestVersion("SUPEROFFICE", serial));
  EXPECT_EQ(newest, 0u);
  EXPECT_EQ(AuditCount(), audit_before + cases.size());
  ASSERT_OK_AND_ASSIGN(auto events, store_->ListAudit(audit_before + 1, 1));
  EXPECT_EQ(events[0].result(), "INVALID_ARGUMENT");
}

TEST_F(LicenseAuthorityTest, FetchOffersOnlyNewerUnrevokedSets) {
  const std::string serial = NewCustomer();
  const Caller installation{absl::StrCat("installation:", serial),
                            RoleSet{Role::kInstallation}, serial};
  v1::FetchLicenseSetRequest fetch;
  fetch.set_serial(serial);
  ASSERT_OK_AND_ASSIGN(auto none,
                       authority_->FetchLicenseSet(installation, fetch));
  EXPECT_FALSE(none.modified());
  ASSERT_OK(
      authority_->IssueLicenseSet(kIssuer, IssueRequest(serial)).status());
  ASSERT_OK_AND_ASSIGN(auto got,
                       authority_->FetchLicenseSet(installation, fetch));
  EXPECT_TRUE(got.modified());
  fetch.set_installed_version(1);
  ASSERT_OK_AND_ASSIGN(auto same,
                       authority_->FetchLicenseSet(installation, fetch));
  EXPECT_FALSE(same.modified());

  // Another installation may not fetch this serial.
  const Caller other{"installation:1010000021", RoleSet{Role::kInstallation},
                     "1010000021"};
  EXPECT_THAT(authority_->FetchLicenseSet(other, fetch),
              StatusIs(absl::StatusCode::kPermissionDenied));

  v1::AcceptLicenseSetRequest accept;
  accept.set_serial(serial);
  accept.set_version(1);
  v1::ModuleUsage* usage = accept.add_usage();
  usage->set_module_name("user");
  usage->set_in_use(7);
  EXPECT_OK(authority_->AcceptLicenseSet(installation, accept).status());
  accept.set_version(9);
  EXPECT_THAT(authority_->AcceptLicenseSet(installation, accept),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(LicenseAuthorityTest, IdempotentIssueReturnsTheSameSet) {
  const std::string serial = NewCustomer();
  v1::IssueLicenseSetRequest request = IssueRequest(serial);
  request.set_idempotency_key("order-4711");
  ASSERT_OK_AND_ASSIGN(auto first,
                       authority_->IssueLicenseSet(kIssuer, request));
  clock_.Advance(absl::Seconds(5));
  ASSERT_OK_AND_ASSIGN(auto retry,
                       authority_->IssueLicenseSet(kIssuer, request));
  EXPECT_EQ(retry.version(), first.version());
  EXPECT_EQ(retry.signed_set().payload(), first.signed_set().payload());
  request.mutable_modules(1)->set_license_number(6);
  EXPECT_THAT(authority_->IssueLicenseSet(kIssuer, request),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(LicenseAuthorityTest, ListsPagesOfCustomersAndHistory) {
  for (int i = 0; i < 5; ++i) NewCustomer(absl::StrCat("Company ", i));
  v1::ListCustomersRequest list;
  list.set_page_size(2);
  std::vector<std::string> serials;
  do {
    ASSERT_OK_AND_ASSIGN(auto page, authority_->ListCustomers(kIssuer, list));
    for (const auto& record : page.customers()) {
      serials.push_back(record.customer().serial());
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_EQ(serials.size(), 5u);
  ASSERT_OK(
      authority_->IssueLicenseSet(kIssuer, IssueRequest(serials[2])).status());
  list.set_page_size(10);
  ASSERT_OK_AND_ASSIGN(auto all, authority_->ListCustomers(kIssuer, list));
  ASSERT_EQ(all.customers_size(), 5);
  EXPECT_EQ(all.customers(2).newest_version(), 1u);
  EXPECT_EQ(all.customers(1).newest_version(), 0u);
  list.set_page_size(5000);
  EXPECT_THAT(
      authority_->ListCustomers(kIssuer, list),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
}

TEST_F(LicenseAuthorityTest, RevokedVersionIsNoLongerFetched) {
  const std::string serial = NewCustomer();
  ASSERT_OK(
      authority_->IssueLicenseSet(kIssuer, IssueRequest(serial)).status());
  ASSERT_OK(
      authority_->IssueLicenseSet(kIssuer, IssueRequest(serial)).status());
  v1::RevokeLicenseSetRequest revoke;
  revoke.set_serial(serial);
  revoke.set_version(2);
  revoke.set_reason("counts were wrong");
  ASSERT_OK(authority_->RevokeLicenseSet(kIssuer, revoke).status());
  const Caller installation{"installation", RoleSet{Role::kInstallation},
                            serial};
  v1::FetchLicenseSetRequest fetch;
  fetch.set_serial(serial);
  ASSERT_OK_AND_ASSIGN(auto got,
                       authority_->FetchLicenseSet(installation, fetch));
  ASSERT_TRUE(got.modified());
  v1::LicenseSet set;
  ASSERT_TRUE(set.ParseFromString(got.signed_set().payload()));
  EXPECT_EQ(set.version(), 1u);
}

v1::ServiceUsage Used(v1::MeteredServiceKind service, uint64_t used) {
  v1::ServiceUsage usage;
  usage.set_service(service);
  usage.set_used(used);
  return usage;
}

class UsageTest : public LicenseAuthorityTest {
 protected:
  void SetUp() override {
    LicenseAuthorityTest::SetUp();
    serial_ = NewCustomer();
    installation_ = Caller{absl::StrCat("installation:", serial_),
                           RoleSet{Role::kInstallation}, serial_};
  }

  // A set with storage included: 10000 bytes + 500 per user.
  void IssueWithStorageThreshold() {
    v1::IssueLicenseSetRequest request = IssueRequest(serial_);
    v1::MeteredServiceThreshold* storage = request.add_metered_services();
    storage->set_service(v1::METERED_SERVICE_KIND_STORAGE);
    storage->set_base_amount(10000);
    storage->set_per_user_amount(500);
    ASSERT_OK(authority_->IssueLicenseSet(kIssuer, request).status());
  }

  // January 2027 (the fake clock's month): 12 users, 20000 bytes stored,
  // 7 mailing e-mails.
  v1::ReportUsageRequest Report() {
    v1::ReportUsageRequest request;
    request.set_serial(serial_);
    request.set_month("2027-01");
    request.set_users(12);
    *request.add_usage() = Used(v1::METERED_SERVICE_KIND_STORAGE, 20000);
    *request.add_usage() = Used(v1::METERED_SERVICE_KIND_MAILING_EMAILS, 7);
    return request;
  }

  v1::GetUsageResponse Usage(const std::string& month) {
    v1::GetUsageRequest request;
    request.set_serial(serial_);
    request.set_month(month);
    absl::StatusOr<v1::GetUsageResponse> response =
        authority_->GetUsage(kIssuer, request);
    EXPECT_OK(response.status());
    return response.ok() ? *response : v1::GetUsageResponse();
  }

  std::string serial_;
  Caller installation_;
};

TEST_F(UsageTest, ThresholdsGrowWithUsersAndOverIsTheExcess) {
  IssueWithStorageThreshold();
  ASSERT_OK_AND_ASSIGN(auto received,
                       authority_->ReportUsage(installation_, Report()));
  EXPECT_EQ(received.received_at(), kNow);
  const v1::GetUsageResponse usage = Usage("2027-01");
  EXPECT_TRUE(usage.reported());
  EXPECT_EQ(usage.users(), 12u);
  EXPECT_EQ(usage.received_at(), kNow);
  EXPECT_EQ(usage.thresholds_version(), 1u);
  ASSERT_EQ(usage.services_size(), 2);
  const v1::ServiceUsageSummary& storage = usage.services(0);
  EXPECT_EQ(storage.service(), v1::METERED_SERVICE_KIND_STORAGE);
  EXPECT_EQ(storage.used(), 20000u);
  EXPECT_TRUE(storage.has_threshold());
  EXPECT_EQ(storage.threshold(), 10000u + 500u * 12u);  // 16000
  EXPECT_EQ(storage.over(), 4000u);
  // Nothing included for mailings: all of it is over.
  const v1::ServiceUsageSummary& mailings = usage.services(1);
  EXPECT_EQ(mailings.service(), v1::METERED_SERVICE_KIND_MAILING_EMAILS);
  EXPECT_FALSE(mailings.has_threshold());
  EXPECT_EQ(mailings.over(), 7u);

  // Below the threshold nothing is over.
  v1::ReportUsageRequest lower = Report();
  lower.mutable_usage(0)->set_used(15000);
  ASSERT_OK(authority_->ReportUsage(installation_, lower).status());
  EXPECT_EQ(Usage("2027-01").services(0).over(), 0u);
}

TEST_F(UsageTest, RepeatedReportReplacesAndChangesNothing) {
  IssueWithStorageThreshold();
  ASSERT_OK(authority_->ReportUsage(installation_, Report()).status());
  const v1::GetUsageResponse first = Usage("2027-01");
  const size_t audit_before = AuditCount();
  ASSERT_OK(authority_->ReportUsage(installation_, Report()).status());
  const v1::GetUsageResponse second = Usage("2027-01");
  EXPECT_EQ(second.SerializeAsString(), first.SerializeAsString());
  // Every report is audited.
  EXPECT_EQ(AuditCount(), audit_before + 1);
  ASSERT_OK_AND_ASSIGN(auto events, store_->ListAudit(audit_before + 1, 1));
  EXPECT_EQ(events[0].method(), "ReportUsage");
  EXPECT_THAT(events[0].subject(), HasSubstr("month=2027-01"));
}

TEST_F(UsageTest, MonthWithoutReportShowsOnlyTheIncludedAmounts) {
  IssueWithStorageThreshold();
  ASSERT_OK(authority_->ReportUsage(installation_, Report()).status());
  const v1::GetUsageResponse usage = Usage("2026-12");
  EXPECT_FALSE(usage.reported());
  EXPECT_EQ(usage.users(), 0u);
  EXPECT_EQ(usage.received_at(), 0);
  EXPECT_EQ(usage.thresholds_version(), 1u);
  ASSERT_EQ(usage.services_size(), 1);
  EXPECT_FALSE(usage.services(0).reported());
  EXPECT_EQ(usage.services(0).threshold(), 10000u);
  EXPECT_EQ(usage.services(0).over(), 0u);
}

TEST_F(UsageTest, WithoutASetNothingIsIncluded) {
  ASSERT_OK(authority_->ReportUsage(installation_, Report()).status());
  const v1::GetUsageResponse usage = Usage("2027-01");
  EXPECT_EQ(usage.thresholds_version(), 0u);
  ASSERT_EQ(usage.services_size(), 2);
  EXPECT_EQ(usage.services(0).over(), 20000u);
}

TEST_F(UsageTest, AnotherInstallationsSerialIsDenied) {
  const std::string other_serial = NewCustomer("Other AS");
  const Caller other{absl::StrCat("installation:", other_serial),
                     RoleSet{Role::kInstallation}, other_serial};
  const size_t audit_before = AuditCount();
  EXPECT_THAT(authority_->ReportUsage(other, Report()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(AuditCount(), audit_before + 1);
  EXPECT_FALSE(Usage("2027-01").reported());
}

TEST_F(UsageTest, UnknownCustomerIsNotFound) {
  v1::GetUsageRequest request;
  request.set_serial("1010000024");  // valid, never created here
  request.set_month("2027-01");
  EXPECT_THAT(authority_->GetUsage(kIssuer, request),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(UsageTest, BadReportsAreRefusedNamingFieldAndValue) {
  const size_t audit_before = AuditCount();
  struct Case {
    std::function<void(v1::ReportUsageRequest*)> mutate;
    std::vector<std::string> message;  // substrings: field and value
  };
  const std::vector<Case> cases = {
      {[](auto* r) { r->set_serial("1010000013"); }, {"serial"}},
      {[](auto* r) { r->set_month("2027-1"); }, {"month", "\"2027-1\""}},
      {[](auto* r) { r->set_month("27-01-01"); }, {"month", "27-01-01"}},
      {[](auto* r) { r->set_month("2027-13"); }, {"month", "2027-13"}},
      {[](auto* r) { r->set_month("2027-00"); }, {"month", "2027-00"}},
      {[](auto* r) { r->set_month("1999-12"); }, {"month", "1999-12"}},
      {[](auto* r) { r->set_month("2027+01"); }, {"month", "2027+01"}},
      {[](auto* r) { r->set_month("2027-02"); },
       {"month", "2027-02", "after the current month 2027-01"}},
      {[](auto* r) { r->set_users(10000001); }, {"users", "10000001"}},
      {[](auto* r) {
         r->mutable_usage(1)->set_service(v1::METERED_SERVICE_KIND_UNSPECIFIED);
       },
       {"usage[1].service", "0"}},
      {[](auto* r) {
         r->mutable_usage(1)->set_service(v1::METERED_SERVICE_KIND_STORAGE);
       },
       {"usage[1].service", "METERED_SERVICE_KIND_STORAGE", "twice"}},
      {[](auto* r) { r->mutable_usage(0)->set_used(uint64_t{1} << 63); },
       {"usage[0].used", "9223372036854775808"}},
  };
  for (const Case& c : cases) {
    v1::ReportUsageRequest request = Report();
    c.mutate(&request);
    const absl::StatusOr<v1::ReportUsageResponse> response =
        authority_->ReportUsage(installation_, request);
    // A bad serial is refused before it is compared with the caller's.
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument)
        << response.status();
    for (const std::string& part : c.message) {
      EXPECT_THAT(std::string(response.status().message()), HasSubstr(part))
          << response.status();
    }
  }
  EXPECT_EQ(AuditCount(), audit_before + cases.size());
  EXPECT_FALSE(Usage("2027-01").reported());
  // The limits themselves are accepted.
  v1::ReportUsageRequest limits = Report();
  limits.set_users(10000000);
  limits.mutable_usage(0)->set_used((uint64_t{1} << 63) - 1);
  limits.set_month("2000-01");
  EXPECT_OK(authority_->ReportUsage(installation_, limits).status());
  v1::GetUsageRequest bad_month;
  bad_month.set_serial(serial_);
  bad_month.set_month("2027-1");
  EXPECT_THAT(authority_->GetUsage(kIssuer, bad_month),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("month \"2027-1\"")));
}

}  // namespace
}  // namespace superlicense::authority
