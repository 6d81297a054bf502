// FakeClock: a Clock that tests set and advance by hand.
#ifndef SUPERLICENSE_TESTS_SUPPORT_FAKE_CLOCK_H_
#define SUPERLICENSE_TESTS_SUPPORT_FAKE_CLOCK_H_

#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "keys/clock.h"

namespace superlicense::testing {

// Thread-safe; starts at `start` and moves only when told.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}

  absl::Time Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Set(absl::Time now) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = now;
  }
  void Advance(absl::Duration by) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += by;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_SUPPORT_FAKE_CLOCK_H_
