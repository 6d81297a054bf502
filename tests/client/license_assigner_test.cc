// Tests of client/license_assigner.h on both backends (SQLite and a real
// PostgreSQL server started by tests/support/postgres_server.h). Each test
// imports a signed set with the LicenseImporter first, then assigns.
//
// The set: user 10, web 3 (requires user), quote-cal 2 (requires user),
// visible-for 1 unrestricted, sale-cal 10 hidden, and the plan ten-sales
// (extraFlags 1, set=user,web,sale-cal,t2). The tier marker t2 is left out
// of the set on purpose: set= entries that are not installed are skipped.
#include "client/license_assigner.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/crm_database.h"
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
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1798761600;  // 2027-01-01
constexpr char kSerial[] = "1010000014";
constexpr char kOwner[] = "SUPEROFFICE";
constexpr absl::StatusCode kPrecondition =
    absl::StatusCode::kFailedPrecondition;

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

v1::LicenseSet MakeSet() {
  v1::LicenseSet set;
  set.mutable_owner()->set_owner_name(kOwner);
  set.mutable_owner()->set_description("SuperOffice AS");
  set.mutable_owner()->set_license_version(1);
  set.mutable_customer()->set_company_name("Example Company AS");
  set.mutable_customer()->set_serial(kSerial);
  set.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
  set.set_version(1);
  set.set_issued_at(kNow - 3600);
  set.set_expiration(kNow + 300 * kDay);
  set.set_grace_to(kNow + 330 * kDay);
  set.set_maintenance_to(kNow + 300 * kDay);
  v1::ModuleLicense user = Module("user", 10, 10);
  user.set_allowed_assocs_mask(1 | 2);
  v1::ModuleLicense web = Module("web", 3, 20);
  web.set_prerequisite_module("user");
  v1::ModuleLicense quote = Module("quote-cal", 2, 30);
  quote.set_prerequisite_module("user");
  v1::ModuleLicense visible = Module("visible-for", 1, 40);
  visible.set_unrestricted(true);
  v1::ModuleLicense sale = Module("sale-cal", 10, 50);
  sale.set_hidden(true);
  v1::ModuleLicense plan = Module("ten-sales", 21, 60);
  plan.set_extra_flags(1);
  plan.set_extra_info("set=user,web,sale-cal,t2");
  for (const v1::ModuleLicense& m : {user, web, quote, visible, sale, plan}) {
    *set.add_module_licenses() = m;
  }
  return set;
}

class LicenseAssignerTest : public ::testing::TestWithParam<std::string> {
 protected:
  LicenseAssignerTest() : clock_(absl::FromUnixSeconds(kNow)) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenDatabase());
    ASSERT_OK(SetInstallation());
    ASSERT_NO_FATAL_FAILURE(ImportSet());
  }

  void OpenDatabase() {
    url_ = "sqlite:" + temp_.File("crm.db");
    if (GetParam() != "sqlite") {
      auto server = PostgresServer::Shared();
      ASSERT_THAT(server, IsOk()) << "PostgreSQL test server unavailable";
      ASSERT_OK_AND_ASSIGN(url_, (*server)->CreateDatabase());
    }
    ASSERT_OK_AND_ASSIGN(db_, CrmDatabase::Open(url_));
  }

  absl::Status SetInstallation() {
    auto txn = db_->BeginWrite();
    if (!txn.ok()) return txn.status();
    Installation installation;
    installation.serial = kSerial;
    installation.company_name = "Example Company AS";
    if (auto s = (*txn)->SetInstallation(installation); !s.ok()) return s;
    return (*txn)->Commit();
  }

  void ImportSet() {
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
        keys::SignLicenseSet(MakeSet(), *owner_key, certificate));
    LicenseImporter importer(&store, &clock_);
    ASSERT_OK(importer.Import(*db_, envelope).status());
  }

  // Adds an associate; returns its id.
  int64_t AddAssociate(const std::string& name, int64_t type = 1) {
    auto txn = db_->BeginWrite();
    EXPECT_OK(txn.status());
    if (!txn.ok()) return 0;
    auto id = (*txn)->AddAssociate({0, name, type, true});
    EXPECT_OK(id.status());
    EXPECT_OK((*txn)->Commit());
    return id.ok() ? *id : 0;
  }

  // Returns the modules `assoc_id` holds, as "name" or "name/comment".
  std::set<std::string> Held(int64_t assoc_id) {
    std::set<std::string> held;
    auto view = db_->GetOwner(kOwner);
    EXPECT_OK(view.status());
    if (!view.ok()) return held;
    for (const AssocLinkRecord& link : view->assoc_links) {
      if (link.assoc_id != assoc_id) continue;
      for (const ModuleRecord& m : view->modules) {
        if (m.id != link.module_license_id) continue;
        held.insert(link.comment.empty() ? m.module_name
                                         : m.module_name + "/" + link.comment);
      }
    }
    return held;
  }

  absl::Status Assign(const std::string& assoc, const std::string& module) {
    return assigner_.Assign(*db_, assoc, module);
  }
  absl::Status Unassign(const std::string& assoc, const std::string& module) {
    return assigner_.Unassign(*db_, assoc, module);
  }

  TempDir temp_;
  FakeClock clock_;
  std::string url_;
  std::unique_ptr<CrmDatabase> db_;
  LicenseAssigner assigner_;
};

TEST_P(LicenseAssignerTest, AssignsUserThenWebByNameIdAndPrefix) {
  const int64_t ann = AddAssociate("ann");
  const int64_t bob = AddAssociate("bob");
  EXPECT_OK(Assign("ann", "user"));
  EXPECT_OK(Assign("ann", "superoffice.web"));
  EXPECT_OK(Assign(absl::StrCat(bob), "SUPEROFFICE.user"));
  EXPECT_OK(Assign(absl::StrCat(bob), "web"));
  EXPECT_THAT(Held(ann), UnorderedElementsAre("user", "web"));
  EXPECT_THAT(Held(bob), UnorderedElementsAre("user", "web"));
  EXPECT_THAT(Assign("ann", "web"), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(LicenseAssignerTest, NotFoundNamesTheAssociateOrModule) {
  AddAssociate("ann");
  EXPECT_THAT(Assign("nobody", "user"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nobody")));
  EXPECT_THAT(Assign("ann", "no-such"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such")));
  EXPECT_THAT(Assign("999999", "user"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("999999")));
  EXPECT_THAT(Unassign("ann", "user"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(LicenseAssignerTest, EnforcesPrerequisiteHiddenAndMask) {
  const int64_t ann = AddAssociate("ann");
  AddAssociate("res", 2);
  EXPECT_THAT(Assign("ann", "web"), StatusIs(kPrecondition, HasSubstr("user")));
  EXPECT_THAT(Assign("ann", "sale-cal"),
              StatusIs(kPrecondition, HasSubstr("hidden")));
  EXPECT_OK(Assign("res", "user"));
  EXPECT_THAT(Assign("res", "visible-for"),
              StatusIs(kPrecondition, HasSubstr("not allowed")));
  EXPECT_OK(Assign("ann", "user"));
  EXPECT_OK(Assign("ann", "web"));
  EXPECT_THAT(Unassign("ann", "user"),
              StatusIs(kPrecondition, HasSubstr("required by module \"web\"")));
  EXPECT_OK(Unassign("ann", "web"));
  EXPECT_OK(Unassign("ann", "user"));
  EXPECT_THAT(Held(ann), ::testing::IsEmpty());
}

TEST_P(LicenseAssignerTest, RestrictedCountAndUnrestricted) {
  for (int i = 0; i < 4; ++i) {
    const std::string name = absl::StrCat("u", i);
    AddAssociate(name);
    ASSERT_OK(Assign(name, "user"));
    if (i < 3) {
      EXPECT_OK(Assign(name, "web"));
    }
    EXPECT_OK(Assign(name, "visible-for"));  // unrestricted, number 1
  }
  EXPECT_THAT(Assign("u3", "web"),
              StatusIs(kPrecondition,
                       HasSubstr("module \"web\": all 3 licenses are in use")));
}

TEST_P(LicenseAssignerTest, PlanAddsAndRemovesImpliedRows) {
  const int64_t ann = AddAssociate("ann");
  EXPECT_THAT(Assign("ann", "web"), StatusIs(kPrecondition));
  EXPECT_OK(Assign("ann", "user"));  // by hand: kept on unassign
  EXPECT_OK(Assign("ann", "superoffice.ten-sales"));
  EXPECT_THAT(Held(ann),
              UnorderedElementsAre("user", "ten-sales", "web/plan:ten-sales",
                                   "sale-cal/plan:ten-sales"));
  EXPECT_THAT(Assign("ann", "ten-sales"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_OK(Unassign("ann", "ten-sales"));
  EXPECT_THAT(Held(ann), ElementsAre("user"));
}

TEST_P(LicenseAssignerTest, PlanFailsWholeWhenImpliedModuleIsFull) {
  for (int i = 0; i < 3; ++i) {
    const std::string name = absl::StrCat("u", i);
    AddAssociate(name);
    ASSERT_OK(Assign(name, "user"));
    ASSERT_OK(Assign(name, "web"));
  }
  const int64_t ann = AddAssociate("ann");
  EXPECT_THAT(Assign("ann", "ten-sales"),
              StatusIs(kPrecondition, HasSubstr("all 3 licenses are in use")));
  EXPECT_THAT(Held(ann), ::testing::IsEmpty());
}

TEST_P(LicenseAssignerTest, SqlishAssociateNames) {
  const std::string nasty = "it's \"q\"'); DROP TABLE \"associate\"; --";
  const int64_t id = AddAssociate(nasty);
  EXPECT_OK(Assign(nasty, "user"));
  EXPECT_OK(Assign(nasty, "ten-sales"));
  EXPECT_OK(Unassign(nasty, "ten-sales"));
  EXPECT_THAT(Held(id), ElementsAre("user"));
}

TEST_P(LicenseAssignerTest, ConcurrentAssignmentNeverExceedsTheCount) {
  constexpr int kThreads = 32;
  for (int i = 0; i < kThreads; ++i) {
    const std::string name = absl::StrCat("u", i);
    AddAssociate(name);
  }
  {  // Give all of them "user" (10) by hand, bypassing its limit.
    auto txn = db_->BeginWrite();
    ASSERT_OK(txn.status());
    ASSERT_OK_AND_ASSIGN(OwnerView view, (*txn)->GetOwner(kOwner));
    int64_t user_id = 0;
    for (const ModuleRecord& m : view.modules) {
      if (m.module_name == "user") user_id = m.id;
    }
    ASSERT_OK_AND_ASSIGN(std::vector<Associate> all, (*txn)->ListAssociates());
    for (const Associate& a : all) {
      AssocLinkRecord link;
      link.module_license_id = user_id;
      link.assoc_id = a.id;
      ASSERT_OK((*txn)->InsertAssocLink(link).status());
    }
    ASSERT_OK((*txn)->Commit());
  }
  std::atomic<int> ok{0};
  std::atomic<int> full{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([this, i, &ok, &full] {
      auto db = CrmDatabase::Open(url_);
      ASSERT_OK(db.status());
      LicenseAssigner assigner;
      absl::Status s = assigner.Assign(**db, absl::StrCat("u", i), "web");
      if (s.ok()) ++ok;
      if (s.code() == kPrecondition) ++full;
      EXPECT_TRUE(s.ok() || s.code() == kPrecondition) << s;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(full.load(), kThreads - 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, LicenseAssignerTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
