// Tests of client/license_view.h on both backends (SQLite and a real
// PostgreSQL server started by tests/support/postgres_server.h). Each test
// imports two signed sets with the LicenseImporter — the vendor's
// (SUPEROFFICE) and a partner's (ACME) — assigns licenses with the
// LicenseAssigner, and tampers with raw SQL on a second connection (the
// sqlite3 shell or psql), behind the library's back.
//
// SUPEROFFICE: server (system), satellite (site, 2), user 10, web 5
// (requires user), quote-cal 2, sale-cal 10 hidden, and the plan ten-sales
// (set=user,web,sale-cal). ACME: widget (system), widget-cal 3.
// In SetUp ann holds user and web, bob holds user, cid holds nothing.
#include "client/license_view.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
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
using ::testing::HasSubstr;

// Matches an OK StatusOr whose value matches `m`.
MATCHER_P(IsOkAndHolds, m, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(m, *arg, result_listener);
}

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1798761600;  // 2027-01-01
constexpr int64_t kAdminWarning = kNow + 270 * kDay;
constexpr int64_t kExpiration = kNow + 300 * kDay;
constexpr int64_t kGraceTo = kNow + 330 * kDay;
constexpr char kSerial[] = "1010000014";
constexpr char kVendor[] = "SUPEROFFICE";
constexpr char kPartner[] = "ACME";

std::unique_ptr<keys::Signer> NewKey() {
  auto signer = keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519);
  EXPECT_OK(signer.status());
  return *std::move(signer);
}

v1::ModuleLicense Module(const std::string& name, v1::LicenseType type,
                         uint32_t number, uint32_t sort_order) {
  v1::ModuleLicense m;
  m.set_module_name(name);
  m.set_description("desc of " + name);
  m.set_license_type(type);
  m.set_license_number(number);
  m.set_allowed_assocs_mask(type == v1::LICENSE_TYPE_USER ? 1 : 0);
  m.set_sort_order(sort_order);
  return m;
}

v1::LicenseSet BaseSet(const std::string& owner, uint64_t version) {
  v1::LicenseSet set;
  set.mutable_owner()->set_owner_name(owner);
  set.mutable_owner()->set_description(owner + " AS");
  set.mutable_owner()->set_license_version(1);
  set.mutable_customer()->set_company_name("Example Company AS");
  set.mutable_customer()->set_serial(kSerial);
  set.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
  set.set_version(version);
  set.set_issued_at(kNow - 3600);
  set.set_expiration(kExpiration);
  set.set_grace_to(kGraceTo);
  set.set_maintenance_to(kExpiration);
  set.set_admin_warning_date(kAdminWarning);
  return set;
}

v1::LicenseSet VendorSet(uint64_t version, uint32_t web = 5) {
  v1::LicenseSet set = BaseSet(kVendor, version);
  const auto user_type = v1::LICENSE_TYPE_USER;
  v1::ModuleLicense web_row = Module("web", user_type, web, 40);
  web_row.set_prerequisite_module("user");
  v1::ModuleLicense sale = Module("sale-cal", user_type, 10, 60);
  sale.set_hidden(true);
  v1::ModuleLicense plan = Module("ten-sales", user_type, 21, 70);
  plan.set_extra_flags(1);
  plan.set_extra_info("set=user,web,sale-cal");
  for (const v1::ModuleLicense& m :
       {Module("server", v1::LICENSE_TYPE_SYSTEM, 1, 10),
        Module("satellite", v1::LICENSE_TYPE_SITE, 2, 20),
        Module("user", user_type, 10, 30), web_row,
        Module("quote-cal", user_type, 2, 50), sale, plan}) {
    *set.add_module_licenses() = m;
  }
  return set;
}

v1::LicenseSet PartnerSet() {
  v1::LicenseSet set = BaseSet(kPartner, 1);
  *set.add_module_licenses() = Module("widget", v1::LICENSE_TYPE_SYSTEM, 1, 10);
  *set.add_module_licenses() =
      Module("widget-cal", v1::LICENSE_TYPE_USER, 3, 20);
  return set;
}

class LicenseViewTest : public ::testing::TestWithParam<std::string> {
 protected:
  LicenseViewTest() : clock_(absl::FromUnixSeconds(kNow)) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(MakeTrust());
    importer_ = std::make_unique<LicenseImporter>(trust_.get(), &clock_);
    ASSERT_NO_FATAL_FAILURE(OpenDatabase());
    ASSERT_OK(SetInstallation());
    ASSERT_OK(importer_->Import(*db_, Sign(VendorSet(1))).status());
    ASSERT_OK(importer_->Import(*db_, Sign(PartnerSet())).status());
    ann_ = AddAssociate("ann");
    bob_ = AddAssociate("bob");
    cid_ = AddAssociate("cid");
    ASSERT_OK(assigner_.Assign(*db_, "ann", "user"));
    ASSERT_OK(assigner_.Assign(*db_, "ann", "web"));
    ASSERT_OK(assigner_.Assign(*db_, "bob", "user"));
  }

  void MakeTrust() {
    root_ = NewKey();
    vendor_key_ = NewKey();
    partner_key_ = NewKey();
    v1::TrustBundle bundle;
    bundle.set_version(1);
    bundle.set_threshold(1);
    *bundle.add_root_keys() = keys::PublicKeyOf(*root_, "root-1");
    ASSERT_OK_AND_ASSIGN(v1::SignedTrustBundle signed_bundle,
                         keys::SignTrustBundle(*root_, bundle));
    ASSERT_OK_AND_ASSIGN(keys::TrustStore store,
                         keys::TrustStore::FromAnchor(signed_bundle));
    trust_ = std::make_unique<keys::TrustStore>(std::move(store));
    ASSERT_OK_AND_ASSIGN(vendor_cert_, Certify(kVendor, *vendor_key_));
    ASSERT_OK_AND_ASSIGN(partner_cert_, Certify(kPartner, *partner_key_));
  }

  absl::StatusOr<v1::SignedPublicKey> Certify(const std::string& owner,
                                              const keys::Signer& key) {
    v1::OwnerKeyCertificate c;
    c.set_owner_name(owner);
    *c.mutable_key() = keys::PublicKeyOf(key, "");
    c.set_issued_at(kNow - 30 * kDay);
    c.set_valid_from(kNow - 30 * kDay);
    c.set_valid_until(kNow + 365 * kDay);
    return keys::CertifyOwnerKey(*root_, c);
  }

  v1::SignedLicenseSet Sign(const v1::LicenseSet& set) {
    const bool vendor = set.owner().owner_name() == kVendor;
    auto envelope =
        keys::SignLicenseSet(set, vendor ? *vendor_key_ : *partner_key_,
                             vendor ? vendor_cert_ : partner_cert_);
    EXPECT_OK(envelope.status());
    return envelope.ok() ? *envelope : v1::SignedLicenseSet();
  }

  void OpenDatabase() {
    url_ = "sqlite:" + temp_.File("crm.db");
    if (GetParam() != "sqlite") {
      auto server = PostgresServer::Shared();
      ASSERT_THAT(server, IsOk()) << "PostgreSQL test server unavailable";
      server_ = *server;
      ASSERT_OK_AND_ASSIGN(url_, server_->CreateDatabase());
      dbname_ = url_.substr(url_.find("@/") + 2);
      dbname_ = dbname_.substr(0, dbname_.find('?'));
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

  int64_t AddAssociate(const std::string& name, bool active = true) {
    auto txn = db_->BeginWrite();
    EXPECT_OK(txn.status());
    if (!txn.ok()) return 0;
    auto id = (*txn)->AddAssociate({0, name, 1, active});
    EXPECT_OK(id.status());
    EXPECT_OK((*txn)->Commit());
    return id.ok() ? *id : 0;
  }

  // Runs raw SQL on a second connection, behind the library's back.
  void ExecRaw(const std::string& sql) {
    if (server_ != nullptr) {
      ASSERT_OK(server_->ExecuteSql(dbname_, sql));
      return;
    }
    const std::string path = url_.substr(7);
    pid_t pid = fork();
    if (pid == 0) {
      execlp("sqlite3", "sqlite3", path.c_str(), sql.c_str(), nullptr);
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << sql;
  }

  // A blob literal of the backend under test.
  std::string BlobLiteral(const std::string& bytes) const {
    const std::string hex = absl::BytesToHexString(bytes);
    return server_ != nullptr ? absl::StrCat("'\\x", hex, "'::bytea")
                              : absl::StrCat("X'", hex, "'");
  }

  std::shared_ptr<const LicenseView> Load() {
    auto view = LicenseView::Load(*db_, *trust_, clock_);
    EXPECT_OK(view.status());
    return view.ok() ? *view : nullptr;
  }

  static OwnerStatus Owner(const LicenseView& view, const std::string& name) {
    for (const OwnerStatus& owner : view.owners()) {
      if (owner.owner_name == name) return owner;
    }
    ADD_FAILURE() << "no owner " << name;
    return {};
  }

  // Tampers with `sql`, then expects the vendor to fail closed with
  // `reason`, and the partner to be unaffected.
  void ExpectVendorTampered(const std::string& sql, const std::string& reason) {
    ASSERT_NO_FATAL_FAILURE(ExecRaw(sql));
    std::shared_ptr<const LicenseView> view = Load();
    ASSERT_NE(view, nullptr);
    const OwnerStatus vendor = Owner(*view, kVendor);
    EXPECT_EQ(vendor.state, LicenseState::kTampered) << vendor.reason;
    EXPECT_THAT(vendor.reason, HasSubstr(reason));
    EXPECT_FALSE(vendor.grants());
    EXPECT_FALSE(view->Has(ann_, "user"));
    EXPECT_FALSE(view->Has(ann_, "superoffice.web"));
    EXPECT_FALSE(view->Has(ann_, "server"));
    const OwnerStatus partner = Owner(*view, kPartner);
    EXPECT_EQ(partner.state, LicenseState::kOk) << partner.reason;
    EXPECT_TRUE(view->Has(ann_, "acme.widget"));
  }

  TempDir temp_;
  FakeClock clock_;
  std::unique_ptr<keys::Signer> root_;
  std::unique_ptr<keys::Signer> vendor_key_;
  std::unique_ptr<keys::Signer> partner_key_;
  v1::SignedPublicKey vendor_cert_;
  v1::SignedPublicKey partner_cert_;
  std::unique_ptr<keys::TrustStore> trust_;
  std::unique_ptr<LicenseImporter> importer_;
  LicenseAssigner assigner_;
  PostgresServer* server_ = nullptr;  // not owned; null for SQLite
  std::string url_;
  std::string dbname_;
  std::unique_ptr<CrmDatabase> db_;
  int64_t ann_ = 0;
  int64_t bob_ = 0;
  int64_t cid_ = 0;
};

TEST_P(LicenseViewTest, HasAnswersHeldNotHeldSystemAndUnknown) {
  std::shared_ptr<const LicenseView> view = Load();
  ASSERT_NE(view, nullptr);
  EXPECT_TRUE(view->Has(ann_, "user"));
  EXPECT_TRUE(view->Has(ann_, "web"));
  EXPECT_TRUE(view->Has(ann_, "superoffice.web"));
  EXPECT_TRUE(view->Has(ann_, "SUPEROFFICE.user"));
  EXPECT_TRUE(view->Has(bob_, "user"));
  EXPECT_FALSE(view->Has(bob_, "web"));
  EXPECT_FALSE(view->Has(ann_, "quote-cal"));  // not held
  EXPECT_FALSE(view->Has(cid_, "user"));
  // System and site licenses: granted to everyone while the owner grants.
  EXPECT_TRUE(view->Has(cid_, "server"));
  EXPECT_TRUE(view->Has(cid_, "superoffice.satellite"));
  EXPECT_TRUE(view->Has(999999, "server"));
  EXPECT_TRUE(view->Has(cid_, "acme.widget"));
  EXPECT_TRUE(view->Has(cid_, "ACME.widget"));
  // A bare name means SUPEROFFICE, not the partner.
  EXPECT_FALSE(view->Has(cid_, "widget"));
  // Unknown modules and owners.
  EXPECT_FALSE(view->Has(ann_, "no-such"));
  EXPECT_FALSE(view->Has(ann_, "nobody.user"));
  EXPECT_FALSE(view->Has(ann_, "acme.user"));
  EXPECT_FALSE(view->Has(ann_, ""));
  EXPECT_FALSE(view->Has(ann_, "."));
  EXPECT_FALSE(view->Has(ann_, "superoffice."));
  EXPECT_FALSE(view->Has(ann_, std::string(1000, 'x')));
}

TEST_P(LicenseViewTest, ReportsOwnersModulesAndInstallation) {
  std::shared_ptr<const LicenseView> view = Load();
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(view->installation().serial, kSerial);
  ASSERT_EQ(view->owners().size(), 2u);
  EXPECT_EQ(view->owners()[0].owner_name, kPartner);  // by name
  const OwnerStatus vendor = Owner(*view, kVendor);
  EXPECT_EQ(vendor.state, LicenseState::kOk);
  EXPECT_EQ(vendor.reason, "");
  EXPECT_EQ(vendor.serial, kSerial);
  EXPECT_EQ(vendor.company_name, "Example Company AS");
  EXPECT_EQ(vendor.version, 1u);
  EXPECT_EQ(vendor.grace_to, kGraceTo);
  EXPECT_EQ(vendor.admin_warning_date, kAdminWarning);
  std::vector<std::string> names;
  for (const ModuleStatus& m : view->modules()) {
    names.push_back(m.owner_name + "." + m.module_name);
    if (m.module_name == "user") {
      EXPECT_EQ(m.in_use, 2);
      EXPECT_EQ(m.free, 8);
      EXPECT_EQ(m.license_type, 3);
    }
  }
  EXPECT_THAT(names, ::testing::ElementsAre(
                         "ACME.widget", "ACME.widget-cal", "SUPEROFFICE.server",
                         "SUPEROFFICE.satellite", "SUPEROFFICE.user",
                         "SUPEROFFICE.web", "SUPEROFFICE.quote-cal",
                         "SUPEROFFICE.sale-cal", "SUPEROFFICE.ten-sales"));
  EXPECT_EQ(LicenseStateName(LicenseState::kPastGrace), "past-grace");
}

TEST_P(LicenseViewTest, PlanGrantsThePlanAndItsImpliedModules) {
  ASSERT_OK(assigner_.Assign(*db_, "cid", "ten-sales"));
  // An inactive associate's links still count: the CRM decides logins.
  const int64_t dan = AddAssociate("dan", /*active=*/false);
  ASSERT_OK(assigner_.Assign(*db_, "dan", "user"));
  std::shared_ptr<const LicenseView> view = Load();
  ASSERT_NE(view, nullptr);
  for (const char* module : {"ten-sales", "user", "web", "sale-cal"}) {
    EXPECT_TRUE(view->Has(cid_, module)) << module;
  }
  EXPECT_FALSE(view->Has(cid_, "quote-cal"));
  EXPECT_FALSE(view->Has(ann_, "ten-sales"));
  EXPECT_TRUE(view->Has(dan, "user"));
}

TEST_P(LicenseViewTest, EditedLicenseNumberFailsClosed) {
  ExpectVendorTampered(
      R"(UPDATE "ModuleLicense" SET "licenseNumber" = 50
         WHERE "moduleName" = 'web')",
      R"(ModuleLicense row "web" differs from the signed set (licenseNumber))");
}

TEST_P(LicenseViewTest, AddedModuleRowFailsClosed) {
  ExpectVendorTampered(
      R"(INSERT INTO "ModuleLicense" ("moduleName", "licenseType",
           "licenseNumber", "encryptedCheck", "ModuleOwner_id", "sortOrder",
           "signature")
         SELECT 'extra', 1, 1, '', "ModuleOwner_id", 99, ''
         FROM "ModuleOwner" WHERE "ownerName" = 'SUPEROFFICE')",
      R"(ModuleLicense row "extra" is not in the signed set)");
}

TEST_P(LicenseViewTest, DeletedModuleRowFailsClosed) {
  ExpectVendorTampered(
      R"(DELETE FROM "ModuleLicense" WHERE "moduleName" = 'quote-cal')",
      R"(module "quote-cal" of the signed set is missing)");
}

TEST_P(LicenseViewTest, EditedOwnerRowFailsClosed) {
  ExpectVendorTampered(
      R"(UPDATE "ModuleOwner" SET "graceTo" = "graceTo" + 31536000
         WHERE "ownerName" = 'SUPEROFFICE')",
      R"(ModuleOwner row "SUPEROFFICE" differs from the signed set (graceTo))");
}

TEST_P(LicenseViewTest, EditedRowSignatureFailsClosed) {
  ExpectVendorTampered(
      R"(UPDATE "ModuleLicense" SET "signature" = "encryptedCheck"
         WHERE "moduleName" = 'user')",
      R"(ModuleLicense row "user" differs from the signed set (signature))");
}

TEST_P(LicenseViewTest, ReplacedEnvelopeFailsClosed) {
  // A validly signed set with more licenses, put in place of the imported
  // one without importing it.
  const std::string other = Sign(VendorSet(2, 50)).SerializeAsString();
  ExpectVendorTampered(
      absl::StrCat(R"(UPDATE "license_envelope" SET "envelope" = )",
                   BlobLiteral(other),
                   R"( WHERE "owner_name" = 'SUPEROFFICE')"),
      "license_envelope row v1 holds a set of version 2");
}

TEST_P(LicenseViewTest, GarbageEnvelopeFailsClosed) {
  ExpectVendorTampered(
      absl::StrCat(R"(UPDATE "license_envelope" SET "envelope" = )",
                   BlobLiteral("garbage"),
                   R"( WHERE "owner_name" = 'SUPEROFFICE')"),
      "the stored license set v1 does not verify");
}

TEST_P(LicenseViewTest, RolledBackEnvelopeFailsClosed) {
  ASSERT_OK(importer_->Import(*db_, Sign(VendorSet(2, 4))).status());
  ExpectVendorTampered(
      R"(DELETE FROM "license_envelope" WHERE "version" = 2)",
      "the stored license set v1 is older than the imported v2");
}

TEST_P(LicenseViewTest, LinksBeyondTheCountFailClosed) {
  ExpectVendorTampered(
      R"(INSERT INTO "LicenseAssocLink" ("moduleLicenseId", "assocId",
           "encryptedCheck")
         SELECT m."ModuleLicense_id", a."associate_id", ''
         FROM "ModuleLicense" m, "associate" a
         WHERE m."moduleName" = 'quote-cal')",
      R"(module "quote-cal": 3 assigned, licenseNumber 2)");
}

TEST_P(LicenseViewTest, LinkHiddenFromTheCountFailsClosed) {
  ExpectVendorTampered(R"(UPDATE "LicenseAssocLink" SET "licenseNumber" = 0)",
                       "licenseNumber 0");
}

TEST_P(LicenseViewTest, ClockBeforeTheWatermarkFailsClosed) {
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    ASSERT_OK(txn->RaiseClockWatermark(kVendor, kNow + 10 * kDay));
    ASSERT_OK(txn->Commit());
  }
  clock_.Set(absl::FromUnixSeconds(kNow + 10 * kDay - 60));  // in tolerance
  std::shared_ptr<const LicenseView> view = Load();
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(Owner(*view, kVendor).state, LicenseState::kOk);
  clock_.Set(absl::FromUnixSeconds(kNow));
  ExpectVendorTampered("SELECT 1",
                       "clock is before the newest time seen (now "
                       "2027-01-01T00:00:00Z, newest seen "
                       "2027-01-11T00:00:00Z)");
}

TEST_P(LicenseViewTest, StatesFollowTheDates) {
  struct Case {
    int64_t at;
    LicenseState state;
    bool grants;
  };
  for (const Case& c : {Case{kAdminWarning - 1, LicenseState::kOk, true},
                        Case{kAdminWarning, LicenseState::kAdminWarning, true},
                        Case{kExpiration + 1, LicenseState::kExpired, true},
                        Case{kGraceTo, LicenseState::kPastGrace, false}}) {
    clock_.Set(absl::FromUnixSeconds(c.at));
    std::shared_ptr<const LicenseView> view = Load();
    ASSERT_NE(view, nullptr);
    const OwnerStatus vendor = Owner(*view, kVendor);
    EXPECT_EQ(vendor.state, c.state) << c.at << ": " << vendor.reason;
    EXPECT_EQ(vendor.reason.empty(), c.state == LicenseState::kOk);
    EXPECT_EQ(view->Has(ann_, "user"), c.grants) << c.at;
    EXPECT_EQ(view->Has(cid_, "server"), c.grants) << c.at;
  }
}

TEST_P(LicenseViewTest, LiveViewReloadsOnlyWhenSomethingChanged) {
  LiveLicenseView live(trust_.get(), &clock_);
  EXPECT_FALSE(live.Has(ann_, "user"));  // nothing loaded yet
  EXPECT_EQ(live.current(), nullptr);
  EXPECT_THAT(live.Refresh(*db_), IsOkAndHolds(true));
  std::shared_ptr<const LicenseView> first = live.current();
  EXPECT_TRUE(live.Has(ann_, "user"));
  EXPECT_FALSE(live.Has(cid_, "user"));
  // Nothing changed: no reload, the same view object.
  EXPECT_THAT(live.Refresh(*db_), IsOkAndHolds(false));
  EXPECT_EQ(live.current(), first);
  // Reads and writes outside the licensing tables change nothing.
  AddAssociate("eve");
  EXPECT_THAT(live.Refresh(*db_), IsOkAndHolds(false));
  // An assignment through the library.
  ASSERT_OK(assigner_.Assign(*db_, "cid", "user"));
  EXPECT_THAT(live.Refresh(*db_), IsOkAndHolds(true));
  EXPECT_TRUE(live.Has(cid_, "user"));
  EXPECT_THAT(live.Refresh(*db_), IsOkAndHolds(false));
  // A raw-SQL edit behind the library's back.
  ExecRaw(R"(UPDATE "ModuleLicense" SET "licenseNumber" = 99
             WHERE "moduleName" = 'user')");
  EXPECT_THAT(live.Refresh(*db_), IsOkAndHolds(true));
  EXPECT_FALSE(live.Has(ann_, "user"));
  EXPECT_EQ(Owner(*live.current(), kVendor).state, LicenseState::kTampered);
}

TEST_P(LicenseViewTest, LiveViewReloadsWhenADateIsReached) {
  LiveLicenseView live(trust_.get(), &clock_);
  ASSERT_THAT(live.Refresh(*db_), IsOkAndHolds(true));
  EXPECT_EQ(live.current()->stale_at(), absl::FromUnixSeconds(kAdminWarning));
  clock_.Set(absl::FromUnixSeconds(kGraceTo - 1));
  EXPECT_THAT(live.Refresh(*db_), IsOkAndHolds(true));
  EXPECT_EQ(Owner(*live.current(), kVendor).state, LicenseState::kExpired);
  EXPECT_TRUE(live.Has(ann_, "user"));
  clock_.Set(absl::FromUnixSeconds(kGraceTo));
  EXPECT_THAT(live.Refresh(*db_), IsOkAndHolds(true));
  EXPECT_FALSE(live.Has(ann_, "user"));
  EXPECT_THAT(live.Refresh(*db_), IsOkAndHolds(false));
}

TEST_P(LicenseViewTest, ConcurrentHasWhileRefreshing) {
  LiveLicenseView live(trust_.get(), &clock_);
  ASSERT_THAT(live.Refresh(*db_), IsOkAndHolds(true));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> checks{0};
  std::atomic<int64_t> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        // ann's user license never changes; cid's web comes and goes.
        if (!live.Has(ann_, "user") || live.Has(bob_, "web")) ++wrong;
        live.Has(cid_, "web");
        ++checks;
      }
    });
  }
  ASSERT_OK(assigner_.Assign(*db_, "cid", "user"));
  int reloads = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(i % 2 == 0 ? assigner_.Assign(*db_, "cid", "web")
                         : assigner_.Unassign(*db_, "cid", "web"));
    auto reloaded = live.Refresh(*db_);
    ASSERT_OK(reloaded.status());
    if (*reloaded) ++reloads;
    EXPECT_EQ(live.Has(cid_, "web"), i % 2 == 0);
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(reloads, 10);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(checks.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, LicenseViewTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
