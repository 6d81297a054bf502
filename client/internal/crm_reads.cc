// The read operations of CrmQueries.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/internal/crm_queries.h"
#include "client/internal/crm_rows.h"
#include "client/internal/schema.h"
#include "keys/status_macros.h"

namespace superlicense::client::internal {
namespace {

SqlValue Text(absl::string_view s) { return SqlValue::Text(std::string(s)); }

}  // namespace

const char* CrmQueries::ForUpdate() const {
  return db_.dialect() == SqlDialect::kPostgres ? " FOR UPDATE" : "";
}

absl::StatusOr<Installation> CrmQueries::GetInstallation(bool lock) {
  ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(absl::StrCat(R"(SELECT "serial", "company_name", "site_kind",
                   "satellite_id" FROM "installation")",
                             lock ? ForUpdate() : ""),
                {}));
  if (rows.empty()) {
    return absl::NotFoundError(
        "installation not initialised: no serial is set");
  }
  Installation out;
  out.serial = rows[0][0].s;
  out.company_name = rows[0][1].s;
  out.site_kind = static_cast<SiteKind>(rows[0][2].i);
  out.satellite_id = rows[0][3].i;
  return out;
}

absl::StatusOr<OwnerView> CrmQueries::GetOwner(absl::string_view owner_name,
                                               bool lock) {
  const char* for_update = lock ? ForUpdate() : "";
  ASSIGN_OR_RETURN(auto owners,
                   db_.Query(absl::StrCat("SELECT ", kOwnerColumns,
                                          R"( FROM "ModuleOwner" WHERE )"
                                          R"("ownerName" = $1)",
                                          for_update),
                             {Text(owner_name)}));
  if (owners.empty()) {
    return absl::NotFoundError(
        absl::StrCat("module owner \"", owner_name, "\" is not installed"));
  }
  OwnerView view;
  view.owner = OwnerFromRow(owners[0]);
  const SqlValue id = SqlValue::Int(view.owner.id);
  ASSIGN_OR_RETURN(auto modules,
                   db_.Query(absl::StrCat("SELECT ", kModuleColumns,
                                          R"( FROM "ModuleLicense" WHERE )"
                                          R"("ModuleOwner_id" = $1 )"
                                          R"(ORDER BY "ModuleLicense_id")",
                                          for_update),
                             {id}));
  for (const SqlRow& row : modules) view.modules.push_back(ModuleFromRow(row));
  const std::string of_owner =
      R"( WHERE "moduleLicenseId" IN (SELECT "ModuleLicense_id" FROM )"
      R"("ModuleLicense" WHERE "ModuleOwner_id" = $1) ORDER BY 1)";
  ASSIGN_OR_RETURN(
      auto assoc,
      db_.Query(absl::StrCat("SELECT ", kAssocLinkColumns,
                             R"( FROM "LicenseAssocLink")", of_owner),
                {id}));
  for (const SqlRow& row : assoc) {
    view.assoc_links.push_back(AssocLinkFromRow(row));
  }
  ASSIGN_OR_RETURN(
      auto satl, db_.Query(absl::StrCat("SELECT ", kSatlLinkColumns,
                                        R"( FROM "LicenseSatlLink")", of_owner),
                           {id}));
  for (const SqlRow& row : satl)
    view.satl_links.push_back(SatlLinkFromRow(row));
  return view;
}

absl::StatusOr<std::vector<std::string>> CrmQueries::ListOwnerNames() {
  ASSIGN_OR_RETURN(auto rows, db_.Query(R"(SELECT "ownerName" FROM )"
                                        R"("ModuleOwner" ORDER BY 1)",
                                        {}));
  std::vector<std::string> names;
  for (const SqlRow& row : rows) names.push_back(row[0].s);
  return names;
}

absl::StatusOr<Associate> CrmQueries::FindAssociateById(int64_t id) {
  ASSIGN_OR_RETURN(auto rows,
                   db_.Query(absl::StrCat("SELECT ", kAssociateColumns,
                                          R"( FROM "associate" )"
                                          R"(WHERE "associate_id" = $1)"),
                             {SqlValue::Int(id)}));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("no associate with id ", id));
  }
  return AssociateFromRow(rows[0]);
}

absl::StatusOr<Associate> CrmQueries::FindAssociateByName(
    absl::string_view name) {
  ASSIGN_OR_RETURN(auto rows,
                   db_.Query(absl::StrCat("SELECT ", kAssociateColumns,
                                          R"( FROM "associate" )"
                                          R"(WHERE "name" = $1)"),
                             {Text(name)}));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no associate named \"", name, "\""));
  }
  return AssociateFromRow(rows[0]);
}

absl::StatusOr<std::vector<Associate>> CrmQueries::ListAssociates() {
  ASSIGN_OR_RETURN(auto rows,
                   db_.Query(absl::StrCat("SELECT ", kAssociateColumns,
                                          R"( FROM "associate" )"
                                          "ORDER BY 1"),
                             {}));
  std::vector<Associate> out;
  for (const SqlRow& row : rows) out.push_back(AssociateFromRow(row));
  return out;
}

absl::StatusOr<std::vector<AssocLinkRecord>> CrmQueries::ListAssocLinksOf(
    int64_t assoc_id) {
  ASSIGN_OR_RETURN(auto rows,
                   db_.Query(absl::StrCat("SELECT ", kAssocLinkColumns,
                                          R"( FROM "LicenseAssocLink" )"
                                          R"(WHERE "assocId" = $1 ORDER BY 1)"),
                             {SqlValue::Int(assoc_id)}));
  std::vector<AssocLinkRecord> out;
  for (const SqlRow& row : rows) out.push_back(AssocLinkFromRow(row));
  return out;
}

absl::StatusOr<int64_t> CrmQueries::HighestImportedVersion(
    absl::string_view owner_name) {
  ASSIGN_OR_RETURN(auto rows, db_.Query(R"(SELECT MAX("v") FROM (
          SELECT "version" AS "v" FROM "license_envelope"
            WHERE "owner_name" = $1
          UNION ALL
          SELECT "version" AS "v" FROM "import_history"
            WHERE "owner_name" = $1 AND "result" = 'accepted') AS "all_versions")",
                                        {Text(owner_name)}));
  if (rows.empty() || rows[0][0].is_null()) return 0;
  return rows[0][0].i;
}

absl::StatusOr<EnvelopeRecord> CrmQueries::LatestEnvelope(
    absl::string_view owner_name) {
  ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(R"(SELECT "owner_name", "version", "envelope", "imported_at"
          FROM "license_envelope" WHERE "owner_name" = $1
          ORDER BY "version" DESC LIMIT 1)",
                {Text(owner_name)}));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no license envelope for owner \"", owner_name, "\""));
  }
  return EnvelopeRecord{rows[0][0].s, rows[0][1].i, rows[0][2].s, rows[0][3].i};
}

absl::StatusOr<std::vector<ImportHistoryEntry>> CrmQueries::ListImportHistory(
    absl::string_view owner_name) {
  ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(R"(SELECT "import_history_id", "owner_name", "version",
          "result", "message", "at" FROM "import_history"
          WHERE "owner_name" = $1 ORDER BY 1)",
                {Text(owner_name)}));
  std::vector<ImportHistoryEntry> out;
  for (const SqlRow& r : rows) {
    out.push_back({r[0].i, r[1].s, r[2].i, r[3].s, r[4].s, r[5].i});
  }
  return out;
}

absl::StatusOr<int64_t> CrmQueries::GetClockWatermark(
    absl::string_view owner_name) {
  ASSIGN_OR_RETURN(auto rows, db_.Query(R"(SELECT "newest_seen" FROM )"
                                        R"("clock_watermark" WHERE )"
                                        R"("owner_name" = $1)",
                                        {Text(owner_name)}));
  return rows.empty() ? 0 : rows[0][0].i;
}

absl::StatusOr<int64_t> CrmQueries::ChangeStamp() {
  ASSIGN_OR_RETURN(auto rows,
                   db_.Query(R"(SELECT "stamp" FROM "license_change")", {}));
  if (rows.size() != 1 || rows[0][0].kind != SqlValue::Kind::kInt) {
    return absl::InternalError(
        absl::StrCat("table license_change must hold exactly one integer "
                     "stamp; it holds ",
                     rows.size(), " rows"));
  }
  return rows[0][0].i;
}

absl::StatusOr<std::vector<ConsumptionTotal>> CrmQueries::SumConsumption(
    absl::string_view owner_name, int64_t from, int64_t to) {
  ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(R"(SELECT "service", SUM("amount"), MAX("amount"), COUNT(*)
          FROM "consumption" WHERE "owner_name" = $1 AND "at" >= $2
          AND "at" < $3 GROUP BY "service" ORDER BY "service")",
                {Text(owner_name), SqlValue::Int(from), SqlValue::Int(to)}));
  std::vector<ConsumptionTotal> out;
  for (const SqlRow& r : rows) out.push_back({r[0].s, r[1].i, r[2].i, r[3].i});
  return out;
}

namespace {

constexpr char kMessageColumns[] =
    R"("system_message_id", "owner_name", "operation", "status", "message",
    "started", "started_by", "expected_end", "type")";

SystemMessage MessageFromRow(const SqlRow& r) {
  SystemMessage m;
  m.id = r[0].i;
  m.owner_name = r[1].s;
  m.operation = r[2].s;
  m.status = r[3].s;
  m.message = r[4].s;
  m.started = r[5].i;
  m.started_by = r[6].s;
  if (!r[7].is_null()) m.expected_end = r[7].i;
  m.type = r[8].s;
  return m;
}

}  // namespace

absl::StatusOr<std::vector<SystemMessage>> CrmQueries::ListSystemMessages(
    int64_t limit) {
  ASSIGN_OR_RETURN(auto rows,
                   db_.Query(absl::StrCat("SELECT ", kMessageColumns,
                                          R"( FROM "system_message" )"
                                          "ORDER BY 1 DESC LIMIT $1"),
                             {SqlValue::Int(limit)}));
  std::vector<SystemMessage> out;
  for (const SqlRow& r : rows) out.push_back(MessageFromRow(r));
  return out;
}

absl::StatusOr<SystemMessage> CrmQueries::LatestSystemMessage(
    absl::string_view owner_name, absl::string_view operation) {
  ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(absl::StrCat("SELECT ", kMessageColumns,
                             R"( FROM "system_message" WHERE )"
                             R"("owner_name" = $1 AND "operation" = $2 )"
                             "ORDER BY 1 DESC LIMIT 1"),
                {Text(owner_name), Text(operation)}));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("no system message of owner \"",
                                            owner_name, "\" for operation \"",
                                            operation, "\""));
  }
  return MessageFromRow(rows[0]);
}

absl::StatusOr<std::string> CrmQueries::Dump() {
  std::string out;
  for (const std::string& table : SchemaTables()) {
    ASSIGN_OR_RETURN(auto rows, db_.Query(absl::StrCat("SELECT * FROM \"",
                                                       table, "\" ORDER BY 1"),
                                          {}));
    absl::StrAppend(&out, table, ":\n");
    for (const SqlRow& row : rows) {
      std::vector<std::string> values;
      for (const SqlValue& v : row) values.push_back(DumpValue(v));
      absl::StrAppend(&out, "  ", absl::StrJoin(values, " | "), "\n");
    }
  }
  return out;
}

}  // namespace superlicense::client::internal
