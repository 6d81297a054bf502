// Mapping between the typed CRM records and SQL rows/parameters: column
// lists and converters, shared by both backends.
#ifndef SUPERLICENSE_CLIENT_INTERNAL_CRM_ROWS_H_
#define SUPERLICENSE_CLIENT_INTERNAL_CRM_ROWS_H_

#include <string>
#include <vector>

#include "client/crm_database.h"
#include "client/internal/sql_connection.h"

namespace superlicense::client::internal {

// Column lists in the order the converters below read and write them. The
// first column of each is the table's id.
extern const char kOwnerColumns[];
extern const char kModuleColumns[];
extern const char kAssocLinkColumns[];
extern const char kSatlLinkColumns[];
extern const char kAssociateColumns[];
// The PostgreSQL types of kModuleColumns, in the same order: the element
// types of the arrays that batched statements unnest (MultiRowUpdateSql).
extern const char kModuleColumnTypes[];

OwnerRecord OwnerFromRow(const SqlRow& row);
ModuleRecord ModuleFromRow(const SqlRow& row);
AssocLinkRecord AssocLinkFromRow(const SqlRow& row);
SatlLinkRecord SatlLinkFromRow(const SqlRow& row);
Associate AssociateFromRow(const SqlRow& row);

// Parameters $1..$N for every column except the id.
std::vector<SqlValue> OwnerParams(const OwnerRecord& owner);
std::vector<SqlValue> ModuleParams(const ModuleRecord& module);
std::vector<SqlValue> AssocLinkParams(const AssocLinkRecord& link);
std::vector<SqlValue> SatlLinkParams(const SatlLinkRecord& link);

// Returns `columns` without its first (id) column.
std::string WithoutId(const char* columns);
// Returns "$1, $2, ..., $n".
std::string Placeholders(size_t n);
// Returns "c1 = $1, c2 = $2, ..." for `columns` (no id).
std::string Assignments(const std::string& columns);
// Statements that write `rows` rows at once, and their parameters
// (BatchParams). On SQLite they bind every value of every row, with
// anonymous "?" placeholders (see SqlConnection); on PostgreSQL one array
// per column, unnested, so that the server parses and plans a statement of
// a few parameters whatever the number of rows. `types` lists the
// PostgreSQL type of every column of `columns` (as kModuleColumnTypes).
//
// INSERT INTO table (every column but the id) the rows, in their order.
std::string MultiRowInsertSql(SqlDialect dialect, const char* table,
                              const char* columns, const char* types,
                              size_t rows);
// UPDATE of every column but the id from rows of (id, the other columns),
// matched by the id.
std::string MultiRowUpdateSql(SqlDialect dialect, const char* table,
                              const char* columns, const char* types,
                              size_t rows);
// DELETE FROM table WHERE column is one of `rows` bigint values.
std::string DeleteInSql(SqlDialect dialect, const char* table,
                        const char* column, size_t rows);
// Returns the parameters of the statements above for the `count` rows at
// `rows`, all of the same width: on SQLite the rows' values concatenated,
// on PostgreSQL one array literal per column.
std::vector<SqlValue> BatchParams(SqlDialect dialect,
                                  const std::vector<SqlValue>* rows,
                                  size_t count);

// Renders a value for Dump().
std::string DumpValue(const SqlValue& value);

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_CRM_ROWS_H_
