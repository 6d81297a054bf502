// Tests of client/system_messages.h on both backends: recording and listing,
// the importer's messages (and that a rejection writes nothing else), and
// one "license-state" message per owner state transition.
#include "client/system_messages.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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
using ::superlicense::testing::kDay;
using ::superlicense::testing::OpenedDatabase;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::testing::HasSubstr;

// Returns `dump` without the import_history and system_message sections.
std::string WithoutLogs(std::string dump) {
  for (const std::string header : {"import_history:\n", "system_message:\n"}) {
    size_t begin = dump.find(header);
    if (begin == std::string::npos) continue;
    size_t end = begin + header.size();
    while (end < dump.size() && dump.compare(end, 2, "  ") == 0) {
      end = dump.find('\n', end);
      end = end == std::string::npos ? dump.size() : end + 1;
    }
    dump = dump.substr(0, begin) + dump.substr(end);
  }
  return dump;
}

SystemMessage Message(const std::string& status, const std::string& type) {
  SystemMessage m;
  m.operation = "backup";
  m.status = status;
  m.message = absl::StrCat("backup ", status);
  m.started = kClientNow;
  m.started_by = "admin";
  m.type = type;
  return m;
}

class SystemMessagesTest : public ::testing::TestWithParam<std::string> {
 protected:
  SystemMessagesTest() : clock_(absl::FromUnixSeconds(kClientNow)) {}

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(ClientPki pki, ClientPki::Create());
    pki_ = std::make_unique<ClientPki>(std::move(pki));
    ImportPolicy policy;
    policy.started_by = "ingrid";
    importer_ =
        std::make_unique<LicenseImporter>(&pki_->trust(), &clock_, policy);
    ASSERT_OK_AND_ASSIGN(
        OpenedDatabase opened,
        testing::OpenInstalledDatabase(GetParam(), temp_, "crm.db"));
    url_ = opened.url;
    db_ = std::move(opened.db);
  }

  // The set of version `version` with `users` user licenses; admin warning
  // 200 days, expiry 300, grace 330 days after kClientNow.
  v1::SignedLicenseSet Set(uint64_t version, uint32_t users) {
    v1::LicenseSet set = testing::MakeLicenseSet(
        kClientSerial, version, {testing::MakeModuleRow("user", users, 10)});
    set.set_admin_warning_date(kClientNow + 200 * kDay);
    auto envelope = pki_->Sign(set);
    EXPECT_OK(envelope.status());
    return envelope.ok() ? *envelope : v1::SignedLicenseSet();
  }

  std::vector<SystemMessage> Messages() {
    auto messages = system_messages::List(*db_, 1000);
    EXPECT_OK(messages.status());
    return messages.ok() ? *messages : std::vector<SystemMessage>{};
  }

  // Loads the view at the clock's now and records its state changes.
  int RecordStates(const std::string& user = "ingrid") {
    auto view = LicenseView::Load(*db_, pki_->trust(), clock_);
    EXPECT_OK(view.status());
    if (!view.ok()) return -1;
    auto recorded = RecordStateChanges(*db_, **view, user);
    EXPECT_OK(recorded.status());
    return recorded.ok() ? *recorded : -1;
  }

  void AssignUsers(int count) {
    ASSERT_OK_AND_ASSIGN(OwnerView owner, db_->GetOwner("SUPEROFFICE"));
    ASSERT_OK_AND_ASSIGN(std::vector<int64_t> ids,
                         testing::AddAssociates(*db_, "user", count));
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    for (int64_t id : ids) {
      AssocLinkRecord link;
      link.module_license_id = owner.modules[0].id;
      link.assoc_id = id;
      ASSERT_OK(txn->InsertAssocLink(link).status());
    }
    ASSERT_OK(txn->Commit());
  }

  // Rewrites the user module's licenseNumber behind the signature's back.
  void SetUserCount(int64_t count) {
    ASSERT_OK_AND_ASSIGN(OwnerView owner, db_->GetOwner("SUPEROFFICE"));
    owner.modules[0].license_number = count;
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    ASSERT_OK(txn->ReplaceOwner(owner.owner, owner.modules).status());
    ASSERT_OK(txn->Commit());
  }

  TempDir temp_;
  FakeClock clock_;
  std::unique_ptr<ClientPki> pki_;
  std::unique_ptr<LicenseImporter> importer_;
  std::string url_;
  std::unique_ptr<CrmDatabase> db_;
};

TEST_P(SystemMessagesTest, RecordsAndListsNewestFirst) {
  ASSERT_OK(system_messages::Record(*db_, Message("started", "info")).status());
  SystemMessage failed = Message("failed", "error");
  failed.expected_end = kClientNow + 60;
  ASSERT_OK(system_messages::Record(*db_, failed).status());
  std::vector<SystemMessage> messages = Messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].status, "failed");
  EXPECT_EQ(messages[0].type, "error");
  EXPECT_EQ(messages[0].expected_end, kClientNow + 60);
  EXPECT_EQ(messages[0].started_by, "admin");
  EXPECT_EQ(messages[1].status, "started");
  EXPECT_FALSE(messages[1].expected_end.has_value());
  ASSERT_OK_AND_ASSIGN(auto one, system_messages::List(*db_, 1));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].status, "failed");
}

TEST_P(SystemMessagesTest, RefusesBadMessagesNamingTheField) {
  SystemMessage bad = Message("x", "fatal");
  EXPECT_THAT(system_messages::Record(*db_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fatal")));
  bad = Message("", "info");
  EXPECT_THAT(
      system_messages::Record(*db_, bad),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("status")));
  bad = Message("x", "info");
  bad.expected_end = bad.started - 1;
  EXPECT_THAT(
      system_messages::Record(*db_, bad),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected_end")));
  bad = Message("x", "info");
  bad.message = std::string(4001, 'm');
  EXPECT_THAT(
      system_messages::Record(*db_, bad),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("message")));
  EXPECT_THAT(system_messages::List(*db_, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0")));
  EXPECT_TRUE(Messages().empty());
}

TEST_P(SystemMessagesTest, ImportRecordsStartedAndFinished) {
  ASSERT_OK(importer_->Import(*db_, Set(1, 10)).status());
  std::vector<SystemMessage> messages = Messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].operation, "import");
  EXPECT_EQ(messages[1].status, "started");
  EXPECT_EQ(messages[1].expected_end, kClientNow + 60);
  EXPECT_EQ(messages[1].started_by, "ingrid");
  EXPECT_EQ(messages[0].status, "finished");
  EXPECT_EQ(messages[0].type, "info");
  EXPECT_EQ(messages[0].owner_name, "SUPEROFFICE");
  EXPECT_THAT(messages[0].message, HasSubstr("New licence activated"));
  EXPECT_THAT(messages[0].message, HasSubstr("v1"));
}

TEST_P(SystemMessagesTest, RejectionWritesOnlyHistoryAndMessages) {
  ASSERT_OK(importer_->Import(*db_, Set(1, 10)).status());
  AssignUsers(4);
  const size_t messages_before = Messages().size();
  ASSERT_OK_AND_ASSIGN(std::string before, db_->Dump());
  // Fewer licenses than in use: rejected with the reason.
  EXPECT_THAT(importer_->Import(*db_, Set(2, 3)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("fewer licenses than are in use")));
  ASSERT_OK_AND_ASSIGN(std::string after, db_->Dump());
  EXPECT_EQ(WithoutLogs(after), WithoutLogs(before));
  std::vector<SystemMessage> messages = Messages();
  ASSERT_EQ(messages.size(), messages_before + 2);
  EXPECT_EQ(messages[1].status, "started");
  EXPECT_EQ(messages[0].status, "rejected");
  EXPECT_EQ(messages[0].type, "error");
  EXPECT_THAT(messages[0].message,
              HasSubstr("module \"user\": 4 in use, 3 in the new set"));
  ASSERT_OK_AND_ASSIGN(auto history, db_->ListImportHistory("SUPEROFFICE"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history.back().result, "rejected");
  // A replay is rejected and recorded the same way.
  EXPECT_THAT(importer_->Import(*db_, Set(1, 10)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not above the installed version")));
  messages = Messages();
  EXPECT_THAT(messages[0].message, HasSubstr("not above the installed"));
  // A set that does not verify touches nothing at all.
  ASSERT_OK_AND_ASSIGN(ClientPki other, ClientPki::Create());
  ASSERT_OK_AND_ASSIGN(
      v1::SignedLicenseSet foreign,
      other.Sign(testing::MakeLicenseSet(
          kClientSerial, 5, {testing::MakeModuleRow("user", 10, 10)})));
  ASSERT_OK_AND_ASSIGN(before, db_->Dump());
  EXPECT_THAT(importer_->Import(*db_, foreign),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(db_->Dump(), testing::IsOk());
  EXPECT_EQ(*db_->Dump(), before);
}

TEST_P(SystemMessagesTest, EachStateTransitionIsRecordedOnce) {
  ASSERT_OK(importer_->Import(*db_, Set(1, 10)).status());
  const size_t base = Messages().size();  // the import's
  EXPECT_EQ(RecordStates(), 0);           // healthy from the start
  EXPECT_EQ(RecordStates(), 0);

  SetUserCount(99);  // tampering
  EXPECT_EQ(RecordStates(), 1);
  EXPECT_EQ(RecordStates(), 0);
  SystemMessage last = Messages()[0];
  EXPECT_EQ(last.operation, "license-state");
  EXPECT_EQ(last.status, "tampered");
  EXPECT_EQ(last.type, "error");
  EXPECT_EQ(last.started_by, "ingrid");
  EXPECT_THAT(last.message, HasSubstr("tampering found"));
  EXPECT_THAT(last.message, HasSubstr("licenseNumber"));

  SetUserCount(10);  // repaired
  EXPECT_EQ(RecordStates("olav"), 1);
  EXPECT_EQ(RecordStates(), 0);
  EXPECT_EQ(Messages()[0].status, "ok");
  EXPECT_EQ(Messages()[0].started_by, "olav");

  const struct {
    int64_t day;
    const char* state;
    const char* type;
  } dates[] = {{200, "admin-warning", "warning"},
               {300, "expired", "warning"},
               {330, "past-grace", "error"}};
  for (const auto& date : dates) {
    SCOPED_TRACE(date.state);
    clock_.Set(absl::FromUnixSeconds(kClientNow + date.day * kDay - 1));
    EXPECT_EQ(RecordStates(), 0);  // the second before: no change yet
    clock_.Set(absl::FromUnixSeconds(kClientNow + date.day * kDay));
    EXPECT_EQ(RecordStates(), 1);
    EXPECT_EQ(RecordStates(), 0);
    EXPECT_EQ(Messages()[0].status, date.state);
    EXPECT_EQ(Messages()[0].type, date.type);
    EXPECT_EQ(Messages()[0].started, kClientNow + date.day * kDay);
  }
  EXPECT_EQ(Messages().size(), base + 5);
}

TEST_P(SystemMessagesTest, ConcurrentCallersRecordATransitionOnce) {
  ASSERT_OK(importer_->Import(*db_, Set(1, 10)).status());
  SetUserCount(99);
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const LicenseView> view,
                       LicenseView::Load(*db_, pki_->trust(), clock_));
  constexpr int kThreads = 6;
  std::vector<std::thread> threads;
  std::vector<int> recorded(kThreads, -1);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, &view, &recorded, t] {
      for (int attempt = 0; attempt < 20; ++attempt) {
        auto db = CrmDatabase::Open(url_);
        if (!db.ok()) continue;
        auto n = RecordStateChanges(**db, *view, "worker");
        if (absl::IsAborted(n.status())) continue;
        recorded[t] = n.ok() ? *n : -1;
        return;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  int total = 0;
  for (int n : recorded) {
    EXPECT_GE(n, 0);
    total += n;
  }
  EXPECT_EQ(total, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SystemMessagesTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
