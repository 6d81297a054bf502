// SqlConnection: the narrow interface the CRM database logic needs from a SQL
// backend. One adapter per foreign library implements it
// (sqlite_database.cc, postgres_database.cc); each adapter translates its
// library's errors to absl::Status in exactly one place.
//
// SQL text uses numbered parameters $1, $2, ... and double-quoted
// identifiers, which both SQLite and PostgreSQL accept. Values are always
// bound, never spliced into the text. SQL meant for SQLite alone may use
// anonymous ? instead, the n-th binding params[n-1]: SQLite looks each $N
// up in time linear in the statement's parameters, which makes preparing a
// statement with thousands of $N take seconds.
#ifndef SUPERLICENSE_CLIENT_INTERNAL_SQL_CONNECTION_H_
#define SUPERLICENSE_CLIENT_INTERNAL_SQL_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense::client::internal {

// A parameter or result value. Booleans travel as kInt 0/1.
struct SqlValue {
  enum class Kind { kNull, kInt, kText, kBlob };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  std::string s;  // kText and kBlob

  static SqlValue Null() { return SqlValue(); }
  static SqlValue Int(int64_t v) { return {Kind::kInt, v, {}}; }
  static SqlValue Text(std::string v) { return {Kind::kText, 0, std::move(v)}; }
  static SqlValue Blob(std::string v) { return {Kind::kBlob, 0, std::move(v)}; }
  // Text, or NULL when empty.
  static SqlValue TextOrNull(const std::string& v) {
    return v.empty() ? Null() : Text(v);
  }
  bool is_null() const { return kind == Kind::kNull; }
};

using SqlRow = std::vector<SqlValue>;

// Which SQL dialect details differ between backends.
enum class SqlDialect { kSqlite, kPostgres };

// One database connection. Not thread-safe.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual SqlDialect dialect() const = 0;
  // Returns how many parameters one statement may bind ($1..$N): SQLite's
  // SQLITE_LIMIT_VARIABLE_NUMBER, PostgreSQL's protocol limit of 65535.
  virtual size_t MaxParameters() const = 0;
  // Runs one statement with bound parameters and returns its rows (empty for
  // statements without results).
  virtual absl::StatusOr<std::vector<SqlRow>> Query(
      absl::string_view sql, const std::vector<SqlValue>& params) = 0;
  // Starts a transaction that will write: SQLite BEGIN IMMEDIATE,
  // PostgreSQL BEGIN.
  virtual absl::Status BeginWrite() = 0;
  // Starts a read-only transaction with one consistent snapshot.
  virtual absl::Status BeginRead() = 0;

  absl::Status Exec(absl::string_view sql) { return Query(sql, {}).status(); }
};

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_SQL_CONNECTION_H_
