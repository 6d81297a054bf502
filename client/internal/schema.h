// The CRM database schema and its migrations, for both backends.
#ifndef SUPERLICENSE_CLIENT_INTERNAL_SCHEMA_H_
#define SUPERLICENSE_CLIENT_INTERNAL_SCHEMA_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/internal/sql_connection.h"

namespace superlicense::client::internal {

// Creates the schema or applies the missing migrations, all in one
// transaction (concurrent callers are serialised: SQLite BEGIN IMMEDIATE,
// PostgreSQL an advisory transaction lock). FAILED_PRECONDITION when the
// stored version is newer than kCrmSchemaVersion.
absl::Status MigrateSchema(SqlConnection& db);

// Returns the version stored in schema_version (0 when the table is empty).
absl::StatusOr<int> ReadSchemaVersion(SqlConnection& db);

// Every table, in dependency order (for dumps).
const std::vector<std::string>& SchemaTables();

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_SCHEMA_H_
