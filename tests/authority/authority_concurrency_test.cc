// LicenseAuthority under concurrent calls: threads issue, fetch, revoke and
// read the license sets of a few customers at once on a real RocksDB store,
// checking the promises of authority/store/authority_store.h while they run
// (versions 1, 2, 3, ... per customer; a fetch offers only newer, unrevoked
// sets) and the whole history and the audit chain afterwards.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "authority/service/license_authority.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/public_key_file.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/signing_identity.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace superlicense::authority {
namespace {

using ::superlicense::testing::FakeClock;
using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;
using ::superlicense::testing::TempDir;

constexpr int64_t kNow = 1800000000;  // 2027-01-15
constexpr int64_t kYear = 365 * 86400;
constexpr int kThreads = 8;
constexpr int kCallsPerThread = 40;
constexpr int kCustomers = 3;

const Caller kIssuer{"alice", RoleSet{Role::kIssuer}, ""};

v1::ModuleGrant Grant(const std::string& name, uint32_t count) {
  v1::ModuleGrant grant;
  grant.set_module_name(name);
  grant.set_license_number(count);
  return grant;
}

// What the threads have seen completed, per customer. A version enters
// `revoked` only after its RevokeLicenseSet returned OK, so a snapshot taken
// before a call lists versions the call must see revoked.
class Ledger {
 public:
  void Issued(int customer, uint64_t version) {
    std::lock_guard<std::mutex> lock(mu_);
    issued_[customer].push_back(version);
  }
  // False when the version was revoked successfully before.
  bool Revoked(int customer, uint64_t version) {
    std::lock_guard<std::mutex> lock(mu_);
    return revoked_[customer].insert(version).second;
  }
  std::set<uint64_t> RevokedSnapshot(int customer) const {
    std::lock_guard<std::mutex> lock(mu_);
    return revoked_[customer];
  }
  std::vector<uint64_t> IssuedVersions(int customer) const {
    std::lock_guard<std::mutex> lock(mu_);
    return issued_[customer];
  }
  // A version issued so far, picked with `rng`; 0 when none is.
  uint64_t AnyIssued(int customer, std::mt19937& rng) const {
    std::lock_guard<std::mutex> lock(mu_);
    const std::vector<uint64_t>& issued = issued_[customer];
    if (issued.empty()) return 0;
    return issued[std::uniform_int_distribution<size_t>(
        0, issued.size() - 1)(rng)];
  }

 private:
  mutable std::mutex mu_;
  std::vector<uint64_t> issued_[kCustomers] ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> revoked_[kCustomers] ABSL_GUARDED_BY(mu_);
};

class AuthorityConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = AuthorityStore::Open(dir_.File("db"), &clock_);
    ASSERT_OK(store.status());
    store_ = *std::move(store);
    auto catalog = Catalog::LoadFile(kDefaultCatalogPath);
    ASSERT_OK(catalog.status());
    ASSERT_OK_AND_ASSIGN(testing::TestSigningIdentity made,
                         testing::MakeTestSigningIdentity(kNow));
    root_ = std::move(made.root);
    SigningIdentity identity = std::move(made.identity);
    trust_ = std::make_unique<keys::TrustStore>(
        *keys::TrustStore::FromAnchor(identity.trust_bundle));
    authority_ = std::make_unique<LicenseAuthority>(
        store_.get(), *std::move(catalog), std::move(identity), &clock_);

    for (int c = 0; c < kCustomers; ++c) {
      v1::CreateCustomerRequest request;
      request.set_company_name(absl::StrCat("Company ", c));
      ASSERT_OK_AND_ASSIGN(auto created,
                           authority_->CreateCustomer(kIssuer, request));
      serials_.push_back(created.customer().customer().serial());
    }
  }

  v1::IssueLicenseSetRequest IssueRequest(int customer) const {
    v1::IssueLicenseSetRequest request;
    request.set_serial(serials_[customer]);
    request.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
    *request.add_modules() = Grant("ten-sales-premium", 10);
    *request.add_modules() = Grant("user", 5);
    request.set_expiration(kNow + kYear);
    request.set_grace_to(kNow + kYear + 30 * 86400);
    return request;
  }

  Caller Installation(int customer) const {
    return Caller{InstallationPrincipalName(serials_[customer]),
                  RoleSet{Role::kInstallation}, serials_[customer]};
  }

  uint64_t AuditEvents() {
    auto chain = store_->VerifyAudit();
    EXPECT_TRUE(chain.ok() && chain->intact());
    return chain.ok() ? chain->events_checked() : 0;
  }

  // Every set of `customer`, newest first, read page by page.
  std::vector<v1::IssuedLicenseSet> ListAll(int customer) {
    std::vector<v1::IssuedLicenseSet> all;
    v1::ListLicenseSetsRequest request;
    request.set_serial(serials_[customer]);
    request.set_page_size(7);
    do {
      auto page = authority_->ListLicenseSets(kIssuer, request);
      EXPECT_OK(page.status());
      if (!page.ok()) break;
      all.insert(all.end(), page->sets().begin(), page->sets().end());
      request.set_page_token(page->next_page_token());
    } while (!request.page_token().empty());
    return all;
  }

  // One thread's share of the calls; see the checks in each case.
  void RunCalls(int thread, uint64_t* mutating_calls);
  void Issue(int customer, uint64_t* last_issued);
  void Fetch(int customer, uint64_t* seen);
  void Revoke(int customer, uint64_t version);
  void Get(int customer, uint64_t version);
  void List(int customer);

  TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(kNow)};
  std::unique_ptr<AuthorityStore> store_;
  std::unique_ptr<keys::Signer> root_;
  std::unique_ptr<keys::TrustStore> trust_;
  std::unique_ptr<LicenseAuthority> authority_;
  std::vector<std::string> serials_;
  Ledger ledger_;
};

// Versions a thread is issued for one customer only grow.
void AuthorityConcurrencyTest::Issue(int customer, uint64_t* last_issued) {
  auto issued = authority_->IssueLicenseSet(kIssuer, IssueRequest(customer));
  ASSERT_OK(issued.status());
  EXPECT_EQ(issued->serial(), serials_[customer]);
  EXPECT_GT(issued->version(), *last_issued);
  EXPECT_EQ(issued->revoked_at(), 0);
  *last_issued = issued->version();
  ledger_.Issued(customer, issued->version());
}

// Like an installation: asks for anything newer than what it holds. The
// answer is newer, signed, and not revoked before the call.
void AuthorityConcurrencyTest::Fetch(int customer, uint64_t* seen) {
  const std::set<uint64_t> revoked = ledger_.RevokedSnapshot(customer);
  v1::FetchLicenseSetRequest request;
  request.set_serial(serials_[customer]);
  request.set_installed_version(*seen);
  auto fetched = authority_->FetchLicenseSet(Installation(customer), request);
  ASSERT_OK(fetched.status());
  if (!fetched->modified()) return;
  auto verified = trust_->VerifyLicenseSet(fetched->signed_set(), clock_.Now());
  ASSERT_OK(verified.status());
  const v1::LicenseSet& set = verified->set;
  EXPECT_EQ(set.customer().serial(), serials_[customer]);
  EXPECT_GT(set.version(), *seen) << "fetch went backwards";
  EXPECT_EQ(revoked.count(set.version()), 0u)
      << "fetch returned revoked version " << set.version();
  *seen = std::max(*seen, set.version());
}

// Exactly one revocation of a version succeeds; the others are refused.
void AuthorityConcurrencyTest::Revoke(int customer, uint64_t version) {
  v1::RevokeLicenseSetRequest request;
  request.set_serial(serials_[customer]);
  request.set_version(version);
  request.set_reason("concurrency test");
  auto revoked = authority_->RevokeLicenseSet(kIssuer, request);
  if (revoked.ok()) {
    EXPECT_NE(revoked->revoked_at(), 0);
    EXPECT_TRUE(ledger_.Revoked(customer, version))
        << "version " << version << " revoked twice";
  } else {
    EXPECT_THAT(revoked.status(),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

// A version revoked before the call reads as revoked.
void AuthorityConcurrencyTest::Get(int customer, uint64_t version) {
  const std::set<uint64_t> revoked = ledger_.RevokedSnapshot(customer);
  v1::GetLicenseSetRequest request;
  request.set_serial(serials_[customer]);
  request.set_version(version);
  auto got = authority_->GetLicenseSet(kIssuer, request);
  ASSERT_OK(got.status());
  EXPECT_EQ(got->version(), version);
  if (revoked.count(version) != 0) {
    EXPECT_NE(got->revoked_at(), 0);
  }
}

// The history is contiguous from the newest version down to 1 and covers
// every version issued before the call.
void AuthorityConcurrencyTest::List(int customer) {
  const std::set<uint64_t> revoked = ledger_.RevokedSnapshot(customer);
  const std::vector<uint64_t> issued = ledger_.IssuedVersions(customer);
  const uint64_t known_newest =
      issued.empty() ? 0 : *std::max_element(issued.begin(), issued.end());
  const std::vector<v1::IssuedLicenseSet> sets = ListAll(customer);
  ASSERT_GE(sets.size(), known_newest);
  for (size_t i = 0; i < sets.size(); ++i) {
    EXPECT_EQ(sets[i].version(), sets.size() - i);
    if (revoked.count(sets[i].version()) != 0) {
      EXPECT_NE(sets[i].revoked_at(), 0);
    }
  }
}

void AuthorityConcurrencyTest::RunCalls(int thread, uint64_t* mutating_calls) {
  std::mt19937 rng(1000 + thread);
  uint64_t seen[kCustomers] = {};
  uint64_t last_issued[kCustomers] = {};
  for (int call = 0; call < kCallsPerThread; ++call) {
    const int customer = static_cast<int>(rng() % kCustomers);
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 35) {
      Issue(customer, &last_issued[customer]);
      ++*mutating_calls;
    } else if (kind < 60) {
      Fetch(customer, &seen[customer]);
    } else if (kind < 85) {
      const uint64_t version = ledger_.AnyIssued(customer, rng);
      if (version == 0) continue;
      if (kind < 70) {
        Revoke(customer, version);
        ++*mutating_calls;
      } else {
        Get(customer, version);
      }
    } else {
      List(customer);
    }
  }
}

TEST_F(AuthorityConcurrencyTest, ConcurrentIssueFetchRevokeKeepHistory) {
  const uint64_t audit_before = AuditEvents();
  std::vector<uint64_t> mutating_calls(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(
        [this, t, &mutating_calls] { RunCalls(t, &mutating_calls[t]); });
  }
  for (std::thread& thread : threads) thread.join();

  uint64_t mutating = 0;
  for (uint64_t calls : mutating_calls) mutating += calls;
  size_t revoked_total = 0;
  for (int c = 0; c < kCustomers; ++c) {
    SCOPED_TRACE(absl::StrCat("customer ", serials_[c]));
    // Versions 1..N, each issued exactly once.
    std::vector<uint64_t> issued = ledger_.IssuedVersions(c);
    std::sort(issued.begin(), issued.end());
    for (size_t i = 0; i < issued.size(); ++i) {
      EXPECT_EQ(issued[i], i + 1) << "gap or repeat";
    }
    ASSERT_OK_AND_ASSIGN(uint64_t newest,
                         store_->NewestVersion("SUPEROFFICE", serials_[c]));
    EXPECT_EQ(newest, issued.size());

    // Exactly the versions revoked successfully are revoked, and stay so.
    const std::set<uint64_t> revoked = ledger_.RevokedSnapshot(c);
    revoked_total += revoked.size();
    const std::vector<v1::IssuedLicenseSet> sets = ListAll(c);
    ASSERT_EQ(sets.size(), issued.size());
    uint64_t newest_valid = 0;
    for (const v1::IssuedLicenseSet& set : sets) {
      const bool want_revoked = revoked.count(set.version()) != 0;
      EXPECT_EQ(set.revoked_at() != 0, want_revoked)
          << "version " << set.version();
      if (!want_revoked) newest_valid = std::max(newest_valid, set.version());
    }

    // A fresh installation gets the newest version not revoked.
    v1::FetchLicenseSetRequest fetch;
    fetch.set_serial(serials_[c]);
    ASSERT_OK_AND_ASSIGN(auto fetched,
                         authority_->FetchLicenseSet(Installation(c), fetch));
    EXPECT_EQ(fetched.modified(), newest_valid != 0);
    if (fetched.modified()) {
      v1::LicenseSet set;
      ASSERT_TRUE(set.ParseFromString(fetched.signed_set().payload()));
      EXPECT_EQ(set.version(), newest_valid);
    }
  }
  // The run did what it is meant to exercise.
  EXPECT_GT(mutating, 0u);
  EXPECT_GT(revoked_total, 0u);

  // Every mutating call, refused or not, is one event of an intact chain.
  EXPECT_EQ(AuditEvents(), audit_before + mutating);
}

}  // namespace
}  // namespace superlicense::authority
