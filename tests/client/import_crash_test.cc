// Crash safety of LicenseImporter::Import on both backends (a SQLite file and
// a real PostgreSQL server started by tests/support/postgres_server.h).
//
// Each round fork()s a child process that opens the database and imports the
// next version of the set; the parent kills it with SIGKILL after a random
// delay in [0, 1.5 x the measured duration of one child import]. After every
// kill the database must hold exactly the old set or the new one: the
// installed version is old or new, the ModuleOwner and ModuleLicense rows are
// field by field (signatures included) those that version installs, the
// LicenseAssocLink rows are untouched, and LicenseView::Load finds nothing
// tampered and reports the same version.
//
// The parent forks only while it has no database connection open and runs
// no other thread (PostgresServer runs its programs with fork/exec and waits
// for them; it starts no threads).
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/crm_database.h"
#include "client/internal/set_records.h"
#include "client/license_assigner.h"
#include "client/license_importer.h"
#include "client/license_view.h"
#include "client/system_messages.h"
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
using ::superlicense::testing::TempDir;

constexpr int64_t kNow = testing::kClientNow;
constexpr const char* kOwner = testing::kClientOwner;
constexpr int kCalibrationRounds = 3;
constexpr int kKillRounds = 50;
constexpr uint32_t kSeed = 20261129;
// Versions the test may install: the baseline, the calibration rounds, at
// most one per kill round and the final import.
constexpr int64_t kVersions = kCalibrationRounds + kKillRounds + 2;
// How long a killed client's PostgreSQL backend may take to go away.
constexpr absl::Duration kBackendGoneTimeout = absl::Seconds(30);

// The application_name of the children's PostgreSQL connections.
constexpr char kChildApp[] = "killed_importer";
// Exit codes of the importing child.
constexpr int kChildImported = 0;
constexpr int kChildCannotOpen = 10;
constexpr int kChildAborted = 11;
constexpr int kChildFailed = 12;

// Version `v` of the set: "user" and "web" change counts every version,
// "even-only" / "odd-only" come and go, and between 20 and 26 "extra-N" rows
// with varying counts, so that any two consecutive versions differ in rows
// added, removed and counted.
v1::LicenseSet VersionedSet(int64_t v) {
  std::vector<v1::ModuleLicense> rows;
  rows.push_back(MakeModuleRow("user", static_cast<uint32_t>(10 + v), 10));
  v1::ModuleLicense web =
      MakeModuleRow("web", static_cast<uint32_t>(3 + v % 4), 20);
  web.set_prerequisite_module("user");
  rows.push_back(web);
  if (v % 2 == 0) {
    rows.push_back(MakeModuleRow("even-only", 5, 30));
  } else {
    rows.push_back(MakeModuleRow("odd-only", 7, 40));
  }
  const int extras = 20 + static_cast<int>(v % 7);
  for (int i = 0; i < extras; ++i) {
    rows.push_back(MakeModuleRow(absl::StrCat("extra-", i),
                                 static_cast<uint32_t>(1 + (v + i) % 9),
                                 static_cast<uint32_t>(100 + 10 * i)));
  }
  return testing::MakeLicenseSet(testing::kClientSerial,
                                 static_cast<uint64_t>(v), rows);
}

// A signed version with the rows it installs.
struct SignedVersion {
  v1::SignedLicenseSet envelope;
  OwnerRecord owner;
  std::map<std::string, ModuleRecord> modules;  // by moduleName
};

// The threads of this process (entries of /proc/self/task).
int ThreadCount() {
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    (void)entry;
    ++count;
  }
  return count;
}

bool BuiltWithThreadSanitizer() {
#if defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

// The child: opens the database, reports on `started_fd` that the import
// begins, imports. Never returns to gtest: the caller _exit()s with the
// result.
int ImportInChild(const std::string& url, const v1::SignedLicenseSet& envelope,
                  const keys::TrustStore& trust, int started_fd) {
  FakeClock clock(absl::FromUnixSeconds(kNow));
  absl::StatusOr<std::unique_ptr<CrmDatabase>> db = CrmDatabase::Open(url);
  if (!db.ok()) {
    std::fprintf(stderr, "child: %s\n", db.status().ToString().c_str());
    return kChildCannotOpen;
  }
  const char started = 'S';
  if (write(started_fd, &started, 1) != 1) return kChildFailed;
  LicenseImporter importer(&trust, &clock);
  absl::StatusOr<ImportResult> result = importer.Import(**db, envelope);
  if (result.ok()) return kChildImported;
  std::fprintf(stderr, "child: %s\n", result.status().ToString().c_str());
  return absl::IsAborted(result.status()) ? kChildAborted : kChildFailed;
}

// What became of one child.
struct ChildOutcome {
  bool killed = false;   // died of our SIGKILL
  bool started = false;  // had opened the database and begun the import
  int exit_code = -1;    // when not killed
  absl::Duration elapsed;
};

// Where the kills landed.
struct KillTally {
  int before_import = 0;       // still opening the database
  int verifying = 0;           // import begun, no "started" message yet
  int in_transaction = 0;      // verified ("started" written), not committed
  int after_commit = 0;        // killed, the new set installed
  int completed = 0;           // exited before the kill
  int aborted = 0;             // the child's import failed with ABORTED
  int lingering_backends = 0;  // rounds whose backend outlived the client
  absl::Duration longest_backend_wait;  // of those rounds
};

class ImportCrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  ImportCrashTest() : clock_(absl::FromUnixSeconds(kNow)) {}

  void SetUp() override {
    ASSERT_EQ(kChildImported, 0);
    ASSERT_OK_AND_ASSIGN(ClientPki pki, ClientPki::Create());
    pki_ = std::make_unique<ClientPki>(std::move(pki));
    for (int64_t v = 1; v <= kVersions; ++v) {
      ASSERT_NO_FATAL_FAILURE(SignVersion(v));
    }
    ASSERT_OK_AND_ASSIGN(
        OpenedDatabase opened,
        testing::OpenInstalledDatabase(GetParam(), temp_, "crm.db"));
    url_ = opened.url;
    if (GetParam() == "postgresql") {
      // A client killed while holding row locks leaves a backend that rolls
      // back once it notices the closed socket; never wait on it forever.
      url_ += "&options=-c%20lock_timeout%3D10000";
    }
    opened.db.reset();
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<CrmDatabase> db,
                         CrmDatabase::Open(url_));
    LicenseImporter importer(&pki_->trust(), &clock_);
    ASSERT_OK(importer.Import(*db, versions_[1].envelope).status());
    ASSERT_OK(testing::AddAssociate(*db, "anna").status());
    LicenseAssigner assigner;
    ASSERT_OK(assigner.Assign(*db, "anna", "user"));
    ASSERT_OK(assigner.Assign(*db, "anna", "web"));
    ASSERT_OK_AND_ASSIGN(OwnerView view, db->GetOwner(kOwner));
    links_ = Links(view);
    ASSERT_EQ(links_.size(), 2u);
  }

  void SignVersion(int64_t v) {
    SignedVersion& signed_version = versions_[v];
    ASSERT_OK_AND_ASSIGN(signed_version.envelope, pki_->Sign(VersionedSet(v)));
    ASSERT_OK_AND_ASSIGN(
        keys::VerifiedLicenseSet verified,
        pki_->trust().VerifyLicenseSet(signed_version.envelope, clock_.Now()));
    signed_version.owner =
        internal::MakeOwnerRecord(signed_version.envelope, verified, kNow);
    for (ModuleRecord& m :
         internal::MakeModuleRecords(signed_version.envelope, verified, kNow)) {
      signed_version.modules[m.module_name] = std::move(m);
    }
  }

  // The links as (associate id, module name).
  static std::set<std::pair<int64_t, std::string>> Links(
      const OwnerView& view) {
    std::map<int64_t, std::string> names;
    for (const ModuleRecord& m : view.modules) names[m.id] = m.module_name;
    std::set<std::pair<int64_t, std::string>> links;
    for (const AssocLinkRecord& l : view.assoc_links) {
      links.insert({l.assoc_id, names[l.module_license_id]});
    }
    return links;
  }

  // Checks that the database holds exactly version `old` or `old + 1` and
  // that everything in it verifies; sets *installed to the version and
  // last_message_ to the newest "import" system message.
  void ExpectOldOrNew(int64_t old, int64_t* installed) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<CrmDatabase> db,
                         CrmDatabase::Open(url_));
    absl::StatusOr<SystemMessage> message =
        db->LatestSystemMessage(kOwner, kImportOperation);
    ASSERT_TRUE(message.ok() || absl::IsNotFound(message.status()))
        << message.status();
    last_message_ = message.ok() ? *message : SystemMessage();
    ASSERT_OK_AND_ASSIGN(*installed, db->HighestImportedVersion(kOwner));
    ASSERT_TRUE(*installed == old || *installed == old + 1)
        << "installed " << *installed << ", expected " << old << " or "
        << old + 1;
    ASSERT_OK_AND_ASSIGN(EnvelopeRecord envelope, db->LatestEnvelope(kOwner));
    EXPECT_EQ(envelope.version, *installed);
    ASSERT_OK_AND_ASSIGN(OwnerView view, db->GetOwner(kOwner));
    const SignedVersion& expected = versions_.at(*installed);
    EXPECT_THAT(internal::OwnerDifferences(view.owner, expected.owner),
                ::testing::IsEmpty());
    ASSERT_EQ(view.modules.size(), expected.modules.size())
        << "version " << *installed;
    for (const ModuleRecord& m : view.modules) {
      auto it = expected.modules.find(m.module_name);
      ASSERT_NE(it, expected.modules.end())
          << "row \"" << m.module_name << "\" is not in version " << *installed;
      EXPECT_THAT(internal::ModuleDifferences(m, it->second),
                  ::testing::IsEmpty())
          << m.module_name << " in version " << *installed;
    }
    EXPECT_EQ(Links(view), links_);
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<const LicenseView> licenses,
                         LicenseView::Load(*db, pki_->trust(), clock_));
    ASSERT_EQ(licenses->owners().size(), 1u);
    const OwnerStatus& status = licenses->owners()[0];
    EXPECT_EQ(status.state, LicenseState::kOk) << status.reason;
    EXPECT_EQ(status.version, static_cast<uint64_t>(*installed));
  }

  // Forks a child importing version `version`; kills it after `kill_after`
  // unless it is nullopt.
  ChildOutcome RunChild(int64_t version,
                        std::optional<absl::Duration> kill_after) {
    ChildOutcome outcome;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2 failed";
      return outcome;
    }
    const absl::Time start = absl::Now();
    const std::string child_url = GetParam() == "postgresql"
                                      ? url_ + "&application_name=" + kChildApp
                                      : url_;
    // The child must not inherit (and print again) unwritten output.
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      _exit(ImportInChild(child_url, versions_.at(version).envelope,
                          pki_->trust(), fds[1]));
    }
    close(fds[1]);
    if (pid < 0) {
      close(fds[0]);
      ADD_FAILURE() << "fork failed";
      return outcome;
    }
    if (kill_after.has_value()) {
      absl::SleepFor(*kill_after);
      kill(pid, SIGKILL);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    outcome.elapsed = absl::Now() - start;
    char byte = 0;
    outcome.started = read(fds[0], &byte, 1) == 1;
    close(fds[0]);
    outcome.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
    return outcome;
  }

  // PostgreSQL, when a backend of the killed child was still connected
  // right after it died (`lingering`): waits until it is gone (it noticed
  // the closed socket and rolled back) and notes how long since `died` that
  // took.
  void AwaitBackendsGone(absl::Time died, bool lingering, KillTally* tally) {
    if (GetParam() != "postgresql" || !lingering) return;
    for (;;) {
      absl::StatusOr<int> backends = OtherBackends();
      ASSERT_OK(backends.status());
      if (*backends == 0) break;
      ASSERT_LT(absl::Now() - died, kBackendGoneTimeout)
          << *backends << " backends still connected";
      absl::SleepFor(absl::Milliseconds(5));
    }
    ++tally->lingering_backends;
    tally->longest_backend_wait =
        std::max(tally->longest_backend_wait, absl::Now() - died);
  }

  // The number of server backends of children (by application_name), asked
  // with psql (fork/exec; this process opens no connection for it).
  absl::StatusOr<int> OtherBackends() {
    const std::string command =
        absl::StrCat("/usr/lib/postgresql/15/bin/psql -X -q -t -A -d '", url_,
                     "' -c \"SELECT count(*) FROM pg_stat_activity WHERE "
                     "application_name = '",
                     kChildApp, "'\" 2>&1");
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return absl::InternalError("popen psql failed");
    char line[256] = {0};
    const bool read_line = std::fgets(line, sizeof line, pipe) != nullptr;
    const int rc = pclose(pipe);
    int count = -1;
    if (!read_line || rc != 0 || std::sscanf(line, "%d", &count) != 1) {
      return absl::InternalError(absl::StrCat("psql: ", line));
    }
    return count;
  }

  // Measures one child import without a kill; returns its duration.
  void Calibrate(int64_t* installed, absl::Duration* duration) {
    std::vector<absl::Duration> times;
    for (int i = 0; i < kCalibrationRounds; ++i) {
      ChildOutcome outcome = RunChild(*installed + 1, std::nullopt);
      ASSERT_EQ(outcome.exit_code, kChildImported);
      const int64_t old = *installed;
      ASSERT_NO_FATAL_FAILURE(ExpectOldOrNew(old, installed));
      ASSERT_EQ(*installed, old + 1);
      times.push_back(outcome.elapsed);
    }
    std::sort(times.begin(), times.end());
    *duration = times[times.size() / 2];
  }

  // One kill round: imports installed + 1, kills after `delay`, checks and
  // counts where the kill landed.
  void KillRound(absl::Duration delay, int64_t* installed, KillTally* tally) {
    const int64_t old = *installed;
    const int64_t message_before = last_message_.id;
    ChildOutcome outcome = RunChild(old + 1, delay);
    if (!outcome.killed) {
      ASSERT_TRUE(outcome.exit_code == kChildImported ||
                  outcome.exit_code == kChildAborted)
          << "child exit code " << outcome.exit_code;
    }
    const absl::Time died = absl::Now();
    bool lingering = false;
    if (GetParam() == "postgresql") {
      ASSERT_OK_AND_ASSIGN(int backends, OtherBackends());
      lingering = backends > 0;
    }
    // Right away, while a PostgreSQL backend may still be rolling back...
    ASSERT_NO_FATAL_FAILURE(ExpectOldOrNew(old, installed));
    ASSERT_NO_FATAL_FAILURE(AwaitBackendsGone(died, lingering, tally));
    // ...and once nothing of the child is left.
    if (lingering) {
      ASSERT_NO_FATAL_FAILURE(ExpectOldOrNew(old, installed));
    }
    if (!outcome.killed) {
      if (outcome.exit_code == kChildAborted) {
        ++tally->aborted;
        ASSERT_EQ(*installed, old);
      } else {
        ++tally->completed;
        ASSERT_EQ(*installed, old + 1);
      }
      return;
    }
    if (*installed == old + 1) {
      ++tally->after_commit;
      return;
    }
    if (!outcome.started) {
      ++tally->before_import;
    } else if (last_message_.id != message_before &&
               last_message_.status == "started") {
      ++tally->in_transaction;
    } else {
      ++tally->verifying;
    }
  }

  TempDir temp_;
  FakeClock clock_;
  std::unique_ptr<ClientPki> pki_;
  std::map<int64_t, SignedVersion> versions_;
  std::string url_;
  std::set<std::pair<int64_t, std::string>> links_;
  SystemMessage last_message_;  // as of the last ExpectOldOrNew()
};

TEST_P(ImportCrashTest, KilledImportLeavesTheOldOrTheNewSet) {
  const absl::Time test_start = absl::Now();
  const int threads = ThreadCount();
  if (!BuiltWithThreadSanitizer()) {
    // The sanitizer's runtime may run a thread of its own.
    ASSERT_EQ(threads, 1) << "fork() needs a single-threaded parent";
  }
  int64_t installed = 1;
  absl::Duration one_import;
  ASSERT_NO_FATAL_FAILURE(Calibrate(&installed, &one_import));
  const int64_t max_delay_us = absl::ToInt64Microseconds(one_import) * 3 / 2;
  std::printf(
      "[ crash    ] %s: seed %u, one import %s, delays in [0, %lld us]\n",
      GetParam().c_str(), kSeed, absl::FormatDuration(one_import).c_str(),
      static_cast<long long>(max_delay_us));
  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int64_t> delay(0, max_delay_us);
  KillTally tally;
  for (int round = 0; round < kKillRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round, ", installed v", installed));
    ASSERT_NO_FATAL_FAILURE(
        KillRound(absl::Microseconds(delay(rng)), &installed, &tally));
  }
  // A last import, unkilled, must go through: nothing is left locked.
  const int64_t old = installed;
  ChildOutcome last = RunChild(installed + 1, std::nullopt);
  EXPECT_EQ(last.exit_code, kChildImported);
  ASSERT_NO_FATAL_FAILURE(ExpectOldOrNew(old, &installed));
  EXPECT_EQ(installed, old + 1);

  const int unfinished =
      tally.before_import + tally.verifying + tally.in_transaction;
  std::printf(
      "[ crash    ] %s: %d rounds: killed before the import %d, while "
      "verifying %d, between verification and commit (write transaction) %d, "
      "after the commit %d; "
      "finished before the kill %d; ABORTED %d; installed v1 -> v%lld\n",
      GetParam().c_str(), kKillRounds, tally.before_import, tally.verifying,
      tally.in_transaction, tally.after_commit, tally.completed, tally.aborted,
      static_cast<long long>(installed));
  if (GetParam() == "postgresql") {
    std::printf(
        "[ crash    ] postgresql: a killed client's backend was still "
        "connected after %d of %d rounds; longest wait until gone %s; last "
        "import %s\n",
        tally.lingering_backends, kKillRounds,
        absl::FormatDuration(tally.longest_backend_wait).c_str(),
        absl::FormatDuration(last.elapsed).c_str());
  }
  std::printf("[ crash    ] %s: %s in all\n", GetParam().c_str(),
              absl::FormatDuration(absl::Now() - test_start).c_str());
  std::fflush(stdout);
  EXPECT_GT(unfinished, 0) << "no kill landed before the child finished";
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportCrashTest,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param;
                         });

}  // namespace
}  // namespace superlicense::client
