// LoadDriver: keeps a fixed number of calls outstanding (or paces them at a
// fixed rate), measures them after a warm-up and reports throughput, latency
// percentiles and errors by status code. No gRPC headers: a workload plugs in
// through CallSlot and reports plain status codes.
#ifndef SUPERLICENSE_TOOLS_LOADGEN_LOAD_DRIVER_H_
#define SUPERLICENSE_TOOLS_LOADGEN_LOAD_DRIVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace superlicense::loadgen {

// Status code of a call that succeeded but answered something other than
// what the workload expects (a "not modified" fetch that returned a set).
// Outside gRPC's 0..16.
inline constexpr int kUnexpectedResponse = 100;

// One outstanding call at a time. The driver calls Start again only after
// the previous call's `done` has run. Implementations need not be
// thread-safe beyond that.
class CallSlot {
 public:
  virtual ~CallSlot() = default;
  // Starts one call. `done` runs exactly once, on any thread, with the gRPC
  // status code (0: OK) or kUnexpectedResponse.
  virtual void Start(std::function<void(int code)> done) = 0;
};

struct DriverOptions {
  double warmup_seconds = 1;     // calls finishing earlier are not measured
  double duration_seconds = 10;  // measured time, when requests is 0
  int64_t requests = 0;          // measured calls to complete; 0: duration
  double rate = 0;               // calls per second over all slots; 0: open
  bool progress = true;          // a line on stderr every second
};

struct DriverResult {
  int64_t calls = 0;                  // measured calls, OK or not
  double seconds = 0;                 // the measured window
  std::vector<int64_t> latencies_ns;  // of the measured OK calls, sorted
  int64_t total_calls = 0;            // every call, warm-up and drain too
  std::map<int, int64_t> errors;      // every failed call, by code
  int64_t error_calls() const;
  double calls_per_second() const { return seconds > 0 ? calls / seconds : 0; }
  // Nearest-rank percentile (0 < p <= 1) in microseconds; 0 when empty.
  double PercentileMicros(double p) const;
  double MeanMicros() const;
};

// Runs `slots` (one outstanding call each) through warm-up and measurement,
// then waits for the calls in flight. Blocks; returns when all have ended.
DriverResult RunLoad(const std::vector<std::unique_ptr<CallSlot>>& slots,
                     const DriverOptions& options);

// "OK", "UNAVAILABLE", ..., "UNEXPECTED_RESPONSE", or the number.
std::string StatusCodeName(int code);

}  // namespace superlicense::loadgen

#endif  // SUPERLICENSE_TOOLS_LOADGEN_LOAD_DRIVER_H_
