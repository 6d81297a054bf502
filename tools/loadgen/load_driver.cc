#include "tools/loadgen/load_driver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <numeric>

namespace superlicense::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

// What one slot measured. Only its own completions touch it, one at a time,
// so it needs no lock; the driver reads it after the slot has drained.
struct SlotRecord {
  Clock::time_point started;
  std::vector<int64_t> latencies_ns;
  std::map<int, int64_t> errors;
  int64_t measured_errors = 0;
};

class Run {
 public:
  Run(const std::vector<std::unique_ptr<CallSlot>>& slots,
      const DriverOptions& options)
      : slots_(slots), options_(options), records_(slots.size()) {}

  DriverResult Execute();

 private:
  void Launch(size_t index);
  void Finished(size_t index, int code);
  bool InWindow(Clock::time_point now);
  void PrintProgress(Clock::time_point now);
  DriverResult Collect() const;

  const std::vector<std::unique_ptr<CallSlot>>& slots_;
  const DriverOptions options_;
  std::vector<SlotRecord> records_;
  Clock::time_point start_, measure_start_, measure_end_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> measured_{0};
  std::atomic<int64_t> end_ns_{0};  // requests mode: when the last one ended
  int64_t last_done_ = 0;           // progress: calls at the previous line

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<size_t> idle_;  // rate mode: slots free to start (under mu_)
  size_t in_flight_ = 0;     // under mu_
};

bool Run::InWindow(Clock::time_point now) {
  if (now < measure_start_) return false;
  if (options_.requests == 0) return now < measure_end_;
  const int64_t n = measured_.fetch_add(1);
  if (n >= options_.requests) return false;
  if (n + 1 == options_.requests) {
    end_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  now - measure_start_)
                  .count();
    stop_ = true;
    changed_.notify_all();
  }
  return true;
}

void Run::Launch(size_t index) {
  records_[index].started = Clock::now();
  slots_[index]->Start([this, index](int code) { Finished(index, code); });
}

void Run::Finished(size_t index, int code) {
  const Clock::time_point now = Clock::now();
  SlotRecord& record = records_[index];
  if (code != 0) {
    ++record.errors[code];
    ++failed_;
  }
  if (InWindow(now)) {
    if (code != 0) {
      ++record.measured_errors;
    } else {
      record.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now -
                                                               record.started)
              .count());
    }
  }
  ++done_;
  if (!stop_ && options_.rate == 0) {
    Launch(index);  // closed loop: the slot goes again at once
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  --in_flight_;
  if (!stop_) idle_.push_back(index);
  changed_.notify_all();
}

void Run::PrintProgress(Clock::time_point now) {
  const int64_t done = done_;
  std::fprintf(stderr, "loadgen: %5.1f s  %9lld calls  %8lld/s  %lld errors\n",
               std::chrono::duration<double>(now - start_).count(),
               static_cast<long long>(done),
               static_cast<long long>(done - last_done_),
               static_cast<long long>(failed_.load()));
  last_done_ = done;
}

DriverResult Run::Execute() {
  start_ = Clock::now();
  measure_start_ =
      start_ + std::chrono::duration_cast<Clock::duration>(
                   std::chrono::duration<double>(options_.warmup_seconds));
  measure_end_ =
      options_.requests > 0
          ? Clock::time_point::max()
          : measure_start_ +
                std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(options_.duration_seconds));
  std::unique_lock<std::mutex> lock(mu_);
  in_flight_ = options_.rate == 0 ? slots_.size() : 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (options_.rate == 0) {
      lock.unlock();
      Launch(i);
      lock.lock();
    } else {
      idle_.push_back(i);
    }
  }
  Clock::time_point next_progress = start_ + std::chrono::seconds(1);
  int64_t scheduled = 0;
  while (!stop_) {
    const Clock::time_point now = Clock::now();
    if (now >= measure_end_) {
      stop_ = true;
      break;
    }
    if (now >= next_progress) {
      if (options_.progress) PrintProgress(now);
      next_progress += std::chrono::seconds(1);
    }
    Clock::time_point wake = std::min(next_progress, measure_end_);
    if (options_.rate > 0) {
      const Clock::time_point due =
          start_ +
          std::chrono::duration_cast<Clock::duration>(
              std::chrono::duration<double>(scheduled / options_.rate));
      if (now >= due && !idle_.empty()) {
        const size_t index = idle_.front();
        idle_.pop_front();
        ++in_flight_;
        ++scheduled;
        lock.unlock();
        Launch(index);
        lock.lock();
        continue;
      }
      if (now < due) wake = std::min(wake, due);
    }
    changed_.wait_until(lock, wake);
  }
  changed_.wait(lock, [this] { return in_flight_ == 0; });
  return Collect();
}

DriverResult Run::Collect() const {
  DriverResult result;
  int64_t measured_errors = 0;
  for (const SlotRecord& record : records_) {
    measured_errors += record.measured_errors;
    result.latencies_ns.insert(result.latencies_ns.end(),
                               record.latencies_ns.begin(),
                               record.latencies_ns.end());
    for (const auto& [code, count] : record.errors)
      result.errors[code] += count;
  }
  std::sort(result.latencies_ns.begin(), result.latencies_ns.end());
  result.total_calls = done_;
  if (options_.requests > 0) {
    result.calls = std::min<int64_t>(measured_, options_.requests);
    result.seconds =
        end_ns_ > 0
            ? end_ns_ * 1e-9
            : std::chrono::duration<double>(Clock::now() - measure_start_)
                  .count();
  } else {
    result.seconds = options_.duration_seconds;
    result.calls =
        static_cast<int64_t>(result.latencies_ns.size()) + measured_errors;
  }
  return result;
}

}  // namespace

int64_t DriverResult::error_calls() const {
  int64_t total = 0;
  for (const auto& [code, count] : errors) total += count;
  return total;
}

double DriverResult::PercentileMicros(double p) const {
  if (latencies_ns.empty()) return 0;
  const size_t rank = static_cast<size_t>(
      std::ceil(p * static_cast<double>(latencies_ns.size())));
  const size_t index =
      std::min(latencies_ns.size() - 1, rank == 0 ? 0 : rank - 1);
  return latencies_ns[index] / 1e3;
}

double DriverResult::MeanMicros() const {
  if (latencies_ns.empty()) return 0;
  return std::accumulate(latencies_ns.begin(), latencies_ns.end(), 0.0) /
         static_cast<double>(latencies_ns.size()) / 1e3;
}

DriverResult RunLoad(const std::vector<std::unique_ptr<CallSlot>>& slots,
                     const DriverOptions& options) {
  Run run(slots, options);
  return run.Execute();
}

std::string StatusCodeName(int code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  if (code >= 0 && code <= 16) return kNames[code];
  if (code == kUnexpectedResponse) return "UNEXPECTED_RESPONSE";
  return std::to_string(code);
}

}  // namespace superlicense::loadgen
