// Tests that LicenseImporter's batched writes (client/internal/crm_writes.cc:
// many ModuleLicense rows per INSERT, UPDATE and DELETE statement) install
// big sets exactly, on SQLite and on a real PostgreSQL server: every row as
// signed, kept rows under their old ids with their links, dropped rows gone
// with theirs, and nothing at all when the import fails or is rejected.
// Sets span many statements either because they are bigger than one
// statement holds or because the test caps the parameters per statement.
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/crm_database.h"
#include "client/internal/crm_queries.h"
#include "client/internal/postgres_database.h"
#include "client/internal/set_records.h"
#include "client/internal/sqlite_database.h"
#include "client/license_importer.h"
#include "client/license_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/client_fixture.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::client {
namespace {

using ::superlicense::testing::ClientPki;
using ::superlicense::testing::FakeClock;
using ::superlicense::testing::OpenedDatabase;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::superlicense::testing::WithoutJournal;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kOwner = testing::kClientOwner;

// Caps the parameters per batched statement for the test's lifetime.
class ScopedBatchCap {
 public:
  explicit ScopedBatchCap(size_t cap) {
    internal::SetBatchParameterCapForTesting(cap);
  }
  ~ScopedBatchCap() { internal::SetBatchParameterCapForTesting(0); }
};

std::string ModuleName(int i) { return absl::StrFormat("module-%05d", i); }

// Rows `first`..`last - 1` with `number` licenses each, sort orders
// increasing from `sort_base`.
std::vector<v1::ModuleLicense> Rows(int first, int last, uint32_t number,
                                    uint32_t sort_base = 0) {
  std::vector<v1::ModuleLicense> rows;
  for (int i = first; i < last; ++i) {
    rows.push_back(testing::MakeModuleRow(
        ModuleName(i), number, sort_base + static_cast<uint32_t>(i + 1)));
  }
  return rows;
}

// The module rows of one version of the set: kept rows first.
struct Plan {
  int first_count;  // version 1: modules 0 .. first_count - 1
  int kept;         // version 2 keeps 0 .. kept - 1 (with 20 licenses) ...
  int added;        // ... and adds first_count .. first_count + added - 1
};

class ImportBatchingTest : public ::testing::TestWithParam<std::string> {
 protected:
  ImportBatchingTest() : clock_(absl::FromUnixSeconds(testing::kClientNow)) {}

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(ClientPki pki, ClientPki::Create());
    pki_ = std::make_unique<ClientPki>(std::move(pki));
    importer_ = std::make_unique<LicenseImporter>(&pki_->trust(), &clock_);
    ASSERT_OK_AND_ASSIGN(
        OpenedDatabase opened,
        testing::OpenInstalledDatabase(GetParam(), temp_, "crm.db"));
    url_ = opened.url;
    db_ = std::move(opened.db);
  }

  bool postgres() const { return GetParam() == "postgresql"; }

  v1::SignedLicenseSet Sign(uint64_t version,
                            const std::vector<v1::ModuleLicense>& rows) {
    auto envelope = pki_->Sign(
        testing::MakeLicenseSet(testing::kClientSerial, version, rows));
    EXPECT_OK(envelope.status());
    return envelope.ok() ? *envelope : v1::SignedLicenseSet();
  }

  // Returns the rows `envelope` installs, by module name.
  std::map<std::string, ModuleRecord> Expected(
      const v1::SignedLicenseSet& envelope) {
    std::map<std::string, ModuleRecord> by_name;
    auto verified = pki_->trust().VerifyLicenseSet(envelope, clock_.Now());
    EXPECT_OK(verified.status());
    if (!verified.ok()) return by_name;
    for (ModuleRecord& m : internal::MakeModuleRecords(envelope, *verified,
                                                       testing::kClientNow)) {
      by_name[m.module_name] = std::move(m);
    }
    return by_name;
  }

  OwnerView Owner() {
    auto view = db_->GetOwner(kOwner);
    EXPECT_OK(view.status());
    return view.ok() ? *view : OwnerView();
  }

  // Expects the stored rows to be exactly `envelope`'s, each id unique and
  // the ids of rows new in this import increasing in the set's order, and
  // the whole set to verify through LicenseView. Returns ids by name.
  std::map<std::string, int64_t> ExpectInstalled(
      const v1::SignedLicenseSet& envelope,
      const std::map<std::string, int64_t>& old_ids) {
    const std::map<std::string, ModuleRecord> expected = Expected(envelope);
    const OwnerView view = Owner();
    EXPECT_EQ(view.modules.size(), expected.size());
    std::map<std::string, int64_t> ids;
    std::map<int64_t, int64_t> new_ids_by_sort_order;
    for (const ModuleRecord& m : view.modules) {
      EXPECT_EQ(m.owner_id, view.owner.id) << m.module_name;
      EXPECT_TRUE(ids.emplace(m.module_name, m.id).second) << m.module_name;
      auto it = expected.find(m.module_name);
      if (it == expected.end()) {
        ADD_FAILURE() << "unexpected row " << m.module_name;
        continue;
      }
      EXPECT_THAT(internal::ModuleDifferences(m, it->second), IsEmpty())
          << m.module_name;
      if (old_ids.count(m.module_name) == 0) {
        new_ids_by_sort_order[m.sort_order] = m.id;
      }
    }
    std::set<int64_t> distinct;
    for (const auto& [name, id] : ids) distinct.insert(id);
    EXPECT_EQ(distinct.size(), ids.size());
    int64_t previous = 0;
    for (const auto& [sort_order, id] : new_ids_by_sort_order) {
      EXPECT_GT(id, previous) << "sort order " << sort_order;
      previous = id;
    }
    auto licenses = LicenseView::Load(*db_, pki_->trust(), clock_);
    EXPECT_OK(licenses.status());
    if (licenses.ok()) {
      EXPECT_EQ((*licenses)->owners().size(), 1u);
      for (const OwnerStatus& owner : (*licenses)->owners()) {
        EXPECT_EQ(owner.state, LicenseState::kOk) << owner.reason;
      }
    }
    return ids;
  }

  // Gives associate "user-<i>" module `name` and satellite 1 module `name`,
  // for every name; returns (associate, module) and (satellite link id,
  // module) pairs.
  void Link(const std::vector<std::string>& names,
            const std::map<std::string, int64_t>& ids,
            std::set<std::pair<int64_t, std::string>>* assoc,
            std::map<int64_t, std::string>* satl) {
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    for (const std::string& name : names) {
      ASSERT_OK_AND_ASSIGN(
          int64_t associate,
          txn->AddAssociate({0, absl::StrCat("user-", name), 1, true}));
      AssocLinkRecord link;
      link.module_license_id = ids.at(name);
      link.assoc_id = associate;
      ASSERT_OK(txn->InsertAssocLink(link).status());
      assoc->insert({associate, name});
      SatlLinkRecord satellite;
      satellite.module_license_id = ids.at(name);
      satellite.satellite_id = 1;
      ASSERT_OK_AND_ASSIGN(int64_t satl_id, txn->InsertSatlLink(satellite));
      (*satl)[satl_id] = name;
    }
    ASSERT_OK(txn->Commit());
  }

  // Imports version 1 and version 2 of `plan` with links on kept and on
  // dropped modules and checks both; returns version 2's rows by name.
  void ImportTwoVersions(const Plan& plan,
                         std::map<std::string, int64_t>* final_ids) {
    const v1::SignedLicenseSet first = Sign(1, Rows(0, plan.first_count, 10));
    ASSERT_OK(importer_->Import(*db_, first).status());
    const std::map<std::string, int64_t> ids1 = ExpectInstalled(first, {});

    // Kept modules linked at both ends and around every hundredth row;
    // dropped ones get satellite links only (an associate's link would
    // fail the count rule).
    std::vector<std::string> kept_names;
    for (int i = 0; i < plan.kept; i += 97) kept_names.push_back(ModuleName(i));
    kept_names.push_back(ModuleName(plan.kept - 1));
    std::set<std::pair<int64_t, std::string>> assoc;
    std::map<int64_t, std::string> satl;
    ASSERT_NO_FATAL_FAILURE(Link(kept_names, ids1, &assoc, &satl));
    {
      ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
      for (int i = plan.kept; i < plan.first_count; i += 101) {
        SatlLinkRecord satellite;
        satellite.module_license_id = ids1.at(ModuleName(i));
        satellite.satellite_id = 2;
        ASSERT_OK(txn->InsertSatlLink(satellite).status());
      }
      ASSERT_OK(txn->Commit());
    }

    std::vector<v1::ModuleLicense> rows = Rows(0, plan.kept, 20);
    for (v1::ModuleLicense& m :
         Rows(plan.first_count, plan.first_count + plan.added, 30)) {
      rows.push_back(std::move(m));
    }
    const v1::SignedLicenseSet second = Sign(2, rows);
    ASSERT_OK_AND_ASSIGN(const int64_t stamp, db_->ChangeStamp());
    ASSERT_OK(importer_->Import(*db_, second).status());
    ASSERT_OK_AND_ASSIGN(const int64_t stamp_after, db_->ChangeStamp());
    second_import_stamps_ = stamp_after - stamp;
    *final_ids = ExpectInstalled(second, ids1);
    for (int i = 0; i < plan.kept; ++i) {
      ASSERT_EQ(final_ids->at(ModuleName(i)), ids1.at(ModuleName(i)))
          << "kept row " << ModuleName(i) << " changed its id";
    }
    const OwnerView view = Owner();
    std::map<int64_t, std::string> names;
    for (const ModuleRecord& m : view.modules) names[m.id] = m.module_name;
    std::set<std::pair<int64_t, std::string>> assoc_after;
    for (const AssocLinkRecord& l : view.assoc_links) {
      assoc_after.insert({l.assoc_id, names[l.module_license_id]});
    }
    EXPECT_EQ(assoc_after, assoc);
    std::map<int64_t, std::string> satl_after;
    for (const SatlLinkRecord& l : view.satl_links) {
      satl_after[l.id] = names[l.module_license_id];
    }
    EXPECT_EQ(satl_after, satl);  // the dropped modules' links are gone
  }

  // Runs `sql` (one statement) on a second connection.
  void ExecRaw(const std::string& sql) {
    auto connection = postgres() ? internal::OpenPostgres(url_)
                                 : internal::OpenSqlite(url_.substr(7));
    ASSERT_OK(connection.status());
    ASSERT_OK((*connection)->Exec(sql)) << sql;
  }

  // Makes every later write of the ModuleLicense row `name` fail.
  void FailWritesOf(const std::string& name) {
    if (!postgres()) {
      ExecRaw(absl::StrCat(
          R"(CREATE TRIGGER "fail_row" BEFORE INSERT ON "ModuleLicense" )",
          R"(WHEN NEW."moduleName" = ')", name,
          R"(' BEGIN SELECT RAISE(ABORT, 'injected failure'); END)"));
      return;
    }
    ExecRaw(absl::StrCat(
        R"(CREATE FUNCTION "fail_row"() RETURNS trigger LANGUAGE plpgsql )",
        R"(AS $body$ BEGIN IF NEW."moduleName" = ')", name,
        R"(' THEN RAISE EXCEPTION 'injected failure'; END IF; )",
        R"(RETURN NEW; END $body$)"));
    ExecRaw(R"(CREATE TRIGGER "fail_row" BEFORE INSERT ON "ModuleLicense" )"
            R"(FOR EACH ROW EXECUTE FUNCTION "fail_row"())");
  }

  int64_t HighestVersion() {
    auto version = db_->HighestImportedVersion(kOwner);
    EXPECT_OK(version.status());
    return version.ok() ? *version : -1;
  }

  std::string DumpWithoutJournal() {
    auto dump = db_->Dump();
    EXPECT_OK(dump.status());
    return dump.ok() ? WithoutJournal(*dump) : "";
  }

  TempDir temp_;
  FakeClock clock_;
  std::unique_ptr<ClientPki> pki_;
  std::unique_ptr<LicenseImporter> importer_;
  std::string url_;
  std::unique_ptr<CrmDatabase> db_;
  // How far the second import of ImportTwoVersions moved the change stamp.
  int64_t second_import_stamps_ = 0;
};

// 100 parameters per statement: 4 module rows per INSERT or UPDATE, 100 ids
// per DELETE, so every kind of write spans many statements, the last one
// short.
TEST_P(ImportBatchingTest, CappedBatchesInstallEveryRowExactly) {
  ScopedBatchCap cap(100);
  std::map<std::string, int64_t> ids;
  ImportTwoVersions({/*first_count=*/603, /*kept=*/298, /*added=*/211}, &ids);
  EXPECT_EQ(ids.size(), 298u + 211u);
}

// More rows than one statement of the backend holds (SQLite: 1,489 updated
// or 1,560 inserted rows; PostgreSQL: 2,978 or 3,120), with the real limits.
// On PostgreSQL the change stamp, bumped once per writing statement, shows
// that the import took a handful of statements, not one per row.
TEST_P(ImportBatchingTest, SetsBiggerThanOneStatementInstallEveryRowExactly) {
  std::map<std::string, int64_t> ids;
  ImportTwoVersions({/*first_count=*/6500, /*kept=*/3100, /*added=*/3300},
                    &ids);
  EXPECT_EQ(ids.size(), 3100u + 3300u);
  if (postgres()) {
    // The owner row, 2 UPDATEs, 2 INSERTs, 1 DELETE each of links, satellite
    // links and modules, the envelope: 9 statements for 9,800 row writes.
    EXPECT_EQ(second_import_stamps_, 9);
  }
}

TEST_P(ImportBatchingTest, FailureInTheLastBatchLeavesNothing) {
  ScopedBatchCap cap(100);
  std::map<std::string, int64_t> ids;
  ImportTwoVersions({/*first_count=*/400, /*kept=*/200, /*added=*/100}, &ids);
  // Version 3 updates 300 rows, inserts 150 and deletes 0: the failure hits
  // the last INSERT, after 75 UPDATEs and 37 INSERTs succeeded.
  ASSERT_NO_FATAL_FAILURE(FailWritesOf(ModuleName(700 + 149)));
  const std::string before = DumpWithoutJournal();
  std::vector<v1::ModuleLicense> rows = Rows(0, 200, 40);
  for (v1::ModuleLicense& m : Rows(400, 500, 40)) rows.push_back(m);
  for (v1::ModuleLicense& m : Rows(700, 850, 40)) rows.push_back(m);
  absl::StatusOr<ImportResult> result = importer_->Import(*db_, Sign(3, rows));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("injected failure"));
  EXPECT_EQ(DumpWithoutJournal(), before);
  EXPECT_EQ(HighestVersion(), 2);
}

TEST_P(ImportBatchingTest, RejectedBigImportLeavesNothing) {
  std::map<std::string, int64_t> ids;
  ImportTwoVersions({/*first_count=*/3000, /*kept=*/2000, /*added=*/1000},
                    &ids);
  const std::string before = DumpWithoutJournal();
  // Version 3 drops module 0, which an associate holds.
  const v1::SignedLicenseSet third = Sign(3, Rows(1, 6000, 5));
  EXPECT_THAT(importer_->Import(*db_, third),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("fewer licenses than are in use")));
  EXPECT_EQ(DumpWithoutJournal(), before);
  EXPECT_EQ(HighestVersion(), 2);
}

// Text that a hand-made encoding of the batches (PostgreSQL array literals)
// could get wrong, inserted and then updated in batches of 4 rows.
TEST_P(ImportBatchingTest, AwkwardTextSurvivesTheBatches) {
  ScopedBatchCap cap(100);
  const std::vector<std::string> names = {"NULL",
                                          "null",
                                          "back\\slash\\",
                                          "quote\"d\"",
                                          "{braces},{}",
                                          "  spaced  ",
                                          "\xc3\xbc"
                                          "nic\xc3\xb8"
                                          "de \xe2\x9c\x93",
                                          "tab\there",
                                          "'single'",
                                          "a,b",
                                          "$1::text",
                                          "new\nline"};
  for (uint64_t version = 1; version <= 2; ++version) {
    std::vector<v1::ModuleLicense> rows;
    uint32_t sort_order = 0;
    for (const std::string& name : names) {
      v1::ModuleLicense m = testing::MakeModuleRow(
          name, static_cast<uint32_t>(version), sort_order += 10);
      m.set_prerequisite_module(name);
      m.set_extra_info(name + "\"}");
      rows.push_back(m);
    }
    const v1::SignedLicenseSet envelope = Sign(version, rows);
    ASSERT_OK(importer_->Import(*db_, envelope).status());
    EXPECT_EQ(ExpectInstalled(envelope, {}).size(), names.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportBatchingTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
