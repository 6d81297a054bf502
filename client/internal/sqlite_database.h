// The SQLite adapter: the only file that includes sqlite3.h.
#ifndef SUPERLICENSE_CLIENT_INTERNAL_SQLITE_DATABASE_H_
#define SUPERLICENSE_CLIENT_INTERNAL_SQLITE_DATABASE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/internal/sql_connection.h"

namespace superlicense::client::internal {

// Opens (creating if needed) the SQLite file at `path` with foreign keys on,
// WAL journal, synchronous=FULL and a 60 s busy timeout. UNAVAILABLE when
// the file cannot be opened.
absl::StatusOr<std::unique_ptr<SqlConnection>> OpenSqlite(
    absl::string_view path);

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_SQLITE_DATABASE_H_
