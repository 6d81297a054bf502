#include "client/internal/sql_crm_database.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/internal/crm_queries.h"
#include "client/internal/schema.h"
#include "keys/status_macros.h"

namespace superlicense::client::internal {
namespace {

// Implements every CrmReader method by running CrmQueries inside Guard(),
// which the database and the transaction define differently.
template <typename Base>
class SqlReader : public Base {
 public:
  absl::StatusOr<Installation> GetInstallation() override {
    return Run<Installation>([&] { return q().GetInstallation(); });
  }
  absl::StatusOr<OwnerView> GetOwner(absl::string_view owner_name) override {
    return Run<OwnerView>([&] { return q().GetOwner(owner_name, false); });
  }
  absl::StatusOr<std::vector<std::string>> ListOwnerNames() override {
    return Run<std::vector<std::string>>([&] { return q().ListOwnerNames(); });
  }
  absl::StatusOr<Associate> FindAssociateById(int64_t id) override {
    return Run<Associate>([&] { return q().FindAssociateById(id); });
  }
  absl::StatusOr<Associate> FindAssociateByName(
      absl::string_view name) override {
    return Run<Associate>([&] { return q().FindAssociateByName(name); });
  }
  absl::StatusOr<std::vector<Associate>> ListAssociates() override {
    return Run<std::vector<Associate>>([&] { return q().ListAssociates(); });
  }
  absl::StatusOr<std::vector<AssocLinkRecord>> ListAssocLinksOf(
      int64_t assoc_id) override {
    return Run<std::vector<AssocLinkRecord>>(
        [&] { return q().ListAssocLinksOf(assoc_id); });
  }
  absl::StatusOr<int64_t> HighestImportedVersion(
      absl::string_view owner_name) override {
    return Run<int64_t>([&] { return q().HighestImportedVersion(owner_name); });
  }
  absl::StatusOr<EnvelopeRecord> LatestEnvelope(
      absl::string_view owner_name) override {
    return Run<EnvelopeRecord>([&] { return q().LatestEnvelope(owner_name); });
  }
  absl::StatusOr<std::vector<ImportHistoryEntry>> ListImportHistory(
      absl::string_view owner_name) override {
    return Run<std::vector<ImportHistoryEntry>>(
        [&] { return q().ListImportHistory(owner_name); });
  }
  absl::StatusOr<int64_t> GetClockWatermark(
      absl::string_view owner_name) override {
    return Run<int64_t>([&] { return q().GetClockWatermark(owner_name); });
  }
  absl::StatusOr<std::vector<ConsumptionTotal>> SumConsumption(
      absl::string_view owner_name, int64_t from, int64_t to) override {
    return Run<std::vector<ConsumptionTotal>>(
        [&] { return q().SumConsumption(owner_name, from, to); });
  }
  absl::StatusOr<std::vector<SystemMessage>> ListSystemMessages(
      int64_t limit) override {
    return Run<std::vector<SystemMessage>>(
        [&] { return q().ListSystemMessages(limit); });
  }
  absl::StatusOr<SystemMessage> LatestSystemMessage(
      absl::string_view owner_name, absl::string_view operation) override {
    return Run<SystemMessage>(
        [&] { return q().LatestSystemMessage(owner_name, operation); });
  }
  absl::StatusOr<std::string> Dump() override {
    return Run<std::string>([&] { return q().Dump(); });
  }
  absl::StatusOr<int64_t> ChangeStamp() override {
    return Run<int64_t>([&] { return q().ChangeStamp(); });
  }

 protected:
  virtual CrmQueries& q() = 0;
  // Runs `body` in the right context; returns its status or a context error.
  virtual absl::Status Guard(const std::function<absl::Status()>& body) = 0;

  template <typename T>
  absl::StatusOr<T> Run(const std::function<absl::StatusOr<T>()>& fn) {
    absl::StatusOr<T> result = absl::UnknownError("not run");
    absl::Status status = Guard([&] {
      result = fn();
      return result.status();
    });
    if (!status.ok()) return status;
    return result;
  }
  absl::Status RunStatus(const std::function<absl::Status()>& fn) {
    return Guard(fn);
  }
};

class SqlCrmTransaction final : public SqlReader<CrmTransaction> {
 public:
  SqlCrmTransaction(SqlConnection& db, bool& open)
      : db_(db), queries_(db), open_(open) {}
  ~SqlCrmTransaction() override {
    if (!done_) db_.Exec("ROLLBACK").IgnoreError();
    open_ = false;
  }

  absl::Status SetInstallation(const Installation& i) override {
    return RunStatus([&] { return queries_.SetInstallation(i); });
  }
  absl::StatusOr<Installation> LockInstallation() override {
    return Run<Installation>([&] { return q().GetInstallation(true); });
  }
  absl::StatusOr<OwnerView> LockOwner(absl::string_view owner_name) override {
    return Run<OwnerView>([&] { return queries_.GetOwner(owner_name, true); });
  }
  absl::StatusOr<std::vector<ModuleUsage>> CountAssigned(
      absl::string_view owner_name) override {
    return Run<std::vector<ModuleUsage>>(
        [&] { return queries_.CountAssigned(owner_name); });
  }
  absl::StatusOr<ModuleUsage> LockModule(int64_t module_license_id) override {
    return Run<ModuleUsage>(
        [&] { return queries_.LockModule(module_license_id); });
  }
  absl::StatusOr<OwnerView> ReplaceOwner(
      const OwnerRecord& owner,
      const std::vector<ModuleRecord>& modules) override {
    return Run<OwnerView>(
        [&] { return queries_.ReplaceOwner(owner, modules); });
  }
  absl::Status MoveLinks(int64_t from, int64_t to) override {
    return RunStatus([&] { return queries_.MoveLinks(from, to); });
  }
  absl::StatusOr<int64_t> InsertAssocLink(const AssocLinkRecord& l) override {
    return Run<int64_t>([&] { return queries_.InsertAssocLink(l); });
  }
  absl::Status DeleteAssocLink(int64_t id) override {
    return RunStatus([&] { return queries_.DeleteAssocLink(id); });
  }
  absl::StatusOr<int64_t> InsertSatlLink(const SatlLinkRecord& l) override {
    return Run<int64_t>([&] { return queries_.InsertSatlLink(l); });
  }
  absl::Status DeleteSatlLink(int64_t id) override {
    return RunStatus([&] { return queries_.DeleteSatlLink(id); });
  }
  absl::StatusOr<int64_t> AddAssociate(const Associate& a) override {
    return Run<int64_t>([&] { return queries_.AddAssociate(a); });
  }
  absl::Status RecordEnvelope(const EnvelopeRecord& e) override {
    return RunStatus([&] { return queries_.RecordEnvelope(e); });
  }
  absl::StatusOr<int64_t> RecordImport(const ImportHistoryEntry& e) override {
    return Run<int64_t>([&] { return queries_.RecordImport(e); });
  }
  absl::Status RaiseClockWatermark(absl::string_view owner,
                                   int64_t seen) override {
    return RunStatus([&] { return queries_.RaiseClockWatermark(owner, seen); });
  }

  absl::Status InsertConsumption(
      const std::vector<ConsumptionRecord>& records) override {
    return RunStatus([&] { return queries_.InsertConsumption(records); });
  }
  absl::StatusOr<int64_t> AddSystemMessage(const SystemMessage& m) override {
    return Run<int64_t>([&] { return queries_.AddSystemMessage(m); });
  }

  absl::Status Commit() override {
    RETURN_IF_ERROR(Guard([] { return absl::OkStatus(); }));
    done_ = true;
    absl::Status status = db_.Exec("COMMIT");
    if (!status.ok()) db_.Exec("ROLLBACK").IgnoreError();
    return status;
  }

 protected:
  CrmQueries& q() override { return queries_; }
  absl::Status Guard(const std::function<absl::Status()>& body) override {
    if (done_) {
      return absl::FailedPreconditionError("transaction already finished");
    }
    if (failed_) {
      return absl::FailedPreconditionError(
          "transaction failed earlier; it will be rolled back");
    }
    absl::Status status = body();
    // NOT_FOUND from a read is an answer, not a failure of the transaction.
    if (!status.ok() && !absl::IsNotFound(status)) failed_ = true;
    return status;
  }

 private:
  SqlConnection& db_;
  CrmQueries queries_;
  bool& open_;  // the database's "a transaction is open" flag
  bool done_ = false;
  bool failed_ = false;
};

class SqlCrmDatabase final : public SqlReader<CrmDatabase> {
 public:
  explicit SqlCrmDatabase(std::unique_ptr<SqlConnection> db)
      : db_(std::move(db)), queries_(*db_) {}

  absl::StatusOr<std::unique_ptr<CrmTransaction>> BeginWrite() override {
    if (txn_open_) {
      return absl::FailedPreconditionError(
          "a transaction is already open on this CrmDatabase");
    }
    RETURN_IF_ERROR(db_->BeginWrite());
    txn_open_ = true;
    return std::unique_ptr<CrmTransaction>(
        new SqlCrmTransaction(*db_, txn_open_));
  }

  absl::StatusOr<int> SchemaVersion() override {
    return Run<int>([&] { return ReadSchemaVersion(*db_); });
  }

 protected:
  CrmQueries& q() override { return queries_; }
  // Each read runs in its own read transaction (one consistent snapshot).
  absl::Status Guard(const std::function<absl::Status()>& body) override {
    if (txn_open_) {
      return absl::FailedPreconditionError(
          "read on a CrmDatabase while its transaction is open; read "
          "through the transaction");
    }
    RETURN_IF_ERROR(db_->BeginRead());
    absl::Status status = body();
    if (status.ok()) status = db_->Exec("COMMIT");
    if (!status.ok()) db_->Exec("ROLLBACK").IgnoreError();
    return status;
  }

 private:
  const std::unique_ptr<SqlConnection> db_;
  CrmQueries queries_;
  bool txn_open_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CrmDatabase>> MakeSqlCrmDatabase(
    std::unique_ptr<SqlConnection> connection) {
  RETURN_IF_ERROR(MigrateSchema(*connection));
  return std::unique_ptr<CrmDatabase>(
      new SqlCrmDatabase(std::move(connection)));
}

}  // namespace superlicense::client::internal
