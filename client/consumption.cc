#include "client/consumption.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "client/user_count.h"
#include "keys/status_macros.h"

namespace superlicense::client {
namespace {

constexpr char kStorage[] = "storage";
constexpr int64_t kMaxStorageBytes = int64_t{1} << 50;  // 1 PiB
constexpr int64_t kMaxCountPerRecord = 1000000;
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

struct ServiceInfo {
  const char* name;
  const char* unit;
  v1::MeteredServiceKind kind;
};

constexpr ServiceInfo kServices[] = {
    {"storage", "bytes", v1::METERED_SERVICE_KIND_STORAGE},
    {"mailing_emails", "e-mails", v1::METERED_SERVICE_KIND_MAILING_EMAILS},
    {"customer_centre_logins", "logins",
     v1::METERED_SERVICE_KIND_CUSTOMER_CENTRE_LOGINS},
    {"chat_sessions", "sessions", v1::METERED_SERVICE_KIND_CHAT_SESSIONS},
    {"form_submissions", "submissions",
     v1::METERED_SERVICE_KIND_FORM_SUBMISSIONS},
};

const ServiceInfo* FindService(absl::string_view name) {
  for (const ServiceInfo& s : kServices) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

// base + per_user * users, saturating at 2^63-1.
int64_t Threshold(uint64_t base, uint64_t per_user, int64_t users) {
  const uint64_t limit = static_cast<uint64_t>(kMaxInt64);
  const uint64_t n = static_cast<uint64_t>(std::max<int64_t>(0, users));
  if (base >= limit) return kMaxInt64;
  if (n != 0 && per_user > (limit - base) / n) return kMaxInt64;
  return static_cast<int64_t>(base + per_user * n);
}

}  // namespace

const std::vector<std::string>& MeteredServiceNames() {
  static const auto* names = [] {
    auto* out = new std::vector<std::string>();
    for (const ServiceInfo& s : kServices) out->push_back(s.name);
    return out;
  }();
  return *names;
}

absl::string_view MeteredServiceName(v1::MeteredServiceKind kind) {
  for (const ServiceInfo& s : kServices) {
    if (s.kind == kind) return s.name;
  }
  return "";
}

absl::string_view MeteredServiceUnit(absl::string_view service) {
  const ServiceInfo* info = FindService(service);
  return info == nullptr ? "" : info->unit;
}

absl::Status ValidateConsumption(absl::string_view service, int64_t amount) {
  const ServiceInfo* info = FindService(service);
  if (info == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "consumption: unknown service \"", absl::CHexEscape(service),
        "\"; expected storage, mailing_emails, customer_centre_logins, "
        "chat_sessions or form_submissions"));
  }
  if (amount < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "consumption: service ", service, ": amount ", amount, " is negative"));
  }
  const int64_t max =
      service == kStorage ? kMaxStorageBytes : kMaxCountPerRecord;
  if (amount > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "consumption: service ", service, ": amount ", amount, " is above the ",
        max, " ", info->unit, " one record may hold"));
  }
  return absl::OkStatus();
}

// --- ConsumptionRecorder ---------------------------------------------------

absl::StatusOr<std::unique_ptr<ConsumptionRecorder>>
ConsumptionRecorder::Create(std::unique_ptr<CrmDatabase> db, const Clock* clock,
                            Options options) {
  if (db == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError(
        "ConsumptionRecorder: database and clock are required");
  }
  if (options.max_batch == 0 || options.max_attempts <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ConsumptionRecorder: max_batch ", options.max_batch,
        " and max_attempts ", options.max_attempts, " must be positive"));
  }
  return std::unique_ptr<ConsumptionRecorder>(
      new ConsumptionRecorder(std::move(db), clock, std::move(options)));
}

ConsumptionRecorder::ConsumptionRecorder(std::unique_ptr<CrmDatabase> db,
                                         const Clock* clock, Options options)
    : db_(std::move(db)), clock_(clock), options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

ConsumptionRecorder::~ConsumptionRecorder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  thread_.join();
}

bool ConsumptionRecorder::HasWorkOrStopping() const {
  return !queue_.empty() || stopping_;
}

bool ConsumptionRecorder::Idle() const {
  return queue_.empty() && in_flight_ == 0;
}

absl::Status ConsumptionRecorder::Record(absl::string_view service,
                                         int64_t amount, int64_t associate_id) {
  RETURN_IF_ERROR(ValidateConsumption(service, amount));
  if (associate_id < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "consumption: associate_id ", associate_id, " is negative"));
  }
  Pending pending;
  pending.record.service = std::string(service);
  pending.record.amount = amount;
  pending.record.at = absl::ToUnixSeconds(clock_->Now());
  pending.record.associate_id = associate_id;
  pending.record.owner_name = options_.owner_name;
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    return absl::FailedPreconditionError(
        "ConsumptionRecorder is shutting down");
  }
  queue_.push_back(&pending);
  work_ready_.notify_one();
  batch_done_.wait(lock, [&pending] { return pending.done; });
  return pending.status;
}

absl::Status ConsumptionRecorder::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  batch_done_.wait(lock, [this] { return Idle(); });
  absl::Status error = first_error_;
  first_error_ = absl::OkStatus();
  return error;
}

int64_t ConsumptionRecorder::batches_committed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

void ConsumptionRecorder::Run() {
  for (;;) {
    std::vector<Pending*> batch;
    std::vector<ConsumptionRecord> records;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_ready_.wait(lock, [this] { return HasWorkOrStopping(); });
      if (queue_.empty()) return;  // stopping, nothing left
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(queue_.front());
        records.push_back(queue_.front()->record);
        queue_.pop_front();
      }
      in_flight_ = batch.size();
    }
    const absl::Status status = WriteBatch(records);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (Pending* p : batch) {
        p->status = status;
        p->done = true;
      }
      in_flight_ = 0;
      if (status.ok()) {
        ++batches_;
      } else if (first_error_.ok()) {
        first_error_ = status;
      }
    }
    // Wakes every Record() of the batch and every Flush() waiting for Idle().
    batch_done_.notify_all();
  }
}

absl::Status ConsumptionRecorder::WriteBatch(
    const std::vector<ConsumptionRecord>& batch) {
  absl::Status status;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    status = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(std::unique_ptr<CrmTransaction> txn, db_->BeginWrite());
      RETURN_IF_ERROR(txn->InsertConsumption(batch));
      return txn->Commit();
    }();
    if (!absl::IsAborted(status)) return status;
  }
  return status;
}

// --- Monthly usage
// -------------------------------------------------------------

absl::Status ParseMonth(absl::string_view month, int64_t* from, int64_t* to) {
  int year = 0;
  int mon = 0;
  bool shaped = month.size() == 7 && month[4] == '-';
  for (size_t i = 0; shaped && i < month.size(); ++i) {
    shaped =
        i == 4 || absl::ascii_isdigit(static_cast<unsigned char>(month[i]));
  }
  if (!shaped || !absl::SimpleAtoi(month.substr(0, 4), &year) ||
      !absl::SimpleAtoi(month.substr(5, 2), &mon) || year < 1970 || mon < 1 ||
      mon > 12) {
    return absl::InvalidArgumentError(
        absl::StrCat("month \"", absl::CHexEscape(month),
                     "\" is not YYYY-MM (year 1970 to 9999, month 01 to 12)"));
  }
  const absl::CivilMonth start(year, mon);
  *from = absl::ToUnixSeconds(absl::FromCivil(start, absl::UTCTimeZone()));
  *to = absl::ToUnixSeconds(absl::FromCivil(start + 1, absl::UTCTimeZone()));
  return absl::OkStatus();
}

std::string MonthOf(absl::Time t) {
  return absl::FormatTime("%Y-%m", t, absl::UTCTimeZone());
}

absl::StatusOr<std::vector<MeteredThreshold>> ThresholdsOf(
    const LicenseView& view, absl::string_view owner_name) {
  for (const OwnerStatus& owner : view.owners()) {
    if (owner.owner_name == owner_name) return owner.metered_services;
  }
  return absl::NotFoundError(
      absl::StrCat("module owner \"", owner_name, "\" is not installed"));
}

absl::StatusOr<MonthUsage> MonthlyUsage(
    CrmReader& db, absl::string_view month,
    const std::vector<MeteredThreshold>& thresholds,
    absl::string_view owner_name) {
  MonthUsage out;
  out.month = std::string(month);
  RETURN_IF_ERROR(ParseMonth(month, &out.from, &out.to));
  std::map<std::string, const MeteredThreshold*> by_service;
  for (const MeteredThreshold& t : thresholds) {
    if (FindService(t.service) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("threshold of unknown service \"",
                       absl::CHexEscape(t.service), "\""));
    }
    by_service[t.service] = &t;
  }
  ASSIGN_OR_RETURN(UserCount users, CountUsers(db));
  out.scim_managed = users.scim_managed;
  out.users = users.scim_managed ? users.active_users : users.user_in_use;
  ASSIGN_OR_RETURN(std::vector<ConsumptionTotal> totals,
                   db.SumConsumption(owner_name, out.from, out.to));
  for (const ServiceInfo& info : kServices) {
    ServiceUsage usage;
    usage.service = info.name;
    usage.unit = info.unit;
    for (const ConsumptionTotal& t : totals) {
      if (t.service == info.name) {
        usage.used = usage.service == kStorage ? t.max : t.sum;
      }
    }
    auto it = by_service.find(info.name);
    if (it != by_service.end()) {
      usage.metered = true;
      usage.threshold = Threshold(it->second->base_amount,
                                  it->second->per_user_amount, out.users);
      usage.over = std::max<int64_t>(0, usage.used - usage.threshold);
    }
    out.services.push_back(std::move(usage));
  }
  return out;
}

}  // namespace superlicense::client
