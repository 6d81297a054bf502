// Tests of client/license_importer.h on both backends (SQLite and a real
// PostgreSQL server started by tests/support/postgres_server.h), with keys
// made in-process (tests/support/client_fixture.h) and an injected clock.
#include "client/license_importer.h"

#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/crm_database.h"
#include "client/license_assigner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/license_set_envelope.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"
#include "tests/support/client_fixture.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::client {
namespace {

using ::superlicense::testing::WithoutJournal;

using ::superlicense::testing::ClientPki;
using ::superlicense::testing::FakeClock;
using ::superlicense::testing::IsOk;
using ::superlicense::testing::OpenedDatabase;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

constexpr int64_t kDay = testing::kDay;
constexpr int64_t kNow = testing::kClientNow;
constexpr const char* kSerial = testing::kClientSerial;
constexpr const char* kOwner = testing::kClientOwner;

// A module name that would break any SQL built by concatenation.
const char kNastyModule[] = "it's \"q\"'); DROP TABLE \"ModuleOwner\"; --";

std::unique_ptr<keys::Signer> NewKey() {
  auto signer = keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519);
  EXPECT_OK(signer.status());
  return *std::move(signer);
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
  std::vector<v1::ModuleLicense> rows;
  uint32_t sort_order = 0;
  for (const auto& [name, number] : counts) {
    v1::ModuleLicense m =
        testing::MakeModuleRow(name, number, sort_order += 10);
    if (name == "web" || name == "quote-cal") m.set_prerequisite_module("user");
    if (name == "visible-for") m.set_unrestricted(true);
    if (name == "ten-sales") {
      m.set_extra_flags(1);
      m.set_extra_info("set=user,web,quote-cal");
    }
    rows.push_back(m);
  }
  return testing::MakeLicenseSet(kSerial, version, rows);
}

class LicenseImporterTest : public ::testing::TestWithParam<std::string> {
 protected:
  LicenseImporterTest() : clock_(absl::FromUnixSeconds(kNow)) {}

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(ClientPki pki, ClientPki::Create());
    pki_ = std::make_unique<ClientPki>(std::move(pki));
    certificate_ = pki_->certificate();
    importer_ = std::make_unique<LicenseImporter>(&pki_->trust(), &clock_);
    ASSERT_OK_AND_ASSIGN(
        OpenedDatabase opened,
        testing::OpenInstalledDatabase(GetParam(), temp_, "crm.db"));
    url_ = opened.url;
    db_ = std::move(opened.db);
  }

  // Opens a new, empty database of the backend under test.
  void OpenNewDatabase(const std::string& file,
                       std::unique_ptr<CrmDatabase>* db) {
    ASSERT_OK_AND_ASSIGN(OpenedDatabase opened,
                         testing::OpenEmptyDatabase(GetParam(), temp_, file));
    *db = std::move(opened.db);
  }

  v1::SignedLicenseSet Sign(const v1::LicenseSet& set) {
    auto envelope = pki_->Sign(set);
    EXPECT_OK(envelope.status());
    return envelope.ok() ? *envelope : v1::SignedLicenseSet();
  }

  absl::StatusOr<ImportResult> Import(
      const v1::LicenseSet& set,
      std::vector<CountShortfall>* shortfalls = nullptr) {
    return importer_->Import(*db_, Sign(set), shortfalls);
  }

  std::string Dump() {
    auto dump = db_->Dump();
    EXPECT_OK(dump.status());
    return dump.ok() ? *dump : "";
  }

  std::string DumpWithoutJournal() { return WithoutJournal(Dump()); }

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

  // Imports `set` with `importer` (default: the fixture's), expects a
  // rejection with `code` and `message`, and checks that only a "rejected"
  // import_history entry was written (none unless `recorded`).
  void ExpectRejected(const v1::SignedLicenseSet& envelope,
                      absl::StatusCode code, const std::string& message,
                      bool recorded = true,
                      const LicenseImporter* importer = nullptr) {
    if (importer == nullptr) importer = importer_.get();
    const std::string full_before = Dump();
    const std::string before = WithoutJournal(full_before);
    const size_t history = History().size();
    EXPECT_THAT(importer->Import(*db_, envelope),
                StatusIs(code, HasSubstr(message)));
    EXPECT_EQ(DumpWithoutJournal(), before);
    EXPECT_THAT(before, HasSubstr("ModuleOwner:"));
    EXPECT_THAT(before, HasSubstr("license_envelope:"));
    std::vector<ImportHistoryEntry> after = History();
    ASSERT_EQ(after.size(), history + (recorded ? 1 : 0));
    if (recorded) {
      EXPECT_EQ(after.back().result, "rejected");
      EXPECT_THAT(after.back().message, HasSubstr(message));
    } else {
      EXPECT_EQ(Dump(), full_before);
    }
  }

  TempDir temp_;
  FakeClock clock_;
  std::unique_ptr<ClientPki> pki_;
  v1::SignedPublicKey certificate_;
  std::unique_ptr<LicenseImporter> importer_;
  std::string url_;
  std::unique_ptr<CrmDatabase> db_;
};

TEST(WithoutHistoryTest, RemovesOnlyTheImportHistorySection) {
  EXPECT_EQ(WithoutJournal("a:\n  1\nimport_history:\n  x | y\n  z\n"
                           "b:\n  2\n"),
            "a:\n  1\nb:\n  2\n");
  EXPECT_EQ(WithoutJournal("a:\n  1\nimport_history:\n  x\n"), "a:\n  1\n");
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
                       ClientPki::Certify(*intruder, *intruder));
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
  const std::string before = DumpWithoutJournal();
  EXPECT_THAT(Import(MakeSet(2, DefaultCounts()), &shortfalls),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("module \"web\": 7 in use, 5 in the new set, "
                                 "remove 2")));
  EXPECT_THAT(shortfalls,
              ElementsAre(AllOf(Field(&CountShortfall::module_name, "web"),
                                Field(&CountShortfall::in_use, 7),
                                Field(&CountShortfall::new_total, 5),
                                Field(&CountShortfall::must_remove, 2))));
  EXPECT_EQ(DumpWithoutJournal(), before);
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

// A set that hides a module (rows only a plan implies are hidden) is
// refused while someone holds that module without such a plan: the link
// would be one the assigner refuses and the view reports as tampering.
TEST_P(LicenseImporterTest, RejectsSetHidingAModuleHeldWithoutItsPlan) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  Assign(1, {"user", "quote-cal"});
  v1::LicenseSet hiding = MakeSet(2, DefaultCounts());
  for (v1::ModuleLicense& m : *hiding.mutable_module_licenses()) {
    if (m.module_name() == "quote-cal") m.set_hidden(true);
  }
  const std::string before = DumpWithoutJournal();
  EXPECT_THAT(Import(hiding),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("unassign first"),
                             HasSubstr("module \"quote-cal\" is hidden in the "
                                       "new set but held by associate"))));
  EXPECT_EQ(DumpWithoutJournal(), before);

  // With the plan that implies quote-cal, the same holding is fine.
  {
    auto txn = db_->BeginWrite();
    ASSERT_OK(txn.status());
    ASSERT_OK_AND_ASSIGN(std::vector<Associate> all, (*txn)->ListAssociates());
    ASSERT_EQ(all.size(), 1u);
    AssocLinkRecord plan;
    plan.module_license_id = ModuleIdIn(**txn, "ten-sales");
    plan.assoc_id = all[0].id;
    ASSERT_OK((*txn)->InsertAssocLink(plan).status());
    ASSERT_OK((*txn)->Commit());
  }
  EXPECT_OK(Import(hiding).status());
}

TEST_P(LicenseImporterTest, ModuleInUseMissingFromNewSetCountsAsZero) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  Assign(2, {"user", "quote-cal", "visible-for"});
  Counts next = DefaultCounts();
  next.erase("quote-cal");
  next.erase("visible-for");  // missing counts as 0 even when unrestricted
  std::vector<CountShortfall> shortfalls;
  const std::string before = DumpWithoutJournal();
  EXPECT_THAT(
      Import(MakeSet(2, next), &shortfalls),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("module \"quote-cal\": 2 in use, 0 in the new "
                               "set, remove 2"),
                     HasSubstr("module \"visible-for\": 2 in use, 0 in the "
                               "new set, remove 2"))));
  EXPECT_EQ(shortfalls.size(), 2u);
  EXPECT_EQ(DumpWithoutJournal(), before);
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

// --- Hardening: bad files, foreign and revoked keys, extreme values -------

TEST_P(LicenseImporterTest, ImportFileRejectsBadFilesWithoutTouchingTheDb) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  const std::string valid =
      Sign(MakeSet(2, DefaultCounts())).SerializeAsString();
  std::mt19937 random(20270101);
  std::string noise(512, '\0');
  for (char& c : noise) c = static_cast<char>(random() & 0xff);
  struct BadFile {
    std::string name;
    std::string content;
    std::string message;
  };
  // Every message names the file and says what is wrong with it.
  const std::vector<BadFile> files = {
      {"corrupt.lic", noise,
       "corrupt.lic: license set file is not a valid "
       "superlicense.v1.SignedLicenseSet"},
      {"truncated.lic", valid.substr(0, valid.size() / 2),
       "truncated.lic: license set file is not a valid "
       "superlicense.v1.SignedLicenseSet"},
      {"empty.lic", "", "empty.lic: the file is empty"},
      {"oversized.lic", std::string(keys::kMaxEnvelopeBytes + 1, 'x'),
       absl::StrCat("oversized.lic is ", keys::kMaxEnvelopeBytes + 1,
                    " bytes, at most ", keys::kMaxEnvelopeBytes, " allowed")},
  };
  for (const BadFile& file : files) {
    SCOPED_TRACE(file.name);
    const std::string path = temp_.File(file.name);
    ::superlicense::testing::WriteFileOrDie(path, file.content);
    const std::string before = Dump();
    EXPECT_THAT(
        importer_->ImportFile(*db_, path),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(file.message)));
    EXPECT_EQ(Dump(), before);  // no import_history entry either
  }
  EXPECT_EQ(*db_->HighestImportedVersion(kOwner), 1);
  // The intact file is accepted afterwards.
  const std::string path = temp_.File("valid.lic");
  ::superlicense::testing::WriteFileOrDie(path, valid);
  EXPECT_OK(importer_->ImportFile(*db_, path).status());
}

TEST_P(LicenseImporterTest, RejectsSetSignedUnderAnotherTrustBundle) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  ASSERT_OK_AND_ASSIGN(ClientPki other, ClientPki::Create());
  ASSERT_OK_AND_ASSIGN(v1::SignedLicenseSet envelope,
                       other.Sign(MakeSet(2, DefaultCounts())));
  ExpectRejected(envelope, absl::StatusCode::kPermissionDenied,
                 "owner key certificate is signed by 0 trusted root key(s), "
                 "1 needed",
                 /*recorded=*/false);
  // Our own owner key certified by the foreign root fares no better.
  ASSERT_OK_AND_ASSIGN(v1::SignedPublicKey foreign_certificate,
                       ClientPki::Certify(other.root(), pki_->owner_key()));
  ASSERT_OK_AND_ASSIGN(
      envelope, keys::SignLicenseSet(MakeSet(2, DefaultCounts()),
                                     pki_->owner_key(), foreign_certificate));
  ExpectRejected(envelope, absl::StatusCode::kPermissionDenied,
                 "owner key certificate is signed by 0 trusted root key(s)",
                 /*recorded=*/false);
  EXPECT_EQ(*db_->HighestImportedVersion(kOwner), 1);
}

TEST_P(LicenseImporterTest, RejectsSetSignedByRevokedOwnerKey) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  ASSERT_OK_AND_ASSIGN(keys::TrustStore revoking,
                       pki_->StoreRevokingOwnerKey("key compromise"));
  const LicenseImporter importer(&revoking, &clock_);
  ExpectRejected(Sign(MakeSet(2, DefaultCounts())),
                 absl::StatusCode::kPermissionDenied,
                 absl::StrCat("of ", kOwner,
                              " was revoked on 2026-12-31T00:00:00Z: key "
                              "compromise"),
                 /*recorded=*/false, &importer);
  // Backdating does not help: every set of a revoked key is refused.
  v1::LicenseSet backdated = MakeSet(2, DefaultCounts());
  backdated.set_issued_at(kNow - 20 * kDay);
  ExpectRejected(Sign(backdated), absl::StatusCode::kPermissionDenied,
                 "was revoked on", /*recorded=*/false, &importer);
  EXPECT_EQ(*db_->HighestImportedVersion(kOwner), 1);
}

TEST_P(LicenseImporterTest, LicenseNumberAtUint32MaxIsStoredExactly) {
  constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();
  Counts counts = DefaultCounts();
  counts["web"] = kMax;
  counts["user"] = kMax;
  ASSERT_OK(Import(MakeSet(1, counts)).status());
  ASSERT_OK_AND_ASSIGN(OwnerView view, db_->GetOwner(kOwner));
  for (const ModuleRecord& m : view.modules) {
    if (m.module_name == "web" || m.module_name == "user") {
      EXPECT_EQ(m.license_number, int64_t{kMax}) << m.module_name;
    }
  }
  // The count rule compares in 64 bits: no wrap-around either way.
  Assign(3, {"user", "web"});
  counts["web"] = 2;
  ExpectRejected(Sign(MakeSet(2, counts)),
                 absl::StatusCode::kFailedPrecondition,
                 "module \"web\": 3 in use, 2 in the new set, remove 1");
  counts["web"] = kMax;
  EXPECT_OK(Import(MakeSet(3, counts)).status());
  // The assigner counts against the full 32-bit number, too.
  ASSERT_OK(testing::AddAssociate(*db_, "late").status());
  LicenseAssigner assigner;
  EXPECT_OK(assigner.Assign(*db_, "late", "user"));
  EXPECT_OK(assigner.Assign(*db_, "late", "web"));
}

TEST_P(LicenseImporterTest, VersionAtInt64MaxIsStoredExactlyAndIsTheLast) {
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  ASSERT_OK(Import(MakeSet(kMax - 1, DefaultCounts())).status());
  ASSERT_OK_AND_ASSIGN(ImportResult result,
                       Import(MakeSet(kMax, DefaultCounts())));
  EXPECT_EQ(result.version, kMax);
  EXPECT_EQ(*db_->HighestImportedVersion(kOwner), static_cast<int64_t>(kMax));
  ASSERT_OK_AND_ASSIGN(EnvelopeRecord stored, db_->LatestEnvelope(kOwner));
  EXPECT_EQ(stored.version, static_cast<int64_t>(kMax));
  EXPECT_EQ(History().back().version, static_cast<int64_t>(kMax));
  // Nothing can follow: equal is a replay, anything above does not fit.
  ExpectRejected(Sign(MakeSet(kMax, DefaultCounts())),
                 absl::StatusCode::kFailedPrecondition,
                 absl::StrCat("version ", kMax,
                              " is not above the installed version ", kMax));
  ExpectRejected(Sign(MakeSet(kMax + 1, DefaultCounts())),
                 absl::StatusCode::kFailedPrecondition,
                 absl::StrCat("version ", kMax + 1, " is too large"));
  ExpectRejected(
      Sign(MakeSet(std::numeric_limits<uint64_t>::max(), DefaultCounts())),
      absl::StatusCode::kFailedPrecondition,
      "version 18446744073709551615 is too large");
}

// A rejected set's version is written to import_history as int64: a version
// above INT64_MAX must not show up there as a negative number (nor as a
// smaller valid one); its message keeps the exact value.
TEST_P(LicenseImporterTest, RejectedVersionAboveInt64IsNotRecordedNegative) {
  ASSERT_OK(Import(MakeSet(1, DefaultCounts())).status());
  const uint64_t huge = std::numeric_limits<uint64_t>::max();
  ExpectRejected(Sign(MakeSet(huge, DefaultCounts())),
                 absl::StatusCode::kFailedPrecondition,
                 absl::StrCat("version ", huge, " is too large"));
  EXPECT_EQ(History().back().version, 0);
}

// --- Concurrency ----------------------------------------------------------

// Set `version` of the concurrency tests: the version is readable from every
// row (expiration and each licenseNumber), so a reader can tell a whole set
// from a mix of two.
v1::LicenseSet StampedSet(uint64_t version, uint32_t web = 0) {
  Counts counts = DefaultCounts();
  counts["user"] = 100 + static_cast<uint32_t>(version);
  counts["quote-cal"] = 200 + static_cast<uint32_t>(version);
  if (web != 0) counts["web"] = web;
  v1::LicenseSet set = MakeSet(version, counts);
  set.set_expiration(kNow + 300 * kDay + static_cast<int64_t>(version));
  return set;
}

// Returns the version of the installed set, or -1 (with a failure) when its
// rows come from different versions. 0 when the read failed (busy).
int64_t InstalledVersion(CrmDatabase& db) {
  absl::StatusOr<OwnerView> view = db.GetOwner(kOwner);
  if (!view.ok()) return 0;
  const int64_t version = view->owner.expiration - (kNow + 300 * kDay);
  for (const ModuleRecord& m : view->modules) {
    const int64_t expected = m.module_name == "user"        ? 100 + version
                             : m.module_name == "quote-cal" ? 200 + version
                                                            : m.license_number;
    if (m.license_number != expected) {
      ADD_FAILURE() << "partial state: owner row of v" << version << ", "
                    << m.module_name << " " << m.license_number;
      return -1;
    }
  }
  return version;
}

// Runs `imports` (thread i imports envelopes[i], each on its own
// connection) while a reader checks that every state it sees is whole.
// Returns the status of each import.
std::vector<absl::Status> ImportConcurrently(
    const std::string& url, const LicenseImporter& importer,
    const std::vector<v1::SignedLicenseSet>& envelopes) {
  std::vector<absl::Status> results(envelopes.size());
  std::atomic<bool> done{false};
  std::thread reader([&url, &done] {
    auto db = CrmDatabase::Open(url);
    ASSERT_OK(db.status());
    while (!done.load()) EXPECT_GE(InstalledVersion(**db), 0);
  });
  std::vector<std::thread> threads;
  for (size_t i = 0; i < envelopes.size(); ++i) {
    threads.emplace_back([&, i] {
      auto db = CrmDatabase::Open(url);
      ASSERT_OK(db.status());
      results[i] = importer.Import(**db, envelopes[i]).status();
      EXPECT_GE(InstalledVersion(**db), 1);
    });
  }
  for (std::thread& t : threads) t.join();
  done = true;
  reader.join();
  return results;
}

// Checks the final state: the installed rows, the newest envelope and the
// highest version agree, and accepted versions rose in commit order.
void ExpectWholeFinalState(CrmDatabase& db, int64_t version) {
  EXPECT_EQ(InstalledVersion(db), version);
  EXPECT_EQ(*db.HighestImportedVersion(kOwner), version);
  ASSERT_OK_AND_ASSIGN(EnvelopeRecord latest, db.LatestEnvelope(kOwner));
  EXPECT_EQ(latest.version, version);
  ASSERT_OK_AND_ASSIGN(std::vector<ImportHistoryEntry> history,
                       db.ListImportHistory(kOwner));
  int64_t last = 0;
  for (const ImportHistoryEntry& entry : history) {
    if (entry.result != "accepted") continue;
    EXPECT_GT(entry.version, last) << "accepted out of order";
    last = entry.version;
  }
}

// The importer must read the installed version only after it holds the
// lock (CrmTransaction::LockInstallation). When it read the version first,
// PostgreSQL (READ COMMITTED) let a waiting importer check against a stale
// version: the losers here failed with ALREADY_EXISTS from license_envelope's
// unique index, and in the next test an older set replaced a newer one.
TEST_P(LicenseImporterTest, ConcurrentImportsOfTheSameSetAcceptItOnce) {
  ASSERT_OK(Import(StampedSet(1)).status());
  const std::vector<v1::SignedLicenseSet> envelopes(8, Sign(StampedSet(2)));
  std::vector<absl::Status> results =
      ImportConcurrently(url_, *importer_, envelopes);
  int accepted = 0;
  for (const absl::Status& s : results) {
    if (s.ok()) {
      ++accepted;
      continue;
    }
    EXPECT_THAT(s, AnyOf(StatusIs(absl::StatusCode::kFailedPrecondition,
                                  HasSubstr("version 2 is not above the "
                                            "installed version 2")),
                         StatusIs(absl::StatusCode::kAborted)));
  }
  EXPECT_EQ(accepted, 1);
  ExpectWholeFinalState(*db_, 2);
}

TEST_P(LicenseImporterTest, ConcurrentImportsOfVersions2To9InstallTheHighest) {
  ASSERT_OK(Import(StampedSet(1)).status());
  std::vector<v1::SignedLicenseSet> envelopes;
  for (uint64_t v = 2; v <= 9; ++v) envelopes.push_back(Sign(StampedSet(v)));
  std::vector<absl::Status> results =
      ImportConcurrently(url_, *importer_, envelopes);
  for (size_t i = 0; i < results.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("version ", i + 2));
    if (results[i].ok()) continue;
    EXPECT_THAT(results[i],
                AnyOf(StatusIs(absl::StatusCode::kFailedPrecondition,
                               HasSubstr("is not above the installed")),
                      StatusIs(absl::StatusCode::kAborted)));
  }
  EXPECT_OK(results.back());  // nothing can make version 9 a replay
  ExpectWholeFinalState(*db_, 9);
}

TEST_P(LicenseImporterTest, ConcurrentImportAndAssignmentKeepTheCountRule) {
  constexpr int kUsers = 16;
  ASSERT_OK(Import(StampedSet(1, /*web=*/kUsers)).status());
  Assign(kUsers, {"user"});
  // New sets lowering and raising web while web is being assigned.
  const std::vector<uint32_t> web_totals = {6, 12, 4, 9, 3, 16};
  std::vector<v1::SignedLicenseSet> envelopes;
  for (size_t i = 0; i < web_totals.size(); ++i) {
    envelopes.push_back(Sign(StampedSet(i + 2, web_totals[i])));
  }
  std::atomic<bool> done{false};
  std::thread reader([this, &done] {
    auto db = CrmDatabase::Open(url_);
    ASSERT_OK(db.status());
    while (!done.load()) {
      absl::StatusOr<OwnerView> view = (*db)->GetOwner(kOwner);
      if (!view.ok()) continue;
      int64_t web_id = 0;
      int64_t web_total = 0;
      for (const ModuleRecord& m : view->modules) {
        if (m.module_name != "web") continue;
        web_id = m.id;
        web_total = m.license_number;
      }
      int64_t assigned = 0;
      for (const AssocLinkRecord& l : view->assoc_links) {
        if (l.module_license_id == web_id) assigned += l.license_number;
      }
      EXPECT_LE(assigned, web_total);
    }
  });
  std::vector<std::thread> threads;
  std::vector<absl::Status> imports(envelopes.size());
  std::vector<absl::Status> assigns(kUsers);
  // One importer thread installs the versions in order (concurrent
  // importers racing each other are the tests above), racing the assigners.
  threads.emplace_back([this, &envelopes, &imports] {
    auto db = CrmDatabase::Open(url_);
    ASSERT_OK(db.status());
    for (size_t i = 0; i < envelopes.size(); ++i) {
      imports[i] = importer_->Import(**db, envelopes[i]).status();
    }
  });
  for (int i = 0; i < kUsers; ++i) {
    threads.emplace_back([this, i, &assigns] {
      auto db = CrmDatabase::Open(url_);
      ASSERT_OK(db.status());
      LicenseAssigner assigner;
      assigns[i] = assigner.Assign(**db, absl::StrCat("user-", i), "web");
    });
  }
  for (std::thread& t : threads) t.join();
  done = true;
  reader.join();
  for (const absl::Status& s : imports) {
    EXPECT_TRUE(s.ok() || s.code() == absl::StatusCode::kFailedPrecondition ||
                s.code() == absl::StatusCode::kAborted)
        << s;
  }
  int assigned_ok = 0;
  for (const absl::Status& s : assigns) {
    if (s.ok()) ++assigned_ok;
    EXPECT_TRUE(s.ok() || s.code() == absl::StatusCode::kFailedPrecondition ||
                s.code() == absl::StatusCode::kAborted)
        << s;
  }
  ASSERT_OK_AND_ASSIGN(OwnerView view, db_->GetOwner(kOwner));
  const int64_t web_id = ModuleId("web");
  int64_t web_total = 0;
  for (const ModuleRecord& m : view.modules) {
    if (m.id == web_id) web_total = m.license_number;
  }
  int64_t assigned = 0;
  for (const AssocLinkRecord& l : view.assoc_links) {
    if (l.module_license_id == web_id) assigned += l.license_number;
  }
  EXPECT_EQ(assigned, assigned_ok);
  EXPECT_LE(assigned, web_total);
  const int64_t installed = InstalledVersion(*db_);
  EXPECT_EQ(*db_->HighestImportedVersion(kOwner), installed);
}

INSTANTIATE_TEST_SUITE_P(Backends, LicenseImporterTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
