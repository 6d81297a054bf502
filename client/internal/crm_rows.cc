#include "client/internal/crm_rows.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace superlicense::client::internal {

#define SL_AUDIT_COLUMNS                                    \
  R"("registered", "registered_associate_id", "updated", )" \
  R"("updated_associate_id", "updatedCount")"

const char kOwnerColumns[] =
    R"("ModuleOwner_id", "ownerName", "ownerDescription", "licenseUrl", )"
    R"("licenseVersion", "signedPublicKey", "signature", "deploymentType", )"
    R"("productType", "productTypeDescription", "extraFlags", "extraInfo", )"
    R"("expiration", "graceTo", "maintenanceTo", "nextCheckDate", )"
    R"("adminWarningDate", "encryptedCheck", )" SL_AUDIT_COLUMNS;
const char kModuleColumns[] =
    R"("ModuleLicense_id", "moduleName", "moduleDescription", )"
    R"("moduleVersion", "tooltip", "licenseType", "licenseNumber", )"
    R"("allowedAssocsMask", "extraFlags", "extraInfo", "encryptedCheck", )" SL_AUDIT_COLUMNS
    R"(, "ModuleOwner_id", "sortOrder", "signature", "unrestricted", )"
    R"("hidden", "prerequisiteModule")";
const char kAssocLinkColumns[] =
    R"("LicenseAssocLink_id", "moduleLicenseId", "assocId", "validFrom", )"
    R"("validTo", "licenseNumber", "comment", "encryptedCheck", )" SL_AUDIT_COLUMNS;
const char kSatlLinkColumns[] =
    R"("LicenseSatlLink_id", "moduleLicenseId", "satelliteId", "validFrom", )"
    R"("validTo", "licenseNumber", "comment", "encryptedCheck", )" SL_AUDIT_COLUMNS;
const char kAssociateColumns[] = R"("associate_id", "name", "type", "active")";
const char kModuleColumnTypes[] =
    "bigint, text, text, text, text, bigint, bigint, bigint, bigint, text, "
    "bytea, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bytea, "
    "boolean, boolean, text";

#undef SL_AUDIT_COLUMNS

namespace {

// Reads a row's columns in order.
class Cursor {
 public:
  explicit Cursor(const SqlRow& row) : row_(row) {}
  int64_t Int() { return row_.at(next_++).i; }
  bool Bool() { return Int() != 0; }
  std::string Str() { return row_.at(next_++).s; }
  std::optional<int64_t> OptInt() {
    const SqlValue& v = row_.at(next_++);
    return v.is_null() ? std::nullopt : std::optional<int64_t>(v.i);
  }
  AuditColumns Audit() {
    AuditColumns a;
    a.registered = Int();
    a.registered_associate_id = Int();
    a.updated = Int();
    a.updated_associate_id = Int();
    a.updated_count = Int();
    return a;
  }

 private:
  const SqlRow& row_;
  size_t next_ = 0;
};

void AddAudit(const AuditColumns& a, std::vector<SqlValue>& p) {
  for (int64_t v : {a.registered, a.registered_associate_id, a.updated,
                    a.updated_associate_id, a.updated_count}) {
    p.push_back(SqlValue::Int(v));
  }
}

SqlValue OptInt(const std::optional<int64_t>& v) {
  return v ? SqlValue::Int(*v) : SqlValue::Null();
}

}  // namespace

OwnerRecord OwnerFromRow(const SqlRow& row) {
  Cursor c(row);
  OwnerRecord o;
  o.id = c.Int();
  o.owner_name = c.Str();
  o.owner_description = c.Str();
  o.license_url = c.Str();
  o.license_version = c.Int();
  o.signed_public_key = c.Str();
  o.signature = c.Str();
  o.deployment_type = c.Str();
  o.product_type = c.Int();
  o.product_type_description = c.Str();
  o.extra_flags = c.Int();
  o.extra_info = c.Str();
  o.expiration = c.Int();
  o.grace_to = c.Int();
  o.maintenance_to = c.Int();
  o.next_check_date = c.OptInt();
  o.admin_warning_date = c.OptInt();
  o.encrypted_check = c.Str();
  o.audit = c.Audit();
  return o;
}

std::vector<SqlValue> OwnerParams(const OwnerRecord& o) {
  std::vector<SqlValue> p = {SqlValue::Text(o.owner_name),
                             SqlValue::Text(o.owner_description),
                             SqlValue::Text(o.license_url),
                             SqlValue::Int(o.license_version),
                             SqlValue::Blob(o.signed_public_key),
                             SqlValue::Blob(o.signature),
                             SqlValue::TextOrNull(o.deployment_type),
                             SqlValue::Int(o.product_type),
                             SqlValue::TextOrNull(o.product_type_description),
                             SqlValue::Int(o.extra_flags),
                             SqlValue::TextOrNull(o.extra_info),
                             SqlValue::Int(o.expiration),
                             SqlValue::Int(o.grace_to),
                             SqlValue::Int(o.maintenance_to),
                             OptInt(o.next_check_date),
                             OptInt(o.admin_warning_date),
                             SqlValue::Blob(o.encrypted_check)};
  AddAudit(o.audit, p);
  return p;
}

ModuleRecord ModuleFromRow(const SqlRow& row) {
  Cursor c(row);
  ModuleRecord m;
  m.id = c.Int();
  m.module_name = c.Str();
  m.module_description = c.Str();
  m.module_version = c.Str();
  m.tooltip = c.Str();
  m.license_type = c.Int();
  m.license_number = c.Int();
  m.allowed_assocs_mask = c.Int();
  m.extra_flags = c.Int();
  m.extra_info = c.Str();
  m.encrypted_check = c.Str();
  m.audit = c.Audit();
  m.owner_id = c.Int();
  m.sort_order = c.Int();
  m.signature = c.Str();
  m.unrestricted = c.Bool();
  m.hidden = c.Bool();
  m.prerequisite_module = c.Str();
  return m;
}

std::vector<SqlValue> ModuleParams(const ModuleRecord& m) {
  std::vector<SqlValue> p = {SqlValue::Text(m.module_name),
                             SqlValue::Text(m.module_description),
                             SqlValue::Text(m.module_version),
                             SqlValue::Text(m.tooltip),
                             SqlValue::Int(m.license_type),
                             SqlValue::Int(m.license_number),
                             SqlValue::Int(m.allowed_assocs_mask),
                             SqlValue::Int(m.extra_flags),
                             SqlValue::TextOrNull(m.extra_info),
                             SqlValue::Blob(m.encrypted_check)};
  AddAudit(m.audit, p);
  p.push_back(SqlValue::Int(m.owner_id));
  p.push_back(SqlValue::Int(m.sort_order));
  p.push_back(SqlValue::Blob(m.signature));
  p.push_back(SqlValue::Int(m.unrestricted ? 1 : 0));
  p.push_back(SqlValue::Int(m.hidden ? 1 : 0));
  p.push_back(SqlValue::TextOrNull(m.prerequisite_module));
  return p;
}

AssocLinkRecord AssocLinkFromRow(const SqlRow& row) {
  Cursor c(row);
  AssocLinkRecord l;
  l.id = c.Int();
  l.module_license_id = c.Int();
  l.assoc_id = c.Int();
  l.valid_from = c.Int();
  l.valid_to = c.Int();
  l.license_number = c.Int();
  l.comment = c.Str();
  l.encrypted_check = c.Str();
  l.audit = c.Audit();
  return l;
}

std::vector<SqlValue> AssocLinkParams(const AssocLinkRecord& l) {
  std::vector<SqlValue> p = {
      SqlValue::Int(l.module_license_id), SqlValue::Int(l.assoc_id),
      SqlValue::Int(l.valid_from),        SqlValue::Int(l.valid_to),
      SqlValue::Int(l.license_number),    SqlValue::Text(l.comment),
      SqlValue::Blob(l.encrypted_check)};
  AddAudit(l.audit, p);
  return p;
}

SatlLinkRecord SatlLinkFromRow(const SqlRow& row) {
  Cursor c(row);
  SatlLinkRecord l;
  l.id = c.Int();
  l.module_license_id = c.Int();
  l.satellite_id = c.Int();
  l.valid_from = c.Int();
  l.valid_to = c.Int();
  l.license_number = c.Int();
  l.comment = c.Str();
  l.encrypted_check = c.Str();
  l.audit = c.Audit();
  return l;
}

std::vector<SqlValue> SatlLinkParams(const SatlLinkRecord& l) {
  std::vector<SqlValue> p = {
      SqlValue::Int(l.module_license_id), SqlValue::Int(l.satellite_id),
      SqlValue::Int(l.valid_from),        SqlValue::Int(l.valid_to),
      SqlValue::Int(l.license_number),    SqlValue::Text(l.comment),
      SqlValue::Blob(l.encrypted_check)};
  AddAudit(l.audit, p);
  return p;
}

Associate AssociateFromRow(const SqlRow& row) {
  Cursor c(row);
  Associate a;
  a.id = c.Int();
  a.name = c.Str();
  a.type = c.Int();
  a.active = c.Bool();
  return a;
}

std::string WithoutId(const char* columns) {
  absl::string_view all(columns);
  return std::string(all.substr(all.find(',') + 2));
}

std::string Placeholders(size_t n) {
  std::vector<std::string> marks;
  for (size_t i = 1; i <= n; ++i) marks.push_back(absl::StrCat("$", i));
  return absl::StrJoin(marks, ", ");
}

namespace {

std::vector<std::string> SplitColumns(absl::string_view columns) {
  return absl::StrSplit(columns, ", ");
}

// Returns "(row 0), (row 1), ..." of `width` anonymous SQLite placeholders
// each. SQLite binds the n-th "?" to parameter n in constant time, where it
// looks each "$N" up in time linear in the parameters before it.
std::string SqliteValuesRows(size_t width, size_t rows) {
  std::string row = "(?";
  for (size_t c = 1; c < width; ++c) row.append(", ?");
  row.append(")");
  std::string out;
  out.reserve(rows * (row.size() + 2));
  for (size_t r = 0; r < rows; ++r) {
    if (r > 0) out.append(", ");
    out.append(row);
  }
  return out;
}

// Returns "unnest($1::T1[], $2::T2[], ...)" for `types`.
std::string PostgresUnnest(const std::vector<std::string>& types) {
  std::vector<std::string> arrays;
  for (size_t c = 0; c < types.size(); ++c) {
    arrays.push_back(absl::StrCat("$", c + 1, "::", types[c], "[]"));
  }
  return absl::StrCat("unnest(", absl::StrJoin(arrays, ", "), ")");
}

// Appends `value` as an element of a PostgreSQL array literal.
void AppendArrayElement(const SqlValue& value, std::string* out) {
  switch (value.kind) {
    case SqlValue::Kind::kNull:
      out->append("NULL");
      return;
    case SqlValue::Kind::kInt:
      absl::StrAppend(out, value.i);
      return;
    case SqlValue::Kind::kText:
      out->push_back('"');
      for (char c : value.s) {
        if (c == '"' || c == '\\') out->push_back('\\');
        out->push_back(c);
      }
      out->push_back('"');
      return;
    case SqlValue::Kind::kBlob:
      // bytea's hex input "\x0a1b", its backslash escaped for the array.
      absl::StrAppend(out, "\"\\\\x", absl::BytesToHexString(value.s), "\"");
      return;
  }
}

}  // namespace

std::string MultiRowInsertSql(SqlDialect dialect, const char* table,
                              const char* columns, const char* types,
                              size_t rows) {
  const std::string named = WithoutId(columns);
  const size_t width = SplitColumns(named).size();
  if (dialect == SqlDialect::kSqlite) {
    return absl::StrCat("INSERT INTO \"", table, "\" (", named, ") VALUES ",
                        SqliteValuesRows(width, rows));
  }
  std::vector<std::string> named_types = SplitColumns(types);
  named_types.erase(named_types.begin());
  // The identity column takes its values in the order the rows come.
  return absl::StrCat("INSERT INTO \"", table, "\" (", named,
                      ") SELECT * FROM ", PostgresUnnest(named_types));
}

std::string MultiRowUpdateSql(SqlDialect dialect, const char* table,
                              const char* columns, const char* types,
                              size_t rows) {
  const std::vector<std::string> all = SplitColumns(columns);
  std::vector<std::string> sets;
  for (size_t c = 1; c < all.size(); ++c) {
    sets.push_back(absl::StrCat(all[c], " = \"batch\".", all[c]));
  }
  const std::string where =
      absl::StrCat(" WHERE \"", table, "\".", all[0], " = \"batch\".", all[0]);
  if (dialect == SqlDialect::kSqlite) {
    // SQLite cannot name the columns of a VALUES alias; a CTE can.
    return absl::StrCat("WITH \"batch\" (", columns, ") AS (VALUES ",
                        SqliteValuesRows(all.size(), rows), ") UPDATE \"",
                        table, "\" SET ", absl::StrJoin(sets, ", "),
                        " FROM \"batch\"", where);
  }
  return absl::StrCat("UPDATE \"", table, "\" SET ", absl::StrJoin(sets, ", "),
                      " FROM ", PostgresUnnest(SplitColumns(types)),
                      " AS \"batch\" (", columns, ")", where);
}

std::string DeleteInSql(SqlDialect dialect, const char* table,
                        const char* column, size_t rows) {
  if (dialect == SqlDialect::kPostgres) {
    return absl::StrCat("DELETE FROM \"", table, "\" WHERE ", column,
                        " = ANY($1::bigint[])");
  }
  std::string marks = "?";
  for (size_t n = 1; n < rows; ++n) marks.append(", ?");
  return absl::StrCat("DELETE FROM \"", table, "\" WHERE ", column, " IN (",
                      marks, ")");
}

std::vector<SqlValue> BatchParams(SqlDialect dialect,
                                  const std::vector<SqlValue>* rows,
                                  size_t count) {
  std::vector<SqlValue> params;
  if (count == 0) return params;
  if (dialect == SqlDialect::kSqlite) {
    for (size_t r = 0; r < count; ++r) {
      params.insert(params.end(), rows[r].begin(), rows[r].end());
    }
    return params;
  }
  for (size_t c = 0; c < rows[0].size(); ++c) {
    std::string array = "{";
    for (size_t r = 0; r < count; ++r) {
      if (r > 0) array.push_back(',');
      AppendArrayElement(rows[r][c], &array);
    }
    array.push_back('}');
    params.push_back(SqlValue::Text(std::move(array)));
  }
  return params;
}

std::string Assignments(const std::string& columns) {
  std::vector<std::string> parts;
  int n = 0;
  for (absl::string_view column : absl::StrSplit(columns, ", ")) {
    parts.push_back(absl::StrCat(column, " = $", ++n));
  }
  return absl::StrJoin(parts, ", ");
}

std::string DumpValue(const SqlValue& value) {
  switch (value.kind) {
    case SqlValue::Kind::kNull:
      return "NULL";
    case SqlValue::Kind::kInt:
      return absl::StrCat(value.i);
    case SqlValue::Kind::kText:
      return absl::StrCat("'", absl::CEscape(value.s), "'");
    case SqlValue::Kind::kBlob:
      return absl::StrCat("x'", absl::BytesToHexString(value.s), "'");
  }
  return "?";
}

}  // namespace superlicense::client::internal
