// The tamper matrix of the CRM database, on both backends (an SQLite file and
// a real PostgreSQL server started by tests/support/postgres_server.h).
//
// Every column of ModuleOwner, ModuleLicense and LicenseAssocLink is edited
// with raw SQL on a second connection (the sqlite3 shell or psql), behind the
// library's back, and LicenseView::Load() must find it. The cases are checked
// against the database catalogue (PRAGMA table_info / information_schema):
// a column without an edit case fails TamperColumnCoverage. Rows are added,
// deleted, duplicated, moved between owners and copied in from another
// installation's database; and every byte of a signed license file is
// flipped, one at a time: the import is refused and the database unchanged.
//
// The attacker owns the database: the sqlite3 shell does not enforce foreign
// keys unless asked to, and on PostgreSQL the edits run with the triggers
// of the tables they touch disabled (ALTER TABLE ... DISABLE TRIGGER ALL,
// which the database's superuser may do), foreign-key checks included.
// Unique, NOT NULL and CHECK constraints still hold on both; an edit that
// they refuse is a case of its own (kRefused).
//
// Scenario (built once per backend, then cloned for every case):
// SUPEROFFICE: server (system), satellite (site, 2), user 10, web 5 (requires
// user), quote-cal 2, sale-cal 10 hidden, plan ten-sales
// (set=user,web,sale-cal). ACME: widget (system), widget-cal 3.
// ann holds user, web, acme.widget-cal; bob holds user; cid holds ten-sales
// (so user, web and the hidden sale-cal, marked "plan:ten-sales"); dan holds
// nothing.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "client/crm_database.h"
#include "client/license_assigner.h"
#include "client/license_importer.h"
#include "client/license_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/license_set_envelope.h"
#include "keys/public_key_file.h"
#include "keys/software_signer.h"
#include "keys/status_macros.h"
#include "keys/trust_store.h"
#include "tests/support/client_fixture.h"
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
using ::superlicense::testing::WithoutJournal;
using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1798761600;  // 2027-01-01
constexpr char kSerial[] = "1010000014";
constexpr char kOtherSerial[] = "1010000022";  // another installation
constexpr char kVendor[] = "SUPEROFFICE";
constexpr char kPartner[] = "ACME";
constexpr char kPsql[] = "/usr/lib/postgresql/15/bin/psql";

// ---------------------------------------------------------------------------
// License sets and keys

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

v1::LicenseSet BaseSet(const std::string& owner, const std::string& serial,
                       uint64_t version) {
  v1::LicenseSet set;
  set.mutable_owner()->set_owner_name(owner);
  set.mutable_owner()->set_description(owner + " AS");
  set.mutable_owner()->set_license_version(1);
  set.mutable_customer()->set_company_name("Example Company AS");
  set.mutable_customer()->set_serial(serial);
  set.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
  set.set_version(version);
  set.set_issued_at(kNow - 3600);
  set.set_expiration(kNow + 300 * kDay);
  set.set_grace_to(kNow + 330 * kDay);
  set.set_maintenance_to(kNow + 300 * kDay);
  set.set_admin_warning_date(kNow + 270 * kDay);
  return set;
}

v1::LicenseSet VendorSet(const std::string& serial, uint64_t version,
                         uint32_t users = 10) {
  v1::LicenseSet set = BaseSet(kVendor, serial, version);
  const auto user_type = v1::LICENSE_TYPE_USER;
  v1::ModuleLicense web = Module("web", user_type, 5, 40);
  web.set_prerequisite_module("user");
  v1::ModuleLicense sale = Module("sale-cal", user_type, 10, 60);
  sale.set_hidden(true);
  v1::ModuleLicense plan = Module("ten-sales", user_type, 21, 70);
  plan.set_extra_flags(1);
  plan.set_extra_info("set=user,web,sale-cal");
  for (const v1::ModuleLicense& m :
       {Module("server", v1::LICENSE_TYPE_SYSTEM, 1, 10),
        Module("satellite", v1::LICENSE_TYPE_SITE, 2, 20),
        Module("user", user_type, users, 30), web,
        Module("quote-cal", user_type, 2, 50), sale, plan}) {
    *set.add_module_licenses() = m;
  }
  return set;
}

v1::LicenseSet PartnerSet(const std::string& serial, uint32_t widgets = 3) {
  v1::LicenseSet set = BaseSet(kPartner, serial, 1);
  *set.add_module_licenses() = Module("widget", v1::LICENSE_TYPE_SYSTEM, 1, 10);
  *set.add_module_licenses() =
      Module("widget-cal", v1::LICENSE_TYPE_USER, widgets, 20);
  return set;
}

// Runs `argv` and returns its exit code; stdout into *out when not null,
// stderr discarded (refused edits are expected in some cases).
int RunProgram(const std::vector<std::string>& argv,
               std::string* out = nullptr) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    FILE* null = freopen("/dev/null", "w", stderr);
    (void)null;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) {
    text.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The keys, the trust bundle and, per backend, the scenario's database,
// made once per process: every case starts from a clone of it.
class World {
 public:
  static World& Get() {
    static World* world = new World();
    return *world;
  }

  const keys::TrustStore& trust() const { return *trust_; }

  v1::SignedLicenseSet Sign(const v1::LicenseSet& set) const {
    const bool vendor = set.owner().owner_name() == kVendor;
    auto envelope =
        keys::SignLicenseSet(set, vendor ? *vendor_key_ : *partner_key_,
                             vendor ? vendor_cert_ : partner_cert_);
    EXPECT_OK(envelope.status());
    return envelope.ok() ? *envelope : v1::SignedLicenseSet();
  }

  // Imports both owners' sets for `serial` into `db` and makes the
  // scenario's associates and assignments.
  absl::Status BuildScenario(CrmDatabase& db, const std::string& serial,
                             uint32_t users, uint32_t widgets) const {
    {
      ASSIGN_OR_RETURN(auto txn, db.BeginWrite());
      Installation installation;
      installation.serial = serial;
      installation.company_name = "Example Company AS";
      RETURN_IF_ERROR(txn->SetInstallation(installation));
      for (const char* name : {"ann", "bob", "cid", "dan"}) {
        RETURN_IF_ERROR(txn->AddAssociate({0, name, 1, true}).status());
      }
      RETURN_IF_ERROR(txn->Commit());
    }
    FakeClock clock(absl::FromUnixSeconds(kNow));
    LicenseImporter importer(trust_.get(), &clock);
    RETURN_IF_ERROR(
        importer.Import(db, Sign(VendorSet(serial, 1, users))).status());
    RETURN_IF_ERROR(
        importer.Import(db, Sign(PartnerSet(serial, widgets))).status());
    LicenseAssigner assigner;
    for (const auto& [who, what] :
         std::vector<std::pair<const char*, const char*>>{
             {"ann", "user"},
             {"ann", "web"},
             {"ann", "acme.widget-cal"},
             {"bob", "user"},
             {"cid", "ten-sales"}}) {
      RETURN_IF_ERROR(assigner.Assign(db, who, what));
    }
    return absl::OkStatus();
  }

  // Returns a new database holding the scenario: its url, and for
  // PostgreSQL its name. Built from a template made on first use.
  absl::StatusOr<std::pair<std::string, std::string>> Clone(
      const std::string& backend, const TempDir& temp) {
    if (backend == "sqlite") {
      if (sqlite_base_.empty()) {
        sqlite_base_ = base_dir_.File("base.db");
        ASSIGN_OR_RETURN(auto db, CrmDatabase::Open("sqlite:" + sqlite_base_));
        RETURN_IF_ERROR(BuildScenario(*db, kSerial, 10, 3));
      }  // closing the only connection checkpoints the WAL into the file
      const std::string path =
          temp.File(absl::StrCat("case", ++clones_, ".db"));
      std::filesystem::copy_file(sqlite_base_, path);
      return std::make_pair("sqlite:" + path, std::string());
    }
    ASSIGN_OR_RETURN(PostgresServer * server, PostgresServer::Shared());
    if (pg_base_.empty()) {
      ASSIGN_OR_RETURN(std::string url, server->CreateDatabase());
      {
        ASSIGN_OR_RETURN(auto db, CrmDatabase::Open(url));
        RETURN_IF_ERROR(BuildScenario(*db, kSerial, 10, 3));
      }
      pg_base_ = url.substr(url.find("@/") + 2);
      pg_base_ = pg_base_.substr(0, pg_base_.find('?'));
    }
    const std::string name = absl::StrCat("tamper_", getpid(), "_", ++clones_);
    RETURN_IF_ERROR(server->ExecuteSql(
        "postgres",
        absl::StrCat("CREATE DATABASE \"", name,
                     "\" STRATEGY FILE_COPY TEMPLATE \"", pg_base_, "\"")));
    return std::make_pair(server->Url(name), name);
  }

 private:
  World() {
    auto generate = [] {
      auto signer =
          keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519);
      EXPECT_OK(signer.status());
      return *std::move(signer);
    };
    root_ = generate();
    vendor_key_ = generate();
    partner_key_ = generate();
    v1::TrustBundle bundle;
    bundle.set_version(1);
    bundle.set_threshold(1);
    *bundle.add_root_keys() = keys::PublicKeyOf(*root_, "root-1");
    auto signed_bundle = keys::SignTrustBundle(*root_, bundle);
    EXPECT_OK(signed_bundle.status());
    auto store = keys::TrustStore::FromAnchor(*signed_bundle);
    EXPECT_OK(store.status());
    trust_ = std::make_unique<keys::TrustStore>(*std::move(store));
    vendor_cert_ = Certify(kVendor, *vendor_key_);
    partner_cert_ = Certify(kPartner, *partner_key_);
  }

  v1::SignedPublicKey Certify(const std::string& owner,
                              const keys::Signer& key) {
    v1::OwnerKeyCertificate c;
    c.set_owner_name(owner);
    *c.mutable_key() = keys::PublicKeyOf(key, "");
    c.set_issued_at(kNow - 30 * kDay);
    c.set_valid_from(kNow - 30 * kDay);
    c.set_valid_until(kNow + 365 * kDay);
    auto cert = keys::CertifyOwnerKey(*root_, c);
    EXPECT_OK(cert.status());
    return *std::move(cert);
  }

  std::unique_ptr<keys::Signer> root_;
  std::unique_ptr<keys::Signer> vendor_key_;
  std::unique_ptr<keys::Signer> partner_key_;
  v1::SignedPublicKey vendor_cert_;
  v1::SignedPublicKey partner_cert_;
  std::unique_ptr<keys::TrustStore> trust_;
  TempDir base_dir_;
  std::string sqlite_base_;
  std::string pg_base_;
  int clones_ = 0;
};

// ---------------------------------------------------------------------------
// The cases: each runs on a fresh clone of the scenario; SCOPED_TRACE names
// it ("case ModuleOwner_graceTo on sqlite") when it fails.

// What an edit must lead to.
enum class Outcome {
  // The owners in `tampered` fail closed (state kTampered, `reason` in the
  // first one's reason, none of their licenses granted); the others are ok.
  kTampered,
  // Not tampering: every owner stays ok; `check` says what changed (an
  // ordinary assignment, or a column that carries no licensing state).
  kAccepted,
  // The database itself refuses the edit (a unique constraint); nothing
  // changes.
  kRefused,
};

// The ids of the scenario's rows in one database, for checks.
struct Ids {
  std::map<std::string, int64_t> associates;  // by name
  std::map<std::string, int64_t> owners;      // ModuleOwner_id by name
  std::map<std::string, int64_t> modules;     // ModuleLicense_id by name
  std::map<std::string, int64_t> links;       // "ann:user" -> link id
};

using Check = std::function<void(const LicenseView&, const Ids&)>;

struct EditCase {
  std::string name;    // the test's name: "ModuleOwner_graceTo"
  std::string table;   // the table edited
  std::string column;  // the column it covers; "" for row cases
  // The edit, with placeholders: {a:ann} associate id, {o:ACME} owner id,
  // {m:user} module id, {l:ann:user} link id, {blob} a blob literal,
  // {drop-unique} drops LicenseAssocLink's unique constraint (PostgreSQL).
  std::string sql;
  Outcome outcome;
  std::vector<std::string> tampered = {};  // owners, for kTampered
  std::string reason = "";                 // in the first owner's reason
  Check check = nullptr;                   // extra checks of the view
  bool postgres_only = false;
};

// SUM(LicenseAssocLink.licenseNumber) of `owner`.`module` in the view.
int64_t InUse(const LicenseView& view, const std::string& owner,
              const std::string& module) {
  for (const ModuleStatus& m : view.modules()) {
    if (m.owner_name == owner && m.module_name == module) return m.in_use;
  }
  ADD_FAILURE() << "no module " << owner << "." << module;
  return -1;
}

// The grants of the untouched scenario.
void ExpectScenarioGrants(const LicenseView& view, const Ids& ids) {
  const int64_t ann = ids.associates.at("ann");
  const int64_t bob = ids.associates.at("bob");
  const int64_t cid = ids.associates.at("cid");
  const int64_t dan = ids.associates.at("dan");
  EXPECT_TRUE(view.Has(ann, "user"));
  EXPECT_TRUE(view.Has(ann, "web"));
  EXPECT_TRUE(view.Has(ann, "acme.widget-cal"));
  EXPECT_TRUE(view.Has(bob, "user"));
  EXPECT_FALSE(view.Has(bob, "web"));
  for (const char* m : {"ten-sales", "user", "web", "sale-cal"}) {
    EXPECT_TRUE(view.Has(cid, m)) << m;
  }
  EXPECT_FALSE(view.Has(dan, "user"));
  EXPECT_TRUE(view.Has(dan, "server"));
  EXPECT_TRUE(view.Has(dan, "acme.widget"));
  EXPECT_EQ(InUse(view, kVendor, "user"), 3);
  EXPECT_EQ(InUse(view, kVendor, "web"), 2);
  EXPECT_EQ(InUse(view, kPartner, "widget-cal"), 1);
}

// An edit that carries no licensing state: accepted, nothing else changes.
EditCase Unsigned(const std::string& table, const std::string& column,
                  const std::string& where, const std::string& value) {
  return {absl::StrCat(table, "_", column),
          table,
          column,
          absl::StrCat("UPDATE \"", table, "\" SET \"", column, "\" = ", value,
                       " WHERE ", where),
          Outcome::kAccepted,
          {},
          "",
          ExpectScenarioGrants};
}

// An edit of a signed ModuleOwner column of the vendor.
EditCase OwnerColumn(const std::string& column, const std::string& value) {
  return {absl::StrCat("ModuleOwner_", column),
          "ModuleOwner",
          column,
          absl::StrCat("UPDATE \"ModuleOwner\" SET \"", column, "\" = ", value,
                       " WHERE \"ModuleOwner_id\" = {o:SUPEROFFICE}"),
          Outcome::kTampered,
          {kVendor},
          absl::StrCat("ModuleOwner row \"SUPEROFFICE\" differs from the "
                       "signed set (",
                       column, ")")};
}

// An edit of a signed ModuleLicense column of the vendor's "user" row.
EditCase ModuleColumn(const std::string& column, const std::string& value) {
  return {
      absl::StrCat("ModuleLicense_", column),
      "ModuleLicense",
      column,
      absl::StrCat("UPDATE \"ModuleLicense\" SET \"", column, "\" = ", value,
                   " WHERE \"ModuleLicense_id\" = {m:user}"),
      Outcome::kTampered,
      {kVendor},
      absl::StrCat("ModuleLicense row \"user\" differs from the signed set (",
                   column, ")")};
}

const char* const kAuditColumns[] = {"registered", "registered_associate_id",
                                     "updated", "updated_associate_id",
                                     "updatedCount"};

std::vector<EditCase> ModuleOwnerCases() {
  std::vector<EditCase> cases = {
      {"ModuleOwner_ModuleOwner_id",
       "ModuleOwner",
       "ModuleOwner_id",
       R"(UPDATE "ModuleOwner" SET "ModuleOwner_id" = 9999
          WHERE "ModuleOwner_id" = {o:SUPEROFFICE})",
       Outcome::kTampered,
       {kVendor},
       R"(module "server" of the signed set is missing)"},
      {"ModuleOwner_ownerName",
       "ModuleOwner",
       "ownerName",
       R"(UPDATE "ModuleOwner" SET "ownerName" = 'SUPEROFFICX'
          WHERE "ModuleOwner_id" = {o:SUPEROFFICE})",
       Outcome::kTampered,
       {"SUPEROFFICX"},
       "no signed license set is stored for the owner"},
      OwnerColumn("ownerDescription", "'Someone Else AS'"),
      OwnerColumn("licenseUrl", "'https://licenses.invalid/'"),
      OwnerColumn("licenseVersion", "\"licenseVersion\" + 1"),
      OwnerColumn("signedPublicKey", "{blob}"),
      OwnerColumn("signature", "{blob}"),
      OwnerColumn("deploymentType", "'onsite'"),
      OwnerColumn("productType", "\"productType\" + 1"),
      OwnerColumn("productTypeDescription", "'Enterprise'"),
      OwnerColumn("extraFlags", "\"extraFlags\" + 1"),
      OwnerColumn("extraInfo", "'unlimited'"),
      OwnerColumn("expiration", "0"),
      OwnerColumn("graceTo", "\"graceTo\" + 31536000"),
      OwnerColumn("maintenanceTo", "\"maintenanceTo\" + 31536000"),
      OwnerColumn("nextCheckDate", "1798761600"),
      OwnerColumn("adminWarningDate", "NULL"),
      // encryptedCheck is kept for the domain's schema but not used: the
      // rows' own signatures protect them (docs/SECURITY.md), the importer
      // writes it empty and nothing reads it.
      Unsigned("ModuleOwner", "encryptedCheck",
               "\"ModuleOwner_id\" = {o:SUPEROFFICE}", "{blob}"),
  };
  // The audit columns record when and by whom the CRM wrote the row; they
  // are not part of the signed set and grant nothing.
  for (const char* column : kAuditColumns) {
    cases.push_back(Unsigned("ModuleOwner", column,
                             "\"ModuleOwner_id\" = {o:SUPEROFFICE}", "4242"));
  }
  return cases;
}

// The user links orphaned by a ModuleLicense_id edit or a link pointed at
// a row that does not exist. The view reads an owner's links through its
// module rows, so it cannot see links whose row is gone (a gap: that takes a
// query the CrmReader does not have). They grant nothing and count for
// nothing, so the owner is not reported as tampered; what this asserts is
// that nobody gains a license.
Check OrphanedUserLinks(std::vector<std::string> losing) {
  return [losing](const LicenseView& view, const Ids& ids) {
    for (const std::string& who : losing) {
      EXPECT_FALSE(view.Has(ids.associates.at(who), "user")) << who;
    }
    EXPECT_TRUE(view.Has(ids.associates.at("ann"), "web"));
    EXPECT_TRUE(view.Has(ids.associates.at("dan"), "server"));
    EXPECT_EQ(InUse(view, kVendor, "user"),
              3 - static_cast<int64_t>(losing.size()));
  };
}

std::vector<EditCase> ModuleLicenseCases() {
  std::vector<EditCase> cases = {
      {"ModuleLicense_ModuleLicense_id",
       "ModuleLicense",
       "ModuleLicense_id",
       R"(UPDATE "ModuleLicense" SET "ModuleLicense_id" = 9999
          WHERE "ModuleLicense_id" = {m:user})",
       Outcome::kAccepted,
       {},
       "",
       OrphanedUserLinks({"ann", "bob", "cid"})},
      {"ModuleLicense_moduleName",
       "ModuleLicense",
       "moduleName",
       R"(UPDATE "ModuleLicense" SET "moduleName" = 'users'
          WHERE "ModuleLicense_id" = {m:user})",
       Outcome::kTampered,
       {kVendor},
       R"(ModuleLicense row "users" is not in the signed set)"},
      ModuleColumn("moduleDescription", "'All you can eat'"),
      {"ModuleLicense_moduleVersion",
       "ModuleLicense",
       "moduleVersion",
       R"(UPDATE "ModuleLicense" SET "moduleVersion" = '2'
          WHERE "ModuleLicense_id" = {m:user})",
       Outcome::kTampered,
       {kVendor},
       R"(ModuleLicense row "user" version "2" is not in the signed set)"},
      ModuleColumn("tooltip", "'free for all'"),
      ModuleColumn("licenseType", "1"),
      ModuleColumn("licenseNumber", "50"),
      ModuleColumn("allowedAssocsMask", "255"),
      ModuleColumn("extraFlags", "1"),
      ModuleColumn("extraInfo", "'set=user,quote-cal'"),
      {"ModuleLicense_ModuleOwner_id",
       "ModuleLicense",
       "ModuleOwner_id",
       R"(UPDATE "ModuleLicense" SET "ModuleOwner_id" = {o:ACME}
          WHERE "ModuleLicense_id" = {m:quote-cal})",
       Outcome::kTampered,
       {kVendor, kPartner},
       R"(module "quote-cal" of the signed set is missing)"},
      ModuleColumn("sortOrder", "\"sortOrder\" + 1"),
      ModuleColumn("signature", "{blob}"),
      ModuleColumn("unrestricted", "NOT \"unrestricted\""),
      ModuleColumn("hidden", "NOT \"hidden\""),
      ModuleColumn("prerequisiteModule", "'quote-cal'"),
      Unsigned("ModuleLicense", "encryptedCheck",
               "\"ModuleLicense_id\" = {m:user}", "{blob}"),
  };
  for (const char* column : kAuditColumns) {
    cases.push_back(Unsigned("ModuleLicense", column,
                             "\"ModuleLicense_id\" = {m:user}", "4242"));
  }
  return cases;
}

// LicenseAssocLink rows are the CRM's own assignments, not signed by the
// issuer. An edit is tampering when it makes a state the LicenseAssigner
// refuses to make (beyond a count, a hidden module without its plan, an
// associate that does not exist, one associate holding a module twice);
// moving an assignment to another valid holder within the count is an
// ordinary assignment (docs/SECURITY.md, "What we do not defend against").
std::vector<EditCase> LicenseAssocLinkCases() {
  const std::string bob_user = R"(WHERE "LicenseAssocLink_id" = {l:bob:user})";
  std::vector<EditCase> cases = {
      {"LicenseAssocLink_LicenseAssocLink_id",
       "LicenseAssocLink",
       "LicenseAssocLink_id",
       "UPDATE \"LicenseAssocLink\" SET \"LicenseAssocLink_id\" = 9999 " +
           bob_user,
       Outcome::kAccepted,
       {},
       "",
       ExpectScenarioGrants},
      // Ordinary: bob's user license becomes a quote-cal license, within its
      // count of 2, for a user the assigner would give it to.
      {"LicenseAssocLink_moduleLicenseId_ordinary",
       "LicenseAssocLink",
       "moduleLicenseId",
       "UPDATE \"LicenseAssocLink\" SET \"moduleLicenseId\" = {m:quote-cal} " +
           bob_user,
       Outcome::kAccepted,
       {},
       "",
       [](const LicenseView& view, const Ids& ids) {
         EXPECT_TRUE(view.Has(ids.associates.at("bob"), "quote-cal"));
         EXPECT_FALSE(view.Has(ids.associates.at("bob"), "user"));
         EXPECT_EQ(InUse(view, kVendor, "quote-cal"), 1);
         EXPECT_EQ(InUse(view, kVendor, "user"), 2);
       }},
      {"LicenseAssocLink_moduleLicenseId_beyond_count",
       "LicenseAssocLink",
       "moduleLicenseId",
       R"(UPDATE "LicenseAssocLink" SET "moduleLicenseId" = {m:quote-cal}
          WHERE "moduleLicenseId" = {m:user})",
       Outcome::kTampered,
       {kVendor},
       R"(module "quote-cal": 3 assigned, licenseNumber 2)"},
      {"LicenseAssocLink_moduleLicenseId_hidden",
       "LicenseAssocLink",
       "moduleLicenseId",
       "UPDATE \"LicenseAssocLink\" SET \"moduleLicenseId\" = {m:sale-cal} " +
           bob_user,
       Outcome::kTampered,
       {kVendor},
       R"(hidden module "sale-cal" held by associate)"},
      {"LicenseAssocLink_moduleLicenseId_missing_row",
       "LicenseAssocLink",
       "moduleLicenseId",
       "UPDATE \"LicenseAssocLink\" SET \"moduleLicenseId\" = 9999 " + bob_user,
       Outcome::kAccepted,
       {},
       "",
       OrphanedUserLinks({"bob"})},
      // Ordinary: bob's user license moved to dan.
      {"LicenseAssocLink_assocId_ordinary",
       "LicenseAssocLink",
       "assocId",
       "UPDATE \"LicenseAssocLink\" SET \"assocId\" = {a:dan} " + bob_user,
       Outcome::kAccepted,
       {},
       "",
       [](const LicenseView& view, const Ids& ids) {
         EXPECT_TRUE(view.Has(ids.associates.at("dan"), "user"));
         EXPECT_FALSE(view.Has(ids.associates.at("bob"), "user"));
         EXPECT_EQ(InUse(view, kVendor, "user"), 3);
       }},
      {"LicenseAssocLink_assocId_missing_associate",
       "LicenseAssocLink",
       "assocId",
       "UPDATE \"LicenseAssocLink\" SET \"assocId\" = 9999 " + bob_user,
       Outcome::kTampered,
       {kVendor},
       "associate 9999 does not exist"},
      {"LicenseAssocLink_assocId_duplicate", "LicenseAssocLink", "assocId",
       "UPDATE \"LicenseAssocLink\" SET \"assocId\" = {a:ann} " + bob_user,
       Outcome::kRefused},
      {"LicenseAssocLink_assocId_duplicate_unique_dropped",
       "LicenseAssocLink",
       "assocId",
       "{drop-unique} UPDATE \"LicenseAssocLink\" SET \"assocId\" = {a:ann} " +
           bob_user,
       Outcome::kTampered,
       {kVendor},
       "holds the module more than once",
       nullptr,
       /*postgres_only=*/true},
      // validFrom and validTo are reserved by the domain: nothing reads them.
      Unsigned("LicenseAssocLink", "validFrom",
               "\"LicenseAssocLink_id\" = {l:bob:user}", "1"),
      Unsigned("LicenseAssocLink", "validTo",
               "\"LicenseAssocLink_id\" = {l:bob:user}", "1"),
      {"LicenseAssocLink_licenseNumber_zero",
       "LicenseAssocLink",
       "licenseNumber",
       "UPDATE \"LicenseAssocLink\" SET \"licenseNumber\" = 0 " + bob_user,
       Outcome::kTampered,
       {kVendor},
       "licenseNumber 0"},
      {"LicenseAssocLink_licenseNumber_negative",
       "LicenseAssocLink",
       "licenseNumber",
       "UPDATE \"LicenseAssocLink\" SET \"licenseNumber\" = -5 " + bob_user,
       Outcome::kTampered,
       {kVendor},
       "licenseNumber -5"},
      {"LicenseAssocLink_licenseNumber_beyond_count",
       "LicenseAssocLink",
       "licenseNumber",
       "UPDATE \"LicenseAssocLink\" SET \"licenseNumber\" = 9 " + bob_user,
       Outcome::kTampered,
       {kVendor},
       R"(module "user": 11 assigned, licenseNumber 10)"},
      // Ordinary: cid's web license no longer marked as coming from the plan
      // (unassigning the plan then keeps it, as for a license given by hand).
      {"LicenseAssocLink_comment",
       "LicenseAssocLink",
       "comment",
       R"(UPDATE "LicenseAssocLink" SET "comment" = ''
          WHERE "LicenseAssocLink_id" = {l:cid:web})",
       Outcome::kAccepted,
       {},
       "",
       ExpectScenarioGrants},
      Unsigned("LicenseAssocLink", "encryptedCheck",
               "\"LicenseAssocLink_id\" = {l:bob:user}", "{blob}"),
  };
  for (const char* column : kAuditColumns) {
    cases.push_back(Unsigned("LicenseAssocLink", column,
                             "\"LicenseAssocLink_id\" = {l:bob:user}", "4242"));
  }
  return cases;
}

// Rows added, deleted, duplicated and moved between owners.
std::vector<EditCase> RowCases() {
  const std::string copy_user_row = R"(
      "moduleName", "moduleDescription", "moduleVersion", "tooltip",
      "licenseType", "licenseNumber", "allowedAssocsMask", "extraFlags",
      "extraInfo", "encryptedCheck", "ModuleOwner_id", "sortOrder",
      "signature", "unrestricted", "hidden", "prerequisiteModule")";
  return {
      {"ModuleOwner_row_added",
       "ModuleOwner",
       "",
       R"(INSERT INTO "ModuleOwner" ("ownerName", "signedPublicKey",
            "signature", "encryptedCheck") VALUES ('BETA', {blob}, {blob}, {blob});
          INSERT INTO "ModuleLicense" ("moduleName", "licenseType",
            "licenseNumber", "encryptedCheck", "ModuleOwner_id", "signature")
          SELECT 'beta-cal', 3, 100, {blob}, "ModuleOwner_id", {blob}
          FROM "ModuleOwner" WHERE "ownerName" = 'BETA')",
       Outcome::kTampered,
       {"BETA"},
       "no signed license set is stored for the owner",
       [](const LicenseView& view, const Ids& ids) {
         EXPECT_FALSE(view.Has(ids.associates.at("dan"), "beta.beta-cal"));
         ExpectScenarioGrants(view, ids);
       }},
      // Deleting an owner's row takes its licenses away: it is no longer
      // listed, and nothing of it is granted.
      {"ModuleOwner_row_deleted",
       "ModuleOwner",
       "",
       R"(DELETE FROM "ModuleOwner" WHERE "ModuleOwner_id" = {o:ACME})",
       Outcome::kAccepted,
       {},
       "",
       [](const LicenseView& view, const Ids& ids) {
         ASSERT_EQ(view.owners().size(), 1u);
         EXPECT_EQ(view.owners()[0].owner_name, kVendor);
         EXPECT_FALSE(view.Has(ids.associates.at("ann"), "acme.widget-cal"));
         EXPECT_FALSE(view.Has(ids.associates.at("dan"), "acme.widget"));
         EXPECT_TRUE(view.Has(ids.associates.at("ann"), "user"));
       }},
      {"ModuleOwner_row_duplicated", "ModuleOwner", "",
       R"(INSERT INTO "ModuleOwner" ("ownerName", "ownerDescription",
            "licenseUrl", "licenseVersion", "signedPublicKey", "signature",
            "expiration", "graceTo", "maintenanceTo", "encryptedCheck")
          SELECT "ownerName", "ownerDescription", "licenseUrl",
            "licenseVersion", "signedPublicKey", "signature", "expiration",
            "graceTo", "maintenanceTo", "encryptedCheck"
          FROM "ModuleOwner" WHERE "ModuleOwner_id" = {o:SUPEROFFICE})",
       Outcome::kRefused},
      {"ModuleOwner_row_duplicated_renamed",
       "ModuleOwner",
       "",
       R"(INSERT INTO "ModuleOwner" ("ownerName", "ownerDescription",
            "licenseUrl", "licenseVersion", "signedPublicKey", "signature",
            "expiration", "graceTo", "maintenanceTo", "encryptedCheck")
          SELECT 'SUPEROFFICE2', "ownerDescription", "licenseUrl",
            "licenseVersion", "signedPublicKey", "signature", "expiration",
            "graceTo", "maintenanceTo", "encryptedCheck"
          FROM "ModuleOwner" WHERE "ModuleOwner_id" = {o:SUPEROFFICE})",
       Outcome::kTampered,
       {"SUPEROFFICE2"},
       "no signed license set is stored for the owner",
       ExpectScenarioGrants},
      {"ModuleLicense_row_added",
       "ModuleLicense",
       "",
       R"(INSERT INTO "ModuleLicense" ("moduleName", "licenseType",
            "licenseNumber", "encryptedCheck", "ModuleOwner_id", "sortOrder",
            "signature")
          VALUES ('extra-cal', 3, 100, {blob}, {o:SUPEROFFICE}, 99, {blob}))",
       Outcome::kTampered,
       {kVendor},
       R"(ModuleLicense row "extra-cal" is not in the signed set)"},
      {"ModuleLicense_row_deleted",
       "ModuleLicense",
       "",
       R"(DELETE FROM "ModuleLicense" WHERE "ModuleLicense_id" = {m:quote-cal})",
       Outcome::kTampered,
       {kVendor},
       R"(module "quote-cal" of the signed set is missing)"},
      {"ModuleLicense_row_duplicated", "ModuleLicense", "",
       absl::StrCat(
           R"(INSERT INTO "ModuleLicense" ()", copy_user_row, ") SELECT ",
           copy_user_row,
           R"( FROM "ModuleLicense" WHERE "ModuleLicense_id" = {m:user})"),
       Outcome::kRefused},
      {"ModuleLicense_row_duplicated_as_version",
       "ModuleLicense",
       "",
       absl::StrCat(
           R"(INSERT INTO "ModuleLicense" ()", copy_user_row, ") SELECT ",
           absl::StrReplaceAll(copy_user_row, {{"\"moduleVersion\"", "'2'"}}),
           R"( FROM "ModuleLicense" WHERE "ModuleLicense_id" = {m:user})"),
       Outcome::kTampered,
       {kVendor},
       R"(ModuleLicense row "user" version "2" is not in the signed set)"},
      {"ModuleLicense_row_moved_to_vendor",
       "ModuleLicense",
       "",
       R"(UPDATE "ModuleLicense" SET "ModuleOwner_id" = {o:SUPEROFFICE}
          WHERE "ModuleLicense_id" = {m:widget-cal})",
       Outcome::kTampered,
       {kPartner, kVendor},
       R"(module "widget-cal" of the signed set is missing)"},
      {"ModuleLicense_row_copied_to_partner",
       "ModuleLicense",
       "",
       absl::StrCat(
           R"(INSERT INTO "ModuleLicense" ()", copy_user_row, ") SELECT ",
           absl::StrReplaceAll(copy_user_row,
                               {{"\"ModuleOwner_id\"", "{o:ACME}"}}),
           R"( FROM "ModuleLicense" WHERE "ModuleLicense_id" = {m:user})"),
       Outcome::kTampered,
       {kPartner},
       R"(ModuleLicense row "user" is not in the signed set)"},
      {"LicenseAssocLink_row_added_ordinary",
       "LicenseAssocLink",
       "",
       R"(INSERT INTO "LicenseAssocLink" ("moduleLicenseId", "assocId",
            "encryptedCheck") VALUES ({m:quote-cal}, {a:dan}, {blob}))",
       Outcome::kAccepted,
       {},
       "",
       [](const LicenseView& view, const Ids& ids) {
         EXPECT_TRUE(view.Has(ids.associates.at("dan"), "quote-cal"));
         EXPECT_EQ(InUse(view, kVendor, "quote-cal"), 1);
       }},
      {"LicenseAssocLink_row_added_beyond_count",
       "LicenseAssocLink",
       "",
       R"(INSERT INTO "LicenseAssocLink" ("moduleLicenseId", "assocId",
            "encryptedCheck")
          SELECT {m:quote-cal}, "associate_id", {blob} FROM "associate")",
       Outcome::kTampered,
       {kVendor},
       R"(module "quote-cal": 4 assigned, licenseNumber 2)"},
      {"LicenseAssocLink_row_added_hidden",
       "LicenseAssocLink",
       "",
       R"(INSERT INTO "LicenseAssocLink" ("moduleLicenseId", "assocId",
            "encryptedCheck") VALUES ({m:sale-cal}, {a:dan}, {blob}))",
       Outcome::kTampered,
       {kVendor},
       R"(hidden module "sale-cal" held by associate)"},
      {"LicenseAssocLink_row_added_missing_associate",
       "LicenseAssocLink",
       "",
       R"(INSERT INTO "LicenseAssocLink" ("moduleLicenseId", "assocId",
            "encryptedCheck") VALUES ({m:widget-cal}, 9999, {blob}))",
       Outcome::kTampered,
       {kPartner},
       "associate 9999 does not exist"},
      {"LicenseAssocLink_row_added_missing_module",
       "LicenseAssocLink",
       "",
       R"(INSERT INTO "LicenseAssocLink" ("moduleLicenseId", "assocId",
            "encryptedCheck") VALUES (9999, {a:dan}, {blob}))",
       Outcome::kAccepted,
       {},
       "",
       ExpectScenarioGrants},
      // Ordinary: an unassignment.
      {"LicenseAssocLink_row_deleted",
       "LicenseAssocLink",
       "",
       R"(DELETE FROM "LicenseAssocLink"
          WHERE "LicenseAssocLink_id" = {l:bob:user})",
       Outcome::kAccepted,
       {},
       "",
       [](const LicenseView& view, const Ids& ids) {
         EXPECT_FALSE(view.Has(ids.associates.at("bob"), "user"));
         EXPECT_EQ(InUse(view, kVendor, "user"), 2);
       }},
      {"LicenseAssocLink_row_duplicated", "LicenseAssocLink", "",
       R"(INSERT INTO "LicenseAssocLink" ("moduleLicenseId", "assocId",
            "encryptedCheck")
          SELECT "moduleLicenseId", "assocId", "encryptedCheck"
          FROM "LicenseAssocLink" WHERE "LicenseAssocLink_id" = {l:bob:user})",
       Outcome::kRefused},
      {"LicenseAssocLink_row_duplicated_unique_dropped",
       "LicenseAssocLink",
       "",
       R"({drop-unique} INSERT INTO "LicenseAssocLink" ("moduleLicenseId",
            "assocId", "encryptedCheck")
          SELECT "moduleLicenseId", "assocId", "encryptedCheck"
          FROM "LicenseAssocLink" WHERE "LicenseAssocLink_id" = {l:bob:user})",
       Outcome::kTampered,
       {kVendor},
       "holds the module more than once",
       nullptr,
       /*postgres_only=*/true},
  };
}

std::vector<EditCase> AllCases() {
  std::vector<EditCase> all;
  for (auto cases : {ModuleOwnerCases(), ModuleLicenseCases(),
                     LicenseAssocLinkCases(), RowCases()}) {
    all.insert(all.end(), cases.begin(), cases.end());
  }
  return all;
}

const std::vector<EditCase>& Cases() {
  static const auto* cases = new std::vector<EditCase>(AllCases());
  return *cases;
}

// ---------------------------------------------------------------------------
// The fixture

class TamperFixture : public ::testing::Test {
 protected:
  TamperFixture() : clock_(absl::FromUnixSeconds(kNow)) {}

  // Opens a fresh clone of the scenario on `backend` and reads its ids.
  void Open(const std::string& backend) {
    backend_ = backend;
    if (backend != "sqlite") {
      auto server = PostgresServer::Shared();
      ASSERT_THAT(server, IsOk()) << "PostgreSQL test server unavailable";
      server_ = *server;
    }
    ASSERT_OK_AND_ASSIGN(auto clone, World::Get().Clone(backend, temp_));
    url_ = clone.first;
    dbname_ = clone.second;
    ASSERT_OK_AND_ASSIGN(db_, CrmDatabase::Open(url_));
    ASSERT_OK_AND_ASSIGN(ids_, ReadIds(*db_));
  }

  static absl::StatusOr<Ids> ReadIds(CrmDatabase& db) {
    Ids ids;
    for (const char* name : {"ann", "bob", "cid", "dan"}) {
      ASSIGN_OR_RETURN(Associate a, db.FindAssociateByName(name));
      ids.associates[name] = a.id;
    }
    std::map<int64_t, std::string> module_names;
    for (const char* owner : {kVendor, kPartner}) {
      ASSIGN_OR_RETURN(OwnerView view, db.GetOwner(owner));
      ids.owners[owner] = view.owner.id;
      for (const ModuleRecord& m : view.modules) {
        ids.modules[m.module_name] = m.id;
        module_names[m.id] = m.module_name;
      }
    }
    for (const auto& [name, id] : ids.associates) {
      ASSIGN_OR_RETURN(auto links, db.ListAssocLinksOf(id));
      for (const AssocLinkRecord& link : links) {
        ids.links[absl::StrCat(name, ":",
                               module_names[link.module_license_id])] = link.id;
      }
    }
    return ids;
  }

  // A blob literal of the backend.
  std::string BlobLiteral(const std::string& bytes) const {
    const std::string hex = absl::BytesToHexString(bytes);
    return server_ != nullptr ? absl::StrCat("'\\x", hex, "'::bytea")
                              : absl::StrCat("X'", hex, "'");
  }

  // A text literal.
  static std::string TextLiteral(const std::string& text) {
    return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
  }

  // `sql` with the placeholders of EditCase::sql replaced.
  std::string Expand(const std::string& sql) const {
    std::vector<std::pair<std::string, std::string>> values = {
        {"{blob}", BlobLiteral("\xde\xad\xbe\xef")},
        {"{drop-unique}",
         R"(ALTER TABLE "LicenseAssocLink"
            DROP CONSTRAINT "LicenseAssocLink_moduleLicenseId_assocId_key";)"}};
    for (const auto& [k, v] : ids_.associates) {
      values.emplace_back(absl::StrCat("{a:", k, "}"), absl::StrCat(v));
    }
    for (const auto& [k, v] : ids_.owners) {
      values.emplace_back(absl::StrCat("{o:", k, "}"), absl::StrCat(v));
    }
    for (const auto& [k, v] : ids_.modules) {
      values.emplace_back(absl::StrCat("{m:", k, "}"), absl::StrCat(v));
    }
    for (const auto& [k, v] : ids_.links) {
      values.emplace_back(absl::StrCat("{l:", k, "}"), absl::StrCat(v));
    }
    return absl::StrReplaceAll(sql, values);
  }

  // Runs raw SQL on a second connection, behind the library's back, as the
  // database's owner (see the file comment); false when the database
  // refuses it.
  bool TryExecRaw(const std::string& sql) {
    EXPECT_EQ(sql.find("{"), std::string::npos) << "placeholder left: " << sql;
    if (server_ != nullptr) {
      std::string disable;
      std::string enable;
      for (const char* table :
           {"ModuleOwner", "ModuleLicense", "LicenseAssocLink", "associate"}) {
        absl::StrAppend(&disable, "ALTER TABLE \"", table,
                        "\" DISABLE TRIGGER ALL; ");
        absl::StrAppend(&enable, "; ALTER TABLE \"", table,
                        "\" ENABLE TRIGGER ALL");
      }
      // psql -c runs the statements in one transaction: a refused edit
      // leaves the triggers enabled.
      return server_->ExecuteSql(dbname_, disable + sql + enable).ok();
    }
    return RunProgram({"sqlite3", "-bail", url_.substr(7), sql}) == 0;
  }

  void ExecRaw(const std::string& sql) { ASSERT_TRUE(TryExecRaw(sql)) << sql; }

  // Returns the query's rows, one a line, read with the shell of the
  // backend.
  std::string QueryRaw(const std::string& sql) const {
    std::string out;
    const int rc =
        server_ != nullptr
            ? RunProgram({kPsql, "-X", "-A", "-t", "-d", url_, "-c", sql}, &out)
            : RunProgram({"sqlite3", url_.substr(7), sql}, &out);
    EXPECT_EQ(rc, 0) << sql;
    return out;
  }

  std::shared_ptr<const LicenseView> Load() {
    auto view = LicenseView::Load(*db_, World::Get().trust(), clock_);
    EXPECT_OK(view.status());
    return view.ok() ? *view : nullptr;
  }

  static const OwnerStatus* FindOwner(const LicenseView& view,
                                      const std::string& name) {
    for (const OwnerStatus& owner : view.owners()) {
      if (owner.owner_name == name) return &owner;
    }
    return nullptr;
  }

  // Expects `owners` to fail closed, the first with `reason`, and every
  // other owner to be ok.
  void ExpectTampered(const LicenseView& view,
                      const std::vector<std::string>& owners,
                      const std::string& reason) {
    for (const std::string& name : owners) {
      const OwnerStatus* owner = FindOwner(view, name);
      ASSERT_NE(owner, nullptr) << "no owner " << name;
      EXPECT_EQ(owner->state, LicenseState::kTampered) << owner->reason;
      EXPECT_FALSE(owner->grants());
    }
    if (!reason.empty()) {
      EXPECT_THAT(FindOwner(view, owners[0])->reason, HasSubstr(reason));
    }
    for (const OwnerStatus& owner : view.owners()) {
      if (std::find(owners.begin(), owners.end(), owner.owner_name) ==
          owners.end()) {
        EXPECT_EQ(owner.state, LicenseState::kOk)
            << owner.owner_name << ": " << owner.reason;
      }
    }
    // Nothing of a tampered owner is granted.
    const int64_t ann = ids_.associates.at("ann");
    const int64_t cid = ids_.associates.at("cid");
    const int64_t dan = ids_.associates.at("dan");
    const bool vendor_tampered =
        FindOwner(view, kVendor) == nullptr ||
        FindOwner(view, kVendor)->state == LicenseState::kTampered;
    if (vendor_tampered) {
      for (const char* m : {"user", "web", "server", "satellite"}) {
        EXPECT_FALSE(view.Has(ann, absl::StrCat("superoffice.", m))) << m;
      }
      EXPECT_FALSE(view.Has(cid, "superoffice.sale-cal"));
      EXPECT_FALSE(view.Has(dan, "superoffice.server"));
    }
    const OwnerStatus* partner = FindOwner(view, kPartner);
    if (partner != nullptr && partner->state == LicenseState::kTampered) {
      EXPECT_FALSE(view.Has(ann, "acme.widget-cal"));
      EXPECT_FALSE(view.Has(dan, "acme.widget"));
    }
  }

  void ExpectAllOk(const LicenseView& view) {
    for (const OwnerStatus& owner : view.owners()) {
      EXPECT_EQ(owner.state, LicenseState::kOk)
          << owner.owner_name << ": " << owner.reason;
    }
  }

  TempDir temp_;
  FakeClock clock_;
  std::string backend_;
  PostgresServer* server_ = nullptr;  // not owned; null for SQLite
  std::string url_;
  std::string dbname_;
  std::unique_ptr<CrmDatabase> db_;
  Ids ids_;
};

// ---------------------------------------------------------------------------
// Per backend: the edit cases, the catalogue, copies from another
// installation, byte flips

class TamperMatrixTest : public TamperFixture,
                         public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Open(GetParam())); }

  // Runs every case of `cases` on a fresh clone of the scenario; a failure
  // names the case.
  void RunCases(const std::vector<EditCase>& cases) {
    int run = 0;
    for (const EditCase& c : cases) {
      if (c.postgres_only && server_ == nullptr) continue;
      SCOPED_TRACE(absl::StrCat("case ", c.name, " on ", GetParam()));
      RunCase(c);
      ++run;
    }
    std::cout << run << " cases on " << GetParam() << "\n";
  }

  void RunCase(const EditCase& c) {
    ASSERT_NO_FATAL_FAILURE(Open(GetParam()));
    {
      std::shared_ptr<const LicenseView> before = Load();
      ASSERT_NE(before, nullptr);
      ExpectAllOk(*before);
      ExpectScenarioGrants(*before, ids_);
    }
    const std::string sql = Expand(c.sql);
    if (c.outcome == Outcome::kRefused) {
      ASSERT_OK_AND_ASSIGN(const std::string dump, db_->Dump());
      EXPECT_FALSE(TryExecRaw(sql)) << "the database took: " << sql;
      ASSERT_OK_AND_ASSIGN(const std::string after, db_->Dump());
      EXPECT_EQ(after, dump);
    } else {
      ASSERT_NO_FATAL_FAILURE(ExecRaw(sql));
    }
    std::shared_ptr<const LicenseView> view = Load();
    ASSERT_NE(view, nullptr);
    switch (c.outcome) {
      case Outcome::kTampered:
        ExpectTampered(*view, c.tampered, c.reason);
        break;
      case Outcome::kAccepted:
        ExpectAllOk(*view);
        break;
      case Outcome::kRefused:
        ExpectAllOk(*view);
        ExpectScenarioGrants(*view, ids_);
        break;
    }
    if (c.check != nullptr) c.check(*view, ids_);
  }

  // The columns of `table` in the database catalogue.
  std::vector<std::string> CatalogueColumns(const std::string& table) const {
    const std::string sql =
        server_ != nullptr
            ? absl::StrCat(
                  "SELECT column_name FROM information_schema.columns "
                  "WHERE table_schema = 'public' AND table_name = '",
                  table, "' ORDER BY ordinal_position")
            : absl::StrCat("SELECT name FROM pragma_table_info('", table, "')");
    return absl::StrSplit(QueryRaw(sql), '\n', absl::SkipWhitespace());
  }
};

TEST_P(TamperMatrixTest, ModuleOwnerColumnEdits) {
  RunCases(ModuleOwnerCases());
}

TEST_P(TamperMatrixTest, ModuleLicenseColumnEdits) {
  RunCases(ModuleLicenseCases());
}

TEST_P(TamperMatrixTest, LicenseAssocLinkColumnEdits) {
  RunCases(LicenseAssocLinkCases());
}

TEST_P(TamperMatrixTest, RowsAddedDeletedDuplicatedMoved) {
  RunCases(RowCases());
}

TEST_P(TamperMatrixTest, EveryColumnHasAnEditCase) {
  for (const char* table :
       {"ModuleOwner", "ModuleLicense", "LicenseAssocLink"}) {
    SCOPED_TRACE(table);
    const std::vector<std::string> columns = CatalogueColumns(table);
    EXPECT_GE(columns.size(), 13u);
    std::set<std::string> covered;
    for (const EditCase& c : Cases()) {
      if (c.table == table && !c.column.empty()) covered.insert(c.column);
    }
    for (const std::string& column : columns) {
      EXPECT_EQ(covered.count(column), 1u)
          << table << "." << column << " has no edit case in "
          << "tests/client/tamper_matrix_test.cc";
    }
    const std::set<std::string> in_catalogue(columns.begin(), columns.end());
    for (const std::string& column : covered) {
      EXPECT_EQ(in_catalogue.count(column), 1u)
          << "edit case of " << table << "." << column
          << ", which is not a column";
    }
  }
}

// Another installation (serial kOtherSerial, more licenses) on SQLite:
// its rows, signatures and envelopes are what gets copied in.
struct OtherInstallation {
  OwnerView vendor;
  OwnerView partner;
  EnvelopeRecord vendor_envelope;
  EnvelopeRecord partner_envelope;
};

absl::StatusOr<OtherInstallation> MakeOtherInstallation(const TempDir& temp) {
  ASSIGN_OR_RETURN(auto db,
                   CrmDatabase::Open("sqlite:" + temp.File("other.db")));
  RETURN_IF_ERROR(World::Get().BuildScenario(*db, kOtherSerial, 50, 30));
  OtherInstallation other;
  ASSIGN_OR_RETURN(other.vendor, db->GetOwner(kVendor));
  ASSIGN_OR_RETURN(other.partner, db->GetOwner(kPartner));
  ASSIGN_OR_RETURN(other.vendor_envelope, db->LatestEnvelope(kVendor));
  ASSIGN_OR_RETURN(other.partner_envelope, db->LatestEnvelope(kPartner));
  return other;
}

TEST_P(TamperMatrixTest, RowsCopiedFromAnotherInstallationAreDetected) {
  ASSERT_OK_AND_ASSIGN(OtherInstallation other, MakeOtherInstallation(temp_));
  const ModuleRecord* their_user = nullptr;
  for (const ModuleRecord& m : other.vendor.modules) {
    if (m.module_name == "user") their_user = &m;
  }
  ASSERT_NE(their_user, nullptr);
  // Updates our vendor row of `m` to the other installation's row.
  auto module_sql = [&](const ModuleRecord& m) {
    return absl::StrCat(
        R"(UPDATE "ModuleLicense" SET "licenseNumber" = )", m.license_number,
        R"(, "signature" = )", BlobLiteral(m.signature),
        R"( WHERE "ModuleOwner_id" = )", ids_.owners[kVendor],
        R"( AND "moduleName" = )", TextLiteral(m.module_name), ";");
  };
  auto envelope_sql = [&](const EnvelopeRecord& e) {
    return absl::StrCat(R"(UPDATE "license_envelope" SET "envelope" = )",
                        BlobLiteral(e.envelope), R"( WHERE "owner_name" = )",
                        TextLiteral(e.owner_name), ";");
  };
  const std::string whole_vendor = [&] {
    std::string sql = absl::StrCat(R"(UPDATE "ModuleOwner" SET "signature" = )",
                                   BlobLiteral(other.vendor.owner.signature),
                                   R"( WHERE "ownerName" = 'SUPEROFFICE';)");
    for (const ModuleRecord& m : other.vendor.modules) {
      absl::StrAppend(&sql, module_sql(m));
    }
    return sql + envelope_sql(other.vendor_envelope);
  }();
  // The other installation's partner owner, inserted in place of ours.
  const std::string whole_partner = [&] {
    const OwnerRecord& o = other.partner.owner;
    std::string sql = absl::StrCat(
        R"(DELETE FROM "LicenseAssocLink" WHERE "moduleLicenseId" IN
             (SELECT "ModuleLicense_id" FROM "ModuleLicense"
              WHERE "ModuleOwner_id" = )",
        ids_.owners[kPartner], R"();
           DELETE FROM "ModuleLicense" WHERE "ModuleOwner_id" = )",
        ids_.owners[kPartner], R"(;
           DELETE FROM "ModuleOwner" WHERE "ModuleOwner_id" = )",
        ids_.owners[kPartner], R"(;
           DELETE FROM "license_envelope" WHERE "owner_name" = 'ACME';
           INSERT INTO "ModuleOwner" ("ModuleOwner_id", "ownerName",
             "ownerDescription", "licenseVersion", "signedPublicKey",
             "signature", "expiration", "graceTo", "maintenanceTo",
             "adminWarningDate", "encryptedCheck") VALUES ()",
        ids_.owners[kPartner], ", ", TextLiteral(o.owner_name), ", ",
        TextLiteral(o.owner_description), ", ", o.license_version, ", ",
        BlobLiteral(o.signed_public_key), ", ", BlobLiteral(o.signature), ", ",
        o.expiration, ", ", o.grace_to, ", ", o.maintenance_to, ", ",
        o.admin_warning_date.value_or(0), ", ", BlobLiteral(""), ");");
    for (const ModuleRecord& m : other.partner.modules) {
      absl::StrAppend(&sql, R"(INSERT INTO "ModuleLicense" ("moduleName",
            "moduleDescription", "licenseType", "licenseNumber",
            "allowedAssocsMask", "encryptedCheck", "ModuleOwner_id",
            "sortOrder", "signature") VALUES ()",
                      TextLiteral(m.module_name), ", ",
                      TextLiteral(m.module_description), ", ", m.license_type,
                      ", ", m.license_number, ", ", m.allowed_assocs_mask, ", ",
                      BlobLiteral(""), ", ", ids_.owners[kPartner], ", ",
                      m.sort_order, ", ", BlobLiteral(m.signature), ");");
    }
    const EnvelopeRecord& e = other.partner_envelope;
    return absl::StrCat(
        sql, R"(INSERT INTO "license_envelope" ("owner_name", "version",
          "envelope", "imported_at") VALUES ()",
        TextLiteral(e.owner_name), ", ", e.version, ", ",
        BlobLiteral(e.envelope), ", ", e.imported_at, ");");
  }();
  struct Copy {
    std::string name;
    std::string sql;
    std::string owner;
    std::string reason;
  };
  const std::vector<Copy> copies = {
      {"their user row and its signature", module_sql(*their_user), kVendor,
       R"(ModuleLicense row "user" differs from the signed set (licenseNumber, signature))"},
      {"their envelope", envelope_sql(other.vendor_envelope), kVendor,
       "the signed set is for serial 1010000022, not this installation's "
       "serial \"1010000014\""},
      {"their whole vendor owner: row, module rows, envelope", whole_vendor,
       kVendor, "the signed set is for serial 1010000022"},
      {"their partner owner inserted in place of ours", whole_partner, kPartner,
       "the signed set is for serial 1010000022"},
  };
  bool first = true;
  for (const Copy& copy : copies) {
    SCOPED_TRACE(copy.name);
    if (!first) {
      ASSERT_NO_FATAL_FAILURE(Open(GetParam()));  // a fresh clone
    }
    first = false;
    ASSERT_NO_FATAL_FAILURE(ExecRaw(copy.sql));
    std::shared_ptr<const LicenseView> view = Load();
    ASSERT_NE(view, nullptr);
    ExpectTampered(*view, {copy.owner}, copy.reason);
  }
}

// Every byte of a signed license file (a newer set of the vendor's) flipped
// in turn: the import is refused by verification (never by a later rule,
// which would mean the flipped file verified) and the database is as it was.
// The change stamp, which moves with any write to the licensing tables, is
// compared after every byte; the whole dump (without the rejection journal)
// after every kDumpStride-th byte and the last: the journal grows by a line
// per rejection, so a dump per byte would make the test quadratic. The
// unflipped file then imports.
constexpr size_t kDumpStride = 16;

TEST_P(TamperMatrixTest, EveryFlippedByteOfALicenseFileIsRefused) {
  const std::string file =
      World::Get().Sign(VendorSet(kSerial, 2, 12)).SerializeAsString();
  ASSERT_GT(file.size(), 500u);
  LicenseImporter importer(&World::Get().trust(), &clock_);
  ASSERT_OK_AND_ASSIGN(const std::string dump_before, db_->Dump());
  const std::string before = WithoutJournal(dump_before);
  ASSERT_OK_AND_ASSIGN(const int64_t stamp, db_->ChangeStamp());
  const std::string path = temp_.File("flipped.lic");
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < file.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("byte ", i, " of ", file.size()));
    std::string flipped = file;
    flipped[i] = static_cast<char>(~flipped[i]);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << flipped;
    absl::StatusOr<ImportResult> result = importer.ImportFile(*db_, path);
    ASSERT_FALSE(result.ok())
        << "a file with byte " << i << " flipped imported";
    EXPECT_TRUE(absl::IsInvalidArgument(result.status()) ||
                absl::IsPermissionDenied(result.status()))
        << result.status();
    ASSERT_OK_AND_ASSIGN(const int64_t now_stamp, db_->ChangeStamp());
    ASSERT_EQ(now_stamp, stamp);
    if (i % kDumpStride == 0 || i + 1 == file.size()) {
      ASSERT_OK_AND_ASSIGN(const std::string dump, db_->Dump());
      ASSERT_EQ(WithoutJournal(dump), before);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::cout << "flipped each of " << file.size() << " bytes on " << GetParam()
            << " in " << seconds << " s\n";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << file;
  ASSERT_OK(importer.ImportFile(*db_, path).status());
  std::shared_ptr<const LicenseView> view = Load();
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(FindOwner(*view, kVendor)->version, 2u);
  ExpectAllOk(*view);
}

INSTANTIATE_TEST_SUITE_P(Backends, TamperMatrixTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
