#include "client/internal/sqlite_database.h"

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "keys/status_macros.h"

namespace superlicense::client::internal {
namespace {

constexpr int kBusyTimeoutMs = 60000;

// The one place SQLite result codes become absl::Status.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  std::string message =
      absl::StrCat("sqlite ", what, ": ", db ? sqlite3_errmsg(db) : "", " (",
                   sqlite3_errstr(rc), ")");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::AbortedError(message);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE ||
          rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(message);
      }
      return absl::FailedPreconditionError(message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

struct StatementCloser {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementCloser>;

SqlValue ReadColumn(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
      return SqlValue::Int(sqlite3_column_int64(stmt, column));
    case SQLITE_TEXT:
      return SqlValue::Text(std::string(
          reinterpret_cast<const char*>(sqlite3_column_text(stmt, column)),
          sqlite3_column_bytes(stmt, column)));
    case SQLITE_BLOB: {
      const void* data = sqlite3_column_blob(stmt, column);
      int size = sqlite3_column_bytes(stmt, column);
      return SqlValue::Blob(
          data ? std::string(static_cast<const char*>(data), size) : "");
    }
    default:
      return SqlValue::Null();
  }
}

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override { sqlite3_close_v2(db_); }

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  size_t MaxParameters() const override {
    return static_cast<size_t>(
        sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1));
  }
  absl::Status BeginWrite() override { return Exec("BEGIN IMMEDIATE"); }
  absl::Status BeginRead() override { return Exec("BEGIN DEFERRED"); }

  absl::StatusOr<std::vector<SqlRow>> Query(
      absl::string_view sql, const std::vector<SqlValue>& params) override {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()),
                                &raw, nullptr);
    Statement stmt(raw);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare");
    RETURN_IF_ERROR(Bind(stmt.get(), params));
    std::vector<SqlRow> rows;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      SqlRow row;
      for (int c = 0; c < sqlite3_column_count(stmt.get()); ++c) {
        row.push_back(ReadColumn(stmt.get(), c));
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return SqliteError(db_, rc, "step");
    return rows;
  }

 private:
  // Binds $N (and ?N) to params[N-1] and the n-th anonymous ? to
  // params[n-1]; a parameter without a value stays NULL.
  absl::Status Bind(sqlite3_stmt* stmt, const std::vector<SqlValue>& params) {
    const int count = sqlite3_bind_parameter_count(stmt);
    for (int index = 1; index <= count; ++index) {
      size_t n = 0;
      if (!ParameterNumber(stmt, index, &n) || n == 0 || n > params.size()) {
        continue;
      }
      RETURN_IF_ERROR(BindOne(stmt, index, params[n - 1]));
    }
    return absl::OkStatus();
  }

  // Sets *n to the number of the parameter at `index`; false for a name
  // that is not a number ("$name", ":name").
  static bool ParameterNumber(sqlite3_stmt* stmt, int index, size_t* n) {
    // Costs time linear in the statement's named parameters; statements
    // with thousands of parameters use anonymous ones, which cost nothing.
    const char* name = sqlite3_bind_parameter_name(stmt, index);
    if (name == nullptr) {
      *n = static_cast<size_t>(index);
      return true;
    }
    return (name[0] == '$' || name[0] == '?') && absl::SimpleAtoi(name + 1, n);
  }

  absl::Status BindOne(sqlite3_stmt* stmt, int index, const SqlValue& v) {
    int rc = SQLITE_OK;
    switch (v.kind) {
      case SqlValue::Kind::kNull:
        rc = sqlite3_bind_null(stmt, index);
        break;
      case SqlValue::Kind::kInt:
        rc = sqlite3_bind_int64(stmt, index, v.i);
        break;
      case SqlValue::Kind::kText:
        rc = sqlite3_bind_text64(stmt, index, v.s.data(), v.s.size(),
                                 SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
      case SqlValue::Kind::kBlob:
        // data() is never null, so an empty string binds an empty blob.
        rc = sqlite3_bind_blob64(stmt, index, v.s.data(), v.s.size(),
                                 SQLITE_TRANSIENT);
        break;
    }
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "bind");
    return absl::OkStatus();
  }

  sqlite3* const db_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlConnection>> OpenSqlite(
    absl::string_view path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      std::string(path).c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot open sqlite database \"", path,
                     "\": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  auto connection = std::make_unique<SqliteConnection>(db);
  RETURN_IF_ERROR(connection->Exec("PRAGMA foreign_keys = ON"));
  RETURN_IF_ERROR(connection->Exec("PRAGMA journal_mode = WAL"));
  RETURN_IF_ERROR(connection->Exec("PRAGMA synchronous = FULL"));
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace superlicense::client::internal
