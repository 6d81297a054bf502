// Tests of client/crm_database.h on both backends (SQLite and a real
// PostgreSQL 15 server started by tests/support/postgres_server.h).
#include "client/crm_database.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::client {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::PostgresServer;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Matches an OK StatusOr whose value matches `m`.
MATCHER_P(IsOkAndHolds, m, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(m, *arg, result_listener);
}

// Text that would break any SQL built by concatenation.
const std::string kNasty =
    "it's \"quoted\"'); DROP TABLE \"ModuleOwner\"; -- \\ $1 ? "
    "\xC3\x86r\xC3\xB8 \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x9A\x80";

std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

OwnerRecord MakeOwner(const std::string& name) {
  OwnerRecord o;
  o.owner_name = name;
  o.owner_description = kNasty;
  o.license_url = "https://licenses.example/" + kNasty;
  o.license_version = 7;
  o.signed_public_key = AllBytes();
  o.signature = std::string("\0sig\0", 5);
  o.deployment_type = "onsite";
  o.product_type = 3;
  o.product_type_description = kNasty;
  o.extra_flags = 4294967295;
  o.extra_info = kNasty;
  o.expiration = 1893456000;
  o.grace_to = 1896048000;
  o.maintenance_to = 1900000000;
  o.next_check_date = 1800000000;
  o.admin_warning_date = std::nullopt;
  o.encrypted_check = AllBytes();
  o.audit = {1700000000, 1, 1700000001, 2, 3};
  return o;
}

ModuleRecord MakeModule(const std::string& name, int64_t number) {
  ModuleRecord m;
  m.module_name = name;
  m.module_description = "desc " + kNasty;
  m.module_version = "";
  m.tooltip = kNasty;
  m.license_type = 3;
  m.license_number = number;
  m.allowed_assocs_mask = 5;
  m.extra_flags = 1;
  m.extra_info = "set=user,web";
  m.encrypted_check = AllBytes();
  m.audit = {1, 2, 3, 4, 5};
  m.sort_order = 10;
  m.signature = AllBytes();
  m.unrestricted = false;
  m.hidden = true;
  m.prerequisite_module = "user";
  return m;
}

class CrmDatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      url_ = "sqlite:" + temp_.File("crm.db");
      return;
    }
    auto server = PostgresServer::Shared();
    ASSERT_THAT(server, IsOk()) << "PostgreSQL test server unavailable";
    server_ = *server;
    auto url = server_->CreateDatabase();
    ASSERT_THAT(url, IsOk());
    url_ = *url;
    dbname_ = url_.substr(url_.find("@/") + 2);
    dbname_ = dbname_.substr(0, dbname_.find('?'));
  }

  std::unique_ptr<CrmDatabase> OpenOrDie() {
    auto db = CrmDatabase::Open(url_);
    EXPECT_THAT(db, IsOk());
    return db.ok() ? std::move(*db) : nullptr;
  }

  // Runs raw SQL behind the library's back (psql or the sqlite3 shell).
  void ExecRaw(const std::string& sql) {
    if (server_ != nullptr) {
      ASSERT_THAT(server_->ExecuteSql(dbname_, sql), IsOk());
      return;
    }
    std::string path = url_.substr(7);
    pid_t pid = fork();
    if (pid == 0) {
      execlp("sqlite3", "sqlite3", path.c_str(), sql.c_str(), nullptr);
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << sql;
  }

  // Installs owner "ACME" with modules; returns the view.
  OwnerView InstallOwner(CrmDatabase& db,
                         const std::vector<ModuleRecord>& modules) {
    auto txn = db.BeginWrite();
    EXPECT_THAT(txn, IsOk());
    auto view = (*txn)->ReplaceOwner(MakeOwner("ACME"), modules);
    EXPECT_THAT(view, IsOk());
    EXPECT_THAT((*txn)->Commit(), IsOk());
    return view.ok() ? *view : OwnerView{};
  }

  int64_t AddAssociate(CrmDatabase& db, const std::string& name) {
    auto txn = db.BeginWrite();
    EXPECT_THAT(txn, IsOk());
    auto id = (*txn)->AddAssociate({0, name, 1, true});
    EXPECT_THAT(id, IsOk());
    EXPECT_THAT((*txn)->Commit(), IsOk());
    return id.ok() ? *id : 0;
  }

  TempDir temp_;
  PostgresServer* server_ = nullptr;  // not owned; null for SQLite
  std::string url_;
  std::string dbname_;
};

TEST_P(CrmDatabaseTest, CreatesSchema) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->SchemaVersion(), IsOkAndHolds(kCrmSchemaVersion));
  EXPECT_THAT(db->GetInstallation(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(db->ListOwnerNames(), IsOkAndHolds(::testing::IsEmpty()));
  auto dump = db->Dump();
  ASSERT_THAT(dump, IsOk());
  for (const char* table :
       {"ModuleOwner:", "ModuleLicense:", "LicenseAssocLink:",
        "LicenseSatlLink:", "installation:", "license_envelope:",
        "import_history:", "associate:", "clock_watermark:", "license_change:",
        "consumption:", "system_message:"}) {
    EXPECT_THAT(*dump, HasSubstr(table));
  }
}

TEST_P(CrmDatabaseTest, ReopenKeepsDataAndMigrationIsIdempotent) {
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    ASSERT_OK(
        txn->SetInstallation({"1010000014", kNasty, SiteKind::kSatellite, 42}));
    ASSERT_OK(txn->Commit());
  }
  for (int i = 0; i < 3; ++i) {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    EXPECT_THAT(db->SchemaVersion(), IsOkAndHolds(kCrmSchemaVersion));
    ASSERT_OK_AND_ASSIGN(Installation got, db->GetInstallation());
    EXPECT_EQ(got.serial, "1010000014");
    EXPECT_EQ(got.company_name, kNasty);
    EXPECT_EQ(got.site_kind, SiteKind::kSatellite);
    EXPECT_EQ(got.satellite_id, 42);
  }
}

TEST_P(CrmDatabaseTest, RefusesNewerSchemaVersion) {
  { ASSERT_NE(OpenOrDie(), nullptr); }
  ExecRaw("UPDATE schema_version SET version = 99");
  EXPECT_THAT(CrmDatabase::Open(url_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("99")));
}

void ExpectSameOwner(const OwnerRecord& a, const OwnerRecord& b) {
  EXPECT_EQ(a.owner_name, b.owner_name);
  EXPECT_EQ(a.owner_description, b.owner_description);
  EXPECT_EQ(a.license_url, b.license_url);
  EXPECT_EQ(a.license_version, b.license_version);
  EXPECT_EQ(a.signed_public_key, b.signed_public_key);
  EXPECT_EQ(a.signature, b.signature);
  EXPECT_EQ(a.deployment_type, b.deployment_type);
  EXPECT_EQ(a.product_type, b.product_type);
  EXPECT_EQ(a.product_type_description, b.product_type_description);
  EXPECT_EQ(a.extra_flags, b.extra_flags);
  EXPECT_EQ(a.extra_info, b.extra_info);
  EXPECT_EQ(a.expiration, b.expiration);
  EXPECT_EQ(a.grace_to, b.grace_to);
  EXPECT_EQ(a.maintenance_to, b.maintenance_to);
  EXPECT_EQ(a.next_check_date, b.next_check_date);
  EXPECT_EQ(a.admin_warning_date, b.admin_warning_date);
  EXPECT_EQ(a.encrypted_check, b.encrypted_check);
  EXPECT_EQ(a.audit.registered, b.audit.registered);
  EXPECT_EQ(a.audit.registered_associate_id, b.audit.registered_associate_id);
  EXPECT_EQ(a.audit.updated, b.audit.updated);
  EXPECT_EQ(a.audit.updated_associate_id, b.audit.updated_associate_id);
  EXPECT_EQ(a.audit.updated_count, b.audit.updated_count);
}

void ExpectSameModule(const ModuleRecord& a, const ModuleRecord& b) {
  EXPECT_EQ(a.module_name, b.module_name);
  EXPECT_EQ(a.module_description, b.module_description);
  EXPECT_EQ(a.module_version, b.module_version);
  EXPECT_EQ(a.tooltip, b.tooltip);
  EXPECT_EQ(a.license_type, b.license_type);
  EXPECT_EQ(a.license_number, b.license_number);
  EXPECT_EQ(a.allowed_assocs_mask, b.allowed_assocs_mask);
  EXPECT_EQ(a.extra_flags, b.extra_flags);
  EXPECT_EQ(a.extra_info, b.extra_info);
  EXPECT_EQ(a.encrypted_check, b.encrypted_check);
  EXPECT_EQ(a.audit.updated_count, b.audit.updated_count);
  EXPECT_EQ(a.sort_order, b.sort_order);
  EXPECT_EQ(a.signature, b.signature);
  EXPECT_EQ(a.unrestricted, b.unrestricted);
  EXPECT_EQ(a.hidden, b.hidden);
  EXPECT_EQ(a.prerequisite_module, b.prerequisite_module);
}

TEST_P(CrmDatabaseTest, OwnerAndModulesRoundTripEveryColumn) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ModuleRecord nasty = MakeModule(kNasty, 3);
  nasty.module_version = kNasty;
  nasty.unrestricted = true;
  nasty.hidden = false;
  nasty.extra_info = "";  // stored as NULL, read back as ""
  InstallOwner(*db, {MakeModule("user", 10), nasty});

  ASSERT_OK_AND_ASSIGN(OwnerView view, db->GetOwner("ACME"));
  ExpectSameOwner(view.owner, MakeOwner("ACME"));
  EXPECT_EQ(view.owner.admin_warning_date, std::nullopt);
  ASSERT_EQ(view.modules.size(), 2u);
  ExpectSameModule(view.modules[0], MakeModule("user", 10));
  ExpectSameModule(view.modules[1], nasty);
  EXPECT_EQ(view.modules[1].owner_id, view.owner.id);
  EXPECT_THAT(db->ListOwnerNames(), IsOkAndHolds(ElementsAre("ACME")));
  EXPECT_THAT(db->GetOwner(kNasty), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(CrmDatabaseTest, ReimportKeepsModuleIdsAndLinks) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  OwnerView first =
      InstallOwner(*db, {MakeModule("user", 10), MakeModule("web", 5)});
  ASSERT_EQ(first.modules.size(), 2u);
  int64_t alice = AddAssociate(*db, "alice");
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    AssocLinkRecord link;
    link.module_license_id = first.modules[0].id;
    link.assoc_id = alice;
    ASSERT_OK(txn->InsertAssocLink(link).status());
    link.module_license_id = first.modules[1].id;
    ASSERT_OK(txn->InsertAssocLink(link).status());
    ASSERT_OK(txn->Commit());
  }
  OwnerView second =
      InstallOwner(*db, {MakeModule("user", 20), MakeModule("quote-cal", 3)});
  ASSERT_EQ(second.modules.size(), 2u);
  EXPECT_EQ(second.owner.id, first.owner.id);
  EXPECT_EQ(second.modules[0].id, first.modules[0].id);  // "user" kept
  EXPECT_EQ(second.modules[0].license_number, 20);
  EXPECT_EQ(second.modules[1].module_name, "quote-cal");
  // The "web" link went with its module; the "user" link stayed.
  ASSERT_EQ(second.assoc_links.size(), 1u);
  EXPECT_EQ(second.assoc_links[0].module_license_id, first.modules[0].id);
}

TEST_P(CrmDatabaseTest, UniqueConstraintsAreAlreadyExists) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  OwnerView view = InstallOwner(*db, {MakeModule("user", 10)});
  int64_t alice = AddAssociate(*db, kNasty);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    EXPECT_THAT(
        txn->AddAssociate({0, kNasty, 1, true}),
        StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("associate")));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    AssocLinkRecord link;
    link.module_license_id = view.modules[0].id;
    link.assoc_id = alice;
    ASSERT_OK(txn->InsertAssocLink(link).status());
    EXPECT_THAT(txn->InsertAssocLink(link),
                StatusIs(absl::StatusCode::kAlreadyExists,
                         HasSubstr("LicenseAssocLink")));
    // The transaction is now failed: nothing more, not even Commit().
    EXPECT_THAT(txn->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    EXPECT_THAT(txn->ReplaceOwner(MakeOwner("ACME"), {MakeModule("user", 1),
                                                      MakeModule("user", 2)}),
                StatusIs(absl::StatusCode::kAlreadyExists));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    AssocLinkRecord orphan;
    orphan.module_license_id = 999999;
    orphan.assoc_id = alice;
    EXPECT_THAT(txn->InsertAssocLink(orphan),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_THAT(db->ListAssocLinksOf(alice), IsOkAndHolds(::testing::IsEmpty()));
}

TEST_P(CrmDatabaseTest, UncommittedTransactionLeavesNothing) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_OK_AND_ASSIGN(std::string before, db->Dump());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    ASSERT_OK(
        txn->ReplaceOwner(MakeOwner("ACME"), {MakeModule("user", 1)}).status());
    ASSERT_OK(txn->AddAssociate({0, "bob", 1, true}).status());
    ASSERT_OK(txn->SetInstallation({"1010000014", "x", SiteKind::kCentral, 0}));
    // Reads inside the transaction see its own writes.
    EXPECT_THAT(txn->FindAssociateByName("bob"), IsOk());
  }  // destroyed without Commit()
  EXPECT_THAT(db->Dump(), IsOkAndHolds(before));
  EXPECT_THAT(db->FindAssociateByName("bob"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(CrmDatabaseTest, ErrorMidwayLeavesDatabaseExactlyAsBefore) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  OwnerView view = InstallOwner(*db, {MakeModule("user", 10)});
  int64_t alice = AddAssociate(*db, "alice");
  ASSERT_OK_AND_ASSIGN(std::string before, db->Dump());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    OwnerRecord changed = MakeOwner("ACME");
    changed.license_version = 8;
    ASSERT_OK(txn->ReplaceOwner(changed, {MakeModule("web", 3)}).status());
    ASSERT_OK(txn->RecordEnvelope({"ACME", 8, AllBytes(), 5}));
    AssocLinkRecord link;
    link.module_license_id = view.modules[0].id;  // deleted just above
    link.assoc_id = alice;
    EXPECT_THAT(txn->InsertAssocLink(link), Not(IsOk()));
    EXPECT_THAT(txn->Commit(), Not(IsOk()));
  }
  EXPECT_THAT(db->Dump(), IsOkAndHolds(before));
}

TEST_P(CrmDatabaseTest, AssociatesByIdAndByName) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  int64_t alice = AddAssociate(*db, "alice");
  int64_t nasty = AddAssociate(*db, kNasty);
  EXPECT_NE(alice, nasty);
  ASSERT_OK_AND_ASSIGN(Associate by_id, db->FindAssociateById(nasty));
  EXPECT_EQ(by_id.name, kNasty);
  EXPECT_EQ(by_id.type, 1);
  EXPECT_TRUE(by_id.active);
  ASSERT_OK_AND_ASSIGN(Associate by_name, db->FindAssociateByName("alice"));
  EXPECT_EQ(by_name.id, alice);
  EXPECT_THAT(db->FindAssociateById(alice + nasty + 100),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(db->FindAssociateByName("alice' OR '1'='1"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto all, db->ListAssociates());
  EXPECT_EQ(all.size(), 2u);
}

TEST_P(CrmDatabaseTest, EnvelopesHistoryAndWatermark) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    ASSERT_OK(txn->RecordEnvelope({"ACME", 3, AllBytes(), 100}));
    ASSERT_OK(
        txn->RecordImport({0, "ACME", 9, "rejected", kNasty, 101}).status());
    ASSERT_OK(
        txn->RecordImport({0, "ACME", 5, "accepted", "ok", 102}).status());
    ASSERT_OK(txn->RaiseClockWatermark("ACME", 500));
    ASSERT_OK(txn->RaiseClockWatermark("ACME", 400));  // never lowers
    ASSERT_OK(txn->Commit());
  }
  EXPECT_THAT(db->HighestImportedVersion("ACME"), IsOkAndHolds(5));
  EXPECT_THAT(db->HighestImportedVersion("OTHER"), IsOkAndHolds(0));
  ASSERT_OK_AND_ASSIGN(EnvelopeRecord env, db->LatestEnvelope("ACME"));
  EXPECT_EQ(env.envelope, AllBytes());
  EXPECT_EQ(env.version, 3);
  ASSERT_OK_AND_ASSIGN(auto history, db->ListImportHistory("ACME"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].message, kNasty);
  EXPECT_THAT(db->GetClockWatermark("ACME"), IsOkAndHolds(500));
  ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
  EXPECT_THAT(txn->RecordEnvelope({"ACME", 3, "", 1}),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(CrmDatabaseTest, ChangeStampMovesOnCommittedLicensingWrites) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_OK_AND_ASSIGN(int64_t stamp, db->ChangeStamp());
  // Reads, rolled-back writes and tables outside licensing leave it alone.
  ASSERT_OK(db->ListOwnerNames().status());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    ASSERT_OK(
        txn->SetInstallation({"1010000014", "Co", SiteKind::kCentral, 0}));
    EXPECT_THAT(txn->ChangeStamp(), IsOkAndHolds(::testing::Ne(stamp)));
  }  // rolled back
  EXPECT_THAT(db->ChangeStamp(), IsOkAndHolds(stamp));
  // Every write through the library moves it.
  int64_t last = stamp;
  auto expect_moved = [&](const char* what) {
    ASSERT_OK_AND_ASSIGN(int64_t now, db->ChangeStamp());
    EXPECT_NE(now, last) << what;
    last = now;
  };
  OwnerView view = InstallOwner(*db, {MakeModule("user", 10)});
  ASSERT_EQ(view.modules.size(), 1u);
  expect_moved("ReplaceOwner");
  int64_t alice = AddAssociate(*db, "alice");
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    AssocLinkRecord link;
    link.module_license_id = view.modules[0].id;
    link.assoc_id = alice;
    ASSERT_OK(txn->InsertAssocLink(link).status());
    ASSERT_OK(txn->Commit());
  }
  expect_moved("InsertAssocLink");
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    ASSERT_OK(txn->RaiseClockWatermark("ACME", 500));
    ASSERT_OK(txn->Commit());
  }
  expect_moved("RaiseClockWatermark");
  // Raw SQL on another connection, behind the library's back: every
  // licensing table, every kind of statement.
  for (const char* sql : {
           R"(UPDATE "ModuleLicense" SET "licenseNumber" = 99)",
           R"(UPDATE "ModuleOwner" SET "graceTo" = 1)",
           R"(DELETE FROM "LicenseAssocLink")",
           R"(INSERT INTO "LicenseSatlLink" ("moduleLicenseId", "satelliteId",
              "encryptedCheck") SELECT "ModuleLicense_id", 7, '' FROM
              "ModuleLicense")",
           R"(INSERT INTO "license_envelope" ("owner_name", "version",
              "envelope", "imported_at") VALUES ('ACME', 1, '', 0))",
           R"(UPDATE "license_envelope" SET "version" = 2)",
           R"(DELETE FROM "license_envelope")",
           R"(UPDATE "clock_watermark" SET "newest_seen" = 1)",
           R"(INSERT INTO "installation" VALUES (1, '1010000014', 'Co', 0, 0))",
           R"(UPDATE "installation" SET "serial" = '1010000022')",
       }) {
    ExecRaw(sql);
    expect_moved(sql);
  }
}

// What version 3 added (consumption, system messages).
constexpr char kDropVersion3[] =
    "DROP TABLE consumption; DROP TABLE system_message; ";

TEST_P(CrmDatabaseTest, MigratesVersion2Database) {
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    InstallOwner(*db, {MakeModule("user", 10)});
  }
  ExecRaw(
      absl::StrCat(kDropVersion3, "UPDATE schema_version SET version = 2;"));
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->SchemaVersion(), IsOkAndHolds(3));
  ASSERT_OK_AND_ASSIGN(OwnerView view, db->GetOwner("ACME"));
  EXPECT_EQ(view.modules.size(), 1u);
  // The new tables work, and writing them leaves the change stamp alone.
  ASSERT_OK_AND_ASSIGN(int64_t stamp, db->ChangeStamp());
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    ASSERT_OK(
        txn->InsertConsumption({{0, "chat_sessions", 2, 100, 0, "ACME"},
                                {0, "chat_sessions", 3, 200, 7, "ACME"}}));
    SystemMessage m;
    m.owner_name = "ACME";
    m.operation = "import";
    m.status = "started";
    m.message = kNasty;
    m.started = 100;
    m.expected_end = 160;
    m.type = "info";
    ASSERT_OK(txn->AddSystemMessage(m).status());
    m.expected_end.reset();
    m.status = "finished";
    ASSERT_OK(txn->AddSystemMessage(m).status());
    ASSERT_OK(txn->Commit());
  }
  EXPECT_THAT(db->ChangeStamp(), IsOkAndHolds(stamp));
  ASSERT_OK_AND_ASSIGN(auto totals, db->SumConsumption("ACME", 100, 201));
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0].sum, 5);
  EXPECT_EQ(totals[0].max, 3);
  EXPECT_EQ(totals[0].count, 2);
  EXPECT_THAT(db->SumConsumption("ACME", 101, 200),
              IsOkAndHolds(::testing::IsEmpty()));
  ASSERT_OK_AND_ASSIGN(auto messages, db->ListSystemMessages(10));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].status, "finished");
  EXPECT_FALSE(messages[0].expected_end.has_value());
  EXPECT_EQ(messages[1].message, kNasty);
  EXPECT_EQ(messages[1].expected_end, 160);
  ASSERT_OK_AND_ASSIGN(SystemMessage latest,
                       db->LatestSystemMessage("ACME", "import"));
  EXPECT_EQ(latest.status, "finished");
  EXPECT_THAT(db->LatestSystemMessage("ACME", "other"),
              StatusIs(absl::StatusCode::kNotFound));
  // Check constraints: no negative amount, no unknown type.
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    EXPECT_THAT(txn->InsertConsumption({{0, "chat_sessions", -1, 1, 0, ""}}),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
    SystemMessage bad;
    bad.operation = "x";
    bad.status = "y";
    bad.type = "fatal";
    EXPECT_THAT(txn->AddSystemMessage(bad),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST_P(CrmDatabaseTest, MigratesVersion1Database) {
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    InstallOwner(*db, {MakeModule("user", 10)});
  }
  // Turn the database back into what version 1 created.
  if (GetParam() == "sqlite") {
    std::string sql;
    for (const char* table :
         {"ModuleOwner", "ModuleLicense", "LicenseAssocLink", "LicenseSatlLink",
          "license_envelope", "clock_watermark", "installation"}) {
      for (const char* event : {"INSERT", "UPDATE", "DELETE"}) {
        absl::StrAppend(&sql, "DROP TRIGGER \"license_change_", table, "_",
                        event, "\"; ");
      }
    }
    ExecRaw(sql + kDropVersion3 +
            "DROP TABLE license_change; UPDATE schema_version SET "
            "version = 1;");
  } else {
    ExecRaw(
        absl::StrCat(kDropVersion3,
                     "DROP FUNCTION license_change_bump() CASCADE; DROP TABLE "
                     "license_change; UPDATE schema_version SET version = 1;"));
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->SchemaVersion(), IsOkAndHolds(kCrmSchemaVersion));
  ASSERT_OK_AND_ASSIGN(OwnerView view, db->GetOwner("ACME"));
  EXPECT_EQ(view.modules.size(), 1u);
  ASSERT_OK_AND_ASSIGN(int64_t stamp, db->ChangeStamp());
  ExecRaw(R"(UPDATE "ModuleLicense" SET "licenseNumber" = 11)");
  EXPECT_THAT(db->ChangeStamp(), IsOkAndHolds(::testing::Ne(stamp)));
}

// The assignment pattern: lock the module, count, insert only if below N;
// retried when the database reports ABORTED.
absl::Status AssignIfBelowLimit(CrmDatabase& db, int64_t module_id,
                                int64_t assoc_id, int64_t limit) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto txn = db.BeginWrite();
    if (absl::IsAborted(txn.status())) continue;
    if (!txn.ok()) return txn.status();
    auto usage = (*txn)->LockModule(module_id);
    if (absl::IsAborted(usage.status())) continue;
    if (!usage.ok()) return usage.status();
    if (usage->assigned >= limit) return absl::ResourceExhaustedError("full");
    AssocLinkRecord link;
    link.module_license_id = module_id;
    link.assoc_id = assoc_id;
    if (auto id = (*txn)->InsertAssocLink(link); !id.ok()) return id.status();
    absl::Status commit = (*txn)->Commit();
    if (!absl::IsAborted(commit)) return commit;
  }
  return absl::AbortedError("gave up after retries");
}

TEST_P(CrmDatabaseTest, ConcurrentAssignersNeverExceedLimit) {
  constexpr int kThreads = 32;
  constexpr int64_t kLimit = 5;
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  OwnerView view = InstallOwner(*db, {MakeModule("quote-cal", kLimit)});
  std::vector<int64_t> associates;
  for (int i = 0; i < kThreads; ++i) {
    associates.push_back(AddAssociate(*db, absl::StrCat("user", i)));
  }
  std::atomic<int> ready{0}, granted{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Each thread its own connection; all start together for contention.
      absl::StatusOr<std::unique_ptr<CrmDatabase>> mine =
          CrmDatabase::Open(url_);
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      absl::Status s = mine.status();
      if (s.ok()) {
        s = AssignIfBelowLimit(**mine, view.modules[0].id, associates[i],
                               kLimit);
      }
      if (s.ok()) {
        ++granted;
      } else if (absl::IsResourceExhausted(s)) {
        ++refused;
      } else {
        ++failed;
        ADD_FAILURE() << s;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(granted.load(), kLimit);
  EXPECT_EQ(refused.load(), kThreads - kLimit);
  EXPECT_EQ(failed.load(), 0);
  ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
  ASSERT_OK_AND_ASSIGN(auto usage, txn->CountAssigned("ACME"));
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].assigned, kLimit);
  EXPECT_EQ(usage[0].module_name, "quote-cal");
}

TEST_P(CrmDatabaseTest, OneTransactionAtATimePerConnection) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_OK_AND_ASSIGN(auto txn, db->BeginWrite());
  EXPECT_THAT(db->BeginWrite(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(db->ListAssociates(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(txn->Commit());
  EXPECT_THAT(txn->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

INSTANTIATE_TEST_SUITE_P(Backends, CrmDatabaseTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

TEST(CrmDatabaseOpenTest, RejectsUnknownSchemeWithoutPassword) {
  auto db = CrmDatabase::Open("mysql://admin:s3cret@db.example/crm");
  EXPECT_THAT(db, StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("mysql://admin:***@db.example/crm")));
  EXPECT_THAT(db.status().message(), Not(HasSubstr("s3cret")));
  EXPECT_THAT(CrmDatabase::Open("sqlite:"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CrmDatabaseOpenTest, UnreachablePostgresIsUnavailableWithoutPassword) {
  auto db = CrmDatabase::Open(
      "postgresql://admin:s3cret@/crm?host=/nonexistent-dir&connect_timeout=2");
  EXPECT_THAT(db, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(db.status().message(), Not(HasSubstr("s3cret")));
}

TEST(CrmDatabaseOpenTest, UnopenableSqliteIsUnavailable) {
  EXPECT_THAT(CrmDatabase::Open("sqlite:/nonexistent-dir/crm.db"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(RedactUrlTest, HidesPasswords) {
  EXPECT_EQ(RedactUrl("postgresql://u:pw@h:5/db"), "postgresql://u:***@h:5/db");
  EXPECT_EQ(RedactUrl("postgresql://u@h/db?password=pw&sslmode=x"),
            "postgresql://u@h/db?password=***&sslmode=x");
  EXPECT_EQ(RedactUrl("sqlite:/tmp/a.db"), "sqlite:/tmp/a.db");
}

}  // namespace
}  // namespace superlicense::client
