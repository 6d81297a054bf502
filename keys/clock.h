// Clock: where code that depends on the time of day gets it, so tests can
// inject a fake one (tests/support/fake_clock.h).
#ifndef SUPERLICENSE_KEYS_CLOCK_H_
#define SUPERLICENSE_KEYS_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace superlicense {

// A source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system's real-time clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }

  // A process-wide instance; never destroyed.
  static const Clock& Get() {
    static const SystemClock* clock = new SystemClock();
    return *clock;
  }
};

}  // namespace superlicense

#endif  // SUPERLICENSE_KEYS_CLOCK_H_
