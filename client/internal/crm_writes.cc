// The write operations of CrmQueries. They assume an open write transaction.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/internal/crm_queries.h"
#include "client/internal/crm_rows.h"
#include "keys/status_macros.h"

namespace superlicense::client::internal {
namespace {

SqlValue Text(absl::string_view s) { return SqlValue::Text(std::string(s)); }

std::string InsertSql(const char* table, const char* columns) {
  std::string named = WithoutId(columns);
  size_t count = 1;
  for (char c : named) count += c == ',' ? 1 : 0;
  absl::string_view all(columns);
  return absl::StrCat("INSERT INTO \"", table, "\" (", named, ") VALUES (",
                      Placeholders(count), ") RETURNING ",
                      all.substr(0, all.find(',')));
}

std::string UpdateSql(const char* table, const char* columns) {
  std::string named = WithoutId(columns);
  size_t count = 1;
  for (char c : named) count += c == ',' ? 1 : 0;
  absl::string_view all(columns);
  return absl::StrCat("UPDATE \"", table, "\" SET ", Assignments(named),
                      " WHERE ", all.substr(0, all.find(',')), " = $",
                      count + 1);
}

}  // namespace

absl::StatusOr<int64_t> CrmQueries::InsertReturningId(
    const std::string& sql, const std::vector<SqlValue>& p) {
  ASSIGN_OR_RETURN(auto rows, db_.Query(sql, p));
  if (rows.empty()) return absl::InternalError("INSERT returned no id");
  return rows[0][0].i;
}

absl::Status CrmQueries::SetInstallation(const Installation& i) {
  return db_
      .Query(R"(INSERT INTO "installation" ("installation_id", "serial",
          "company_name", "site_kind", "satellite_id")
          VALUES (1, $1, $2, $3, $4) ON CONFLICT ("installation_id") DO UPDATE
          SET "serial" = excluded."serial",
              "company_name" = excluded."company_name",
              "site_kind" = excluded."site_kind",
              "satellite_id" = excluded."satellite_id")",
             {SqlValue::Text(i.serial), SqlValue::Text(i.company_name),
              SqlValue::Int(static_cast<int64_t>(i.site_kind)),
              SqlValue::Int(i.satellite_id)})
      .status();
}

absl::StatusOr<std::vector<ModuleUsage>> CrmQueries::Usage(
    const std::string& where, const SqlValue& param) {
  // Lock first: FOR UPDATE cannot be combined with GROUP BY.
  RETURN_IF_ERROR(db_.Query(absl::StrCat(R"(SELECT "ModuleLicense_id" FROM )"
                                         R"("ModuleLicense" m WHERE )",
                                         where, ForUpdate()),
                            {param})
                      .status());
  ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(absl::StrCat(
                    R"(SELECT m."ModuleLicense_id", m."moduleName",
          m."moduleVersion", m."licenseNumber", m."unrestricted",
          COALESCE(SUM(l."licenseNumber"), 0)
          FROM "ModuleLicense" m LEFT JOIN "LicenseAssocLink" l
            ON l."moduleLicenseId" = m."ModuleLicense_id" WHERE )",
                    where, R"( GROUP BY m."ModuleLicense_id", m."moduleName",
          m."moduleVersion", m."licenseNumber", m."unrestricted" ORDER BY 1)"),
                {param}));
  std::vector<ModuleUsage> out;
  for (const SqlRow& r : rows) {
    out.push_back({r[0].i, r[1].s, r[2].s, r[3].i, r[4].i != 0, r[5].i});
  }
  return out;
}

absl::StatusOr<std::vector<ModuleUsage>> CrmQueries::CountAssigned(
    absl::string_view owner_name) {
  return Usage(R"(m."ModuleOwner_id" = (SELECT "ModuleOwner_id" FROM )"
               R"("ModuleOwner" WHERE "ownerName" = $1))",
               Text(owner_name));
}

absl::StatusOr<ModuleUsage> CrmQueries::LockModule(int64_t module_license_id) {
  ASSIGN_OR_RETURN(auto usage, Usage(R"(m."ModuleLicense_id" = $1)",
                                     SqlValue::Int(module_license_id)));
  if (usage.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no ModuleLicense row with id ", module_license_id));
  }
  return usage[0];
}

absl::StatusOr<int64_t> CrmQueries::UpsertOwnerRow(const OwnerRecord& owner) {
  ASSIGN_OR_RETURN(auto existing,
                   db_.Query(absl::StrCat(R"(SELECT "ModuleOwner_id" FROM )"
                                          R"("ModuleOwner" WHERE )"
                                          R"("ownerName" = $1)",
                                          ForUpdate()),
                             {SqlValue::Text(owner.owner_name)}));
  std::vector<SqlValue> params = OwnerParams(owner);
  if (existing.empty()) {
    return InsertReturningId(InsertSql("ModuleOwner", kOwnerColumns), params);
  }
  const int64_t id = existing[0][0].i;
  params.push_back(SqlValue::Int(id));
  RETURN_IF_ERROR(
      db_.Query(UpdateSql("ModuleOwner", kOwnerColumns), params).status());
  return id;
}

absl::Status CrmQueries::DeleteModule(int64_t module_license_id) {
  const std::vector<SqlValue> id = {SqlValue::Int(module_license_id)};
  RETURN_IF_ERROR(db_.Query(R"(DELETE FROM "LicenseAssocLink" WHERE )"
                            R"("moduleLicenseId" = $1)",
                            id)
                      .status());
  RETURN_IF_ERROR(db_.Query(R"(DELETE FROM "LicenseSatlLink" WHERE )"
                            R"("moduleLicenseId" = $1)",
                            id)
                      .status());
  return db_
      .Query(R"(DELETE FROM "ModuleLicense" WHERE "ModuleLicense_id" = $1)", id)
      .status();
}

absl::StatusOr<OwnerView> CrmQueries::ReplaceOwner(
    const OwnerRecord& owner, const std::vector<ModuleRecord>& modules) {
  ASSIGN_OR_RETURN(const int64_t owner_id, UpsertOwnerRow(owner));
  using Key = std::pair<std::string, std::string>;
  std::map<Key, int64_t> old_ids;
  ASSIGN_OR_RETURN(auto rows,
                   db_.Query(absl::StrCat(R"(SELECT "ModuleLicense_id", )"
                                          R"("moduleName", "moduleVersion" )"
                                          R"(FROM "ModuleLicense" WHERE )"
                                          R"("ModuleOwner_id" = $1)",
                                          ForUpdate()),
                             {SqlValue::Int(owner_id)}));
  for (const SqlRow& r : rows) old_ids[{r[1].s, r[2].s}] = r[0].i;
  std::map<Key, bool> seen;
  for (ModuleRecord module : modules) {
    Key key{module.module_name, module.module_version};
    if (!seen.emplace(key, true).second) {
      return absl::AlreadyExistsError(absl::StrCat(
          "ModuleLicense: module \"", key.first, "\" version \"", key.second,
          "\" appears twice for owner \"", owner.owner_name, "\""));
    }
    module.owner_id = owner_id;
    std::vector<SqlValue> params = ModuleParams(module);
    auto old = old_ids.find(key);
    if (old == old_ids.end()) {
      RETURN_IF_ERROR(
          InsertReturningId(InsertSql("ModuleLicense", kModuleColumns), params)
              .status());
      continue;
    }
    params.push_back(SqlValue::Int(old->second));
    RETURN_IF_ERROR(
        db_.Query(UpdateSql("ModuleLicense", kModuleColumns), params).status());
    old_ids.erase(old);
  }
  for (const auto& [key, id] : old_ids) RETURN_IF_ERROR(DeleteModule(id));
  return GetOwner(owner.owner_name, /*lock=*/false);
}

absl::Status CrmQueries::MoveLinks(int64_t from_module_id,
                                   int64_t to_module_id) {
  const std::vector<SqlValue> ids = {SqlValue::Int(from_module_id),
                                     SqlValue::Int(to_module_id)};
  RETURN_IF_ERROR(db_.Query(R"(UPDATE "LicenseAssocLink" SET )"
                            R"("moduleLicenseId" = $2 WHERE )"
                            R"("moduleLicenseId" = $1)",
                            ids)
                      .status());
  return db_
      .Query(R"(UPDATE "LicenseSatlLink" SET "moduleLicenseId" = $2 )"
             R"(WHERE "moduleLicenseId" = $1)",
             ids)
      .status();
}

absl::StatusOr<int64_t> CrmQueries::InsertAssocLink(
    const AssocLinkRecord& link) {
  return InsertReturningId(InsertSql("LicenseAssocLink", kAssocLinkColumns),
                           AssocLinkParams(link));
}

absl::StatusOr<int64_t> CrmQueries::InsertSatlLink(const SatlLinkRecord& link) {
  return InsertReturningId(InsertSql("LicenseSatlLink", kSatlLinkColumns),
                           SatlLinkParams(link));
}

absl::Status CrmQueries::DeleteAssocLink(int64_t link_id) {
  ASSIGN_OR_RETURN(auto rows, db_.Query(R"(DELETE FROM "LicenseAssocLink" )"
                                        R"(WHERE "LicenseAssocLink_id" = $1 )"
                                        R"(RETURNING "LicenseAssocLink_id")",
                                        {SqlValue::Int(link_id)}));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no LicenseAssocLink row with id ", link_id));
  }
  return absl::OkStatus();
}

absl::Status CrmQueries::DeleteSatlLink(int64_t link_id) {
  ASSIGN_OR_RETURN(auto rows, db_.Query(R"(DELETE FROM "LicenseSatlLink" )"
                                        R"(WHERE "LicenseSatlLink_id" = $1 )"
                                        R"(RETURNING "LicenseSatlLink_id")",
                                        {SqlValue::Int(link_id)}));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no LicenseSatlLink row with id ", link_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CrmQueries::AddAssociate(const Associate& a) {
  return InsertReturningId(
      R"(INSERT INTO "associate" ("name", "type", "active")
         VALUES ($1, $2, $3) RETURNING "associate_id")",
      {SqlValue::Text(a.name), SqlValue::Int(a.type),
       SqlValue::Int(a.active ? 1 : 0)});
}

absl::Status CrmQueries::RecordEnvelope(const EnvelopeRecord& e) {
  return db_
      .Query(R"(INSERT INTO "license_envelope" ("owner_name", "version",
          "envelope", "imported_at") VALUES ($1, $2, $3, $4))",
             {SqlValue::Text(e.owner_name), SqlValue::Int(e.version),
              SqlValue::Blob(e.envelope), SqlValue::Int(e.imported_at)})
      .status();
}

absl::StatusOr<int64_t> CrmQueries::RecordImport(const ImportHistoryEntry& e) {
  return InsertReturningId(
      R"(INSERT INTO "import_history" ("owner_name", "version", "result",
          "message", "at") VALUES ($1, $2, $3, $4, $5)
          RETURNING "import_history_id")",
      {SqlValue::Text(e.owner_name), SqlValue::Int(e.version),
       SqlValue::Text(e.result), SqlValue::Text(e.message),
       SqlValue::Int(e.at)});
}

absl::Status CrmQueries::RaiseClockWatermark(absl::string_view owner_name,
                                             int64_t seen) {
  return db_
      .Query(R"(INSERT INTO "clock_watermark" ("owner_name", "newest_seen")
          VALUES ($1, $2) ON CONFLICT ("owner_name") DO UPDATE SET
          "newest_seen" = CASE
            WHEN excluded."newest_seen" > "clock_watermark"."newest_seen"
            THEN excluded."newest_seen"
            ELSE "clock_watermark"."newest_seen" END)",
             {Text(owner_name), SqlValue::Int(seen)})
      .status();
}

absl::Status CrmQueries::InsertConsumption(
    const std::vector<ConsumptionRecord>& records) {
  for (const ConsumptionRecord& r : records) {
    RETURN_IF_ERROR(
        db_.Query(R"(INSERT INTO "consumption" ("service", "amount", "at",
            "associate_id", "owner_name") VALUES ($1, $2, $3, $4, $5))",
                  {SqlValue::Text(r.service), SqlValue::Int(r.amount),
                   SqlValue::Int(r.at),
                   r.associate_id == 0 ? SqlValue::Null()
                                       : SqlValue::Int(r.associate_id),
                   SqlValue::Text(r.owner_name)})
            .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CrmQueries::AddSystemMessage(const SystemMessage& m) {
  return InsertReturningId(
      R"(INSERT INTO "system_message" ("owner_name", "operation", "status",
          "message", "started", "started_by", "expected_end", "type")
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
          RETURNING "system_message_id")",
      {SqlValue::Text(m.owner_name), SqlValue::Text(m.operation),
       SqlValue::Text(m.status), SqlValue::Text(m.message),
       SqlValue::Int(m.started), SqlValue::Text(m.started_by),
       m.expected_end ? SqlValue::Int(*m.expected_end) : SqlValue::Null(),
       SqlValue::Text(m.type)});
}

}  // namespace superlicense::client::internal
