// Consumption: the metered services of docs/DOMAIN.md ("Consumption"),
// recorded as they are used and summed per UTC calendar month against the
// thresholds of the installed license set.
//
//   ASSERT_OK_AND_ASSIGN(auto recorder, ConsumptionRecorder::Create(
//                            std::move(own_connection), &clock));
//   RETURN_IF_ERROR(recorder->Record("customer_centre_logins", 1, assoc_id));
//   ...
//   ASSIGN_OR_RETURN(MonthUsage usage,
//                    MonthlyUsage(db, "2027-01", ThresholdsOf(*view)));
//
// Services (short names, as in table consumption and MonthlyUsageReport):
//   "storage"                 bytes stored: a level, recorded as snapshots;
//                             the month's use is the HIGHEST snapshot
//   "mailing_emails"          e-mails sent through mailings  } the month's
//   "customer_centre_logins"  customer-centre logins         } use is the
//   "chat_sessions"           chat sessions started          } SUM of the
//   "form_submissions"        form submissions               } amounts
#ifndef SUPERLICENSE_CLIENT_CONSUMPTION_H_
#define SUPERLICENSE_CLIENT_CONSUMPTION_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/crm_database.h"
#include "client/license_view.h"
#include "keys/clock.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::client {

// The owner whose metered services consumption counts against by default.
inline constexpr char kConsumptionOwner[] = "SUPEROFFICE";

// The five service names, in report order.
const std::vector<std::string>& MeteredServiceNames();

// Returns the short name of `kind` ("storage", ...); "" for UNSPECIFIED or
// an unknown value.
absl::string_view MeteredServiceName(v1::MeteredServiceKind kind);

// Returns the unit of `service` ("bytes", "e-mails", "logins", "sessions",
// "submissions"); "" for an unknown name.
absl::string_view MeteredServiceUnit(absl::string_view service);

// Checks one record's service and amount. INVALID_ARGUMENT naming an
// unknown service, a negative amount, or an absurd one (above 2^50 bytes
// for "storage", above 1,000,000 per record for the counted services).
absl::Status ValidateConsumption(absl::string_view service, int64_t amount);

// Records consumption from many threads at the cost of one transaction per
// batch (group commit): Record() queues its entry and waits; one background
// thread writes everything queued so far in ONE write transaction, commits,
// and wakes the callers of that batch. While it commits, new entries gather
// for the next batch, so under load many records share one commit (one
// fsync). Record() returns OK only once its entry is committed: nothing it
// acknowledged is lost.
//
// Owns its CrmDatabase connection (used only by the background thread).
// Thread-safe. The destructor writes what is queued and joins the thread.
class ConsumptionRecorder {
 public:
  struct Options {
    std::string owner_name = kConsumptionOwner;  // recorded with each entry
    size_t max_batch = 1000;  // entries per transaction at most
    int max_attempts = 5;     // per batch, when the database says ABORTED
  };

  // Starts the background thread. INVALID_ARGUMENT for a null `db` or
  // `clock`, or max_batch / max_attempts of 0. `clock` is not owned and
  // must outlive the recorder.
  static absl::StatusOr<std::unique_ptr<ConsumptionRecorder>> Create(
      std::unique_ptr<CrmDatabase> db, const Clock* clock, Options options);
  static absl::StatusOr<std::unique_ptr<ConsumptionRecorder>> Create(
      std::unique_ptr<CrmDatabase> db, const Clock* clock) {
    return Create(std::move(db), clock, Options());
  }

  ConsumptionRecorder(const ConsumptionRecorder&) = delete;
  ConsumptionRecorder& operator=(const ConsumptionRecorder&) = delete;
  // Flushes and stops the background thread.
  ~ConsumptionRecorder();

  // Records `amount` of `service` used now by `associate_id` (0: nobody in
  // particular) and returns once it is committed. INVALID_ARGUMENT from
  // ValidateConsumption() or for a negative associate_id (nothing queued);
  // the database's error when its batch could not be committed (after
  // retrying ABORTED); FAILED_PRECONDITION while the recorder shuts down.
  absl::Status Record(absl::string_view service, int64_t amount,
                      int64_t associate_id = 0);

  // Waits until every entry queued before the call is committed or failed;
  // returns the first batch error since the previous Flush() (OK if none).
  absl::Status Flush();

  // Transactions committed so far (for tests and metrics).
  int64_t batches_committed() const;

 private:
  struct Pending {
    ConsumptionRecord record;
    absl::Status status;
    bool done = false;
  };

  ConsumptionRecorder(std::unique_ptr<CrmDatabase> db, const Clock* clock,
                      Options options);
  void Run();
  // Writes one batch in one transaction, retrying ABORTED.
  absl::Status WriteBatch(const std::vector<ConsumptionRecord>& batch);
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<CrmDatabase> db_;  // background thread only
  const Clock* const clock_;               // not owned
  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable work_ready_;  // HasWorkOrStopping() may have changed
  std::condition_variable batch_done_;  // entries done, Idle() may have changed
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);  // callers' entries
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  int64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

// The use of one service in one month.
struct ServiceUsage {
  std::string service;
  std::string unit;
  int64_t used = 0;  // see the file comment: SUM, or MAX for storage
  // True when the installed set meters the service. Otherwise there is no
  // threshold and nothing is over.
  bool metered = false;
  int64_t threshold = 0;  // base + per_user x users (saturating at 2^63-1)
  int64_t over = 0;       // max(0, used - threshold) when metered
};

// One UTC calendar month of consumption against the thresholds.
struct MonthUsage {
  std::string month;  // "YYYY-MM"
  int64_t from = 0;   // first second of the month (Unix seconds)
  int64_t to = 0;     // first second of the next month (exclusive)
  // Users counted for thresholds (CountUsers, client/user_count.h): the
  // active users holding a user license when SCIM-managed (billed by use),
  // else the `user` licenses in use.
  int64_t users = 0;
  bool scim_managed = false;
  std::vector<ServiceUsage> services;  // all five, in MeteredServiceNames()
                                       // order
};

// Returns [from, to) of `month` ("YYYY-MM", year 1970 to 9999).
// INVALID_ARGUMENT naming a malformed month.
absl::Status ParseMonth(absl::string_view month, int64_t* from, int64_t* to);

// Returns "YYYY-MM" of the UTC month containing `t`.
std::string MonthOf(absl::Time t);

// Returns the thresholds of `owner_name` in `view` (verified, see
// OwnerStatus::metered_services). NOT_FOUND when the owner is not
// installed.
absl::StatusOr<std::vector<MeteredThreshold>> ThresholdsOf(
    const LicenseView& view, absl::string_view owner_name = kConsumptionOwner);

// Sums the consumption of `owner_name` in `month` and sets it against
// `thresholds`. INVALID_ARGUMENT for a malformed month or a threshold of an
// unknown service; database errors passed through.
absl::StatusOr<MonthUsage> MonthlyUsage(
    CrmReader& db, absl::string_view month,
    const std::vector<MeteredThreshold>& thresholds,
    absl::string_view owner_name = kConsumptionOwner);

}  // namespace superlicense::client

#endif  // SUPERLICENSE_CLIENT_CONSUMPTION_H_
