#include "authority/store/rocks_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "keys/status_macros.h"

namespace superlicense::authority {
namespace {

constexpr const char* kTableNames[kTableCount] = {
    "customers",      "catalog",   "license_sets",
    "newest_version", "audit_log", "idempotency_keys",
    "key_metadata",   "meta",      "metered_usage"};

// The one translation of rocksdb::Status.
absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", status.ToString());
  if (status.IsIOError() && absl::StrContains(status.ToString(), "lock")) {
    return absl::UnavailableError(message);
  }
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsNotFound()) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

// Options of every column family: point lookups (a fetch reads a customer's
// newest version and its set) stay flat as the store grows, with one block
// cache shared by every family that also holds the index and filter blocks.
// Index and filter are partitioned: a file of a large store (64 MiB of
// sets) has an index of most of a megabyte, which as one block crowded
// itself out of its cache shard and was read again on every lookup (a
// fetch from a compacted store of 100,000 sets took 0.5 ms); in 4 KiB
// partitions under a small pinned top level, a lookup caches only the
// partitions it uses. Index keys share their prefixes (restart interval
// 16): the owner and most of the serial are stored once per 16 entries, so
// a partition covers more sets and more of the index stays cached.
rocksdb::ColumnFamilyOptions FamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.index_type =
      rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.pin_top_level_index_and_filter = true;
  table.index_block_restart_interval = 16;
  rocksdb::ColumnFamilyOptions family;
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return family;
}

// The families a fetch reads, whose lookups find their key: a fetch asks
// for the newest version of a customer it has just authenticated, then for
// that version's set. A Bloom filter can only say "maybe" to them, so the
// last level (where a settled store keeps nearly everything) has none: a
// lookup there that misses the block cache reads an index partition and a
// data block, not a filter partition as well. Other families keep their
// filters, because lookups of absent keys are common there (an unknown
// serial's customer record, a new idempotency key).
bool LookupsFindTheirKey(Table table) {
  return table == Table::kLicenseSets || table == Table::kNewestVersion;
}

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

}  // namespace

const char* TableName(Table table) {
  return kTableNames[static_cast<int>(table)];
}

RocksStore::RocksStore() = default;

RocksStore::~RocksStore() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::Open(
    const std::string& dir, StoreOptions store_options) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.paranoid_checks = true;
  const rocksdb::ColumnFamilyOptions family =
      FamilyOptions(rocksdb::NewLRUCache(store_options.block_cache_bytes));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, family);
  for (int t = 0; t < kTableCount; ++t) {
    rocksdb::ColumnFamilyOptions table_family = family;
    table_family.optimize_filters_for_hits =
        LookupsFindTheirKey(static_cast<Table>(t));
    families.emplace_back(kTableNames[t], table_family);
  }
  std::unique_ptr<RocksStore> store(new RocksStore());
  store->dir_ = dir;
  store->store_options_ = store_options;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      rocksdb::DB::Open(options, dir, families, &handles, &db);
  if (!status.ok()) return FromRocks(status, absl::StrCat("open ", dir));
  store->db_.reset(db);
  db->DestroyColumnFamilyHandle(handles[0]);  // the unused default family
  store->handles_.assign(handles.begin() + 1, handles.end());
  return store;
}

rocksdb::ColumnFamilyHandle* RocksStore::Handle(Table table) const {
  return handles_[static_cast<int>(table)];
}

absl::StatusOr<std::optional<std::string>> RocksStore::Get(
    Table table, absl::string_view key) const {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), Handle(table), ToSlice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) {
    return FromRocks(status, absl::StrCat("read ", TableName(table)));
  }
  return value;
}

absl::Status RocksStore::CompactAll() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction =
      rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    RETURN_IF_ERROR(FromRocks(
        db_->CompactRange(options, handle, nullptr, nullptr), "compact"));
  }
  return absl::OkStatus();
}

absl::Status RocksStore::Commit(const WriteSet& writes) {
  rocksdb::WriteBatch batch;
  for (const WriteSet::Op& op : writes.ops_) {
    rocksdb::Status status =
        op.is_delete
            ? batch.Delete(Handle(op.table), ToSlice(op.key))
            : batch.Put(Handle(op.table), ToSlice(op.key), ToSlice(op.value));
    if (!status.ok()) return FromRocks(status, "prepare write");
  }
  rocksdb::WriteOptions options;
  options.sync = store_options_.sync_writes;
  return FromRocks(db_->Write(options, &batch), "write");
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
RocksStore::Scan(Table table, absl::string_view prefix, absl::string_view start,
                 size_t limit) const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Handle(table)));
  std::vector<std::pair<std::string, std::string>> out;
  it->Seek(ToSlice(start.empty() ? prefix : start));
  for (; it->Valid() && out.size() < limit; it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    if (!absl::StartsWith(key, prefix)) break;
    out.emplace_back(std::string(key), it->value().ToString());
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), absl::StrCat("scan ", TableName(table)));
  }
  return out;
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>>
RocksStore::Last(Table table, absl::string_view prefix) const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Handle(table)));
  // The first key after every key with this prefix, then one step back.
  std::string end(prefix);
  end.push_back('\xff');
  it->SeekForPrev(ToSlice(end));
  if (!it->status().ok()) {
    return FromRocks(it->status(), absl::StrCat("scan ", TableName(table)));
  }
  if (!it->Valid()) return std::nullopt;
  absl::string_view key(it->key().data(), it->key().size());
  if (!absl::StartsWith(key, prefix)) return std::nullopt;
  return std::make_pair(std::string(key), it->value().ToString());
}

absl::Status RocksStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  absl::Status status =
      FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint");
  if (!status.ok()) return status;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir),
                   absl::StrCat("checkpoint to ", dir));
}

void StartCountingReads() {
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableTimeExceptForMutex);
  rocksdb::get_perf_context()->Reset();
}

ReadCounts ReadCountsSinceStart() {
  const rocksdb::PerfContext& perf = *rocksdb::get_perf_context();
  ReadCounts counts;
  counts.cache_hits = perf.block_cache_hit_count;
  counts.index_reads = perf.index_block_read_count;
  counts.filter_reads = perf.filter_block_read_count;
  const uint64_t meta = counts.index_reads + counts.filter_reads;
  counts.data_reads =
      perf.block_read_count > meta ? perf.block_read_count - meta : 0;
  counts.bytes_read = perf.block_read_byte;
  counts.read_nanos = perf.block_read_time;
  counts.decompress_nanos = perf.block_decompress_time;
  counts.files_nanos = perf.get_from_output_files_time;
  return counts;
}

std::string EncodeU64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

absl::StatusOr<uint64_t> DecodeU64(absl::string_view bytes) {
  if (bytes.size() != 8) {
    return absl::InternalError(
        absl::StrCat("stored number is ", bytes.size(), " bytes, expected 8"));
  }
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

}  // namespace superlicense::authority
