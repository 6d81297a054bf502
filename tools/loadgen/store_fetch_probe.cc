// store_fetch_probe: what a fetch's two store lookups cost on a stopped
// authority's store, and why: for each customer of a credentials file
// (store_bulk_load --credentials-out), in a shuffled order, the newest
// version (all a "not modified" answer reads) and then the newest valid set
// in its stored bytes (what a full answer adds), timed, with RocksDB's read
// counts for each: blocks found in the block cache, index partitions,
// filter partitions and data blocks read from the files, the time spent
// reading and decompressing them. The first pass starts with an empty block
// cache; later passes show the settled state. (tools/loadgen-scale gives
// the same fetches end to end.)
//   store_fetch_probe --data-dir DIR --credentials FILE [--owner SUPEROFFICE]
//     [--block-cache-mib 64] [--passes 3]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "authority/store/authority_store.h"
#include "authority/store/rocks_store.h"
#include "keys/clock.h"
#include "keys/status_macros.h"

namespace superlicense::authority {
namespace {

struct Flags {
  std::string data_dir, credentials, owner = "SUPEROFFICE";
  int64_t cache_mib = 64;
  int passes = 3;
};

// One kind of lookup over a pass: its latencies and summed read counts.
struct LookupCost {
  std::vector<double> micros;
  ReadCounts sum;

  void Add(double us, const ReadCounts& counts) {
    micros.push_back(us);
    sum.cache_hits += counts.cache_hits;
    sum.index_reads += counts.index_reads;
    sum.filter_reads += counts.filter_reads;
    sum.data_reads += counts.data_reads;
    sum.bytes_read += counts.bytes_read;
    sum.read_nanos += counts.read_nanos;
    sum.decompress_nanos += counts.decompress_nanos;
    sum.files_nanos += counts.files_nanos;
  }

  void Print(const char* what) {
    std::sort(micros.begin(), micros.end());
    const double n = static_cast<double>(micros.size());
    double total = 0;
    for (double us : micros) total += us;
    std::printf(
        "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f "
        "| %.2f |\n",
        what, micros[micros.size() / 2], total / n, sum.cache_hits / n,
        sum.index_reads / n, sum.filter_reads / n, sum.data_reads / n,
        sum.bytes_read / n / 1024.0, sum.read_nanos / n / 1000.0,
        sum.decompress_nanos / n / 1000.0, sum.files_nanos / n / 1000.0);
  }
};

absl::StatusOr<std::vector<std::string>> ReadSerials(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--credentials: cannot read ", path));
  }
  std::vector<std::string> serials;
  std::string line;
  while (std::getline(in, line)) {
    const size_t dot = line.find('.');
    if (dot == std::string::npos || dot == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--credentials ", path, " line ", serials.size() + 1,
                       ": not an installation credential (SERIAL.SECRET)"));
    }
    serials.push_back(line.substr(0, dot));
  }
  if (serials.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--credentials ", path, ": no credential"));
  }
  return serials;
}

double MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now() - start)
      .count();
}

absl::Status Probe(const Flags& flags) {
  ASSIGN_OR_RETURN(std::vector<std::string> serials,
                   ReadSerials(flags.credentials));
  StoreOptions options;
  options.block_cache_bytes = static_cast<size_t>(flags.cache_mib) << 20;
  ASSIGN_OR_RETURN(
      auto store,
      AuthorityStore::Open(flags.data_dir, &SystemClock::Get(), options));
  std::printf(
      "%zu customers, block cache %lld MiB; per lookup: p50 and mean us, "
      "blocks from the cache, index / filter partitions and data blocks read "
      "from the files, KiB read, us reading, us decompressing, us in the "
      "files in all\n",
      serials.size(), static_cast<long long>(flags.cache_mib));
  std::mt19937_64 random(7);
  for (int pass = 1; pass <= flags.passes; ++pass) {
    std::shuffle(serials.begin(), serials.end(), random);
    LookupCost newest_cost, set_cost;
    for (const std::string& serial : serials) {
      StartCountingReads();
      auto start = std::chrono::steady_clock::now();
      ASSIGN_OR_RETURN(uint64_t newest,
                       store->NewestVersion(flags.owner, serial));
      newest_cost.Add(MicrosSince(start), ReadCountsSinceStart());
      if (newest == 0) {
        return absl::NotFoundError(
            absl::StrCat(serial, " has no set of ", flags.owner));
      }
      StartCountingReads();
      start = std::chrono::steady_clock::now();
      ASSIGN_OR_RETURN(
          std::optional<EncodedSet> set,
          store->NewestValidEncodedSetBetween(flags.owner, serial, newest, 1));
      set_cost.Add(MicrosSince(start), ReadCountsSinceStart());
      if (!set.has_value()) {
        return absl::NotFoundError(absl::StrCat(serial, " has no valid set"));
      }
    }
    std::printf(
        "\npass %d\n\n| lookup | p50 us | mean us | cache hits | index reads "
        "| filter reads | data reads | KiB read | us reading | us "
        "decompressing | us in files |\n|---|---:|---:|---:|---:|---:|---:|"
        "---:|---:|---:|---:|\n",
        pass);
    newest_cost.Print("newest version");
    set_cost.Print("set");
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace superlicense::authority

int main(int argc, char** argv) {
  superlicense::authority::Flags flags;
  CLI::App app{"store_fetch_probe: what a fetch's store lookups cost"};
  app.add_option("--data-dir", flags.data_dir, "A stopped authority's store")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--credentials", flags.credentials,
                 "Credentials of the customers to look up, one per line")
      ->required();
  app.add_option("--owner", flags.owner, "Owner of the sets");
  app.add_option("--block-cache-mib", flags.cache_mib, "Block cache size")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  app.add_option("--passes", flags.passes, "Passes over the customers")
      ->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);
  const absl::Status status = superlicense::authority::Probe(flags);
  if (!status.ok()) {
    std::fprintf(stderr, "store_fetch_probe: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
