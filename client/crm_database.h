// CrmDatabase: the CRM database the client library reads and writes: the
// SuperOffice licensing tables (ModuleOwner, ModuleLicense, LicenseAssocLink,
// LicenseSatlLink; columns as in docs/DOMAIN.md) plus the client's own tables
// (installation, license_envelope, import_history, associate,
// clock_watermark, license_change, consumption, system_message). Two backends
// share one logical schema: SQLite ("sqlite:PATH") and PostgreSQL
// ("postgresql://..." libpq URI).
//
// Callers see typed records, never SQL. Every value reaches the database as a
// bound parameter.
//
// Conventions:
//  * Times are Unix seconds (int64), as in license.proto. 0 means "none" for
//    expiration; nextCheckDate / adminWarningDate are nullable (nullopt).
//  * Strings that DOMAIN.md calls nullable are stored as NULL when empty
//    except moduleVersion, which is stored as '' so that the unique index on
//    (moduleName, moduleVersion, ModuleOwner_id) also holds for modules
//    without a version.
//  * Ids (ModuleOwner_id, ModuleLicense_id, ...) are assigned by the database;
//    the id fields of records passed to inserts are ignored.
//
// Concurrency: a CrmDatabase is ONE connection and is not thread-safe. Open
// one CrmDatabase per thread (Open() again with the same url); the database
// itself arbitrates between connections:
//  * SQLite: BeginWrite() is BEGIN IMMEDIATE, so at most one write
//    transaction runs at a time; others wait up to the busy timeout (60 s)
//    and then fail with ABORTED.
//  * PostgreSQL: BeginWrite() is BEGIN (READ COMMITTED). LockOwner(),
//    CountAssigned() and LockModule() take row locks (SELECT ... FOR UPDATE)
//    on the owner's ModuleOwner / ModuleLicense rows, held until the
//    transaction ends; because READ COMMITTED takes a new snapshot per
//    statement, a count read after the lock sees every committed assignment.
// So "lock, count, insert if below N, commit" never exceeds N on either
// backend, and the importer's "lock owner, check counts, replace rows" is
// atomic.
//
// Errors (absl::Status codes):
//  INVALID_ARGUMENT   unknown url scheme, bad record (the url is named with
//                     any password replaced by "***")
//  UNAVAILABLE        cannot connect / open the file
//  FAILED_PRECONDITION database schema is newer than this library; foreign
//                     key or check constraint violated; transaction already
//                     failed or finished
//  ALREADY_EXISTS     unique / primary key violated (message names the table)
//  NOT_FOUND          the requested row does not exist
//  ABORTED            lock timeout, deadlock or serialization failure:
//                     retry the whole transaction
//  INTERNAL           anything else the database reports
#ifndef SUPERLICENSE_CLIENT_CRM_DATABASE_H_
#define SUPERLICENSE_CLIENT_CRM_DATABASE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense::client {

// The schema version this library creates and understands.
inline constexpr int kCrmSchemaVersion = 3;

// Audit columns shared by the CRM tables.
struct AuditColumns {
  int64_t registered = 0;
  int64_t registered_associate_id = 0;
  int64_t updated = 0;
  int64_t updated_associate_id = 0;
  int64_t updated_count = 0;
};

// One ModuleOwner row.
struct OwnerRecord {
  int64_t id = 0;  // ModuleOwner_id
  std::string owner_name;
  std::string owner_description;
  std::string license_url;
  int64_t license_version = 0;
  std::string signed_public_key;  // bytes
  std::string signature;          // bytes
  std::string deployment_type;    // nullable: "" stored as NULL
  int64_t product_type = 0;
  std::string product_type_description;  // nullable
  int64_t extra_flags = 0;
  std::string extra_info;  // nullable
  int64_t expiration = 0;
  int64_t grace_to = 0;
  int64_t maintenance_to = 0;
  std::optional<int64_t> next_check_date;
  std::optional<int64_t> admin_warning_date;
  std::string encrypted_check;  // bytes
  AuditColumns audit;
};

// One ModuleLicense row.
struct ModuleRecord {
  int64_t id = 0;  // ModuleLicense_id
  std::string module_name;
  std::string module_description;
  std::string module_version;  // '' when the module has no version
  std::string tooltip;
  int64_t license_type = 0;  // 1 system, 2 site, 3 user
  int64_t license_number = 0;
  int64_t allowed_assocs_mask = 0;
  int64_t extra_flags = 0;
  std::string extra_info;       // nullable
  std::string encrypted_check;  // bytes
  AuditColumns audit;
  int64_t owner_id = 0;  // ModuleOwner_id; set by ReplaceOwner()
  int64_t sort_order = 0;
  std::string signature;  // bytes
  bool unrestricted = false;
  bool hidden = false;
  std::string prerequisite_module;  // nullable
};

// One LicenseAssocLink row (a license assigned to an associate).
struct AssocLinkRecord {
  int64_t id = 0;
  int64_t module_license_id = 0;
  int64_t assoc_id = 0;
  int64_t valid_from = 0;
  int64_t valid_to = 0;
  int64_t license_number = 1;
  std::string comment;
  std::string encrypted_check;  // bytes
  AuditColumns audit;
};

// One LicenseSatlLink row (a license assigned to a satellite database).
struct SatlLinkRecord {
  int64_t id = 0;
  int64_t module_license_id = 0;
  int64_t satellite_id = 0;
  int64_t valid_from = 0;
  int64_t valid_to = 0;
  int64_t license_number = 1;
  std::string comment;
  std::string encrypted_check;  // bytes
  AuditColumns audit;
};

// An owner with all of its rows, ordered by id.
struct OwnerView {
  OwnerRecord owner;
  std::vector<ModuleRecord> modules;
  std::vector<AssocLinkRecord> assoc_links;
  std::vector<SatlLinkRecord> satl_links;
};

// How much of one module is in use: SUM(LicenseAssocLink.licenseNumber).
struct ModuleUsage {
  int64_t module_license_id = 0;
  std::string module_name;
  std::string module_version;
  int64_t license_number = 0;
  bool unrestricted = false;
  int64_t assigned = 0;
};

enum class SiteKind : int64_t { kCentral = 0, kSatellite = 1 };

// The single installation row: who this CRM database belongs to.
struct Installation {
  std::string serial;
  std::string company_name;
  SiteKind site_kind = SiteKind::kCentral;
  int64_t satellite_id = 0;
};

// A user (or resource) that can hold licenses.
struct Associate {
  int64_t id = 0;  // associate_id
  std::string name;
  int64_t type = 0;  // the allowedAssocsMask bit of this associate's type
  bool active = true;
};

// The raw signed envelope of one imported license set.
struct EnvelopeRecord {
  std::string owner_name;
  int64_t version = 0;
  std::string envelope;  // bytes, exactly as received
  int64_t imported_at = 0;
};

// One attempt to import a set, accepted or not.
struct ImportHistoryEntry {
  int64_t id = 0;
  std::string owner_name;
  int64_t version = 0;
  std::string result;  // e.g. "accepted", "rejected"
  std::string message;
  int64_t at = 0;
};

// One use of a metered service (table consumption; client/consumption.h).
struct ConsumptionRecord {
  int64_t id = 0;
  std::string service;       // "storage", "mailing_emails", ...
  int64_t amount = 0;        // >= 0, in the service's unit
  int64_t at = 0;            // Unix seconds
  int64_t associate_id = 0;  // who; 0 = nobody in particular (NULL)
  std::string owner_name;    // whose metered services it counts against
};

// The use of one service in a time range [from, to).
struct ConsumptionTotal {
  std::string service;
  int64_t sum = 0;    // SUM(amount)
  int64_t max = 0;    // MAX(amount)
  int64_t count = 0;  // records
};

// One line of the status tab's system messages (client/system_messages.h).
struct SystemMessage {
  int64_t id = 0;
  std::string owner_name;  // "" when about no owner in particular
  std::string operation;   // e.g. "import", "license-state"
  std::string status;      // e.g. "started", "finished", "rejected", "ok"
  std::string message;
  int64_t started = 0;  // Unix seconds
  std::string started_by;
  std::optional<int64_t> expected_end;  // Unix seconds; nullable
  std::string type;                     // "info", "warning" or "error"
};

// Reads shared by CrmDatabase (each call in its own read transaction) and
// CrmTransaction (inside the transaction). NOT_FOUND when a row is missing.
class CrmReader {
 public:
  virtual ~CrmReader() = default;

  virtual absl::StatusOr<Installation> GetInstallation() = 0;
  // Returns the owner with its module rows and links.
  virtual absl::StatusOr<OwnerView> GetOwner(absl::string_view owner_name) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListOwnerNames() = 0;
  virtual absl::StatusOr<Associate> FindAssociateById(int64_t id) = 0;
  virtual absl::StatusOr<Associate> FindAssociateByName(
      absl::string_view name) = 0;
  virtual absl::StatusOr<std::vector<Associate>> ListAssociates() = 0;
  // Returns the links of one associate.
  virtual absl::StatusOr<std::vector<AssocLinkRecord>> ListAssocLinksOf(
      int64_t assoc_id) = 0;
  // Returns the highest version recorded for the owner in license_envelope
  // or import_history (result "accepted"); 0 when none.
  virtual absl::StatusOr<int64_t> HighestImportedVersion(
      absl::string_view owner_name) = 0;
  // Returns the newest envelope stored for the owner.
  virtual absl::StatusOr<EnvelopeRecord> LatestEnvelope(
      absl::string_view owner_name) = 0;
  virtual absl::StatusOr<std::vector<ImportHistoryEntry>> ListImportHistory(
      absl::string_view owner_name) = 0;
  // Returns the newest time seen for the owner (clock-rollback detection);
  // 0 when none.
  virtual absl::StatusOr<int64_t> GetClockWatermark(
      absl::string_view owner_name) = 0;
  // Returns, per service with records, the use recorded for `owner_name`
  // with from <= at < to, ordered by service.
  virtual absl::StatusOr<std::vector<ConsumptionTotal>> SumConsumption(
      absl::string_view owner_name, int64_t from, int64_t to) = 0;
  // Returns the newest `limit` system messages, newest first.
  virtual absl::StatusOr<std::vector<SystemMessage>> ListSystemMessages(
      int64_t limit) = 0;
  // Returns the newest system message of `owner_name` for `operation`;
  // NOT_FOUND when there is none.
  virtual absl::StatusOr<SystemMessage> LatestSystemMessage(
      absl::string_view owner_name, absl::string_view operation) = 0;
  // Returns every row of every table as text, in a stable order; for tests
  // and diagnostics.
  virtual absl::StatusOr<std::string> Dump() = 0;
  // Returns the change stamp: a number that changes with every committed
  // change to ModuleOwner, ModuleLicense, LicenseAssocLink, LicenseSatlLink,
  // license_envelope, clock_watermark or installation, including edits made
  // with raw SQL behind this library's back (database triggers maintain
  // it). Equal stamps mean none of those tables changed in between.
  // consumption and system_message are not licensing state and do not move
  // it.
  virtual absl::StatusOr<int64_t> ChangeStamp() = 0;
};

// A write transaction. Rolls back on destruction unless Commit() succeeded.
// After any failed call the transaction is failed: every later call,
// including Commit(), returns FAILED_PRECONDITION and nothing is written.
// Borrows the connection of the CrmDatabase that made it, which must outlive
// it. Not thread-safe.
class CrmTransaction : public CrmReader {
 public:
  // Sets the single installation row (insert or replace).
  virtual absl::Status SetInstallation(const Installation& installation) = 0;

  // Returns the installation row, locked until the transaction ends: write
  // transactions that start with it (imports) run one after another, even
  // when the owner is not installed yet. NOT_FOUND when not initialised.
  virtual absl::StatusOr<Installation> LockInstallation() = 0;

  // Locks the owner row and its module rows until the transaction ends and
  // returns them with their links. NOT_FOUND when the owner is not
  // installed (nothing is locked then; on SQLite BEGIN IMMEDIATE already
  // excludes other writers).
  virtual absl::StatusOr<OwnerView> LockOwner(absl::string_view owner_name) = 0;
  // Locks the owner's module rows and returns, per module, its
  // licenseNumber and the SUM of LicenseAssocLink.licenseNumber.
  virtual absl::StatusOr<std::vector<ModuleUsage>> CountAssigned(
      absl::string_view owner_name) = 0;
  // Locks one module row and returns its usage. NOT_FOUND if absent.
  virtual absl::StatusOr<ModuleUsage> LockModule(int64_t module_license_id) = 0;

  // Installs `owner` and exactly `modules` for owner.owner_name:
  //  * the ModuleOwner row is updated in place (its id is kept) or inserted;
  //  * a module row whose (moduleName, moduleVersion) already exists for the
  //    owner is updated in place: it keeps its ModuleLicense_id, so its
  //    LicenseAssocLink / LicenseSatlLink rows stay valid untouched;
  //  * new modules are inserted;
  //  * modules no longer present are deleted together with their links
  //    (the importer has checked beforehand that this is allowed).
  // Returns the installed view with the ids. ALREADY_EXISTS when `modules`
  // repeats a (moduleName, moduleVersion).
  virtual absl::StatusOr<OwnerView> ReplaceOwner(
      const OwnerRecord& owner, const std::vector<ModuleRecord>& modules) = 0;
  // Changes the module of every LicenseAssocLink / LicenseSatlLink row of
  // `from_module_id` to `to_module_id` (e.g. when a module changes version).
  virtual absl::Status MoveLinks(int64_t from_module_id,
                                 int64_t to_module_id) = 0;

  // Inserts a link; returns its id. ALREADY_EXISTS when the associate
  // already holds the module; FAILED_PRECONDITION when the module or the
  // associate does not exist.
  virtual absl::StatusOr<int64_t> InsertAssocLink(
      const AssocLinkRecord& link) = 0;
  // Deletes a link by id; NOT_FOUND if absent.
  virtual absl::Status DeleteAssocLink(int64_t link_id) = 0;
  virtual absl::StatusOr<int64_t> InsertSatlLink(
      const SatlLinkRecord& link) = 0;
  virtual absl::Status DeleteSatlLink(int64_t link_id) = 0;

  // Adds an associate; returns its id. ALREADY_EXISTS when the name is taken.
  virtual absl::StatusOr<int64_t> AddAssociate(const Associate& associate) = 0;

  // Stores the envelope of an imported set. ALREADY_EXISTS when the owner
  // already has an envelope with that version.
  virtual absl::Status RecordEnvelope(const EnvelopeRecord& envelope) = 0;
  // Appends to import_history; returns the entry's id.
  virtual absl::StatusOr<int64_t> RecordImport(
      const ImportHistoryEntry& entry) = 0;
  // Appends consumption records (ids ignored); FAILED_PRECONDITION for a
  // negative amount (check constraint).
  virtual absl::Status InsertConsumption(
      const std::vector<ConsumptionRecord>& records) = 0;
  // Appends a system message; returns its id. FAILED_PRECONDITION for a
  // type other than "info", "warning", "error" (check constraint).
  virtual absl::StatusOr<int64_t> AddSystemMessage(
      const SystemMessage& message) = 0;
  // Raises the owner's clock watermark to `seen` (never lowers it).
  virtual absl::Status RaiseClockWatermark(absl::string_view owner_name,
                                           int64_t seen) = 0;

  // Makes every change durable. FAILED_PRECONDITION if the transaction had
  // failed; ABORTED when the database refuses the commit (retry).
  virtual absl::Status Commit() = 0;
};

// One connection to a CRM database. See the file comment for concurrency.
class CrmDatabase : public CrmReader {
 public:
  // Opens `url` ("sqlite:PATH" or "postgresql://..." / "postgres://...")
  // and creates or migrates the schema in one transaction.
  // INVALID_ARGUMENT for another scheme; UNAVAILABLE when the database
  // cannot be opened; FAILED_PRECONDITION when its schema is newer than
  // kCrmSchemaVersion.
  static absl::StatusOr<std::unique_ptr<CrmDatabase>> Open(
      absl::string_view url);

  // Starts a write transaction (see the file comment for locking).
  // FAILED_PRECONDITION while another transaction of this object is open;
  // ABORTED when the database stays locked past the busy timeout.
  virtual absl::StatusOr<std::unique_ptr<CrmTransaction>> BeginWrite() = 0;

  // Returns the schema version stored in the database.
  virtual absl::StatusOr<int> SchemaVersion() = 0;
};

// Returns `url` with any password (user:PASSWORD@ or password=...) replaced
// by "***", for error messages and logs.
std::string RedactUrl(absl::string_view url);

}  // namespace superlicense::client

#endif  // SUPERLICENSE_CLIENT_CRM_DATABASE_H_
