#include "authority/store/authority_store.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "keys/sha256.h"
#include "keys/status_macros.h"

namespace superlicense::authority {
namespace {

constexpr char kAuditHeadKey[] = "audit_head";
constexpr size_t kScanBatch = 1000;

std::string CustomerKey(const std::string& owner, const std::string& serial) {
  return absl::StrCat(owner, "/", serial);
}

std::string SetKey(const std::string& owner, const std::string& serial,
                   uint64_t version) {
  return absl::StrCat(owner, "/", serial, "/", EncodeU64(version));
}

std::string UsageKey(const std::string& owner, const std::string& serial,
                     const std::string& month) {
  return absl::StrCat(owner, "/", serial, "/", month);
}

std::string IdempotencyKeyOf(const IdempotencyKey& idempotency) {
  return absl::StrCat(idempotency.principal, std::string(1, '\0'),
                      idempotency.key);
}

template <typename Message>
absl::StatusOr<Message> Decode(const std::string& bytes,
                               absl::string_view what) {
  Message message;
  if (!message.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("stored ", what, " is damaged"));
  }
  return message;
}

void AppendField(std::string* out, absl::string_view field) {
  absl::StrAppend(out, EncodeU64(field.size()), field);
}

}  // namespace

std::string AuditHash(const std::string& previous_hash,
                      const v1::AuditEvent& event) {
  std::string input = "superlicense-audit-v1";
  AppendField(&input, previous_hash);
  absl::StrAppend(&input, EncodeU64(event.sequence()),
                  EncodeU64(static_cast<uint64_t>(event.time())));
  AppendField(&input, event.principal());
  AppendField(&input, event.method());
  AppendField(&input, event.subject());
  AppendField(&input, event.result());
  return keys::Sha256(input);
}

absl::StatusOr<std::unique_ptr<AuthorityStore>> AuthorityStore::Open(
    const std::string& dir, const Clock* clock, StoreOptions options) {
  ASSIGN_OR_RETURN(std::unique_ptr<RocksStore> db,
                   RocksStore::Open(dir, options));
  ASSIGN_OR_RETURN(std::optional<std::string> head_bytes,
                   db->Get(Table::kMeta, kAuditHeadKey));
  AuditHead head;
  if (head_bytes.has_value()) {
    ASSIGN_OR_RETURN(head, Decode<AuditHead>(*head_bytes, "audit head"));
  }
  return std::unique_ptr<AuthorityStore>(
      new AuthorityStore(std::move(db), clock, std::move(head)));
}

absl::Status AuthorityStore::CommitWithAudit(WriteSet writes,
                                             const AuditEntry& audit) {
  PendingCommit mine;
  mine.writes = std::move(writes);
  mine.audit = &audit;
  std::unique_lock<std::mutex> lock(commit_mu_);
  commit_queue_.push_back(&mine);
  commit_cv_.wait(lock, [&] { return mine.done || !committing_; });
  if (mine.done) return mine.result;  // committed in another caller's group

  // This caller commits everything queued so far, its own batch included.
  committing_ = true;
  std::vector<PendingCommit*> group;
  group.swap(commit_queue_);
  lock.unlock();
  const absl::Status result = CommitGroup(group);
  lock.lock();
  for (PendingCommit* pending : group) {
    pending->result = result;
    pending->done = true;
  }
  committing_ = false;
  commit_cv_.notify_all();
  return mine.result;
}

absl::Status AuthorityStore::CommitGroup(
    const std::vector<PendingCommit*>& group) {
  WriteSet all;
  AuditHead next = head_;
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  for (PendingCommit* pending : group) {
    v1::AuditEvent event;
    event.set_sequence(next.sequence() + 1);
    event.set_time(now);
    event.set_principal(pending->audit->principal);
    event.set_method(pending->audit->method);
    event.set_subject(pending->audit->subject);
    event.set_result(pending->audit->result);
    event.set_hash(AuditHash(next.hash(), event));
    next.set_sequence(event.sequence());
    next.set_hash(event.hash());
    all.Append(std::move(pending->writes));
    all.Put(Table::kAudit, EncodeU64(event.sequence()),
            event.SerializeAsString());
  }
  all.Put(Table::kMeta, kAuditHeadKey, next.SerializeAsString());
  RETURN_IF_ERROR(db_->Commit(all));
  head_ = std::move(next);
  return absl::OkStatus();
}

absl::Status AuthorityStore::AppendAudit(const AuditEntry& audit) {
  return CommitWithAudit(WriteSet(), audit);
}

std::mutex* AuthorityStore::CustomerLock(const std::string& owner,
                                         const std::string& serial) {
  std::lock_guard<std::mutex> lock(locks_mu_);
  std::unique_ptr<std::mutex>& mu = customer_locks_[CustomerKey(owner, serial)];
  if (mu == nullptr) mu = std::make_unique<std::mutex>();
  return mu.get();
}

absl::Status AuthorityStore::CreateCustomer(const StoredCustomer& customer,
                                            const AuditEntry& audit) {
  const std::string& serial = customer.record().customer().serial();
  std::lock_guard<std::mutex> lock(*CustomerLock("", serial));
  ASSIGN_OR_RETURN(std::optional<std::string> existing,
                   db_->Get(Table::kCustomers, serial));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat("customer ", serial, " exists already"));
  }
  WriteSet writes;
  writes.Put(Table::kCustomers, serial, customer.SerializeAsString());
  return CommitWithAudit(std::move(writes), audit);
}

absl::StatusOr<StoredCustomer> AuthorityStore::GetCustomer(
    const std::string& serial) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                   db_->Get(Table::kCustomers, serial));
  if (!bytes.has_value()) {
    return absl::NotFoundError(absl::StrCat("no customer ", serial));
  }
  return Decode<StoredCustomer>(*bytes, "customer");
}

absl::StatusOr<std::vector<v1::CustomerRecord>> AuthorityStore::ListCustomers(
    const std::string& after, size_t limit) const {
  // Keys > after: start at after + '\0'.
  const std::string start = after.empty() ? "" : after + std::string(1, '\0');
  ASSIGN_OR_RETURN(auto rows, db_->Scan(Table::kCustomers, "", start, limit));
  std::vector<v1::CustomerRecord> out;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(StoredCustomer customer,
                     Decode<StoredCustomer>(row.second, "customer"));
    out.push_back(customer.record());
  }
  return out;
}

absl::StatusOr<v1::CustomerRecord> AuthorityStore::RenameCustomer(
    const std::string& serial, const std::string& company_name,
    const AuditEntry& audit) {
  std::lock_guard<std::mutex> lock(*CustomerLock("", serial));
  ASSIGN_OR_RETURN(StoredCustomer customer, GetCustomer(serial));
  customer.mutable_record()->mutable_customer()->set_company_name(company_name);
  WriteSet writes;
  writes.Put(Table::kCustomers, serial, customer.SerializeAsString());
  RETURN_IF_ERROR(CommitWithAudit(std::move(writes), audit));
  return customer.record();
}

absl::StatusOr<std::string> AuthorityStore::HighestSerial() const {
  ASSIGN_OR_RETURN(auto last, db_->Last(Table::kCustomers, ""));
  if (!last.has_value()) return std::string();
  return last->first;
}

absl::Status AuthorityStore::PutCatalogEntry(const v1::CatalogEntry& entry,
                                             const AuditEntry& audit) {
  WriteSet writes;
  writes.Put(
      Table::kCatalog,
      absl::StrCat(entry.owner_name(), "/", entry.module().module_name()),
      entry.SerializeAsString());
  return CommitWithAudit(std::move(writes), audit);
}

absl::StatusOr<std::vector<v1::CatalogEntry>>
AuthorityStore::ListCatalogEntries() const {
  ASSIGN_OR_RETURN(auto rows, db_->Scan(Table::kCatalog, "", "", SIZE_MAX));
  std::vector<v1::CatalogEntry> out;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(v1::CatalogEntry entry,
                     Decode<v1::CatalogEntry>(row.second, "catalogue entry"));
    out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<uint64_t> AuthorityStore::NewestVersion(
    const std::string& owner, const std::string& serial) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                   db_->Get(Table::kNewestVersion, CustomerKey(owner, serial)));
  if (!bytes.has_value()) return 0;
  return DecodeU64(*bytes);
}

absl::StatusOr<std::string> AuthorityStore::GetStoredSetBytes(
    const std::string& owner, const std::string& serial,
    uint64_t version) const {
  ASSIGN_OR_RETURN(
      std::optional<std::string> bytes,
      db_->Get(Table::kLicenseSets, SetKey(owner, serial, version)));
  if (!bytes.has_value()) {
    return absl::NotFoundError(absl::StrCat("no license set ", owner, " ",
                                            serial, " version ", version));
  }
  return *std::move(bytes);
}

absl::StatusOr<StoredLicenseSet> AuthorityStore::GetStoredSet(
    const std::string& owner, const std::string& serial,
    uint64_t version) const {
  ASSIGN_OR_RETURN(std::string bytes,
                   GetStoredSetBytes(owner, serial, version));
  return Decode<StoredLicenseSet>(bytes, "license set");
}

absl::StatusOr<std::optional<v1::IssuedLicenseSet>> AuthorityStore::Replay(
    const IdempotencyKey& idempotency) const {
  ASSIGN_OR_RETURN(
      std::optional<std::string> bytes,
      db_->Get(Table::kIdempotency, IdempotencyKeyOf(idempotency)));
  if (!bytes.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(IdempotencyRecord record,
                   Decode<IdempotencyRecord>(*bytes, "idempotency record"));
  if (record.request_digest() != idempotency.request_digest) {
    return absl::FailedPreconditionError(
        absl::StrCat("idempotency_key \"", idempotency.key.substr(0, 128),
                     "\" was used for a different request"));
  }
  ASSIGN_OR_RETURN(
      StoredLicenseSet stored,
      GetStoredSet(record.owner_name(), record.serial(), record.version()));
  return stored.issued();
}

absl::StatusOr<v1::IssuedLicenseSet> AuthorityStore::IssueNext(
    const std::string& owner, const std::string& serial,
    const IdempotencyKey& idempotency, const BuildSet& build,
    const AuditEntry& audit) {
  std::lock_guard<std::mutex> lock(*CustomerLock(owner, serial));
  if (!idempotency.key.empty()) {
    ASSIGN_OR_RETURN(std::optional<v1::IssuedLicenseSet> replayed,
                     Replay(idempotency));
    if (replayed.has_value()) return *replayed;
  }
  RETURN_IF_ERROR(GetCustomer(serial).status());
  ASSIGN_OR_RETURN(uint64_t newest, NewestVersion(owner, serial));
  const uint64_t version = newest + 1;
  ASSIGN_OR_RETURN(v1::SignedLicenseSet signed_set, build(version));

  StoredLicenseSet stored;
  stored.mutable_issued()->set_serial(serial);
  stored.mutable_issued()->set_version(version);
  *stored.mutable_issued()->mutable_signed_set() = std::move(signed_set);
  stored.set_issued_by(audit.principal);
  WriteSet writes;
  writes.Put(Table::kLicenseSets, SetKey(owner, serial, version),
             stored.SerializeAsString());
  writes.Put(Table::kNewestVersion, CustomerKey(owner, serial),
             EncodeU64(version));
  if (!idempotency.key.empty()) {
    IdempotencyRecord record;
    record.set_request_digest(idempotency.request_digest);
    record.set_owner_name(owner);
    record.set_serial(serial);
    record.set_version(version);
    writes.Put(Table::kIdempotency, IdempotencyKeyOf(idempotency),
               record.SerializeAsString());
  }
  AuditEntry entry = audit;
  absl::StrAppend(&entry.subject, " version=", version);
  RETURN_IF_ERROR(CommitWithAudit(std::move(writes), entry));
  return stored.issued();
}

absl::StatusOr<v1::IssuedLicenseSet> AuthorityStore::GetSet(
    const std::string& owner, const std::string& serial,
    uint64_t version) const {
  ASSIGN_OR_RETURN(StoredLicenseSet stored,
                   GetStoredSet(owner, serial, version));
  return std::move(*stored.mutable_issued());
}

absl::StatusOr<std::vector<v1::IssuedLicenseSet>> AuthorityStore::ListSets(
    const std::string& owner, const std::string& serial, uint64_t before,
    size_t limit) const {
  ASSIGN_OR_RETURN(uint64_t newest, NewestVersion(owner, serial));
  uint64_t version = before == 0 ? newest : std::min(newest, before - 1);
  std::vector<v1::IssuedLicenseSet> out;
  for (; version >= 1 && out.size() < limit; --version) {
    ASSIGN_OR_RETURN(v1::IssuedLicenseSet set, GetSet(owner, serial, version));
    out.push_back(std::move(set));
  }
  return out;
}

absl::StatusOr<v1::IssuedLicenseSet> AuthorityStore::RevokeSet(
    const std::string& owner, const std::string& serial, uint64_t version,
    const std::string& reason, const AuditEntry& audit) {
  std::lock_guard<std::mutex> lock(*CustomerLock(owner, serial));
  ASSIGN_OR_RETURN(StoredLicenseSet stored,
                   GetStoredSet(owner, serial, version));
  if (stored.issued().revoked_at() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "license set ", serial, " version ", version, " is revoked already"));
  }
  stored.mutable_issued()->set_revoked_at(absl::ToUnixSeconds(clock_->Now()));
  stored.mutable_issued()->set_revocation_reason(reason);
  WriteSet writes;
  writes.Put(Table::kLicenseSets, SetKey(owner, serial, version),
             stored.SerializeAsString());
  RETURN_IF_ERROR(CommitWithAudit(std::move(writes), audit));
  return stored.issued();
}

absl::StatusOr<std::optional<v1::IssuedLicenseSet>>
AuthorityStore::NewestValidSet(const std::string& owner,
                               const std::string& serial) const {
  ASSIGN_OR_RETURN(uint64_t newest, NewestVersion(owner, serial));
  for (uint64_t version = newest; version >= 1; --version) {
    ASSIGN_OR_RETURN(v1::IssuedLicenseSet set, GetSet(owner, serial, version));
    if (set.revoked_at() == 0) return set;
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<EncodedSet>>
AuthorityStore::NewestValidEncodedSetBetween(const std::string& owner,
                                             const std::string& serial,
                                             uint64_t highest,
                                             uint64_t lowest) const {
  for (uint64_t version = highest; version >= std::max<uint64_t>(lowest, 1);
       --version) {
    ASSIGN_OR_RETURN(std::string bytes,
                     GetStoredSetBytes(owner, serial, version));
    ASSIGN_OR_RETURN(StoredLicenseSetView stored,
                     Decode<StoredLicenseSetView>(bytes, "license set"));
    if (stored.issued().revoked_at() != 0) continue;
    EncodedSet set;
    set.version = stored.issued().version();
    set.signed_set = std::move(*stored.mutable_issued()->mutable_signed_set());
    return set;
  }
  return std::nullopt;
}

absl::Status AuthorityStore::RecordAcceptance(
    const std::string& owner, const std::string& serial, uint64_t version,
    const std::vector<v1::ModuleUsage>& usage, const AuditEntry& audit) {
  std::lock_guard<std::mutex> lock(*CustomerLock(owner, serial));
  ASSIGN_OR_RETURN(StoredLicenseSet stored,
                   GetStoredSet(owner, serial, version));
  stored.set_accepted_at(absl::ToUnixSeconds(clock_->Now()));
  stored.clear_accepted_usage();
  for (const v1::ModuleUsage& entry : usage)
    *stored.add_accepted_usage() = entry;
  WriteSet writes;
  writes.Put(Table::kLicenseSets, SetKey(owner, serial, version),
             stored.SerializeAsString());
  return CommitWithAudit(std::move(writes), audit);
}

absl::StatusOr<StoredUsage> AuthorityStore::PutUsage(const std::string& owner,
                                                     const std::string& serial,
                                                     StoredUsage usage,
                                                     const AuditEntry& audit) {
  RETURN_IF_ERROR(GetCustomer(serial).status());
  usage.set_received_at(absl::ToUnixSeconds(clock_->Now()));
  WriteSet writes;
  writes.Put(Table::kUsage, UsageKey(owner, serial, usage.month()),
             usage.SerializeAsString());
  RETURN_IF_ERROR(CommitWithAudit(std::move(writes), audit));
  return usage;
}

absl::StatusOr<std::optional<StoredUsage>> AuthorityStore::GetUsage(
    const std::string& owner, const std::string& serial,
    const std::string& month) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                   db_->Get(Table::kUsage, UsageKey(owner, serial, month)));
  if (!bytes.has_value()) return std::nullopt;
  return Decode<StoredUsage>(*bytes, "usage record");
}

absl::StatusOr<std::vector<v1::AuditEvent>> AuthorityStore::ListAudit(
    uint64_t from, size_t limit) const {
  ASSIGN_OR_RETURN(auto rows,
                   db_->Scan(Table::kAudit, "",
                             EncodeU64(std::max<uint64_t>(from, 1)), limit));
  std::vector<v1::AuditEvent> out;
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(v1::AuditEvent event,
                     Decode<v1::AuditEvent>(row.second, "audit event"));
    out.push_back(std::move(event));
  }
  return out;
}

absl::StatusOr<v1::VerifyAuditChainResponse> AuthorityStore::VerifyAudit()
    const {
  v1::VerifyAuditChainResponse response;
  std::string previous_hash;
  uint64_t expected = 1;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<v1::AuditEvent> events,
                     ListAudit(expected, kScanBatch));
    for (const v1::AuditEvent& event : events) {
      if (event.sequence() != expected ||
          event.hash() != AuditHash(previous_hash, event)) {
        response.set_first_bad_sequence(expected);
        response.set_events_checked(expected - 1);
        return response;
      }
      previous_hash = event.hash();
      ++expected;
    }
    if (events.size() < kScanBatch) break;
  }
  response.set_events_checked(expected - 1);
  // A deleted tail shows as a head that the chain no longer reaches.
  ASSIGN_OR_RETURN(std::optional<std::string> head_bytes,
                   db_->Get(Table::kMeta, kAuditHeadKey));
  AuditHead head;
  if (head_bytes.has_value()) {
    ASSIGN_OR_RETURN(head, Decode<AuditHead>(*head_bytes, "audit head"));
  }
  if (head.sequence() != expected - 1 || head.hash() != previous_hash) {
    response.set_first_bad_sequence(expected);
    return response;
  }
  response.set_intact(true);
  return response;
}

absl::Status AuthorityStore::Backup(const std::string& dir) {
  return db_->Checkpoint(dir);
}

absl::Status AuthorityStore::Compact() { return db_->CompactAll(); }

}  // namespace superlicense::authority
