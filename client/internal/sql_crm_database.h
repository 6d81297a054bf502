// SqlCrmDatabase: the CrmDatabase implementation over any SqlConnection.
#ifndef SUPERLICENSE_CLIENT_INTERNAL_SQL_CRM_DATABASE_H_
#define SUPERLICENSE_CLIENT_INTERNAL_SQL_CRM_DATABASE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "client/crm_database.h"
#include "client/internal/sql_connection.h"

namespace superlicense::client::internal {

// Migrates the schema of `connection` and wraps it. Errors as MigrateSchema().
absl::StatusOr<std::unique_ptr<CrmDatabase>> MakeSqlCrmDatabase(
    std::unique_ptr<SqlConnection> connection);

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_SQL_CRM_DATABASE_H_
