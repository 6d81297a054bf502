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
// Renders a value for Dump().
std::string DumpValue(const SqlValue& value);

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_CRM_ROWS_H_
