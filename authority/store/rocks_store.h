// RocksStore: the one adapter to RocksDB. A key-value store with one column
// family per kind of record, atomic batches written durably (WAL + fsync
// before acknowledging), prefix scans, and checkpoints for backups.
// No RocksDB header leaks out of this file's .cc.
#ifndef SUPERLICENSE_AUTHORITY_STORE_ROCKS_STORE_H_
#define SUPERLICENSE_AUTHORITY_STORE_ROCKS_STORE_H_

#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace superlicense::authority {

// The column families.
enum class Table {
  kCustomers,      // serial -> StoredCustomer
  kCatalog,        // owner/module -> CatalogEntry (additions to the data file)
  kLicenseSets,    // owner/serial/version(8 bytes BE) -> StoredLicenseSet
  kNewestVersion,  // owner/serial -> version (8 bytes BE)
  kAudit,          // sequence (8 bytes BE) -> AuditEvent
  kIdempotency,    // principal \0 key -> IdempotencyRecord
  kKeys,           // key id -> key metadata
  kMeta,           // named singletons (audit head, schema version)
  kUsage,          // owner/serial/YYYY-MM -> StoredUsage
};
inline constexpr int kTableCount = 9;

// Returns the column family name of `table`, e.g. "license_sets".
const char* TableName(Table table);

// A set of writes applied atomically by RocksStore::Commit.
class WriteSet {
 public:
  void Put(Table table, std::string key, std::string value) {
    ops_.push_back({table, std::move(key), std::move(value), false});
  }
  void Delete(Table table, std::string key) {
    ops_.push_back({table, std::move(key), {}, true});
  }
  bool empty() const { return ops_.empty(); }
  // Moves every write of `other` to the end of this set.
  void Append(WriteSet&& other) {
    ops_.insert(ops_.end(), std::make_move_iterator(other.ops_.begin()),
                std::make_move_iterator(other.ops_.end()));
    other.ops_.clear();
  }

 private:
  friend class RocksStore;
  struct Op {
    Table table;
    std::string key;
    std::string value;
    bool is_delete;
  };
  std::vector<Op> ops_;
};

// How a store writes.
struct StoreOptions {
  // Sync the write-ahead log before a commit returns. Only bulk loads for
  // benchmarks turn this off; the server never does.
  bool sync_writes = true;
  // The block cache shared by every table: data blocks, and index and
  // filter partitions.
  size_t block_cache_bytes = size_t{64} << 20;
};

// Thread-safe (RocksDB is).
class RocksStore {
 public:
  // Opens or creates the database in `dir` with every column family.
  // UNAVAILABLE when another process holds it (the LOCK file); INTERNAL or
  // DATA_LOSS for other RocksDB errors, naming the directory.
  static absl::StatusOr<std::unique_ptr<RocksStore>> Open(
      const std::string& dir, StoreOptions store_options = {});
  ~RocksStore();
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

  // Returns the value, or nullopt when the key is absent.
  absl::StatusOr<std::optional<std::string>> Get(Table table,
                                                 absl::string_view key) const;

  // Applies every write at once and (with sync_writes) syncs the WAL before
  // returning: an OK answer means the writes survive a crash.
  absl::Status Commit(const WriteSet& writes);

  // Returns up to `limit` entries whose keys start with `prefix`, from the
  // first key >= `start` (empty: from the prefix), in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(
      Table table, absl::string_view prefix, absl::string_view start,
      size_t limit) const;

  // Returns the last entry whose key starts with `prefix`, or nullopt.
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Last(
      Table table, absl::string_view prefix) const;

  // Writes a consistent copy of the database to `dir` (which must not
  // exist): a backup that RocksStore::Open can use directly.
  absl::Status Checkpoint(const std::string& dir);

  // Compacts every column family down to its last level and returns when
  // done: after a bulk load, reads then find each key in one sorted file.
  absl::Status CompactAll();

 private:
  RocksStore();
  rocksdb::ColumnFamilyHandle* Handle(Table table) const;

  std::string dir_;
  StoreOptions store_options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned by db_
};

// What the store reads on the calling thread cost since StartCountingReads,
// from RocksDB's per-thread perf context: blocks found in the block cache,
// blocks read from the files (index and filter partitions apart), and where
// the time went. For measuring tools (tools/loadgen/store_fetch_probe);
// the server never turns it on.
struct ReadCounts {
  uint64_t cache_hits = 0;
  uint64_t index_reads = 0;   // index partitions read from a file
  uint64_t filter_reads = 0;  // filter partitions read from a file
  uint64_t data_reads = 0;    // data blocks read from a file
  uint64_t bytes_read = 0;
  uint64_t read_nanos = 0;        // reading blocks from the files
  uint64_t decompress_nanos = 0;  // decompressing them
  uint64_t files_nanos = 0;       // all of a lookup spent in the files
};
// Resets this thread's counts and turns timing on for this thread.
void StartCountingReads();
ReadCounts ReadCountsSinceStart();

// Big-endian 8-byte encoding, so numeric keys sort in order.
std::string EncodeU64(uint64_t value);
// Decodes EncodeU64; INTERNAL for a value that is not 8 bytes.
absl::StatusOr<uint64_t> DecodeU64(absl::string_view bytes);

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_STORE_ROCKS_STORE_H_
