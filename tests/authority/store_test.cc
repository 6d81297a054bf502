#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authority/store/authority_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::authority {
namespace {

using ::superlicense::testing::FakeClock;
using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::testing::HasSubstr;

// Fields a message holds that its type does not declare.
int UnknownFieldCount(const google::protobuf::Message& message) {
  return message.GetReflection()->GetUnknownFields(message).field_count();
}

constexpr char kOwner[] = "SUPEROFFICE";

AuditEntry Audit(const std::string& method) {
  return {"alice", method, "test", "OK"};
}

StoredCustomer Customer(const std::string& serial, const std::string& name) {
  StoredCustomer customer;
  customer.mutable_record()->mutable_customer()->set_serial(serial);
  customer.mutable_record()->mutable_customer()->set_company_name(name);
  customer.set_credential_hash("hash");
  return customer;
}

// A stand-in for signing: the payload names the version.
AuthorityStore::BuildSet Builder() {
  return [](uint64_t version) -> absl::StatusOr<v1::SignedLicenseSet> {
    v1::SignedLicenseSet set;
    set.set_payload(absl::StrCat("v=", version));
    return set;
  };
}

class AuthorityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto store = AuthorityStore::Open(dir_.File("db"), &clock_);
    ASSERT_OK(store.status());
    store_ = *std::move(store);
  }

  absl::StatusOr<v1::IssuedLicenseSet> Issue(const std::string& serial,
                                             const std::string& key = "",
                                             const std::string& digest = "") {
    return store_->IssueNext(kOwner, serial, {"alice", key, digest}, Builder(),
                             Audit("IssueLicenseSet"));
  }

  TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  std::unique_ptr<AuthorityStore> store_;
};

TEST_F(AuthorityStoreTest, CustomersAreCreatedListedAndRenamed) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A AS"), Audit("c")));
  ASSERT_OK(store_->CreateCustomer(Customer("1010000024", "B AS"), Audit("c")));
  EXPECT_THAT(store_->CreateCustomer(Customer("1010000014", "X"), Audit("c")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(auto page, store_->ListCustomers("", 1));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].customer().serial(), "1010000014");
  ASSERT_OK_AND_ASSIGN(page, store_->ListCustomers("1010000014", 10));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].customer().serial(), "1010000024");
  ASSERT_OK(store_->RenameCustomer("1010000024", "B Holding AS", Audit("r"))
                .status());
  ASSERT_OK_AND_ASSIGN(StoredCustomer renamed,
                       store_->GetCustomer("1010000024"));
  EXPECT_EQ(renamed.record().customer().company_name(), "B Holding AS");
  EXPECT_THAT(store_->GetCustomer("1010000034"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("1010000034")));
}

TEST_F(AuthorityStoreTest, VersionsIncreaseByOneAndSurviveReopen) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A"), Audit("c")));
  for (uint64_t v = 1; v <= 3; ++v) {
    ASSERT_OK_AND_ASSIGN(v1::IssuedLicenseSet set, Issue("1010000014"));
    EXPECT_EQ(set.version(), v);
    EXPECT_EQ(set.signed_set().payload(), absl::StrCat("v=", v));
  }
  Reopen();
  ASSERT_OK_AND_ASSIGN(v1::IssuedLicenseSet next, Issue("1010000014"));
  EXPECT_EQ(next.version(), 4u);
  ASSERT_OK_AND_ASSIGN(auto history,
                       store_->ListSets(kOwner, "1010000014", 0, 10));
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0].version(), 4u);
  EXPECT_EQ(history[3].version(), 1u);
}

TEST_F(AuthorityStoreTest, FailedBuildStoresNothing) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A"), Audit("c")));
  auto failing = [](uint64_t) -> absl::StatusOr<v1::SignedLicenseSet> {
    return absl::UnavailableError("token removed");
  };
  EXPECT_THAT(store_->IssueNext(kOwner, "1010000014", {}, failing, Audit("i")),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(uint64_t newest,
                       store_->NewestVersion(kOwner, "1010000014"));
  EXPECT_EQ(newest, 0u);
  EXPECT_THAT(Issue("1010000099"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AuthorityStoreTest, IdempotencyKeyReturnsTheFirstResult) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A"), Audit("c")));
  ASSERT_OK_AND_ASSIGN(auto first, Issue("1010000014", "key-1", "digest-a"));
  ASSERT_OK_AND_ASSIGN(auto again, Issue("1010000014", "key-1", "digest-a"));
  EXPECT_EQ(again.version(), first.version());
  EXPECT_THAT(Issue("1010000014", "key-1", "digest-b"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("different request")));
  ASSERT_OK_AND_ASSIGN(auto other, Issue("1010000014", "key-2", "digest-a"));
  EXPECT_EQ(other.version(), first.version() + 1);
}

// 16 threads issue for the same customers at once: every version from 1 to
// the count appears exactly once per customer.
TEST_F(AuthorityStoreTest, ConcurrentIssuingNeverSkipsOrRepeatsVersions) {
  const std::vector<std::string> serials = {"1010000014", "1010000024"};
  for (const auto& serial : serials) {
    ASSERT_OK(store_->CreateCustomer(Customer(serial, serial), Audit("c")));
  }
  constexpr int kThreads = 16;
  constexpr int kPerThread = 10;
  std::vector<std::vector<std::pair<std::string, uint64_t>>> issued(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string& serial = serials[(t + i) % serials.size()];
        auto set = Issue(serial);
        if (set.ok()) issued[t].emplace_back(serial, set->version());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::map<std::string, std::set<uint64_t>> versions;
  size_t total = 0;
  for (const auto& per_thread : issued) {
    for (const auto& [serial, version] : per_thread) {
      EXPECT_TRUE(versions[serial].insert(version).second)
          << serial << " v" << version << " issued twice";
      ++total;
    }
  }
  EXPECT_EQ(total, static_cast<size_t>(kThreads * kPerThread));
  for (const auto& [serial, set] : versions) {
    EXPECT_EQ(*set.begin(), 1u);
    EXPECT_EQ(*set.rbegin(), set.size()) << serial << " has a gap";
  }
  ASSERT_OK_AND_ASSIGN(auto chain, store_->VerifyAudit());
  EXPECT_TRUE(chain.intact());
  EXPECT_EQ(chain.events_checked(), 2u + kThreads * kPerThread);
}

TEST_F(AuthorityStoreTest, RevokedVersionIsNotOffered) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A"), Audit("c")));
  ASSERT_OK(Issue("1010000014").status());
  ASSERT_OK(Issue("1010000014").status());
  ASSERT_OK(
      store_->RevokeSet(kOwner, "1010000014", 2, "wrong counts", Audit("r"))
          .status());
  EXPECT_THAT(store_->RevokeSet(kOwner, "1010000014", 2, "again", Audit("r")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto newest,
                       store_->NewestValidSet(kOwner, "1010000014"));
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(newest->version(), 1u);
  // A new version still follows the revoked one.
  ASSERT_OK_AND_ASSIGN(auto third, Issue("1010000014"));
  EXPECT_EQ(third.version(), 3u);
}

TEST_F(AuthorityStoreTest, NewestValidEncodedSetBetweenLooksOnlyInItsRange) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A"), Audit("c")));
  for (int i = 0; i < 4; ++i) ASSERT_OK(Issue("1010000014").status());
  ASSERT_OK(
      store_->RevokeSet(kOwner, "1010000014", 4, "r", Audit("r")).status());
  ASSERT_OK(
      store_->RevokeSet(kOwner, "1010000014", 3, "r", Audit("r")).status());
  ASSERT_OK_AND_ASSIGN(auto in_range, store_->NewestValidEncodedSetBetween(
                                          kOwner, "1010000014", 4, 2));
  ASSERT_TRUE(in_range.has_value());
  EXPECT_EQ(in_range->version, 2u);
  // The signed set in the bytes it was stored as.
  ASSERT_OK_AND_ASSIGN(auto second, store_->GetSet(kOwner, "1010000014", 2));
  EXPECT_EQ(in_range->signed_set, second.signed_set().SerializeAsString());
  v1::SignedLicenseSet parsed;
  ASSERT_TRUE(parsed.ParseFromString(in_range->signed_set));
  EXPECT_EQ(parsed.payload(), "v=2");
  // Versions 3 and 4 are revoked and version 2 is outside [3, 4].
  ASSERT_OK_AND_ASSIGN(auto none, store_->NewestValidEncodedSetBetween(
                                      kOwner, "1010000014", 4, 3));
  EXPECT_FALSE(none.has_value());
  // lowest 0 is read as 1; highest 0 reads nothing.
  ASSERT_OK_AND_ASSIGN(auto from_zero, store_->NewestValidEncodedSetBetween(
                                           kOwner, "1010000014", 1, 0));
  ASSERT_TRUE(from_zero.has_value());
  EXPECT_EQ(from_zero->version, 1u);
  ASSERT_OK_AND_ASSIGN(auto empty, store_->NewestValidEncodedSetBetween(
                                       kOwner, "1010000014", 0, 0));
  EXPECT_FALSE(empty.has_value());
  // A version that was never stored is NOT_FOUND, not "none".
  EXPECT_THAT(store_->NewestValidEncodedSetBetween(kOwner, "1010000014", 9, 5),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("version 9")));
}

// The fetch views (store_records.proto) read the stored records: every field
// of StoredLicenseSet and IssuedLicenseSet has a field of the same number,
// name and wire type in its view, so a field added to one without the other
// fails here, and the signed set is the only one left as bytes.
void ExpectViewMatches(const google::protobuf::Descriptor& full,
                       const google::protobuf::Descriptor& view) {
  using google::protobuf::FieldDescriptor;
  EXPECT_EQ(full.field_count(), view.field_count()) << view.full_name();
  for (int i = 0; i < full.field_count(); ++i) {
    const FieldDescriptor* field = full.field(i);
    const FieldDescriptor* seen = view.FindFieldByNumber(field->number());
    ASSERT_NE(seen, nullptr) << view.full_name() << " lacks " << field->name();
    EXPECT_EQ(seen->name(), field->name());
    EXPECT_EQ(seen->is_repeated(), field->is_repeated()) << field->name();
    const bool length_delimited =
        field->type() == FieldDescriptor::TYPE_MESSAGE ||
        field->type() == FieldDescriptor::TYPE_STRING ||
        field->type() == FieldDescriptor::TYPE_BYTES;
    if (length_delimited) {
      EXPECT_TRUE(seen->type() == FieldDescriptor::TYPE_BYTES ||
                  seen->type() == FieldDescriptor::TYPE_MESSAGE)
          << field->name();
    } else {
      EXPECT_EQ(seen->type(), field->type()) << field->name();
    }
  }
}

TEST_F(AuthorityStoreTest, FetchViewsMatchTheStoredRecords) {
  ExpectViewMatches(*StoredLicenseSet::descriptor(),
                    *StoredLicenseSetView::descriptor());
  ExpectViewMatches(*v1::IssuedLicenseSet::descriptor(),
                    *IssuedLicenseSetView::descriptor());
  // A whole record, every field set, reads the same through the view.
  StoredLicenseSet stored;
  stored.mutable_issued()->set_serial("1010000014");
  stored.mutable_issued()->set_version(7);
  stored.mutable_issued()->mutable_signed_set()->set_payload("payload");
  stored.mutable_issued()->mutable_signed_set()->add_signatures()->set_key_id(
      "k");
  stored.mutable_issued()->set_revoked_at(1800000000);
  stored.mutable_issued()->set_revocation_reason("wrong counts");
  stored.set_issued_by("alice");
  stored.set_accepted_at(1800000001);
  stored.add_accepted_usage()->set_module_name("web");
  StoredLicenseSetView view;
  ASSERT_TRUE(view.ParseFromString(stored.SerializeAsString()));
  EXPECT_EQ(UnknownFieldCount(view), 0);
  EXPECT_EQ(UnknownFieldCount(view.issued()), 0);
  EXPECT_EQ(view.issued().version(), 7u);
  EXPECT_EQ(view.issued().revoked_at(), 1800000000);
  EXPECT_EQ(view.issued().signed_set(),
            stored.issued().signed_set().SerializeAsString());
  EXPECT_EQ(view.SerializeAsString(), stored.SerializeAsString());
}

TEST_F(AuthorityStoreTest, CompactKeepsEveryRecord) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A"), Audit("c")));
  for (int i = 0; i < 3; ++i) ASSERT_OK(Issue("1010000014").status());
  ASSERT_OK(store_->Compact());
  ASSERT_OK_AND_ASSIGN(uint64_t newest,
                       store_->NewestVersion(kOwner, "1010000014"));
  EXPECT_EQ(newest, 3u);
  ASSERT_OK_AND_ASSIGN(auto second, store_->GetSet(kOwner, "1010000014", 2));
  EXPECT_EQ(second.version(), 2u);
  ASSERT_OK_AND_ASSIGN(auto chain, store_->VerifyAudit());
  EXPECT_TRUE(chain.intact());
  EXPECT_EQ(chain.events_checked(), 4u);
}

TEST_F(AuthorityStoreTest, BackupRestoresTheStateAtBackupTime) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A"), Audit("c")));
  ASSERT_OK(Issue("1010000014").status());
  ASSERT_OK(store_->Backup(dir_.File("backup")));
  ASSERT_OK(Issue("1010000014").status());

  FakeClock clock(absl::FromUnixSeconds(1800000000));
  ASSERT_OK_AND_ASSIGN(auto restored,
                       AuthorityStore::Open(dir_.File("backup"), &clock));
  ASSERT_OK_AND_ASSIGN(uint64_t newest,
                       restored->NewestVersion(kOwner, "1010000014"));
  EXPECT_EQ(newest, 1u);
  ASSERT_OK_AND_ASSIGN(auto chain, restored->VerifyAudit());
  EXPECT_TRUE(chain.intact());
  EXPECT_THAT(store_->Backup(dir_.File("backup")), ::testing::Not(IsOk()));
}

StoredUsage Usage(const std::string& month, uint64_t users,
                  uint64_t storage_used) {
  StoredUsage usage;
  usage.set_month(month);
  usage.set_users(users);
  v1::ServiceUsage* entry = usage.add_usage();
  entry->set_service(v1::METERED_SERVICE_KIND_STORAGE);
  entry->set_used(storage_used);
  return usage;
}

TEST_F(AuthorityStoreTest, UsageReportReplacesTheMonthAndIsAudited) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A"), Audit("c")));
  ASSERT_OK_AND_ASSIGN(
      StoredUsage first,
      store_->PutUsage(kOwner, "1010000014", Usage("2027-01", 12, 5000),
                       Audit("ReportUsage")));
  EXPECT_EQ(first.received_at(), 1800000000);
  // The same report again: the same totals, only received_at moves.
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK(store_
                ->PutUsage(kOwner, "1010000014", Usage("2027-01", 12, 5000),
                           Audit("ReportUsage"))
                .status());
  ASSERT_OK_AND_ASSIGN(std::optional<StoredUsage> again,
                       store_->GetUsage(kOwner, "1010000014", "2027-01"));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->users(), 12u);
  ASSERT_EQ(again->usage_size(), 1);
  EXPECT_EQ(again->usage(0).used(), 5000u);
  EXPECT_EQ(again->received_at(), 1800000300);
  // A lower total replaces, it is not added or refused.
  ASSERT_OK(store_
                ->PutUsage(kOwner, "1010000014", Usage("2027-01", 11, 4000),
                           Audit("ReportUsage"))
                .status());
  ASSERT_OK_AND_ASSIGN(std::optional<StoredUsage> lower,
                       store_->GetUsage(kOwner, "1010000014", "2027-01"));
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(lower->users(), 11u);
  EXPECT_EQ(lower->usage(0).used(), 4000u);
  ASSERT_OK_AND_ASSIGN(auto events, store_->ListAudit(1, 10));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].method(), "ReportUsage");
}

TEST_F(AuthorityStoreTest, UsageIsKeptPerMonthAndSurvivesReopen) {
  ASSERT_OK(store_->CreateCustomer(Customer("1010000014", "A"), Audit("c")));
  ASSERT_OK(store_->CreateCustomer(Customer("1010000024", "B"), Audit("c")));
  ASSERT_OK(store_
                ->PutUsage(kOwner, "1010000014", Usage("2027-01", 3, 100),
                           Audit("ReportUsage"))
                .status());
  ASSERT_OK(store_
                ->PutUsage(kOwner, "1010000014", Usage("2027-02", 4, 200),
                           Audit("ReportUsage"))
                .status());
  Reopen();
  ASSERT_OK_AND_ASSIGN(std::optional<StoredUsage> january,
                       store_->GetUsage(kOwner, "1010000014", "2027-01"));
  ASSERT_OK_AND_ASSIGN(std::optional<StoredUsage> february,
                       store_->GetUsage(kOwner, "1010000014", "2027-02"));
  ASSERT_TRUE(january.has_value() && february.has_value());
  EXPECT_EQ(january->usage(0).used(), 100u);
  EXPECT_EQ(february->usage(0).used(), 200u);
  EXPECT_EQ(february->users(), 4u);
  ASSERT_OK_AND_ASSIGN(std::optional<StoredUsage> march,
                       store_->GetUsage(kOwner, "1010000014", "2027-03"));
  EXPECT_FALSE(march.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<StoredUsage> other,
                       store_->GetUsage(kOwner, "1010000024", "2027-01"));
  EXPECT_FALSE(other.has_value());
}

TEST_F(AuthorityStoreTest, UsageOfUnknownCustomerIsNotFound) {
  EXPECT_THAT(store_->PutUsage(kOwner, "1010000014", Usage("2027-01", 1, 1),
                               Audit("ReportUsage")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("1010000014")));
  ASSERT_OK_AND_ASSIGN(std::optional<StoredUsage> none,
                       store_->GetUsage(kOwner, "1010000014", "2027-01"));
  EXPECT_FALSE(none.has_value());
}

class AuditTamperTest : public AuthorityStoreTest {
 protected:
  void SetUp() override {
    AuthorityStoreTest::SetUp();
    for (int i = 0; i < 5; ++i) {
      ASSERT_OK(
          store_->AppendAudit({"bob", "GetCustomer", absl::StrCat(i), "OK"}));
    }
    store_.reset();
    auto db = RocksStore::Open(dir_.File("db"));
    ASSERT_OK(db.status());
    db_ = *std::move(db);
  }

  uint64_t FirstBad() {
    db_.reset();
    Reopen();
    auto chain = store_->VerifyAudit();
    EXPECT_OK(chain.status());
    EXPECT_FALSE(chain->intact());
    return chain->first_bad_sequence();
  }

  std::unique_ptr<RocksStore> db_;
};

TEST_F(AuditTamperTest, EditedEventIsFound) {
  auto bytes = db_->Get(Table::kAudit, EncodeU64(3));
  ASSERT_OK(bytes.status());
  v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(**bytes));
  event.set_principal("mallory");
  WriteSet writes;
  writes.Put(Table::kAudit, EncodeU64(3), event.SerializeAsString());
  ASSERT_OK(db_->Commit(writes));
  EXPECT_EQ(FirstBad(), 3u);
}

TEST_F(AuditTamperTest, DeletedEventIsFound) {
  WriteSet writes;
  writes.Delete(Table::kAudit, EncodeU64(2));
  ASSERT_OK(db_->Commit(writes));
  EXPECT_EQ(FirstBad(), 2u);
}

TEST_F(AuditTamperTest, DeletedLastEventIsFound) {
  WriteSet writes;
  writes.Delete(Table::kAudit, EncodeU64(5));
  ASSERT_OK(db_->Commit(writes));
  EXPECT_EQ(FirstBad(), 5u);
}

TEST_F(AuditTamperTest, InsertedEventIsFound) {
  // Shift event 4 to 5's place and forge a 4: the hashes no longer chain.
  auto bytes = db_->Get(Table::kAudit, EncodeU64(4));
  ASSERT_OK(bytes.status());
  v1::AuditEvent forged;
  ASSERT_TRUE(forged.ParseFromString(**bytes));
  forged.set_subject("forged");
  forged.set_hash(AuditHash("whatever", forged));
  WriteSet writes;
  writes.Put(Table::kAudit, EncodeU64(4), forged.SerializeAsString());
  ASSERT_OK(db_->Commit(writes));
  EXPECT_EQ(FirstBad(), 4u);
}

TEST(RocksStoreTest, SecondOpenOfSameDirectoryIsUnavailable) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto first, RocksStore::Open(dir.File("db")));
  EXPECT_THAT(RocksStore::Open(dir.File("db")),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(RocksStoreTest, LastAndScanRespectPrefixes) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, RocksStore::Open(dir.File("db")));
  WriteSet writes;
  writes.Put(Table::kLicenseSets, "A/1", "x");
  writes.Put(Table::kLicenseSets, "A/2", "y");
  writes.Put(Table::kLicenseSets, "B/1", "z");
  ASSERT_OK(db->Commit(writes));
  ASSERT_OK_AND_ASSIGN(auto last, db->Last(Table::kLicenseSets, "A/"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->first, "A/2");
  ASSERT_OK_AND_ASSIGN(auto none, db->Last(Table::kLicenseSets, "C/"));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(auto rows, db->Scan(Table::kLicenseSets, "A/", "", 10));
  EXPECT_EQ(rows.size(), 2u);
}

// A settled store keeps no Bloom filter in the last level of the families
// a fetch reads, whose lookups find their key: a lookup that misses the
// block cache reads no filter partition there, and an absent key costs a
// data block. Other families keep their filters: an absent customer is
// answered without reading a data block.
TEST(RocksStoreTest, FetchFamiliesSkipFiltersOthersKeepThem) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto db, RocksStore::Open(dir.File("db")));
    WriteSet writes;
    for (int i = 100000; i < 101000; ++i) {
      const std::string key = absl::StrCat("SUPEROFFICE/", i);
      writes.Put(Table::kLicenseSets, key, std::string(200, 's'));
      writes.Put(Table::kNewestVersion, key, EncodeU64(1));
      writes.Put(Table::kCustomers, key, std::string(200, 'c'));
    }
    ASSERT_OK(db->Commit(writes));
    ASSERT_OK(db->CompactAll());
  }
  // Opened again, with an empty block cache.
  ASSERT_OK_AND_ASSIGN(auto db, RocksStore::Open(dir.File("db")));
  for (Table table : {Table::kLicenseSets, Table::kNewestVersion}) {
    StartCountingReads();
    ASSERT_OK_AND_ASSIGN(auto found, db->Get(table, "SUPEROFFICE/100500"));
    const ReadCounts counts = ReadCountsSinceStart();
    EXPECT_TRUE(found.has_value()) << TableName(table);
    EXPECT_EQ(counts.filter_reads, 0u) << TableName(table);
    EXPECT_EQ(counts.data_reads, 1u) << TableName(table);
  }
  // Between SUPEROFFICE/100200 and SUPEROFFICE/100201, in blocks not read.
  const std::string absent = "SUPEROFFICE/1002005";
  StartCountingReads();
  ASSERT_OK_AND_ASSIGN(auto no_set, db->Get(Table::kLicenseSets, absent));
  EXPECT_FALSE(no_set.has_value());
  EXPECT_EQ(ReadCountsSinceStart().data_reads, 1u);
  StartCountingReads();
  ASSERT_OK_AND_ASSIGN(auto no_customer, db->Get(Table::kCustomers, absent));
  EXPECT_FALSE(no_customer.has_value());
  EXPECT_EQ(ReadCountsSinceStart().data_reads, 0u);
}

}  // namespace
}  // namespace superlicense::authority
