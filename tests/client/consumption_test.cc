// Tests of client/consumption.h on both backends: validation, the group
// committing recorder under concurrency, month boundaries and thresholds
// taken from a verified license set.
#include "client/consumption.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
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
using ::superlicense::testing::kClientNow;
using ::superlicense::testing::kClientSerial;
using ::superlicense::testing::OpenedDatabase;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::testing::HasSubstr;

int64_t UnixOf(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::ToUnixSeconds(absl::FromCivil(
      absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone()));
}

const ServiceUsage& UsageOf(const MonthUsage& usage,
                            const std::string& service) {
  for (const ServiceUsage& s : usage.services) {
    if (s.service == service) return s;
  }
  static const ServiceUsage* none = new ServiceUsage();
  ADD_FAILURE() << "no service " << service;
  return *none;
}

TEST(ConsumptionValidationTest, NamesTheBadServiceOrAmount) {
  EXPECT_OK(ValidateConsumption("storage", 0));
  EXPECT_OK(ValidateConsumption("storage", int64_t{1} << 40));
  EXPECT_OK(ValidateConsumption("form_submissions", 1000000));
  EXPECT_THAT(ValidateConsumption("sms", 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sms")));
  EXPECT_THAT(ValidateConsumption("chat_sessions", -1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("chat_sessions: amount -1")));
  EXPECT_THAT(ValidateConsumption("chat_sessions", 1000001),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("amount 1000001")));
  EXPECT_THAT(
      ValidateConsumption("storage", (int64_t{1} << 50) + 1),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("storage")));
  EXPECT_EQ(MeteredServiceNames().size(), 5u);
  EXPECT_EQ(MeteredServiceName(v1::METERED_SERVICE_KIND_CHAT_SESSIONS),
            "chat_sessions");
  EXPECT_EQ(MeteredServiceName(v1::METERED_SERVICE_KIND_UNSPECIFIED), "");
}

TEST(ParseMonthTest, CalendarMonthsInUtc) {
  int64_t from = 0, to = 0;
  ASSERT_OK(ParseMonth("2027-01", &from, &to));
  EXPECT_EQ(from, UnixOf(2027, 1, 1));
  EXPECT_EQ(to, UnixOf(2027, 2, 1));
  ASSERT_OK(ParseMonth("2026-12", &from, &to));
  EXPECT_EQ(from, UnixOf(2026, 12, 1));
  EXPECT_EQ(to, UnixOf(2027, 1, 1));  // December -> January
  ASSERT_OK(ParseMonth("2028-02", &from, &to));
  EXPECT_EQ(to - from, 29 * 86400);  // leap year
  for (const char* bad : {"2027-13", "2027-00", "2027-1", "27-01", "2027/01",
                          "1969-12", "2027-01-01", "", "abcd-ef"}) {
    EXPECT_THAT(
        ParseMonth(bad, &from, &to),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("month")))
        << bad;
  }
  EXPECT_EQ(MonthOf(absl::FromUnixSeconds(UnixOf(2026, 12, 31, 23, 59, 59))),
            "2026-12");
}

class ConsumptionTest : public ::testing::TestWithParam<std::string> {
 protected:
  ConsumptionTest() : clock_(absl::FromUnixSeconds(kClientNow)) {}

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        OpenedDatabase opened,
        testing::OpenInstalledDatabase(GetParam(), temp_, "crm.db"));
    url_ = opened.url;
    db_ = std::move(opened.db);
  }

  std::unique_ptr<ConsumptionRecorder> NewRecorder() {
    auto db = CrmDatabase::Open(url_);
    EXPECT_OK(db.status());
    if (!db.ok()) return nullptr;
    auto recorder = ConsumptionRecorder::Create(*std::move(db), &clock_);
    EXPECT_OK(recorder.status());
    return recorder.ok() ? *std::move(recorder) : nullptr;
  }

  // Records `amount` of `service` at `at` through the test's recorder.
  void RecordAt(int64_t at, const std::string& service, int64_t amount) {
    clock_.Set(absl::FromUnixSeconds(at));
    if (recorder_ == nullptr) recorder_ = NewRecorder();
    ASSERT_NE(recorder_, nullptr);
    ASSERT_OK(recorder_->Record(service, amount));
  }

  // Imports a set with `users` user licenses, gives them to `in_use`
  // associates, and meters chat sessions (100 + 10 per user) and storage
  // (1000 bytes + 0 per user).
  void InstallSet(int in_use) {
    ASSERT_OK_AND_ASSIGN(ClientPki pki, ClientPki::Create());
    pki_ = std::make_unique<ClientPki>(std::move(pki));
    v1::LicenseSet set = testing::MakeLicenseSet(
        kClientSerial, 1, {testing::MakeModuleRow("user", 50, 10)});
    v1::MeteredServiceThreshold* chat = set.add_metered_services();
    chat->set_service(v1::METERED_SERVICE_KIND_CHAT_SESSIONS);
    chat->set_base_amount(100);
    chat->set_per_user_amount(10);
    v1::MeteredServiceThreshold* storage = set.add_metered_services();
    storage->set_service(v1::METERED_SERVICE_KIND_STORAGE);
    storage->set_base_amount(1000);
    ASSERT_OK_AND_ASSIGN(v1::SignedLicenseSet envelope, pki_->Sign(set));
    clock_.Set(absl::FromUnixSeconds(kClientNow));
    LicenseImporter importer(&pki_->trust(), &clock_);
    ASSERT_OK(importer.Import(*db_, envelope).status());
    ASSERT_OK_AND_ASSIGN(OwnerView owner, db_->GetOwner("SUPEROFFICE"));
    ASSERT_OK_AND_ASSIGN(std::vector<int64_t> ids,
                         testing::AddAssociates(*db_, "user", in_use));
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    for (int64_t id : ids) {
      AssocLinkRecord link;
      link.module_license_id = owner.modules[0].id;
      link.assoc_id = id;
      ASSERT_OK(txn->InsertAssocLink(link).status());
    }
    ASSERT_OK(txn->Commit());
  }

  std::vector<MeteredThreshold> VerifiedThresholds() {
    auto view = LicenseView::Load(*db_, pki_->trust(), clock_);
    EXPECT_OK(view.status());
    if (!view.ok()) return {};
    auto thresholds = ThresholdsOf(**view);
    EXPECT_OK(thresholds.status());
    return thresholds.ok() ? *thresholds : std::vector<MeteredThreshold>{};
  }

  TempDir temp_;
  FakeClock clock_;
  std::string url_;
  std::unique_ptr<CrmDatabase> db_;
  std::unique_ptr<ClientPki> pki_;
  std::unique_ptr<ConsumptionRecorder> recorder_;
};

TEST_P(ConsumptionTest, RecordRefusesBadInputAndWritesNothing) {
  auto recorder = NewRecorder();
  ASSERT_NE(recorder, nullptr);
  ASSERT_OK_AND_ASSIGN(std::string before, db_->Dump());
  EXPECT_THAT(recorder->Record("sms", 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sms")));
  EXPECT_THAT(recorder->Record("chat_sessions", -5),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("-5")));
  EXPECT_THAT(recorder->Record("chat_sessions", 1, -2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("associate_id -2")));
  EXPECT_OK(recorder->Flush());
  EXPECT_THAT(db_->Dump(), testing::IsOk());
  EXPECT_EQ(*db_->Dump(), before);
}

TEST_P(ConsumptionTest, MonthBoundariesAreCalendarMonthsInUtc) {
  // Last second of December, first second of January, last of January.
  RecordAt(UnixOf(2026, 12, 31, 23, 59, 59), "chat_sessions", 1);
  RecordAt(UnixOf(2027, 1, 1), "chat_sessions", 10);
  RecordAt(UnixOf(2027, 1, 31, 23, 59, 59), "chat_sessions", 100);
  RecordAt(UnixOf(2027, 2, 1), "chat_sessions", 1000);
  ASSERT_OK_AND_ASSIGN(MonthUsage december, MonthlyUsage(*db_, "2026-12", {}));
  ASSERT_OK_AND_ASSIGN(MonthUsage january, MonthlyUsage(*db_, "2027-01", {}));
  ASSERT_OK_AND_ASSIGN(MonthUsage february, MonthlyUsage(*db_, "2027-02", {}));
  EXPECT_EQ(UsageOf(december, "chat_sessions").used, 1);
  EXPECT_EQ(UsageOf(january, "chat_sessions").used, 110);
  EXPECT_EQ(UsageOf(february, "chat_sessions").used, 1000);
  EXPECT_EQ(january.from, UnixOf(2027, 1, 1));
  EXPECT_EQ(january.to, UnixOf(2027, 2, 1));
  EXPECT_EQ(january.services.size(), 5u);
  // Without thresholds nothing is metered, so nothing is over.
  EXPECT_FALSE(UsageOf(january, "chat_sessions").metered);
  EXPECT_EQ(UsageOf(january, "chat_sessions").over, 0);
  EXPECT_THAT(
      MonthlyUsage(*db_, "2027-1", {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2027-1")));
}

TEST_P(ConsumptionTest, StorageIsTheHighestSnapshotOthersAreSums) {
  RecordAt(UnixOf(2027, 1, 2), "storage", 500);
  RecordAt(UnixOf(2027, 1, 3), "storage", 700);
  RecordAt(UnixOf(2027, 1, 4), "storage", 600);
  RecordAt(UnixOf(2027, 1, 4), "form_submissions", 2);
  RecordAt(UnixOf(2027, 1, 5), "form_submissions", 3);
  ASSERT_OK_AND_ASSIGN(MonthUsage january, MonthlyUsage(*db_, "2027-01", {}));
  EXPECT_EQ(UsageOf(january, "storage").used, 700);
  EXPECT_EQ(UsageOf(january, "storage").unit, "bytes");
  EXPECT_EQ(UsageOf(january, "form_submissions").used, 5);
  EXPECT_EQ(UsageOf(january, "mailing_emails").used, 0);
}

TEST_P(ConsumptionTest, ThresholdsScaleWithUsersAndOverageIsReported) {
  InstallSet(/*in_use=*/3);
  const std::vector<MeteredThreshold> thresholds = VerifiedThresholds();
  ASSERT_EQ(thresholds.size(), 2u);
  for (int i = 0; i < 135; ++i) {
    RecordAt(UnixOf(2027, 1, 10), "chat_sessions", 1);
  }
  RecordAt(UnixOf(2027, 1, 10), "storage", 900);
  ASSERT_OK_AND_ASSIGN(MonthUsage usage,
                       MonthlyUsage(*db_, "2027-01", thresholds));
  EXPECT_EQ(usage.users, 3);
  EXPECT_FALSE(usage.scim_managed);
  const ServiceUsage& chat = UsageOf(usage, "chat_sessions");
  EXPECT_TRUE(chat.metered);
  EXPECT_EQ(chat.used, 135);
  EXPECT_EQ(chat.threshold, 100 + 10 * 3);
  EXPECT_EQ(chat.over, 5);
  EXPECT_EQ(UsageOf(usage, "storage").threshold, 1000);
  EXPECT_EQ(UsageOf(usage, "storage").over, 0);
  EXPECT_FALSE(UsageOf(usage, "mailing_emails").metered);

  // Two more users: the threshold grows by 20 and the overage is gone.
  ASSERT_OK_AND_ASSIGN(OwnerView owner, db_->GetOwner("SUPEROFFICE"));
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> ids,
                       testing::AddAssociates(*db_, "more", 2));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    for (int64_t id : ids) {
      AssocLinkRecord link;
      link.module_license_id = owner.modules[0].id;
      link.assoc_id = id;
      ASSERT_OK(txn->InsertAssocLink(link).status());
    }
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(usage, MonthlyUsage(*db_, "2027-01", thresholds));
  EXPECT_EQ(usage.users, 5);
  EXPECT_EQ(UsageOf(usage, "chat_sessions").threshold, 150);
  EXPECT_EQ(UsageOf(usage, "chat_sessions").over, 0);
}

TEST_P(ConsumptionTest, ThresholdsComeOnlyFromAVerifiedSet) {
  InstallSet(/*in_use=*/1);
  // A foreign trust bundle does not verify the stored set: no thresholds.
  ASSERT_OK_AND_ASSIGN(ClientPki other, ClientPki::Create());
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const LicenseView> view,
                       LicenseView::Load(*db_, other.trust(), clock_));
  ASSERT_OK_AND_ASSIGN(std::vector<MeteredThreshold> thresholds,
                       ThresholdsOf(*view));
  EXPECT_TRUE(thresholds.empty());
  EXPECT_THAT(ThresholdsOf(*view, "PARTNER"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("PARTNER")));
  EXPECT_THAT(MonthlyUsage(*db_, "2027-01", {{"sms", 1, 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sms")));
}

TEST_P(ConsumptionTest, ConcurrentRecordersLoseNothing) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  // Two recorders (two connections), each shared by several threads, plus
  // one recorder per thread for the rest: every acknowledged record lands.
  std::vector<std::unique_ptr<ConsumptionRecorder>> recorders;
  for (int i = 0; i < kThreads / 2 + 2; ++i) {
    recorders.push_back(NewRecorder());
    ASSERT_NE(recorders.back(), nullptr);
  }
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    ConsumptionRecorder* recorder =
        t < 4 ? recorders[t % 2].get() : recorders[t - 2].get();
    threads.emplace_back([&acknowledged, recorder, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::Status status =
            recorder->Record("customer_centre_logins", 1, t + 1);
        if (status.ok()) {
          acknowledged.fetch_add(1);
        } else {
          ADD_FAILURE() << status;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  int64_t batches = 0;
  for (auto& recorder : recorders) {
    EXPECT_OK(recorder->Flush());
    batches += recorder->batches_committed();
  }
  recorders.clear();
  EXPECT_EQ(acknowledged.load(), kThreads * kPerThread);
  EXPECT_LE(batches, kThreads * kPerThread);
  ASSERT_OK_AND_ASSIGN(MonthUsage usage, MonthlyUsage(*db_, "2027-01", {}));
  EXPECT_EQ(UsageOf(usage, "customer_centre_logins").used,
            kThreads * kPerThread);
}

TEST_P(ConsumptionTest, DestructorFlushesQueuedEntries) {
  std::atomic<int> acknowledged{0};
  {
    std::unique_ptr<ConsumptionRecorder> recorder = NewRecorder();
    ASSERT_NE(recorder, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&acknowledged, &recorder] {
        for (int i = 0; i < 10; ++i) {
          if (recorder->Record("mailing_emails", 3).ok()) ++acknowledged;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  ASSERT_OK_AND_ASSIGN(MonthUsage usage, MonthlyUsage(*db_, "2027-01", {}));
  EXPECT_EQ(UsageOf(usage, "mailing_emails").used, 3 * acknowledged.load());
  EXPECT_EQ(acknowledged.load(), 40);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConsumptionTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
