// loadgen: an asynchronous gRPC load generator for superlicensed and for
// echo_server, its ceiling. Keeps --concurrency calls outstanding over
// --channels TLS connections (or paces them with --rate), measures after a
// --warmup for --duration seconds or --requests calls, and reports calls per
// second, latency percentiles from every measured call, and errors by status
// code. A progress line goes to stderr every second.
//   loadgen WORKLOAD [--target HOST:PORT] [--ca F] [--cert F --key F]
//     [--credential C | --credentials-file F] [--serial S]... [--json]
// WORKLOAD: echo, fetch-not-modified, fetch-full, issue, mix (see
// tools/loadgen/workloads.h). Exit status 1 when a call failed (unless
// --allow-errors) or the set-up failed.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/loadgen/load_driver.h"
#include "tools/loadgen/workloads.h"

namespace {

using superlicense::loadgen::DriverOptions;
using superlicense::loadgen::DriverResult;
using superlicense::loadgen::StatusCodeName;
using superlicense::loadgen::WorkloadOptions;

std::string ErrorList(const DriverResult& result, bool json) {
  std::vector<std::string> parts;
  for (const auto& [code, count] : result.errors) {
    parts.push_back(
        json ? absl::StrFormat("\"%s\": %d", StatusCodeName(code), count)
             : absl::StrFormat("%s %d", StatusCodeName(code), count));
  }
  return absl::StrJoin(parts, ", ");
}

void PrintText(const WorkloadOptions& workload, const DriverOptions& driver,
               const DriverResult& result, const std::string& summary) {
  std::printf(
      "workload %s: concurrency %d on %d channel(s)%s\n",
      workload.workload.c_str(), workload.concurrency, workload.channels,
      driver.rate > 0
          ? absl::StrFormat(", paced at %g calls/s", driver.rate).c_str()
          : "");
  std::printf(
      "measured %lld calls in %.2f s (after %.1f s warm-up): %.1f "
      "calls/s\n",
      static_cast<long long>(result.calls), result.seconds,
      driver.warmup_seconds, result.calls_per_second());
  std::printf(
      "latency (ms): p50 %.3f  p99 %.3f  p99.9 %.3f  mean %.3f  max "
      "%.3f\n",
      result.PercentileMicros(0.5) / 1e3, result.PercentileMicros(0.99) / 1e3,
      result.PercentileMicros(0.999) / 1e3, result.MeanMicros() / 1e3,
      result.PercentileMicros(1.0) / 1e3);
  std::printf("errors: %s (of %lld calls in all)\n",
              result.errors.empty() ? "none" : ErrorList(result, false).c_str(),
              static_cast<long long>(result.total_calls));
  if (!summary.empty()) std::printf("%s\n", summary.c_str());
}

void PrintJson(const WorkloadOptions& workload, const DriverOptions& driver,
               const DriverResult& result) {
  std::printf(
      "{\"workload\": \"%s\", \"concurrency\": %d, \"channels\": %d, "
      "\"rate_limit\": %g, \"warmup_seconds\": %g, \"seconds\": %.3f, "
      "\"calls\": %lld, \"calls_per_second\": %.1f, \"latency_us\": "
      "{\"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f, \"mean\": %.1f, "
      "\"max\": %.1f}, \"total_calls\": %lld, \"error_calls\": %lld, "
      "\"errors\": {%s}}\n",
      workload.workload.c_str(), workload.concurrency, workload.channels,
      driver.rate, driver.warmup_seconds, result.seconds,
      static_cast<long long>(result.calls), result.calls_per_second(),
      result.PercentileMicros(0.5), result.PercentileMicros(0.99),
      result.PercentileMicros(0.999), result.MeanMicros(),
      result.PercentileMicros(1.0), static_cast<long long>(result.total_calls),
      static_cast<long long>(result.error_calls()),
      ErrorList(result, true).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  WorkloadOptions workload;
  DriverOptions driver;
  std::string target;
  bool json = false, allow_errors = false, quiet = false;
  workload.modules = {"user=5"};
  CLI::App app{
      "loadgen: drives superlicensed (or echo_server) with "
      "asynchronous gRPC calls and reports throughput and latency"};
  app.add_option("workload", workload.workload,
                 "echo, fetch-not-modified, fetch-full, issue or mix")
      ->required()
      ->check(CLI::IsMember(
          {"echo", "fetch-not-modified", "fetch-full", "issue", "mix"}));
  superlicense::cli::AddConnectionFlags(&app, &workload.connection);
  app.add_option("--target", target,
                 "host:port of the server (same as --authority)");
  app.add_option("--credentials-file", workload.credentials_file,
                 "Installation credentials, one a line, used in turn");
  app.add_option("--serial,--serials", workload.serials,
                 "Serials to issue for, used in turn (repeat or comma list)")
      ->delimiter(',');
  app.add_option("--module", workload.modules,
                 "Issue: NAME=COUNT grants (default user=5)");
  app.add_option("--concurrency", workload.concurrency,
                 "Calls outstanding at a time (default 1)");
  app.add_option("--channels", workload.channels,
                 "TLS connections the calls are spread over (default 1)");
  app.add_option("--duration", driver.duration_seconds,
                 "Seconds measured (default 10)");
  app.add_option("--requests", driver.requests,
                 "Measured calls to complete instead of --duration");
  app.add_option("--warmup", driver.warmup_seconds,
                 "Seconds before measuring (default 1)");
  app.add_option("--rate", driver.rate,
                 "Start at most this many calls per second (default: no "
                 "limit, --concurrency bounds the load)");
  app.add_option("--fetches-per-issue", workload.fetches_per_issue,
                 "Mix: fetch-not-modified calls per issue call (default 9)");
  app.add_option("--echo-response-bytes", workload.echo_response_bytes,
                 "Echo: answer size (default 0, as a not-modified fetch)");
  app.add_flag("--json", json, "Print the result as one JSON object");
  app.add_flag("--allow-errors", allow_errors, "Exit 0 even when calls failed");
  app.add_flag("--quiet", quiet, "No progress lines on stderr");
  CLI11_PARSE(app, argc, argv);
  if (!target.empty()) workload.connection.authority = target;
  driver.progress = !quiet;

  auto made = superlicense::loadgen::MakeWorkload(workload);
  if (!made.ok()) {
    std::cerr << "loadgen: " << made.status() << "\n";
    return 1;
  }
  const DriverResult result =
      superlicense::loadgen::RunLoad(made->slots, driver);
  if (json) {
    PrintJson(workload, driver, result);
    const std::string summary = made->summary();
    if (!summary.empty()) std::cerr << "loadgen: " << summary << "\n";
  } else {
    PrintText(workload, driver, result, made->summary());
  }
  std::fflush(stdout);
  if (result.error_calls() > 0 && !allow_errors) {
    std::cerr << "loadgen: " << result.error_calls()
              << " call(s) failed: " << ErrorList(result, false) << "\n";
    return 1;
  }
  return 0;
}
