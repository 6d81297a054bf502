// FakeClock: a Clock that tests set and advance by hand.
#ifndef SUPERLICENSE_TESTS_SUPPORT_FAKE_CLOCK_H_
#define SUPERLICENSE_TESTS_SUPPORT_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "keys/clock.h"

namespace superlicense::testing {

// Thread-safe; starts at `start` and moves only when told.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_SUPPORT_FAKE_CLOCK_H_
