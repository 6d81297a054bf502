// Tests of client/license_importer.h on both backends (SQLite and a real
// PostgreSQL server started by tests/support/postgres_server.h), with keys
// made in-process and an injected clock.
#include "client/license_importer.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/crm_database.h"
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
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1798761600;  // 2027-01-01
constexpr char kSerial[] = "1010000014";
constexpr char kOwner[] = "SUPEROFFICE";

// A module name that would break any SQL built by concatenation.
const char kNastyModule[] = "it's \"q\"'); DROP TABLE \"ModuleOwner\"; --";

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

// Module name -> license number; a missing name is left out of the set.
using Counts = std::map<std::string, uint32_t>;

Counts DefaultCounts() {
  return {{"user", 10},
          {"web", 5},
          {"quote-cal", 3},
          {"visible-for", 1},
          {"ten-sales", 21}};
}

// The sample set: user 10, web 5 (requires user), quote-cal 3, visible-for
// unrestricted, the ten-sales plan; `counts` overrides and selects rows.
v1::LicenseSet MakeSet(uint64_t version, const Counts& counts) {
  v1::LicenseSet set;
  set.mutable_owner()->set_owner_name(kOwner);
  set.mutable_owner()->set_description("SuperOffice AS");
  set.mutable_owner()->set_license_version(1);
  set.mutable_customer()->set_company_name("Example Company AS");
  set.mutable_customer()->set_serial(kSerial);
  set.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
  set.set_version(version);
  set.set_issued_at(kNow - 3600);
  set.set_expiration(kNow + 300 * kDay);
  set.set_grace_to(kNow + 330 * kDay);
  set.set_maintenance_to(kNow + 300 * kDay);
  uint32_t sort_order = 0;
  for (const auto& [name, number] : counts) {
    v1::ModuleLicense m = Module(name, number, sort_order += 10);
    if (name == "web" || name == "quote-cal") m.set_prerequisite_module("user");
    if (name == "visible-for") m.set_unrestricted(true);
    if (name == "ten-sales") {
      m.set_extra_flags(1);
      m.set_extra_info("set=user,web,quote-cal");
    }
    *set.add_module_licenses() = m;
  }
  return set;
}

// Returns `dump` without the import_history section.
std::string WithoutHistory(const std::string& dump) {
  const std::string header = "import_history:\n";
  size_t begin = dump.find(header);
  if (begin == std::string::npos) return dump;
  size_t end = begin + header.size();
  while (end < dump.size() && dump.compare(end, 2, "  ") == 0) {
    end = dump.find('\n', end);
    end = end == std::string::npos ? dump.size() : end + 1;
  }
  return dump.substr(0, begin) + dump.substr(end);
}

class LicenseImporterTest : public ::testing::TestWithParam<std::string> {
 protected:
  LicenseImporterTest() : clock_(absl::FromUnixSeconds(kNow)) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(MakeTrust());
    importer_ = std::make_unique<LicenseImporter>(store_.get(), &clock_);
    ASSERT_NO_FATAL_FAILURE(OpenDatabase());
    ASSERT_OK(SetInstallation());
  }

  void MakeTrust() {
    root_ = NewKey();
    owner_key_ = NewKey();
    v1::TrustBundle bundle;
    bundle.set_version(1);
    bundle.set_threshold(1);
    *bundle.add_root_keys() = keys::PublicKeyOf(*root_, "root-1");
    ASSERT_OK_AND_ASSIGN(v1::SignedTrustBundle signed_bundle,
                         keys::SignTrustBundle(*root_, bundle));
    ASSERT_OK_AND_ASSIGN(keys::TrustStore store,
                         keys::TrustStore::FromAnchor(signed_bundle));
    store_ = std::make_unique<keys::TrustStore>(std::move(store));
    ASSERT_OK_AND_ASSIGN(certificate_, Certify(*root_, *owner_key_));
  }

  absl::StatusOr<v1::SignedPublicKey> Certify(const keys::Signer& root,
                                              const keys::Signer& key) {
    v1::OwnerKeyCertificate c;
    c.set_owner_name(kOwner);
    *c.mutable_key() = keys::PublicKeyOf(key, "");
    c.set_issued_at(kNow - 30 * kDay);
    c.set_valid_from(kNow - 30 * kDay);
    c.set_valid_until(kNow + 365 * kDay);
    return keys::CertifyOwnerKey(root, c);
  }

  // Opens a new, empty database of the backend under test.
  void OpenNewDatabase(const std::string& file,
                       std::unique_ptr<CrmDatabase>* db) {
    std::string url = "sqlite:" + temp_.File(file);
    if (GetParam() != "sqlite") {
      auto server = PostgresServer::Shared();
      ASSERT_THAT(server, IsOk()) << "PostgreSQL test server unavailable";
      ASSERT_OK_AND_ASSIGN(url, (*server)->CreateDatabase());
    }
    ASSERT_OK_AND_ASSIGN(*db, CrmDatabase::Open(url));
  }

  void OpenDatabase() { OpenNewDatabase("crm.db", &db_); }

  absl::Status SetInstallation() {
    auto txn = db_->BeginWrite();
    if (!txn.ok()) return txn.status();
    Installation installation;
    installation.serial = kSerial;
    installation.company_name = "Example Company AS";
    if (auto s = (*txn)->SetInstallation(installation); !s.ok()) return s;
    return (*txn)->Commit();
  }

  v1::SignedLicenseSet Sign(const v1::LicenseSet& set) {
    auto envelope = keys::SignLicenseSet(set, *owner_key_, certificate_);
    EXPECT_OK(envelope.status());
    return envelope.ok() ? *envelope : v1::SignedLicenseSet();
  }

  absl::StatusOr<ImportResult> Import(
      const v1::LicenseSet& set,
      std::vector<CountShortfall>* shortfalls = nullptr) {
    return importer_->Import(*db_, Sign(set), shortfalls);
  }

  std::string DumpWithoutHistory() {
    auto dump = db_->Dump();
    EXPECT_OK(dump.status());
    return dump.ok() ? WithoutHistory(*dump) : "";
  }

  std::vector<ImportHistoryEntry> History() {
    auto history = db_->ListImportHistory(kOwner);
    EXPECT_OK(history.status());
    return history.ok() ? *history : std::vector<ImportHistoryEntry>{};
  }

  int64_t ModuleId(const std::string& name) {
    auto view = db_->GetOwner(kOwner);
    EXPECT_OK(view.status());
    if (!view.ok()) return 0;
    for (const ModuleRecord& m : view->modules) {
      if (m.module_name == name) return m.id;
    }
    ADD_FAILURE() << "no module " << name;
    return 0;
  }

  // Adds `users` associates holding `modules`; returns the links by module.
  std::map<std::string, std::vector<int64_t>> Assign(
      int users, const std::vector<std::string>& modules) {
    std::map<std::string, std::vector<int64_t>> links;
    auto txn = db_->BeginWrite();
    EXPECT_OK(txn.status());
    if (!txn.ok()) return links;
    for (int i = 0; i < users; ++i) {
      auto assoc = (*txn)->AddAssociate({0, absl::StrCat("user-", i), 1, true});
      EXPECT_OK(assoc.status());
      if (!assoc.ok()) return links;
      for (const std::string& module : modules) {
        AssocLinkRecord link;
        link.module_license_id = ModuleIdIn(**txn, module);
        link.assoc_id = *assoc;
        auto id = (*txn)->InsertAssocLink(link);
        EXPECT_OK(id.status());
        if (id.ok()) links[module].push_back(*id);
      }
    }
    EXPECT_OK((*txn)->Commit());
    return links;
  }

  static int64_t ModuleIdIn(CrmTransaction& txn, const std::string& name) {
    auto view = txn.GetOwner(kOwner);
    if (!view.ok()) return 0;
    for (const ModuleRecord& m : view->modules) {
      if (m.module_name == name) return m.id;
    }
    return 0;
  }

  // Imports `set`, expects a rejection with `code` and `message`, and checks
  // that only a "rejected" import_history entry was written.
  void ExpectRejected(const v1::SignedLicenseSet& envelope,
                      absl::StatusCode code, const std::string& message,
                      bool recorded = true) {
    const std::string before = DumpWithoutHistory();
    const size_t history = History().size();
    EXPECT_THAT(importer_->Import(*db_, envelope),
                StatusIs(code, HasSubstr(message)));
    EXPECT_EQ(DumpWithoutHistory(), before);
    EXPECT_THAT(before, HasSubstr("ModuleOwner:"));
    EXPECT_THAT(before, HasSubstr("license_envelope:"));
    std::vector<ImportHistoryEntry> after = History();
    ASSERT_EQ(after.size(), history + (recorded ? 1 : 0));
    if (recorded) {
      EXPECT_EQ(after.back().result, "rejected");
      EXPECT_THAT(after.back().message, HasSubstr(message));
    }
  }

  TempDir temp_;
  FakeClock clock_;
  std::unique_ptr<keys::Signer> root_;
  std::unique_ptr<keys::Signer> owner_key_;
  v1::SignedPublicKey certificate_;
  std::unique_ptr<keys::TrustStore> store_;
  std::unique_ptr<LicenseImporter> importer_;
  std::unique_ptr<CrmDatabase> db_;
};

TEST(WithoutHistoryTest, RemovesOnlyTheImportHistorySection) {
  EXPECT_EQ(WithoutHistory("a:\n  1\nimport_history:\n  x | y\n  z\n"
                           "b:\n  2\n"),
            "a:\n  1\nb:\n  2\n");
  EXPECT_EQ(WithoutHistory("a:\n  1\nimport_history:\n  x\n"), "a:\n  1\n");
}

TEST_P(LicenseImporterTest, FirstImportInstallsRowsWithTheirSignatures) {
  const v1::SignedLicenseSet envelope = Sign(MakeSet(1, DefaultCounts()));
  ASSERT_OK_AND_ASSIGN(ImportResult result, importer_->Import(*db_, envelope));
  EXPECT_EQ(result.owner_name, kOwner);
  EXPECT_EQ(result.version, 1u);
  EXPECT_EQ(result.modules, 5);

  ASSERT_OK_AND_ASSIGN(OwnerView view, db_->GetOwner(kOwner));
  EXPECT_EQ(view.owner.signature, envelope.signatures(0).signature());
  EXPECT_EQ(view.owner.signed_public_key,
            keys::DeterministicBytes(envelope.owner_key()));
  EXPECT_EQ(view.owner.grace_to, kNow + 330 * kDay);
  std::map<uint32_t, std::string> row_signatures;
  for (const v1::RowSignature& r : envelope.row_signatures()) {
    row_signatures[r.sort_order()] = r.signature().signature();
  }
  ASSERT_EQ(view.modules.size(), 5u);
  for (const ModuleRecord& m : view.modules) {
    EXPECT_FALSE(m.signature.empty()) << m.module_name;
    EXPECT_EQ(m.signature, row_signatures[m.sort_order]) << m.module_name;
  }
  EXPECT_THAT(db_->HighestImportedVersion(kOwner), IsOk());
  EXPECT_EQ(*db_->HighestImportedVersion(kOwner), 1);
  ASSERT_OK_AND_ASSIGN(EnvelopeRecord stored, db_->LatestEnvelope(kOwner));
  EXPECT_EQ(stored.envelope, envelope.SerializeAsString());
  EXPECT_THAT(History(),
              ElementsAre(Field(&ImportHistoryEntry::result, "accepted")));
}

TEST_P(LicenseImporterTest, ImportFileStoresTheFileBytes) {
  const std::string bytes =
      Sign(MakeSet(1, DefaultCounts())).SerializeAsString();
  const std::string path = temp_.File("set.lic");
  ::superlicense::testing::WriteFileOrDie(path, bytes);
  ASSERT_OK(importer_->ImportFile(*db_, path).status());
  ASSERT_OK_AND_ASSIGN(EnvelopeRecord stored, db_->LatestEnvelope(kOwner));
  EXPECT_EQ(stored.envelope, bytes);
  EXPECT_THAT(importer_->ImportFile(*db_, temp_.File("missing.lic")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(LicenseImporterTest, RejectsReplayAndRollback) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  ASSERT_OK(Import(MakeSet(2, DefaultCounts())).status());
  ExpectRejected(Sign(MakeSet(2, DefaultCounts())),
                 absl::StatusCode::kFailedPrecondition,
                 "version 2 is not above the installed version 2: "
                 "no rollback or replay");
  ExpectRejected(Sign(MakeSet(1, DefaultCounts())),
                 absl::StatusCode::kFailedPrecondition,
                 "version 1 is not above the installed version 2");
  EXPECT_EQ(*db_->HighestImportedVersion(kOwner), 2);
}

TEST_P(LicenseImporterTest, RejectsAnotherSerial) {
  v1::LicenseSet set = MakeSet(1, DefaultCounts());
  set.mutable_customer()->set_serial("1020000028");
  ExpectRejected(Sign(set), absl::StatusCode::kFailedPrecondition,
                 "serial 1020000028 is not this installation's serial "
                 "1010000014");
}

TEST_P(LicenseImporterTest, RejectsAnotherSite) {
  v1::LicenseSet set = MakeSet(1, DefaultCounts());
  set.mutable_site()->set_kind(v1::SITE_KIND_SATELLITE);
  ExpectRejected(Sign(set), absl::StatusCode::kFailedPrecondition,
                 "is not this installation's site");
}

TEST_P(LicenseImporterTest, RejectsVersionBeyondInt64) {
  ExpectRejected(Sign(MakeSet(uint64_t{1} << 63, DefaultCounts())),
                 absl::StatusCode::kFailedPrecondition, "is too large");
}

TEST_P(LicenseImporterTest, RejectsSetIssuedInTheFutureBeyondTolerance) {
  v1::LicenseSet set = MakeSet(1, DefaultCounts());
  set.set_issued_at(kNow + 6 * 60);
  ExpectRejected(Sign(set), absl::StatusCode::kFailedPrecondition,
                 "beyond the clock tolerance");
  set.set_issued_at(kNow + 4 * 60);
  EXPECT_OK(Import(set).status());
}

TEST_P(LicenseImporterTest, RejectsSetPastGraceTo) {
  v1::LicenseSet set = MakeSet(1, DefaultCounts());
  set.set_issued_at(kNow - 10 * kDay);
  set.set_expiration(kNow - 5 * kDay);
  set.set_grace_to(kNow - 1);
  ExpectRejected(Sign(set), absl::StatusCode::kFailedPrecondition,
                 absl::StrCat("is past its grace_to ", kNow - 1));
}

TEST_P(LicenseImporterTest, RejectsTamperedEnvelopeBeforeTouchingTheDb) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  v1::SignedLicenseSet envelope = Sign(MakeSet(2, DefaultCounts()));
  std::string* payload = envelope.mutable_payload();
  (*payload)[payload->size() / 2] ^= 0x01;
  ExpectRejected(envelope, absl::StatusCode::kPermissionDenied, "",
                 /*recorded=*/false);
}

TEST_P(LicenseImporterTest, RejectsSetSignedByUncertifiedKey) {
  auto intruder = NewKey();
  auto envelope = keys::SignLicenseSet(MakeSet(1, DefaultCounts()), *intruder,
                                       certificate_);
  ASSERT_OK(envelope.status());
  ExpectRejected(*envelope, absl::StatusCode::kPermissionDenied, "",
                 /*recorded=*/false);
  // Nor may it bring a certificate of its own from a key that is no root.
  ASSERT_OK_AND_ASSIGN(v1::SignedPublicKey self_signed,
                       Certify(*intruder, *intruder));
  envelope =
      keys::SignLicenseSet(MakeSet(1, DefaultCounts()), *intruder, self_signed);
  ASSERT_OK(envelope.status());
  ExpectRejected(*envelope, absl::StatusCode::kPermissionDenied, "",
                 /*recorded=*/false);
}

TEST_P(LicenseImporterTest, UninitialisedInstallationIsRejected) {
  std::unique_ptr<CrmDatabase> fresh;
  ASSERT_NO_FATAL_FAILURE(OpenNewDatabase("fresh.db", &fresh));
  EXPECT_THAT(importer_->Import(*fresh, Sign(MakeSet(1, DefaultCounts()))),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(fresh->GetOwner(kOwner), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(LicenseImporterTest, RejectsSetBelowAssignedCount) {
  Counts v1_counts = DefaultCounts();
  v1_counts["web"] = 8;
  ASSERT_OK(Import(MakeSet(1, v1_counts)).status());
  auto links = Assign(7, {"user", "web", "visible-for"});
  ASSERT_EQ(links["web"].size(), 7u);

  std::vector<CountShortfall> shortfalls;
  const std::string before = DumpWithoutHistory();
  EXPECT_THAT(Import(MakeSet(2, DefaultCounts()), &shortfalls),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("module \"web\": 7 in use, 5 in the new set, "
                                 "remove 2")));
  EXPECT_THAT(shortfalls,
              ElementsAre(AllOf(Field(&CountShortfall::module_name, "web"),
                                Field(&CountShortfall::in_use, 7),
                                Field(&CountShortfall::new_total, 5),
                                Field(&CountShortfall::must_remove, 2))));
  EXPECT_EQ(DumpWithoutHistory(), before);
  EXPECT_EQ(*db_->HighestImportedVersion(kOwner), 1);
  EXPECT_EQ(History().back().result, "rejected");

  // Unassigning two web licenses makes the same set acceptable; the links
  // that remain stay attached to their (kept) module rows.
  const int64_t web_id = ModuleId("web");
  {
    auto txn = db_->BeginWrite();
    ASSERT_OK(txn.status());
    ASSERT_OK((*txn)->DeleteAssocLink(links["web"][0]));
    ASSERT_OK((*txn)->DeleteAssocLink(links["web"][1]));
    ASSERT_OK((*txn)->Commit());
  }
  ASSERT_OK(Import(MakeSet(2, DefaultCounts()), &shortfalls).status());
  EXPECT_TRUE(shortfalls.empty());
  EXPECT_EQ(ModuleId("web"), web_id);
  ASSERT_OK_AND_ASSIGN(OwnerView view, db_->GetOwner(kOwner));
  std::map<int64_t, int> per_module;
  for (const AssocLinkRecord& l : view.assoc_links) {
    ++per_module[l.module_license_id];
  }
  EXPECT_EQ(per_module[web_id], 5);
  EXPECT_EQ(per_module[ModuleId("user")], 7);
  EXPECT_EQ(per_module[ModuleId("visible-for")], 7);
}

TEST_P(LicenseImporterTest, ModuleInUseMissingFromNewSetCountsAsZero) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  Assign(2, {"user", "quote-cal", "visible-for"});
  Counts next = DefaultCounts();
  next.erase("quote-cal");
  next.erase("visible-for");  // missing counts as 0 even when unrestricted
  std::vector<CountShortfall> shortfalls;
  const std::string before = DumpWithoutHistory();
  EXPECT_THAT(
      Import(MakeSet(2, next), &shortfalls),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("module \"quote-cal\": 2 in use, 0 in the new "
                               "set, remove 2"),
                     HasSubstr("module \"visible-for\": 2 in use, 0 in the "
                               "new set, remove 2"))));
  EXPECT_EQ(shortfalls.size(), 2u);
  EXPECT_EQ(DumpWithoutHistory(), before);
}

TEST_P(LicenseImporterTest, UnrestrictedModuleInUseIsExempt) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  Assign(4, {"user", "visible-for"});  // 4 in use, licenseNumber 1
  std::vector<CountShortfall> shortfalls;
  ASSERT_OK(Import(MakeSet(2, DefaultCounts()), &shortfalls).status());
  EXPECT_TRUE(shortfalls.empty());
}

TEST_P(LicenseImporterTest, ModuleNamesWithQuotesAndSqlSurvive) {
  Counts counts = DefaultCounts();
  counts[kNastyModule] = 2;
  ASSERT_OK(Import(MakeSet(1, counts)).status());
  EXPECT_NE(ModuleId(kNastyModule), 0);
  Assign(1, {kNastyModule});
  std::vector<CountShortfall> shortfalls;
  EXPECT_THAT(Import(MakeSet(2, DefaultCounts()), &shortfalls),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("module \"", kNastyModule,
                                              "\": 1 in use"))));
  ASSERT_EQ(shortfalls.size(), 1u);
  EXPECT_EQ(shortfalls[0].module_name, kNastyModule);
  EXPECT_THAT(db_->ListOwnerNames(), IsOk());
  EXPECT_THAT(History().back().message, HasSubstr(kNastyModule));
}

INSTANTIATE_TEST_SUITE_P(Backends, LicenseImporterTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
