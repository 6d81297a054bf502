// AuthorityStore: the authority's records in RocksDB (customers, issued
// license sets, newest version per customer, idempotency keys, metered usage
// per month, the hash-chained audit log), each change one atomic, synced
// write.
//
// Versions per (owner, serial) are 1, 2, 3, ... with no gap and no repeat:
// IssueNext allocates under a per-customer lock and writes the set, the new
// newest version, the idempotency record and the audit event in one batch.
// A crash before the batch is durable leaves nothing; after it, everything.
// Thread-safe.
#ifndef SUPERLICENSE_AUTHORITY_STORE_AUTHORITY_STORE_H_
#define SUPERLICENSE_AUTHORITY_STORE_AUTHORITY_STORE_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "authority/store/rocks_store.h"
#include "authority/store/store_records.pb.h"
#include "keys/clock.h"
#include "superlicense/v1/authority.pb.h"
#include "superlicense/v1/catalog.pb.h"

namespace superlicense::authority {

// Who did what, for the audit log.
struct AuditEntry {
  std::string principal;
  std::string method;   // e.g. "IssueLicenseSet"
  std::string subject;  // key request fields, e.g. "serial=1010000014 v=3"
  std::string result;   // canonical code name, e.g. "OK"
};

// Idempotency of an issuing request: the same key from the same principal
// returns the first result; with a different request it is refused.
struct IdempotencyKey {
  std::string principal;
  std::string key;             // empty: none
  std::string request_digest;  // SHA-256 of the request
};

// An issued set as a fetch sends it: its version and its
// v1::SignedLicenseSet in the bytes it was stored as, never parsed by the
// store. RocksDB checks every block it reads against its checksum; the
// installation verifies the set and every signature in it.
struct EncodedSet {
  uint64_t version = 0;
  std::string signed_set;  // a serialised v1::SignedLicenseSet
};

class AuthorityStore {
 public:
  // Opens (or creates) the store in `dir`. `clock` is not owned and must
  // outlive the store. Errors of RocksStore::Open.
  static absl::StatusOr<std::unique_ptr<AuthorityStore>> Open(
      const std::string& dir, const Clock* clock, StoreOptions options = {});

  // --- customers ------------------------------------------------------
  // ALREADY_EXISTS when the serial is taken.
  absl::Status CreateCustomer(const StoredCustomer& customer,
                              const AuditEntry& audit);
  // NOT_FOUND naming the serial.
  absl::StatusOr<StoredCustomer> GetCustomer(const std::string& serial) const;
  // Customers with serial > `after`, in serial order, at most `limit`.
  absl::StatusOr<std::vector<v1::CustomerRecord>> ListCustomers(
      const std::string& after, size_t limit) const;
  // NOT_FOUND; returns the updated record.
  absl::StatusOr<v1::CustomerRecord> RenameCustomer(
      const std::string& serial, const std::string& company_name,
      const AuditEntry& audit);

  // The highest serial of any customer; empty when there are none.
  absl::StatusOr<std::string> HighestSerial() const;

  // --- catalogue additions (slctl catalog put) ---------------------------
  // Stores an entry (replacing one of the same owner and module).
  absl::Status PutCatalogEntry(const v1::CatalogEntry& entry,
                               const AuditEntry& audit);
  // Every stored entry, by owner and module name.
  absl::StatusOr<std::vector<v1::CatalogEntry>> ListCatalogEntries() const;

  // --- license sets ---------------------------------------------------
  // Builds the set of a version (signs it); called under the customer lock.
  using BuildSet =
      std::function<absl::StatusOr<v1::SignedLicenseSet>(uint64_t version)>;

  // Issues the next version of (owner, serial): NOT_FOUND for an unknown
  // customer; with an idempotency key already used, returns the first
  // result (same request) or FAILED_PRECONDITION (different request);
  // errors of `build` pass through and nothing is stored.
  absl::StatusOr<v1::IssuedLicenseSet> IssueNext(
      const std::string& owner, const std::string& serial,
      const IdempotencyKey& idempotency, const BuildSet& build,
      const AuditEntry& audit);

  // NOT_FOUND naming the version.
  absl::StatusOr<v1::IssuedLicenseSet> GetSet(const std::string& owner,
                                              const std::string& serial,
                                              uint64_t version) const;
  // Versions below `before` (0: all), newest first, at most `limit`.
  absl::StatusOr<std::vector<v1::IssuedLicenseSet>> ListSets(
      const std::string& owner, const std::string& serial, uint64_t before,
      size_t limit) const;
  // Marks a version revoked; FAILED_PRECONDITION when it already is.
  absl::StatusOr<v1::IssuedLicenseSet> RevokeSet(const std::string& owner,
                                                 const std::string& serial,
                                                 uint64_t version,
                                                 const std::string& reason,
                                                 const AuditEntry& audit);
  // The newest version that is not revoked, or nullopt.
  absl::StatusOr<std::optional<v1::IssuedLicenseSet>> NewestValidSet(
      const std::string& owner, const std::string& serial) const;
  // The newest version from `highest` down to `lowest` (≥ 1) that is not
  // revoked, or nullopt; reads only those versions, and leaves the signed
  // set as stored (StoredLicenseSetView): what a fetch sends.
  absl::StatusOr<std::optional<EncodedSet>> NewestValidEncodedSetBetween(
      const std::string& owner, const std::string& serial, uint64_t highest,
      uint64_t lowest) const;
  // Newest version issued (0 when none).
  absl::StatusOr<uint64_t> NewestVersion(const std::string& owner,
                                         const std::string& serial) const;
  // Records the installation's acceptance; NOT_FOUND for an unknown version.
  absl::Status RecordAcceptance(const std::string& owner,
                                const std::string& serial, uint64_t version,
                                const std::vector<v1::ModuleUsage>& usage,
                                const AuditEntry& audit);

  // --- metered usage (ReportUsage / GetUsage) --------------------------
  // Replaces the record of (owner, serial, usage.month()) with `usage`,
  // received_at set from the clock, and appends the audit event in the same
  // batch. The installation is the source of truth: a total lower than the
  // stored one is accepted, and a repeated report changes nothing but
  // received_at (and adds an audit event). NOT_FOUND for an unknown
  // customer. Returns what was stored.
  absl::StatusOr<StoredUsage> PutUsage(const std::string& owner,
                                       const std::string& serial,
                                       StoredUsage usage,
                                       const AuditEntry& audit);
  // The record of (owner, serial, month), or nullopt when none was reported.
  absl::StatusOr<std::optional<StoredUsage>> GetUsage(
      const std::string& owner, const std::string& serial,
      const std::string& month) const;

  // --- audit ----------------------------------------------------------
  // Appends an event on its own (for calls that change nothing).
  absl::Status AppendAudit(const AuditEntry& audit);
  // Events with sequence >= `from`, oldest first, at most `limit`.
  absl::StatusOr<std::vector<v1::AuditEvent>> ListAudit(uint64_t from,
                                                        size_t limit) const;
  // Recomputes the chain from the first event; reports the first bad one
  // (edited, inserted, or deleted events all break it).
  absl::StatusOr<v1::VerifyAuditChainResponse> VerifyAudit() const;

  // Writes a consistent backup to `dir` (must not exist).
  absl::Status Backup(const std::string& dir);

  // Compacts the whole store (RocksStore::CompactAll); for bulk loads.
  absl::Status Compact();

 private:
  AuthorityStore(std::unique_ptr<RocksStore> db, const Clock* clock,
                 AuditHead head)
      : db_(std::move(db)), clock_(clock), head_(std::move(head)) {}

  // One caller's writes waiting in the commit queue.
  struct PendingCommit {
    WriteSet writes;
    const AuditEntry* audit = nullptr;
    absl::Status result;
    bool done = false;
  };

  // Commits `writes` plus the audit event for `audit` atomically. Group
  // commit: callers that arrive while a commit is being synced queue up;
  // the first of them then chains all their audit events and commits every
  // queued batch with one synced write, so concurrent writers share a sync.
  // Each caller's writes and event stay one atomic unit of that write.
  absl::Status CommitWithAudit(WriteSet writes, const AuditEntry& audit)
      ABSL_LOCKS_EXCLUDED(commit_mu_);
  // Chains the events of `group` after head_, writes them all with one
  // commit, and advances head_ when it succeeded. Called by the one
  // committing caller at a time.
  absl::Status CommitGroup(const std::vector<PendingCommit*>& group);
  std::mutex* CustomerLock(const std::string& owner, const std::string& serial)
      ABSL_LOCKS_EXCLUDED(locks_mu_);
  // The stored record's bytes; NOT_FOUND naming the version.
  absl::StatusOr<std::string> GetStoredSetBytes(const std::string& owner,
                                                const std::string& serial,
                                                uint64_t version) const;
  absl::StatusOr<StoredLicenseSet> GetStoredSet(const std::string& owner,
                                                const std::string& serial,
                                                uint64_t version) const;
  absl::StatusOr<std::optional<v1::IssuedLicenseSet>> Replay(
      const IdempotencyKey& idempotency) const;

  const std::unique_ptr<RocksStore> db_;
  const Clock* const clock_;  // not owned
  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::vector<PendingCommit*> commit_queue_ ABSL_GUARDED_BY(commit_mu_);
  bool committing_ ABSL_GUARDED_BY(commit_mu_) = false;
  AuditHead head_;  // only the committing caller touches it
  std::mutex locks_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> customer_locks_
      ABSL_GUARDED_BY(locks_mu_);
};

// Returns the hash of `event` chained to `previous_hash` (docs/OPERATIONS.md).
std::string AuditHash(const std::string& previous_hash,
                      const v1::AuditEvent& event);

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_STORE_AUTHORITY_STORE_H_
