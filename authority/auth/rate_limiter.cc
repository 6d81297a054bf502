#include "authority/auth/rate_limiter.h"

#include <algorithm>
#include <mutex>
#include <string>

namespace superlicense::authority {

RateLimiter::RateLimiter(const Clock* clock, size_t max_tracked)
    : clock_(clock), max_tracked_(max_tracked) {}

void RateLimiter::Refill(Bucket& bucket, double capacity, absl::Time now) {
  if (now > bucket.updated) {
    const double minutes = absl::ToDoubleMinutes(now - bucket.updated);
    bucket.tokens = std::min(capacity, bucket.tokens + minutes * capacity);
  }
  // A clock that goes back earns nothing but moves the reference, so the
  // bucket does not stall until the clock catches up.
  bucket.updated = now;
  bucket.tokens = std::min(bucket.tokens, capacity);
}

bool RateLimiter::TryAcquire(absl::string_view principal, uint32_t per_minute) {
  const double capacity = std::max<uint32_t>(per_minute, 1);
  const absl::Time now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(principal);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_tracked_) DropIdleLocked(now);
    it = buckets_.emplace(std::string(principal), Bucket{capacity, now}).first;
  }
  Bucket& bucket = it->second;
  Refill(bucket, capacity, now);
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

void RateLimiter::DropIdleLocked(absl::Time now) {
  // Buckets idle for a minute are full whatever their rate.
  absl::erase_if(buckets_, [now](const auto& entry) {
    return now - entry.second.updated >= absl::Minutes(1);
  });
}

}  // namespace superlicense::authority
