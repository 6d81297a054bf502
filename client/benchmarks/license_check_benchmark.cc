// Benchmarks of the run-time license checks: LicenseView::Has on a view of
// 100 modules and 1,000 associates (each holding 10 user licenses), and
// LiveLicenseView::Refresh when nothing changed (one change-stamp read).
// The CRM database is SQLite in a temporary directory.
//
//   build/bin/license_check_benchmark
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "client/crm_database.h"
#include "client/license_importer.h"
#include "client/license_view.h"
#include "keys/license_set_envelope.h"
#include "keys/public_key_file.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"

namespace superlicense::client {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kNow = 1798761600;  // 2027-01-01
constexpr char kSerial[] = "1010000014";
constexpr char kOwner[] = "SUPEROFFICE";
constexpr int kModules = 100;
constexpr int kSystemModules = 10;
constexpr int kAssociates = 1000;
constexpr int kHeldPerAssociate = 10;

class FixedClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(kNow); }
};

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::abort();
  }
}

template <typename T>
T Get(absl::StatusOr<T> value, const char* what) {
  Check(value.status(), what);
  return *std::move(value);
}

std::string ModuleName(int i) { return absl::StrCat("module-", i, "-cal"); }

v1::LicenseSet MakeSet() {
  v1::LicenseSet set;
  set.mutable_owner()->set_owner_name(kOwner);
  set.mutable_customer()->set_company_name("Benchmark AS");
  set.mutable_customer()->set_serial(kSerial);
  set.mutable_site()->set_kind(v1::SITE_KIND_CENTRAL);
  set.set_version(1);
  set.set_issued_at(kNow - 3600);
  set.set_expiration(kNow + 300 * kDay);
  set.set_grace_to(kNow + 330 * kDay);
  for (int i = 0; i < kModules; ++i) {
    v1::ModuleLicense* m = set.add_module_licenses();
    m->set_module_name(ModuleName(i));
    m->set_description(absl::StrCat("Module ", i));
    const bool system = i < kSystemModules;
    m->set_license_type(system ? v1::LICENSE_TYPE_SYSTEM
                               : v1::LICENSE_TYPE_USER);
    m->set_license_number(system ? 1 : kAssociates);
    m->set_allowed_assocs_mask(system ? 0 : 1);
    m->set_sort_order(10 * (i + 1));
  }
  return set;
}

// The database, trust and view shared by every benchmark.
struct Fixture {
  std::string dir;
  std::unique_ptr<keys::TrustStore> trust;
  FixedClock clock;
  std::unique_ptr<CrmDatabase> db;
  std::shared_ptr<const LicenseView> view;
  std::vector<int64_t> associates;

  Fixture() {
    char pattern[] = "/tmp/license_check_benchmark.XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      Check(absl::InternalError("mkdtemp failed"), "temporary directory");
    }
    dir = pattern;
    db = Get(CrmDatabase::Open("sqlite:" + dir + "/crm.db"), "open");
    ImportSet();
    Assign();
    view = Get(LicenseView::Load(*db, *trust, clock), "load");
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  void ImportSet() {
    auto root = Get(
        keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519), "key");
    auto owner_key = Get(
        keys::GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519), "key");
    v1::TrustBundle bundle;
    bundle.set_version(1);
    bundle.set_threshold(1);
    *bundle.add_root_keys() = keys::PublicKeyOf(*root, "root-1");
    trust = std::make_unique<keys::TrustStore>(
        Get(keys::TrustStore::FromAnchor(
                Get(keys::SignTrustBundle(*root, bundle), "bundle")),
            "trust"));
    v1::OwnerKeyCertificate c;
    c.set_owner_name(kOwner);
    *c.mutable_key() = keys::PublicKeyOf(*owner_key, "");
    c.set_issued_at(kNow - 30 * kDay);
    c.set_valid_from(kNow - 30 * kDay);
    c.set_valid_until(kNow + 365 * kDay);
    v1::SignedPublicKey certificate =
        Get(keys::CertifyOwnerKey(*root, c), "certify");
    auto envelope =
        Get(keys::SignLicenseSet(MakeSet(), *owner_key, certificate), "sign");
    {
      auto txn = Get(db->BeginWrite(), "begin");
      Check(txn->SetInstallation(
                {kSerial, "Benchmark AS", SiteKind::kCentral, 0}),
            "installation");
      Check(txn->Commit(), "commit");
    }
    LicenseImporter importer(trust.get(), &clock);
    Check(importer.Import(*db, envelope).status(), "import");
  }

  // 1,000 associates with 10 user licenses each, in one transaction.
  void Assign() {
    auto txn = Get(db->BeginWrite(), "begin");
    OwnerView owner = Get(txn->GetOwner(kOwner), "owner");
    for (int a = 0; a < kAssociates; ++a) {
      const int64_t id = Get(
          txn->AddAssociate({0, absl::StrCat("user-", a), 1, true}), "assoc");
      associates.push_back(id);
      for (int k = 0; k < kHeldPerAssociate; ++k) {
        const int module =
            kSystemModules + (a + 7 * k) % (kModules - kSystemModules);
        AssocLinkRecord link;
        link.module_license_id = owner.modules[module].id;
        link.assoc_id = id;
        Check(txn->InsertAssocLink(link).status(), "link");
      }
    }
    Check(txn->Commit(), "commit");
  }
};

Fixture& Shared() {
  static Fixture fixture;  // removes its directory at exit
  return fixture;
}

// Queries cycling through associates and modules: about 10% held, 10%
// system licenses, the rest not held.
void BM_Has(benchmark::State& state, bool prefixed) {
  Fixture& f = Shared();
  std::vector<std::string> modules;
  for (int i = 0; i < kModules; ++i) {
    modules.push_back(prefixed ? absl::StrCat("superoffice.", ModuleName(i))
                               : ModuleName(i));
  }
  size_t i = 0;
  int64_t granted = 0;
  for (auto _ : state) {
    const int64_t assoc = f.associates[i % f.associates.size()];
    const std::string& module = modules[(i * 31) % modules.size()];
    granted += f.view->Has(assoc, module);
    ++i;
  }
  benchmark::DoNotOptimize(granted);
  state.counters["granted"] =
      static_cast<double>(granted) / static_cast<double>(i);
}
BENCHMARK_CAPTURE(BM_Has, bare, false);
BENCHMARK_CAPTURE(BM_Has, owner_prefixed, true);

void BM_HasMultiThreaded(benchmark::State& state) {
  Fixture& f = Shared();
  const std::string module = ModuleName(kSystemModules + 3);
  size_t i = static_cast<size_t>(state.thread_index()) * 101;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        f.view->Has(f.associates[i++ % f.associates.size()], module));
  }
}
BENCHMARK(BM_HasMultiThreaded)->Threads(1)->Threads(2);

void BM_LiveHas(benchmark::State& state) {
  Fixture& f = Shared();
  LiveLicenseView live(f.trust.get(), &f.clock);
  Check(live.Refresh(*f.db).status(), "refresh");
  const std::string module = ModuleName(kSystemModules + 3);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        live.Has(f.associates[i++ % f.associates.size()], module));
  }
}
BENCHMARK(BM_LiveHas);

void BM_RefreshUnchanged(benchmark::State& state) {
  Fixture& f = Shared();
  LiveLicenseView live(f.trust.get(), &f.clock);
  Check(live.Refresh(*f.db).status(), "refresh");
  for (auto _ : state) {
    absl::StatusOr<bool> reloaded = live.Refresh(*f.db);
    if (!reloaded.ok() || *reloaded) state.SkipWithError("reloaded");
  }
}
BENCHMARK(BM_RefreshUnchanged);

// A full load: every row read and compared, every signature verified.
void BM_Load(benchmark::State& state) {
  Fixture& f = Shared();
  for (auto _ : state) {
    benchmark::DoNotOptimize(LicenseView::Load(*f.db, *f.trust, f.clock));
  }
}
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace superlicense::client

BENCHMARK_MAIN();
