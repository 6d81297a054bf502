#include "client/internal/schema.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/crm_database.h"
#include "keys/status_macros.h"

namespace superlicense::client::internal {
namespace {

// Version 1. Types are placeholders filled in per backend by Render(); the
// logical schema is the same on both. Audit columns follow DOMAIN.md.
constexpr const char* kAudit =
    R"("registered" {INT} NOT NULL DEFAULT 0,
  "registered_associate_id" {INT} NOT NULL DEFAULT 0,
  "updated" {INT} NOT NULL DEFAULT 0,
  "updated_associate_id" {INT} NOT NULL DEFAULT 0,
  "updatedCount" {INT} NOT NULL DEFAULT 0)";

const std::vector<std::string>& SchemaV1() {
  static const auto* statements = new std::vector<std::string>{
      R"(CREATE TABLE "associate" (
  "associate_id" {PK},
  "name" TEXT NOT NULL UNIQUE,
  "type" {INT} NOT NULL DEFAULT 0,
  "active" {BOOL} NOT NULL DEFAULT {TRUE}))",
      absl::StrCat(R"(CREATE TABLE "ModuleOwner" (
  "ModuleOwner_id" {PK},
  "ownerName" TEXT NOT NULL UNIQUE,
  "ownerDescription" TEXT NOT NULL DEFAULT '',
  "licenseUrl" TEXT NOT NULL DEFAULT '',
  "licenseVersion" {INT} NOT NULL DEFAULT 0,
  "signedPublicKey" {BLOB} NOT NULL,
  "signature" {BLOB} NOT NULL,
  "deploymentType" TEXT,
  "productType" {INT} NOT NULL DEFAULT 0,
  "productTypeDescription" TEXT,
  "extraFlags" {INT} NOT NULL DEFAULT 0,
  "extraInfo" TEXT,
  "expiration" {INT} NOT NULL DEFAULT 0,
  "graceTo" {INT} NOT NULL DEFAULT 0,
  "maintenanceTo" {INT} NOT NULL DEFAULT 0,
  "nextCheckDate" {INT},
  "adminWarningDate" {INT},
  "encryptedCheck" {BLOB} NOT NULL,
  )",
                   kAudit, ")"),
      absl::StrCat(R"(CREATE TABLE "ModuleLicense" (
  "ModuleLicense_id" {PK},
  "moduleName" TEXT NOT NULL,
  "moduleDescription" TEXT NOT NULL DEFAULT '',
  "moduleVersion" TEXT NOT NULL DEFAULT '',
  "tooltip" TEXT NOT NULL DEFAULT '',
  "licenseType" {INT} NOT NULL,
  "licenseNumber" {INT} NOT NULL,
  "allowedAssocsMask" {INT} NOT NULL DEFAULT 0,
  "extraFlags" {INT} NOT NULL DEFAULT 0,
  "extraInfo" TEXT,
  "encryptedCheck" {BLOB} NOT NULL,
  )",
                   kAudit, R"(,
  "ModuleOwner_id" {INT} NOT NULL REFERENCES "ModuleOwner" ("ModuleOwner_id"),
  "sortOrder" {INT} NOT NULL DEFAULT 0,
  "signature" {BLOB} NOT NULL,
  "unrestricted" {BOOL} NOT NULL DEFAULT {FALSE},
  "hidden" {BOOL} NOT NULL DEFAULT {FALSE},
  "prerequisiteModule" TEXT,
  UNIQUE ("moduleName", "moduleVersion", "ModuleOwner_id")))"),
      absl::StrCat(R"(CREATE TABLE "LicenseAssocLink" (
  "LicenseAssocLink_id" {PK},
  "moduleLicenseId" {INT} NOT NULL
      REFERENCES "ModuleLicense" ("ModuleLicense_id"),
  "assocId" {INT} NOT NULL REFERENCES "associate" ("associate_id"),
  "validFrom" {INT} NOT NULL DEFAULT 0,
  "validTo" {INT} NOT NULL DEFAULT 0,
  "licenseNumber" {INT} NOT NULL DEFAULT 1,
  "comment" TEXT NOT NULL DEFAULT '',
  "encryptedCheck" {BLOB} NOT NULL,
  )",
                   kAudit, R"(,
  UNIQUE ("moduleLicenseId", "assocId")))"),
      absl::StrCat(R"(CREATE TABLE "LicenseSatlLink" (
  "LicenseSatlLink_id" {PK},
  "moduleLicenseId" {INT} NOT NULL
      REFERENCES "ModuleLicense" ("ModuleLicense_id"),
  "satelliteId" {INT} NOT NULL,
  "validFrom" {INT} NOT NULL DEFAULT 0,
  "validTo" {INT} NOT NULL DEFAULT 0,
  "licenseNumber" {INT} NOT NULL DEFAULT 1,
  "comment" TEXT NOT NULL DEFAULT '',
  "encryptedCheck" {BLOB} NOT NULL,
  )",
                   kAudit, R"(,
  UNIQUE ("moduleLicenseId", "satelliteId")))"),
      R"(CREATE TABLE "installation" (
  "installation_id" {INT} PRIMARY KEY CHECK ("installation_id" = 1),
  "serial" TEXT NOT NULL,
  "company_name" TEXT NOT NULL,
  "site_kind" {INT} NOT NULL,
  "satellite_id" {INT} NOT NULL DEFAULT 0))",
      R"(CREATE TABLE "license_envelope" (
  "license_envelope_id" {PK},
  "owner_name" TEXT NOT NULL,
  "version" {INT} NOT NULL,
  "envelope" {BLOB} NOT NULL,
  "imported_at" {INT} NOT NULL,
  UNIQUE ("owner_name", "version")))",
      R"(CREATE TABLE "import_history" (
  "import_history_id" {PK},
  "owner_name" TEXT NOT NULL,
  "version" {INT} NOT NULL,
  "result" TEXT NOT NULL,
  "message" TEXT NOT NULL,
  "at" {INT} NOT NULL))",
      R"(CREATE INDEX "import_history_owner" ON "import_history"
  ("owner_name", "version"))",
      R"(CREATE TABLE "clock_watermark" (
  "owner_name" TEXT PRIMARY KEY,
  "newest_seen" {INT} NOT NULL))",
  };
  return *statements;
}

// The tables whose every committed change moves the change stamp.
const std::vector<std::string>& StampedTables() {
  static const auto* tables = new std::vector<std::string>{
      "ModuleOwner",     "ModuleLicense",    "LicenseAssocLink",
      "LicenseSatlLink", "license_envelope", "clock_watermark",
      "installation"};
  return *tables;
}

// Version 2: the change stamp (CrmReader::ChangeStamp()). One row, bumped by
// triggers, so that edits made with raw SQL move it too. The increment is an
// UPDATE of the row, so it is transactional: a rolled-back change leaves the
// stamp alone, and a reader never sees the new stamp before the change.
std::vector<std::string> SchemaV2(SqlDialect dialect) {
  std::vector<std::string> statements = {
      R"(CREATE TABLE "license_change" (
  "license_change_id" {INT} PRIMARY KEY CHECK ("license_change_id" = 1),
  "stamp" {INT} NOT NULL))",
      R"(INSERT INTO "license_change" ("license_change_id", "stamp")
  VALUES (1, 1))",
  };
  if (dialect == SqlDialect::kPostgres) {
    // One statement-level trigger per table and event; TRUNCATE included.
    statements.push_back(
        R"(CREATE FUNCTION "license_change_bump"() RETURNS trigger
  LANGUAGE plpgsql AS $body$
BEGIN
  UPDATE "license_change" SET "stamp" = "stamp" + 1;
  RETURN NULL;
END
$body$)");
    for (const std::string& table : StampedTables()) {
      statements.push_back(absl::StrCat(
          R"(CREATE TRIGGER "license_change_)", table,
          R"(" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ")", table,
          R"(" FOR EACH STATEMENT EXECUTE FUNCTION "license_change_bump"())"));
    }
    return statements;
  }
  // SQLite has row-level triggers only; writers are serialised anyway.
  for (const std::string& table : StampedTables()) {
    for (const char* event : {"INSERT", "UPDATE", "DELETE"}) {
      statements.push_back(absl::StrCat(
          R"(CREATE TRIGGER "license_change_)", table, "_", event,
          R"(" AFTER )", event, R"( ON ")", table,
          R"(" BEGIN UPDATE "license_change" SET "stamp" = "stamp" + 1; END)"));
    }
  }
  return statements;
}

// Version 3: consumption (metered use, client/consumption.h) and the
// status tab's system messages (client/system_messages.h). Neither moves the
// change stamp: they are not licensing state.
const std::vector<std::string>& SchemaV3() {
  static const auto* statements = new std::vector<std::string>{
      R"(CREATE TABLE "consumption" (
  "consumption_id" {PK},
  "service" TEXT NOT NULL,
  "amount" {INT} NOT NULL CHECK ("amount" >= 0),
  "at" {INT} NOT NULL,
  "associate_id" {INT},
  "owner_name" TEXT NOT NULL DEFAULT ''))",
      R"(CREATE INDEX "consumption_service_at" ON "consumption"
  ("service", "at"))",
      R"(CREATE TABLE "system_message" (
  "system_message_id" {PK},
  "owner_name" TEXT NOT NULL DEFAULT '',
  "operation" TEXT NOT NULL,
  "status" TEXT NOT NULL,
  "message" TEXT NOT NULL,
  "started" {INT} NOT NULL,
  "started_by" TEXT NOT NULL DEFAULT '',
  "expected_end" {INT},
  "type" TEXT NOT NULL CHECK ("type" IN ('info', 'warning', 'error'))))",
      R"(CREATE INDEX "system_message_owner" ON "system_message"
  ("owner_name", "operation"))",
  };
  return *statements;
}

std::string Render(SqlDialect dialect, const std::string& sql) {
  if (dialect == SqlDialect::kSqlite) {
    return absl::StrReplaceAll(sql,
                               {{"{PK}", "INTEGER PRIMARY KEY AUTOINCREMENT"},
                                {"{INT}", "INTEGER"},
                                {"{BOOL}", "INTEGER"},
                                {"{TRUE}", "1"},
                                {"{FALSE}", "0"},
                                {"{BLOB}", "BLOB"}});
  }
  return absl::StrReplaceAll(
      sql, {{"{PK}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
            {"{INT}", "BIGINT"},
            {"{BOOL}", "BOOLEAN"},
            {"{TRUE}", "TRUE"},
            {"{FALSE}", "FALSE"},
            {"{BLOB}", "BYTEA"}});
}

absl::Status ApplyMigrations(SqlConnection& db) {
  if (db.dialect() == SqlDialect::kPostgres) {
    // Serialises concurrent first opens (CREATE TABLE is not idempotent
    // under concurrency in PostgreSQL).
    RETURN_IF_ERROR(db.Exec("SELECT pg_advisory_xact_lock(7275001)"));
  }
  RETURN_IF_ERROR(db.Exec(
      R"(CREATE TABLE IF NOT EXISTS "schema_version" ("version" INTEGER NOT NULL))"));
  ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db));
  if (version > kCrmSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("CRM database schema version ", version,
                     " is newer than this library's version ",
                     kCrmSchemaVersion, "; upgrade the client"));
  }
  if (version == kCrmSchemaVersion) return absl::OkStatus();
  if (version < 1) {
    for (const std::string& statement : SchemaV1()) {
      RETURN_IF_ERROR(db.Exec(Render(db.dialect(), statement)));
    }
  }
  if (version < 2) {
    for (const std::string& statement : SchemaV2(db.dialect())) {
      RETURN_IF_ERROR(db.Exec(Render(db.dialect(), statement)));
    }
  }
  if (version < 3) {
    for (const std::string& statement : SchemaV3()) {
      RETURN_IF_ERROR(db.Exec(Render(db.dialect(), statement)));
    }
  }
  RETURN_IF_ERROR(db.Exec(R"(DELETE FROM "schema_version")"));
  return db
      .Query(R"(INSERT INTO "schema_version" ("version") VALUES ($1))",
             {SqlValue::Int(kCrmSchemaVersion)})
      .status();
}

}  // namespace

absl::StatusOr<int> ReadSchemaVersion(SqlConnection& db) {
  ASSIGN_OR_RETURN(
      auto rows,
      db.Query(R"(SELECT MAX("version") FROM "schema_version")", {}));
  if (rows.empty() || rows[0].empty() || rows[0][0].is_null()) return 0;
  return static_cast<int>(rows[0][0].i);
}

absl::Status MigrateSchema(SqlConnection& db) {
  RETURN_IF_ERROR(db.BeginWrite());
  absl::Status status = ApplyMigrations(db);
  if (status.ok()) status = db.Exec("COMMIT");
  if (!status.ok()) db.Exec("ROLLBACK").IgnoreError();
  return status;
}

const std::vector<std::string>& SchemaTables() {
  static const auto* tables = new std::vector<std::string>{
      "schema_version",  "installation",     "associate",
      "ModuleOwner",     "ModuleLicense",    "LicenseAssocLink",
      "LicenseSatlLink", "license_envelope", "import_history",
      "clock_watermark", "license_change",   "consumption",
      "system_message"};
  return *tables;
}

}  // namespace superlicense::client::internal
