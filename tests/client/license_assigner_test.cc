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
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/crm_database.h"
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
using ::superlicense::testing::MakeModuleRow;
using ::superlicense::testing::OpenedDatabase;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr int64_t kNow = testing::kClientNow;
constexpr const char* kOwner = testing::kClientOwner;
constexpr absl::StatusCode kPrecondition =
    absl::StatusCode::kFailedPrecondition;

// The set described at the top, version `version`, followed by `extra` rows
// (whose sort orders must be above 60).
v1::LicenseSet MakeSet(uint64_t version = 1,
                       const std::vector<v1::ModuleLicense>& extra = {}) {
  v1::ModuleLicense user = MakeModuleRow("user", 10, 10);
  user.set_allowed_assocs_mask(1 | 2);
  v1::ModuleLicense web = MakeModuleRow("web", 3, 20);
  web.set_prerequisite_module("user");
  v1::ModuleLicense quote = MakeModuleRow("quote-cal", 2, 30);
  quote.set_prerequisite_module("user");
  v1::ModuleLicense visible = MakeModuleRow("visible-for", 1, 40);
  visible.set_unrestricted(true);
  v1::ModuleLicense sale = MakeModuleRow("sale-cal", 10, 50);
  sale.set_hidden(true);
  v1::ModuleLicense plan = MakeModuleRow("ten-sales", 21, 60);
  plan.set_extra_flags(1);
  plan.set_extra_info("set=user,web,sale-cal,t2");
  std::vector<v1::ModuleLicense> rows = {user, web, quote, visible, sale, plan};
  rows.insert(rows.end(), extra.begin(), extra.end());
  return testing::MakeLicenseSet(testing::kClientSerial, version, rows);
}

// A plan row: extraFlags 1, extraInfo "set=SET".
v1::ModuleLicense PlanRow(const std::string& name, const std::string& set,
                          uint32_t sort_order) {
  v1::ModuleLicense plan = MakeModuleRow(name, 10, sort_order);
  plan.set_extra_flags(1);
  plan.set_extra_info("set=" + set);
  return plan;
}

class LicenseAssignerTest : public ::testing::TestWithParam<std::string> {
 protected:
  LicenseAssignerTest() : clock_(absl::FromUnixSeconds(kNow)) {}

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(ClientPki pki, ClientPki::Create());
    pki_ = std::make_unique<ClientPki>(std::move(pki));
    ASSERT_OK_AND_ASSIGN(
        OpenedDatabase opened,
        testing::OpenInstalledDatabase(GetParam(), temp_, "crm.db"));
    url_ = opened.url;
    db_ = std::move(opened.db);
    ASSERT_NO_FATAL_FAILURE(ImportSet(MakeSet()));
  }

  // Signs and imports `set` (a higher version than the installed one).
  void ImportSet(const v1::LicenseSet& set) {
    ASSERT_OK_AND_ASSIGN(v1::SignedLicenseSet envelope, pki_->Sign(set));
    LicenseImporter importer(&pki_->trust(), &clock_);
    ASSERT_OK(importer.Import(*db_, envelope).status());
  }

  // Adds an associate; returns its id.
  int64_t AddAssociate(const std::string& name, int64_t type = 1) {
    absl::StatusOr<int64_t> id = testing::AddAssociate(*db_, name, type);
    EXPECT_OK(id.status());
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

  // Returns, per module name, the SUM of its links' licenseNumber and the
  // number of its links; modules without links are left out.
  std::map<std::string, std::pair<int64_t, int>> Usage() {
    std::map<std::string, std::pair<int64_t, int>> usage;
    auto view = db_->GetOwner(kOwner);
    EXPECT_OK(view.status());
    if (!view.ok()) return usage;
    for (const AssocLinkRecord& link : view->assoc_links) {
      for (const ModuleRecord& m : view->modules) {
        if (m.id != link.module_license_id) continue;
        usage[m.module_name].first += link.license_number;
        usage[m.module_name].second += 1;
      }
    }
    return usage;
  }

  std::string Dump() {
    auto dump = db_->Dump();
    EXPECT_OK(dump.status());
    return dump.ok() ? *dump : "";
  }

  absl::Status Assign(const std::string& assoc, const std::string& module) {
    return assigner_.Assign(*db_, assoc, module);
  }
  absl::Status Unassign(const std::string& assoc, const std::string& module) {
    return assigner_.Unassign(*db_, assoc, module);
  }

  TempDir temp_;
  FakeClock clock_;
  std::unique_ptr<ClientPki> pki_;
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

// Returns, for every restricted module of the owner whose links exceed its
// licenseNumber, "NAME: ASSIGNED > NUMBER", read in one snapshot.
std::vector<std::string> OverCounts(CrmReader& db) {
  std::vector<std::string> over;
  absl::StatusOr<OwnerView> view = db.GetOwner(kOwner);
  if (!view.ok()) return {view.status().ToString()};
  std::map<int64_t, int64_t> assigned;
  for (const AssocLinkRecord& link : view->assoc_links) {
    assigned[link.module_license_id] += link.license_number;
  }
  for (const ModuleRecord& m : view->modules) {
    if (!m.unrestricted && assigned[m.id] > m.license_number) {
      over.push_back(absl::StrCat(m.module_name, ": ", assigned[m.id], " > ",
                                  m.license_number));
    }
  }
  return over;
}

// Whether `assoc_id` holds the module with id `module_id`.
absl::StatusOr<bool> Holds(CrmReader& db, int64_t assoc_id, int64_t module_id) {
  absl::StatusOr<std::vector<AssocLinkRecord>> links =
      db.ListAssocLinksOf(assoc_id);
  if (!links.ok()) return links.status();
  for (const AssocLinkRecord& link : *links) {
    if (link.module_license_id == module_id) return true;
  }
  return false;
}

// What the threads of ConcurrentAssignAndUnassignKeepEveryCount saw.
struct ChurnTally {
  std::atomic<int> assigned{0};
  std::atomic<int> unassigned{0};
  std::atomic<int> full{0};
  std::atomic<int> aborted_retries{0};
  std::atomic<int> finished{0};
};

// 32 threads, each on its own associate, assign and unassign (whichever
// applies) web (10), quote-cal (6) and the plan ten-sales (5; it implies web
// and the hidden sale-cal) in a seeded random order, so that both succeed
// and many assignments find their module full. After every step the
// thread reads the links: no restricted module is ever above its count. The
// only errors are FAILED_PRECONDITION (full) and ABORTED (retried a bounded
// number of times). A thread that hangs fails the test after kWatchdog.
TEST_P(LicenseAssignerTest, ConcurrentAssignAndUnassignKeepEveryCount) {
  constexpr int kThreads = 32;
  constexpr int kSteps = 12;
  constexpr int kMaxRetries = 20;
  constexpr uint32_t kSeed = 20261129;
  constexpr absl::Duration kWatchdog = absl::Seconds(240);
  const std::vector<std::string> kModules = {"web", "quote-cal", "ten-sales"};
  v1::LicenseSet set = MakeSet(2);
  for (v1::ModuleLicense& m : *set.mutable_module_licenses()) {
    if (m.module_name() == "user") m.set_license_number(kThreads);
    if (m.module_name() == "web") m.set_license_number(10);
    if (m.module_name() == "quote-cal") m.set_license_number(6);
    if (m.module_name() == "ten-sales") m.set_license_number(5);
  }
  ASSERT_NO_FATAL_FAILURE(ImportSet(set));
  std::map<std::string, int64_t> module_ids;
  {
    ASSERT_OK_AND_ASSIGN(OwnerView view, db_->GetOwner(kOwner));
    for (const ModuleRecord& m : view.modules) module_ids[m.module_name] = m.id;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> ids,
                       testing::AddAssociates(*db_, "c", kThreads));
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_OK(Assign(absl::StrCat("c", i), "user"));
  }

  const absl::Time start = absl::Now();
  ChurnTally tally;
  std::mutex mu;
  std::condition_variable all_finished;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto db = CrmDatabase::Open(url_);
      EXPECT_OK(db.status());
      std::mt19937 rng(kSeed + i);
      LicenseAssigner assigner;
      const std::string name = absl::StrCat("c", i);
      for (int step = 0; db.ok() && step < kSteps; ++step) {
        const std::string& module = kModules[rng() % kModules.size()];
        absl::StatusOr<bool> held = Holds(**db, ids[i], module_ids.at(module));
        EXPECT_OK(held.status());
        if (!held.ok()) break;
        absl::Status s;
        for (int attempt = 0; attempt <= kMaxRetries; ++attempt) {
          s = *held ? assigner.Unassign(**db, name, module)
                    : assigner.Assign(**db, name, module);
          if (!absl::IsAborted(s)) break;
          ++tally.aborted_retries;
        }
        if (s.ok()) {
          ++(*held ? tally.unassigned : tally.assigned);
        } else if (!*held && s.code() == kPrecondition &&
                   absl::StrContains(s.message(), "licenses are in use")) {
          ++tally.full;
        } else {
          ADD_FAILURE() << name << (*held ? " unassign " : " assign ") << module
                        << ": " << s;
        }
        EXPECT_THAT(OverCounts(**db), ::testing::IsEmpty())
            << "after " << name << " step " << step;
      }
      std::lock_guard<std::mutex> lock(mu);
      ++tally.finished;
      all_finished.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    if (!all_finished.wait_for(lock, absl::ToChronoSeconds(kWatchdog), [&] {
          return tally.finished.load() == kThreads;
        })) {
      std::fprintf(stderr, "%d of %d threads still running after %s\n",
                   kThreads - tally.finished.load(), kThreads,
                   absl::FormatDuration(kWatchdog).c_str());
      std::abort();  // hung threads cannot be joined
    }
  }
  for (std::thread& t : threads) t.join();
  const absl::Duration elapsed = absl::Now() - start;

  EXPECT_THAT(OverCounts(*db_), ::testing::IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const LicenseView> view,
                       LicenseView::Load(*db_, pki_->trust(), clock_));
  ASSERT_EQ(view->owners().size(), 1u);
  EXPECT_EQ(view->owners()[0].state, LicenseState::kOk)
      << view->owners()[0].reason;
  EXPECT_EQ(tally.assigned + tally.unassigned + tally.full, kThreads * kSteps);
  EXPECT_GT(tally.full.load(), 0);
  EXPECT_GT(tally.unassigned.load(), 0);
  std::printf(
      "[ churn    ] %s: %d threads x %d steps: %d assigned, %d unassigned, "
      "%d refused as full, %d ABORTED retries, %s\n",
      GetParam().c_str(), kThreads, kSteps, tally.assigned.load(),
      tally.unassigned.load(), tally.full.load(), tally.aborted_retries.load(),
      absl::FormatDuration(elapsed).c_str());
  std::fflush(stdout);
}

// Module names that would break SQL built by concatenation; the second has a
// dot whose prefix is no owner, so it is a plain module name.
const char kNastyModule[] = "it's \"q\"'); DROP TABLE \"ModuleLicense\"; --";
const char kNastyDotted[] = "x.y' OR '1'='1\"; DELETE FROM \"associate\" --";
const char kNastyAssociate[] =
    "Robert'); DROP TABLE \"LicenseAssocLink\"; -- \"x\"";

TEST_P(LicenseAssignerTest, NastyModuleAndAssociateNamesAreJustNames) {
  v1::ModuleLicense nasty = MakeModuleRow(kNastyModule, 1, 70);
  nasty.set_prerequisite_module("user");
  v1::ModuleLicense dotted = MakeModuleRow(kNastyDotted, 5, 80);
  dotted.set_hidden(true);
  ASSERT_NO_FATAL_FAILURE(ImportSet(MakeSet(
      2, {nasty, dotted,
          PlanRow("nasty-plan", absl::StrCat("user,", kNastyDotted), 90)})));
  const int64_t id = AddAssociate(kNastyAssociate);
  AddAssociate("bob");

  // Rejections name the module and the associate and write nothing.
  std::string before = Dump();
  EXPECT_THAT(Assign(kNastyAssociate, kNastyModule),
              StatusIs(kPrecondition,
                       AllOf(HasSubstr(absl::StrCat("module \"", kNastyModule,
                                                    "\": requires \"user\"")),
                             HasSubstr(kNastyAssociate))));
  EXPECT_THAT(
      Assign(kNastyAssociate, kNastyDotted),
      StatusIs(kPrecondition, HasSubstr(absl::StrCat("module \"", kNastyDotted,
                                                     "\" is hidden"))));
  EXPECT_EQ(Dump(), before);

  ASSERT_OK(Assign(kNastyAssociate, "user"));
  ASSERT_OK(Assign(kNastyAssociate, kNastyModule));
  ASSERT_OK(Assign("bob", "user"));
  before = Dump();
  EXPECT_THAT(Assign("bob", kNastyModule),
              StatusIs(kPrecondition,
                       HasSubstr(absl::StrCat("module \"", kNastyModule,
                                              "\": all 1 licenses are in "
                                              "use"))));
  EXPECT_THAT(
      Assign(kNastyAssociate, kNastyModule),
      StatusIs(absl::StatusCode::kAlreadyExists,
               AllOf(HasSubstr(kNastyModule), HasSubstr(kNastyAssociate))));
  EXPECT_EQ(Dump(), before);

  // A plan implying the dotted module, assigned by id as well as by name.
  ASSERT_OK(Assign(absl::StrCat(id), "nasty-plan"));
  EXPECT_THAT(Held(id), UnorderedElementsAre(
                            "user", kNastyModule, "nasty-plan",
                            absl::StrCat(kNastyDotted, "/plan:nasty-plan")));
  ASSERT_OK(Unassign(kNastyAssociate, "nasty-plan"));
  ASSERT_OK(
      Unassign(kNastyAssociate, absl::StrCat("superoffice.", kNastyModule)));
  EXPECT_THAT(Held(id), ElementsAre("user"));

  before = Dump();
  EXPECT_THAT(
      Unassign(kNastyAssociate, kNastyModule),
      StatusIs(absl::StatusCode::kNotFound,
               AllOf(HasSubstr(kNastyModule), HasSubstr(kNastyAssociate))));
  EXPECT_EQ(Dump(), before);
  ASSERT_OK_AND_ASSIGN(std::vector<Associate> all, db_->ListAssociates());
  EXPECT_EQ(all.size(), 2u);
  EXPECT_OK(Assign("bob", kNastyModule));  // the license is free again
}

TEST_P(LicenseAssignerTest, TwoPlansImplyingWebHoldItOnce) {
  ASSERT_NO_FATAL_FAILURE(
      ImportSet(MakeSet(2, {PlanRow("plan-a", "user,web", 70),
                            PlanRow("plan-b", "user,web,quote-cal", 80)})));
  // Two of the three web licenses are taken by hand.
  for (const std::string name : {"u0", "u1", "u2"}) AddAssociate(name);
  for (const std::string name : {"u0", "u1"}) {
    ASSERT_OK(Assign(name, "user"));
    ASSERT_OK(Assign(name, "web"));
  }
  const int64_t ann = AddAssociate("ann");
  ASSERT_OK(Assign("ann", "plan-a"));  // takes the last web license
  EXPECT_THAT(Assign("u2", "ten-sales"),
              StatusIs(kPrecondition, HasSubstr("all 3 licenses are in use")));
  // plan-b needs no second web license: ann holds web already.
  ASSERT_OK(Assign("ann", "plan-b"));
  EXPECT_THAT(Held(ann),
              UnorderedElementsAre("plan-a", "plan-b", "user/plan:plan-a",
                                   "web/plan:plan-a", "quote-cal/plan:plan-b"));
  auto usage = Usage();
  EXPECT_EQ(usage["web"], std::make_pair(int64_t{3}, 3));
  EXPECT_EQ(usage["user"], std::make_pair(int64_t{3}, 3));
  EXPECT_EQ(usage["quote-cal"], std::make_pair(int64_t{1}, 1));

  // plan-b still implies user and web: they stay.
  ASSERT_OK(Unassign("ann", "plan-a"));
  EXPECT_THAT(Held(ann),
              UnorderedElementsAre("plan-b", "user/plan:plan-a",
                                   "web/plan:plan-a", "quote-cal/plan:plan-b"));
  usage = Usage();
  EXPECT_EQ(usage["web"], std::make_pair(int64_t{3}, 3));
  EXPECT_EQ(usage["user"], std::make_pair(int64_t{3}, 3));
  EXPECT_EQ(usage.count("plan-a"), 0u);

  // Now no plan implies them: everything goes, and web is free again.
  ASSERT_OK(Unassign("ann", "plan-b"));
  EXPECT_THAT(Held(ann), ::testing::IsEmpty());
  usage = Usage();
  EXPECT_EQ(usage["web"], std::make_pair(int64_t{2}, 2));
  EXPECT_EQ(usage["user"], std::make_pair(int64_t{2}, 2));
  EXPECT_EQ(usage.count("quote-cal"), 0u);
  ASSERT_OK(Assign("u2", "user"));
  EXPECT_OK(Assign("u2", "web"));
}

// A plan's unassignment is all or nothing: when it would remove "user"
// (implied by it alone) while "web" stays (implied by another plan too) and
// requires "user", it is refused and nothing changes. The other plan has to
// go first.
TEST_P(LicenseAssignerTest, UnassigningAPlanThatWouldStrandAPrerequisite) {
  ASSERT_NO_FATAL_FAILURE(ImportSet(MakeSet(
      2, {PlanRow("plan-a", "user,web", 70), PlanRow("web-only", "web", 80)})));
  const int64_t ann = AddAssociate("ann");
  ASSERT_OK(Assign("ann", "plan-a"));
  ASSERT_OK(Assign("ann", "web-only"));
  const std::string before = Dump();
  EXPECT_THAT(
      Unassign("ann", "plan-a"),
      StatusIs(kPrecondition, HasSubstr("module \"user\" is required by module "
                                        "\"web\", which \"ann\" holds")));
  EXPECT_EQ(Dump(), before);
  ASSERT_OK(Unassign("ann", "web-only"));
  ASSERT_OK(Unassign("ann", "plan-a"));
  EXPECT_THAT(Held(ann), ::testing::IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Backends, LicenseAssignerTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
