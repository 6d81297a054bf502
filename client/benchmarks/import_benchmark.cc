// What accepting a license set costs a client: the chain and signature check
// alone (TrustStore::VerifyLicenseSet), and the whole import into SQLite and
// into PostgreSQL (LicenseImporter::Import: verify, then one write
// transaction replacing the owner's rows), for sets of 10, 100, 1,000 and
// 10,000 module rows. Each import is a
// new version of the same set on one database, as in production; signing the
// next version is not timed. The SQLite file lives in a temporary directory
// (TMPDIR), so the figures include its fsyncs (synchronous=FULL); the
// PostgreSQL variant runs against a real server the benchmark starts. Sets
// of 64 rows or more verify their rows on every core, so real time, not CPU
// time, is the figure to read.
//   build/bin/import_benchmark --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "client/crm_database.h"
#include "client/license_importer.h"
#include "tests/support/client_fixture.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace superlicense::client {
namespace {

using ::superlicense::testing::ClientPki;

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

const ClientPki& Pki() {
  static const ClientPki* pki = new ClientPki(OrDie(ClientPki::Create()));
  return *pki;
}

v1::SignedLicenseSet SignedSet(uint64_t version, int rows) {
  return OrDie(Pki().Sign(testing::MakeLicenseSet(
      testing::kClientSerial, version, testing::MakeModuleRows(rows))));
}

void BM_VerifyLicenseSet(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const v1::SignedLicenseSet envelope = SignedSet(1, rows);
  const absl::Time now = absl::FromUnixSeconds(testing::kClientNow);
  for (auto _ : state) {
    auto verified = Pki().trust().VerifyLicenseSet(envelope, now);
    if (!verified.ok()) {
      state.SkipWithError(verified.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.counters["envelope_bytes"] =
      static_cast<double>(envelope.ByteSizeLong());
}
BENCHMARK(BM_VerifyLicenseSet)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Imports a new version of a `rows`-row set per iteration into a fresh
// installation on `backend`.
void VerifyAndImport(benchmark::State& state, const char* backend) {
  const int rows = static_cast<int>(state.range(0));
  testing::TempDir temp;
  testing::OpenedDatabase opened =
      OrDie(testing::OpenInstalledDatabase(backend, temp, "crm.db"));
  testing::FakeClock clock(absl::FromUnixSeconds(testing::kClientNow));
  const LicenseImporter importer(&Pki().trust(), &clock);
  uint64_t version = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const v1::SignedLicenseSet envelope = SignedSet(++version, rows);
    state.ResumeTiming();
    absl::StatusOr<ImportResult> result = importer.Import(*opened.db, envelope);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * rows);
}

void BM_VerifyAndImportSqlite(benchmark::State& state) {
  VerifyAndImport(state, "sqlite");
}
BENCHMARK(BM_VerifyAndImportSqlite)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same on a real PostgreSQL server that the benchmark starts (as the
// tests do: an unprivileged user, a temporary directory).
void BM_VerifyAndImportPostgres(benchmark::State& state) {
  VerifyAndImport(state, "postgresql");
}
BENCHMARK(BM_VerifyAndImportPostgres)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace superlicense::client

BENCHMARK_MAIN();
