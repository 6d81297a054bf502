// What the authority costs in-process, without gRPC, on a real RocksDB store:
//  * BM_IssueSet/ROWS: LicenseAuthority::IssueLicenseSet of a set with 10, 50
//    or 500 module rows (validation, catalogue expansion, signing, one synced
//    write with the audit event), one caller at a time;
//  * BM_IssueConcurrently/threads:N: 10-row sets from N threads, each for its
//    own customer, so concurrent writers share syncs (group commit);
//  * BM_FetchAtScale/SETS: FetchEncodedLicenseSet (what the service sends)
//    of a random customer's newest set (a full answer, and "not modified")
//    on a store bulk-loaded with 1,000, 100,000 or 1,000,000 sets (ten
//    versions per customer), with the process's resident memory after the
//    load.
// The store lives in a temporary directory (TMPDIR); its fsyncs are real.
//   build/bin/issue_benchmark --benchmark_filter=Issue
//   build/bin/issue_benchmark --benchmark_filter=FetchAtScale
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "authority/catalog/catalog.h"
#include "authority/service/license_authority.h"
#include "authority/store/authority_store.h"
#include "keys/public_key_file.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"
#include "proto/superlicense/serial_number.h"
#include "tests/support/fake_clock.h"
#include "tests/support/signing_identity.h"
#include "tests/support/temp_dir.h"

namespace superlicense::authority {
namespace {

using ::superlicense::testing::FakeClock;
using ::superlicense::testing::TempDir;

constexpr int64_t kNow = 1800000000;  // 2027-01-15
constexpr int64_t kYear = 365 * 86400;
constexpr char kOwner[] = "SUPEROFFICE";
constexpr int kExtraModules = 500;  // "bench-0" .. "bench-499" (USER)

const Caller kStaff{"bench", RoleSet::All(), ""};

// Aborts the benchmark binary on a set-up failure.
template <typename T>
T OrDie(absl::StatusOr<T> value) {
  if (!value.ok()) {
    std::fprintf(stderr, "set-up failed: %s\n",
                 value.status().ToString().c_str());
    std::abort();
  }
  return *std::move(value);
}
void OrDie(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "set-up failed: %s\n", status.ToString().c_str());
    std::abort();
  }
}

// An authority on its own store, with kExtraModules more USER modules in
// the catalogue so that sets of up to 500 rows can be issued.
class Authority {
 public:
  explicit Authority(StoreOptions options = {}) {
    store_ = OrDie(AuthorityStore::Open(dir_.File("db"), &clock_, options));
    authority_ = std::make_unique<LicenseAuthority>(
        store_.get(), OrDie(Catalog::LoadFile(kDefaultCatalogPath)),
        OrDie(testing::MakeTestSigningIdentity(kNow)).identity, &clock_);
    for (int i = 0; i < kExtraModules; ++i) {
      v1::CatalogEntry entry;
      entry.set_owner_name(kOwner);
      v1::ModuleLicense& module = *entry.mutable_module();
      module.set_module_name(absl::StrCat("bench-", i));
      module.set_description("Benchmark module");
      module.set_license_type(v1::LICENSE_TYPE_USER);
      module.set_allowed_assocs_mask(1);
      module.set_sort_order(100000 + i);
      OrDie(authority_->PutCatalogEntry(kStaff, entry));
    }
  }

  LicenseAuthority& authority() { return *authority_; }
  AuthorityStore& store() { return *store_; }

  std::string NewCustomer() {
    v1::CreateCustomerRequest request;
    request.set_company_name("Benchmark Company AS");
    return OrDie(authority_->CreateCustomer(kStaff, request))
        .customer()
        .customer()
        .serial();
  }

 private:
  TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(kNow)};
  std::unique_ptr<AuthorityStore> store_;
  std::unique_ptr<LicenseAuthority> authority_;
};

// A request for `rows` rows: "user" plus rows - 1 benchmark modules.
v1::IssueLicenseSetRequest IssueRequest(const std::string& serial, int rows) {
  v1::IssueLicenseSetRequest request;
  request.set_serial(serial);
  request.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
  v1::ModuleGrant& user = *request.add_modules();
  user.set_module_name("user");
  user.set_license_number(50);
  for (int i = 0; i < rows - 1; ++i) {
    v1::ModuleGrant& grant = *request.add_modules();
    grant.set_module_name(absl::StrCat("bench-", i));
    grant.set_license_number(10 + i);
  }
  request.set_expiration(kNow + kYear);
  request.set_grace_to(kNow + kYear + 30 * 86400);
  return request;
}

void BM_IssueSet(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  Authority authority;
  const v1::IssueLicenseSetRequest request =
      IssueRequest(authority.NewCustomer(), rows);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        OrDie(authority.authority().IssueLicenseSet(kStaff, request)));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * rows),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IssueSet)->Arg(10)->Arg(50)->Arg(500)->UseRealTime();

// One authority with 16 customers for every run; thread i issues for
// customer i. Made once, on first use (static initialisation is
// thread-safe).
struct SharedAuthority {
  Authority authority;
  std::vector<std::string> serials;
};
SharedAuthority& Shared() {
  static SharedAuthority* shared = [] {
    auto* made = new SharedAuthority();
    for (int i = 0; i < 16; ++i) {
      made->serials.push_back(made->authority.NewCustomer());
    }
    return made;
  }();
  return *shared;
}

void BM_IssueConcurrently(benchmark::State& state) {
  SharedAuthority& shared = Shared();
  const v1::IssueLicenseSetRequest request =
      IssueRequest(shared.serials[state.thread_index()], 10);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        OrDie(shared.authority.authority().IssueLicenseSet(kStaff, request)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IssueConcurrently)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->UseRealTime();

// Resident memory of this process, in MiB (VmRSS of /proc/self/status).
double ResidentMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
    }
  }
  return 0;
}

// A store bulk-loaded with `sets` sets, ten versions per customer. The sets
// are copies of one real signed set: fetching returns stored bytes, so their
// content does not change what a fetch costs. Writes are not synced during
// the load (StoreOptions), which only makes loading faster.
struct LoadedStore {
  std::unique_ptr<Authority> authority;
  std::vector<std::string> serials;
  double resident_mib = 0;
};

LoadedStore* Loaded(int64_t sets, int64_t cache_mib) {
  static auto* stores =
      new std::map<std::pair<int64_t, int64_t>, std::unique_ptr<LoadedStore>>();
  std::unique_ptr<LoadedStore>& loaded = (*stores)[{sets, cache_mib}];
  if (loaded != nullptr) return loaded.get();
  loaded = std::make_unique<LoadedStore>();
  StoreOptions bulk;
  bulk.sync_writes = false;
  bulk.block_cache_bytes = static_cast<size_t>(cache_mib) << 20;
  loaded->authority = std::make_unique<Authority>(bulk);
  Authority& authority = *loaded->authority;
  const v1::SignedLicenseSet template_set =
      OrDie(authority.authority().IssueLicenseSet(
                kStaff, IssueRequest(authority.NewCustomer(), 10)))
          .signed_set();
  const AuditEntry audit{"bench", "BulkLoad", "", "ok"};
  const int64_t customers = sets / 10;
  for (int64_t c = 0; c < customers; ++c) {
    StoredCustomer customer;
    const std::string serial =
        OrDie(SerialFromBody(static_cast<uint64_t>(200000000 + c)));
    customer.mutable_record()->mutable_customer()->set_serial(serial);
    customer.mutable_record()->mutable_customer()->set_company_name(
        "Bulk Company AS");
    OrDie(authority.store().CreateCustomer(customer, audit));
    for (int v = 0; v < 10; ++v) {
      OrDie(authority.store().IssueNext(
          kOwner, serial, IdempotencyKey{},
          [&](uint64_t) -> absl::StatusOr<v1::SignedLicenseSet> {
            return template_set;
          },
          audit));
    }
    loaded->serials.push_back(serial);
  }
  // Measured on a settled store, as one that has been running: compacted.
  OrDie(authority.store().Compact());
  loaded->resident_mib = ResidentMiB();
  return loaded.get();
}

void FetchAtScale(benchmark::State& state, bool full) {
  LoadedStore* loaded = Loaded(state.range(0), state.range(1));
  std::mt19937_64 random(42);
  std::uniform_int_distribution<size_t> pick(0, loaded->serials.size() - 1);
  for (auto _ : state) {
    const std::string& serial = loaded->serials[pick(random)];
    v1::FetchLicenseSetRequest request;
    request.set_serial(serial);
    request.set_installed_version(full ? 0 : 10);
    const Caller installation{absl::StrCat("installation:", serial),
                              RoleSet{Role::kInstallation}, serial};
    // What the service answers with: the set in its stored bytes.
    auto newest = OrDie(loaded->authority->authority().FetchEncodedLicenseSet(
        installation, request));
    if (newest.has_value() != full) state.SkipWithError("wrong answer");
    benchmark::DoNotOptimize(newest);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["rss_after_load_MiB"] = loaded->resident_mib;
  state.counters["rss_MiB"] = ResidentMiB();
}
void BM_FetchAtScale_Full(benchmark::State& state) {
  FetchAtScale(state, true);
}
void BM_FetchAtScale_NotModified(benchmark::State& state) {
  FetchAtScale(state, false);
}
// Arguments: stored sets, block cache MiB (the server's default is 64).
void ScaleArguments(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"sets", "cache_MiB"});
  for (int64_t sets : {1000, 100000, 1000000}) benchmark->Args({sets, 64});
  benchmark->Args({1000000, 256});
}
BENCHMARK(BM_FetchAtScale_Full)->Apply(ScaleArguments);
BENCHMARK(BM_FetchAtScale_NotModified)->Apply(ScaleArguments);

}  // namespace
}  // namespace superlicense::authority

BENCHMARK_MAIN();
