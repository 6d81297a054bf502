// RateLimiter: a token bucket per principal. No gRPC headers.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_RATE_LIMITER_H_
#define SUPERLICENSE_AUTHORITY_AUTH_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "keys/clock.h"

namespace superlicense::authority {

// Each principal has a bucket of `per_minute` tokens that refills at
// `per_minute` tokens per minute; a call takes one. So a principal may burst
// up to one minute's budget, then continues at its rate. Thread-safe.
class RateLimiter {
 public:
  // `clock` is not owned and must outlive this object. When `max_tracked`
  // buckets exist, buckets idle for a minute (hence full) are dropped before
  // a new one is added, which loses nothing since a new bucket starts full.
  explicit RateLimiter(const Clock* clock, size_t max_tracked = 100000);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes a token from `principal`'s bucket of `per_minute` tokens (0 is
  // treated as 1). Returns false, taking nothing, when the bucket is empty.
  bool TryAcquire(absl::string_view principal, uint32_t per_minute);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };

  // Adds the tokens earned since the bucket's last update.
  static void Refill(Bucket& bucket, double capacity, absl::Time now);
  void DropIdleLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;  // not owned
  const size_t max_tracked_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_RATE_LIMITER_H_
