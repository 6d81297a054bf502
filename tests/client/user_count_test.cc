// Tests of client/user_count.h on both backends (SQLite and a real
// PostgreSQL server started by tests/support/postgres_server.h): a signed
// set is imported, licenses are assigned with the LicenseAssigner, and the
// counts are read back.
//
// The set: user 10, web 5 (requires user), quote-cal 2, and two plans:
// ten-sales 21 (set=user,web) and ten-service 4 (set=user,quote-cal);
// optionally the scim system license.
#include "client/user_count.h"

#include <memory>
#include <string>
#include <vector>

#include "client/crm_database.h"
#include "client/license_assigner.h"
#include "client/license_importer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/license_set_envelope.h"
#include "keys/public_key_file.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::client {
namespace {

using ::superlicense::testing::FakeClock;
using ::superlicense::testing::IsOk;
using ::superlicense::testing::PostgresServer;
using ::superlicense::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1798761600;  // 2027-01-01
constexpr char kSerial[] = "1010000014";
constexpr char kOwner[] = "SUPEROFFICE";

std::unique_ptr<keys::Signer> NewKey() {
  auto signer = keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519);
  EXPECT_OK(signer.status());
  return *std::move(signer);
}

v1::ModuleLicense Module(const std::string& name, uint32_t number,
                         uint32_t sort_order) {
  v1::ModuleLicense m;
  m.set_module_name(name);
  m.set_description("desc of " + name);
  m.set_license_type(v1::LICENSE_TYPE_USER);
  m.set_license_number(number);
  m.set_allowed_assocs_mask(1);
  m.set_sort_order(sort_order);
  return m;
}

v1::ModuleLicense Plan(const std::string& name, uint32_t number,
                       uint32_t sort_order, const std::string& set) {
  v1::ModuleLicense m = Module(name, number, sort_order);
  m.set_extra_flags(1);
  m.set_extra_info("set=" + set);
  return m;
}

v1::LicenseSet MakeSet(bool scim) {
  v1::LicenseSet set;
  set.mutable_owner()->set_owner_name(kOwner);
  set.mutable_owner()->set_description("SuperOffice AS");
  set.mutable_customer()->set_company_name("Example Company AS");
  set.mutable_customer()->set_serial(kSerial);
  set.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
  set.set_version(1);
  set.set_issued_at(kNow - 3600);
  set.set_expiration(kNow + 300 * kDay);
  set.set_grace_to(kNow + 330 * kDay);
  v1::ModuleLicense web = Module("web", 5, 20);
  web.set_prerequisite_module("user");
  std::vector<v1::ModuleLicense> modules = {
      Module("user", 10, 10), web, Module("quote-cal", 2, 30),
      Plan("ten-sales", 21, 40, "user,web"),
      Plan("ten-service", 4, 50, "user,quote-cal")};
  if (scim) {
    v1::ModuleLicense m = Module("scim", 1, 60);
    m.set_license_type(v1::LICENSE_TYPE_SYSTEM);
    m.set_allowed_assocs_mask(0);
    modules.push_back(m);
  }
  for (const v1::ModuleLicense& m : modules) *set.add_module_licenses() = m;
  return set;
}

class UserCountTest : public ::testing::TestWithParam<std::string> {
 protected:
  UserCountTest() : clock_(absl::FromUnixSeconds(kNow)) {}

  void SetUp() override {
    std::string url = "sqlite:" + temp_.File("crm.db");
    if (GetParam() != "sqlite") {
      auto server = PostgresServer::Shared();
      ASSERT_THAT(server, IsOk()) << "PostgreSQL test server unavailable";
      ASSERT_OK_AND_ASSIGN(url, (*server)->CreateDatabase());
    }
    ASSERT_OK_AND_ASSIGN(db_, CrmDatabase::Open(url));
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    ASSERT_OK(txn->SetInstallation(
        {kSerial, "Example Company AS", SiteKind::kCentral, 0}));
    ASSERT_OK(txn->Commit());
  }

  void Import(bool scim) {
    std::unique_ptr<keys::Signer> root = NewKey();
    std::unique_ptr<keys::Signer> owner_key = NewKey();
    v1::TrustBundle bundle;
    bundle.set_version(1);
    bundle.set_threshold(1);
    *bundle.add_root_keys() = keys::PublicKeyOf(*root, "root-1");
    ASSERT_OK_AND_ASSIGN(v1::SignedTrustBundle signed_bundle,
                         keys::SignTrustBundle(*root, bundle));
    ASSERT_OK_AND_ASSIGN(keys::TrustStore store,
                         keys::TrustStore::FromAnchor(signed_bundle));
    v1::OwnerKeyCertificate c;
    c.set_owner_name(kOwner);
    *c.mutable_key() = keys::PublicKeyOf(*owner_key, "");
    c.set_issued_at(kNow - 30 * kDay);
    c.set_valid_from(kNow - 30 * kDay);
    c.set_valid_until(kNow + 365 * kDay);
    ASSERT_OK_AND_ASSIGN(v1::SignedPublicKey certificate,
                         keys::CertifyOwnerKey(*root, c));
    ASSERT_OK_AND_ASSIGN(
        v1::SignedLicenseSet envelope,
        keys::SignLicenseSet(MakeSet(scim), *owner_key, certificate));
    LicenseImporter importer(&store, &clock_);
    ASSERT_OK(importer.Import(*db_, envelope).status());
  }

  void AddAssociate(const std::string& name, bool active = true) {
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    ASSERT_OK(txn->AddAssociate({0, name, 1, active}).status());
    ASSERT_OK(txn->Commit());
  }

  absl::Status Assign(const std::string& assoc, const std::string& module) {
    return assigner_.Assign(*db_, assoc, module);
  }

  TempDir temp_;
  FakeClock clock_;
  std::unique_ptr<CrmDatabase> db_;
  LicenseAssigner assigner_;
};

TEST_P(UserCountTest, EmptyDatabaseCountsNothing) {
  ASSERT_OK_AND_ASSIGN(UserCount count, CountUsers(*db_));
  EXPECT_EQ(count.user_capacity, 0);
  EXPECT_EQ(count.web_capacity, 0);
  EXPECT_TRUE(count.plans.empty());
  EXPECT_EQ(count.plans_in_use, 0);
  EXPECT_FALSE(count.scim_managed);
  EXPECT_EQ(count.active_users, 0);
}

TEST_P(UserCountTest, CountsCapacityPlansAndActiveUsers) {
  ASSERT_NO_FATAL_FAILURE(Import(/*scim=*/false));
  for (const char* name : {"ann", "bob", "dan"}) AddAssociate(name);
  AddAssociate("cid", /*active=*/false);
  ASSERT_OK(Assign("ann", "ten-sales"));    // user, web by the plan
  ASSERT_OK(Assign("bob", "ten-sales"));    // user, web
  ASSERT_OK(Assign("bob", "ten-service"));  // + quote-cal
  ASSERT_OK(Assign("cid", "user"));         // inactive
  ASSERT_OK(Assign("cid", "ten-service"));
  // dan holds nothing.
  ASSERT_OK_AND_ASSIGN(UserCount count, CountUsers(*db_));
  EXPECT_EQ(count.user_capacity, 10);
  EXPECT_EQ(count.web_capacity, 5);
  EXPECT_EQ(count.user_in_use, 3);  // ann, bob, cid
  EXPECT_EQ(count.web_in_use, 2);   // ann, bob
  EXPECT_THAT(
      count.plans,
      ElementsAre(
          AllOf(Field(&PlanCount::owner_name, kOwner),
                Field(&PlanCount::plan_name, "ten-sales"),
                Field(&PlanCount::description, "desc of ten-sales"),
                Field(&PlanCount::total, 21), Field(&PlanCount::in_use, 2)),
          AllOf(Field(&PlanCount::plan_name, "ten-service"),
                Field(&PlanCount::total, 4), Field(&PlanCount::in_use, 2))));
  EXPECT_EQ(count.plans_in_use, 4);
  EXPECT_FALSE(count.scim_managed);
  EXPECT_EQ(count.active_users, 2);  // ann, bob; cid is inactive
}

TEST_P(UserCountTest, ScimLicenseMarksScimManaged) {
  ASSERT_NO_FATAL_FAILURE(Import(/*scim=*/true));
  AddAssociate("ann");
  ASSERT_OK(Assign("ann", "user"));
  ASSERT_OK_AND_ASSIGN(UserCount count, CountUsers(*db_));
  EXPECT_TRUE(count.scim_managed);
  EXPECT_EQ(count.active_users, 1);
  EXPECT_EQ(count.user_in_use, 1);
  EXPECT_EQ(count.plans_in_use, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, UserCountTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
