// The write operations of CrmQueries. They assume an open write transaction.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <map>
#include <set>
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

// See SetBatchParameterCapForTesting(); 0: no cap.
std::atomic<size_t> batch_parameter_cap{0};

// Returns ALREADY_EXISTS when `modules` repeats a (moduleName,
// moduleVersion), before anything is written.
absl::Status CheckModuleKeysUnique(const OwnerRecord& owner,
                                   const std::vector<ModuleRecord>& modules) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const ModuleRecord& module : modules) {
    if (!seen.insert({module.module_name, module.module_version}).second) {
      return absl::AlreadyExistsError(absl::StrCat(
          "ModuleLicense: module \"", module.module_name, "\" version \"",
          module.module_version, "\" appears twice for owner \"",
          owner.owner_name, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

void SetBatchParameterCapForTesting(size_t cap) {
  batch_parameter_cap.store(cap);
}

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

size_t CrmQueries::BatchRows(size_t params_per_row) const {
  size_t limit = db_.MaxParameters();
  const size_t cap = batch_parameter_cap.load();
  if (cap != 0 && cap < limit) limit = cap;
  return std::max<size_t>(1, limit / std::max<size_t>(1, params_per_row));
}

absl::Status CrmQueries::ForEachBatch(const std::vector<BatchRow>& rows,
                                      const BatchStatement& run) {
  if (rows.empty()) return absl::OkStatus();
  const size_t batch = BatchRows(rows[0].size());
  for (size_t first = 0; first < rows.size(); first += batch) {
    RETURN_IF_ERROR(run(&rows[first], std::min(batch, rows.size() - first)));
  }
  return absl::OkStatus();
}

absl::StatusOr<CrmQueries::ModuleIds> CrmQueries::LockModuleIds(
    int64_t owner_id) {
  ASSIGN_OR_RETURN(auto rows,
                   db_.Query(absl::StrCat(R"(SELECT "ModuleLicense_id", )"
                                          R"("moduleName", "moduleVersion" )"
                                          R"(FROM "ModuleLicense" WHERE )"
                                          R"("ModuleOwner_id" = $1)",
                                          ForUpdate()),
                             {SqlValue::Int(owner_id)}));
  ModuleIds ids;
  for (const SqlRow& r : rows) ids[{r[1].s, r[2].s}] = r[0].i;
  return ids;
}

absl::Status CrmQueries::UpdateModules(const std::vector<BatchRow>& rows) {
  const SqlDialect dialect = db_.dialect();
  return ForEachBatch(rows, [&](const BatchRow* batch, size_t n) {
    return db_
        .Query(MultiRowUpdateSql(dialect, "ModuleLicense", kModuleColumns,
                                 kModuleColumnTypes, n),
               BatchParams(dialect, batch, n))
        .status();
  });
}

absl::Status CrmQueries::InsertModules(const std::vector<BatchRow>& rows) {
  // No RETURNING: ReplaceOwner reads the rows back, each id together with
  // its own moduleName and moduleVersion, so no id is matched to a row by
  // position.
  const SqlDialect dialect = db_.dialect();
  return ForEachBatch(rows, [&](const BatchRow* batch, size_t n) {
    return db_
        .Query(MultiRowInsertSql(dialect, "ModuleLicense", kModuleColumns,
                                 kModuleColumnTypes, n),
               BatchParams(dialect, batch, n))
        .status();
  });
}

absl::Status CrmQueries::DeleteModules(const std::vector<int64_t>& ids) {
  std::vector<BatchRow> rows;
  rows.reserve(ids.size());
  for (int64_t id : ids) rows.push_back({SqlValue::Int(id)});
  const SqlDialect dialect = db_.dialect();
  return ForEachBatch(rows, [&](const BatchRow* batch, size_t n) {
    const std::vector<SqlValue> params = BatchParams(dialect, batch, n);
    // Links first: they reference the module rows.
    for (const char* links : {"LicenseAssocLink", "LicenseSatlLink"}) {
      RETURN_IF_ERROR(
          db_.Query(DeleteInSql(dialect, links, R"("moduleLicenseId")", n),
                    params)
              .status());
    }
    return db_
        .Query(
            DeleteInSql(dialect, "ModuleLicense", R"("ModuleLicense_id")", n),
            params)
        .status();
  });
}

absl::StatusOr<OwnerView> CrmQueries::ReplaceOwner(
    const OwnerRecord& owner, const std::vector<ModuleRecord>& modules) {
  RETURN_IF_ERROR(CheckModuleKeysUnique(owner, modules));
  ASSIGN_OR_RETURN(const int64_t owner_id, UpsertOwnerRow(owner));
  ASSIGN_OR_RETURN(ModuleIds old_ids, LockModuleIds(owner_id));
  std::vector<BatchRow> updates;
  std::vector<BatchRow> inserts;
  for (ModuleRecord module : modules) {
    module.owner_id = owner_id;
    BatchRow params = ModuleParams(module);
    auto old = old_ids.find({module.module_name, module.module_version});
    if (old == old_ids.end()) {
      inserts.push_back(std::move(params));
      continue;
    }
    params.insert(params.begin(), SqlValue::Int(old->second));
    updates.push_back(std::move(params));
    old_ids.erase(old);
  }
  std::vector<int64_t> gone;
  for (const auto& [key, id] : old_ids) gone.push_back(id);
  // As before batching: new rows are inserted in the set's order (so their
  // ids follow it), and rows are deleted last.
  RETURN_IF_ERROR(UpdateModules(updates));
  RETURN_IF_ERROR(InsertModules(inserts));
  RETURN_IF_ERROR(DeleteModules(gone));
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
