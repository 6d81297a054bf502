// CrmQueries: every CRM database operation as parameterised SQL over a
// SqlConnection, identical for both backends except for the row locks
// (PostgreSQL "FOR UPDATE"; SQLite's BEGIN IMMEDIATE already excludes other
// writers) and the form of the batched writes of ReplaceOwner (crm_rows.h).
// Callers own transaction boundaries. Not thread-safe.
#ifndef SUPERLICENSE_CLIENT_INTERNAL_CRM_QUERIES_H_
#define SUPERLICENSE_CLIENT_INTERNAL_CRM_QUERIES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/crm_database.h"
#include "client/internal/sql_connection.h"

namespace superlicense::client::internal {

// Caps the parameters of one batched statement (see ReplaceOwner) at `cap`
// for the whole process, below the backend's own limit; 0 removes the cap.
// For tests, to make small sets span many statements; set it only while no
// CrmQueries is writing.
void SetBatchParameterCapForTesting(size_t cap);

class CrmQueries {
 public:
  explicit CrmQueries(SqlConnection& db) : db_(db) {}  // db: not owned

  // Reads (see CrmReader). `lock` adds row locks (PostgreSQL FOR UPDATE).
  absl::StatusOr<Installation> GetInstallation(bool lock = false);
  absl::StatusOr<OwnerView> GetOwner(absl::string_view owner_name, bool lock);
  absl::StatusOr<std::vector<std::string>> ListOwnerNames();
  absl::StatusOr<Associate> FindAssociateById(int64_t id);
  absl::StatusOr<Associate> FindAssociateByName(absl::string_view name);
  absl::StatusOr<std::vector<Associate>> ListAssociates();
  absl::StatusOr<std::vector<AssocLinkRecord>> ListAssocLinksOf(
      int64_t assoc_id);
  absl::StatusOr<int64_t> HighestImportedVersion(absl::string_view owner_name);
  absl::StatusOr<EnvelopeRecord> LatestEnvelope(absl::string_view owner_name);
  absl::StatusOr<std::vector<ImportHistoryEntry>> ListImportHistory(
      absl::string_view owner_name);
  absl::StatusOr<int64_t> GetClockWatermark(absl::string_view owner_name);
  absl::StatusOr<std::vector<ConsumptionTotal>> SumConsumption(
      absl::string_view owner_name, int64_t from, int64_t to);
  absl::StatusOr<std::vector<SystemMessage>> ListSystemMessages(int64_t limit);
  absl::StatusOr<SystemMessage> LatestSystemMessage(
      absl::string_view owner_name, absl::string_view operation);
  absl::StatusOr<std::string> Dump();
  absl::StatusOr<int64_t> ChangeStamp();

  // Writes (see CrmTransaction).
  absl::Status SetInstallation(const Installation& installation);
  absl::StatusOr<std::vector<ModuleUsage>> CountAssigned(
      absl::string_view owner_name);
  absl::StatusOr<ModuleUsage> LockModule(int64_t module_license_id);
  // Writes the module rows a few thousand at a time: one UPDATE of the kept
  // rows, one INSERT of the new ones and one DELETE each of the dropped
  // rows and their links per batch (BatchRows()), not a statement per row.
  absl::StatusOr<OwnerView> ReplaceOwner(
      const OwnerRecord& owner, const std::vector<ModuleRecord>& modules);
  absl::Status MoveLinks(int64_t from_module_id, int64_t to_module_id);
  absl::StatusOr<int64_t> InsertAssocLink(const AssocLinkRecord& link);
  absl::Status DeleteAssocLink(int64_t link_id);
  absl::StatusOr<int64_t> InsertSatlLink(const SatlLinkRecord& link);
  absl::Status DeleteSatlLink(int64_t link_id);
  absl::StatusOr<int64_t> AddAssociate(const Associate& associate);
  absl::Status RecordEnvelope(const EnvelopeRecord& envelope);
  absl::StatusOr<int64_t> RecordImport(const ImportHistoryEntry& entry);
  absl::Status RaiseClockWatermark(absl::string_view owner_name, int64_t seen);
  absl::Status InsertConsumption(const std::vector<ConsumptionRecord>& records);
  absl::StatusOr<int64_t> AddSystemMessage(const SystemMessage& message);

 private:
  // " FOR UPDATE" on PostgreSQL, "" on SQLite.
  const char* ForUpdate() const;
  // Runs an INSERT ... RETURNING id and returns the id.
  absl::StatusOr<int64_t> InsertReturningId(const std::string& sql,
                                            const std::vector<SqlValue>& p);
  absl::StatusOr<int64_t> UpsertOwnerRow(const OwnerRecord& owner);

  // (moduleName, moduleVersion): unique within an owner.
  using ModuleKey = std::pair<std::string, std::string>;
  using ModuleIds = std::map<ModuleKey, int64_t>;
  // The parameters of one row of a batched statement.
  using BatchRow = std::vector<SqlValue>;
  // Writes the `count` rows at `rows` (see BatchParams).
  using BatchStatement =
      std::function<absl::Status(const BatchRow* rows, size_t count)>;

  // Returns how many rows of `params_per_row` values one batched statement
  // writes: as many as the backend could bind one by one (at least 1).
  // SQLite binds them so; PostgreSQL takes them as one array per column and
  // could take more, but the limit keeps its statements' size bounded too.
  size_t BatchRows(size_t params_per_row) const;
  // Calls `run` for consecutive runs of `rows`, each as long as BatchRows()
  // allows; stops at the first error. All rows have the same width.
  absl::Status ForEachBatch(const std::vector<BatchRow>& rows,
                            const BatchStatement& run);
  // Locks the module rows of `owner_id`; returns their ids by key.
  absl::StatusOr<ModuleIds> LockModuleIds(int64_t owner_id);
  // Rows are (id, ModuleParams...) / ModuleParams.
  absl::Status UpdateModules(const std::vector<BatchRow>& rows);
  absl::Status InsertModules(const std::vector<BatchRow>& rows);
  // Deletes the modules with their LicenseAssocLink and LicenseSatlLink rows.
  absl::Status DeleteModules(const std::vector<int64_t>& module_ids);
  absl::StatusOr<std::vector<ModuleUsage>> Usage(const std::string& where,
                                                 const SqlValue& param);

  SqlConnection& db_;
};

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_CRM_QUERIES_H_
