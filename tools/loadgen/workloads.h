// The loadgen workloads: the call slots that drive superlicensed (or the
// echo server) with one kind of call each, over one or more TLS channels.
//   echo                 Echo.Echo against echo_server (the ceiling)
//   fetch-not-modified   FetchLicenseSet with installed_version = newest
//   fetch-full           FetchLicenseSet with installed_version = 0
//   issue                IssueLicenseSet as an issuer (client certificate)
//   mix                  issue and fetch-not-modified, N fetches per issue
#ifndef SUPERLICENSE_TOOLS_LOADGEN_WORKLOADS_H_
#define SUPERLICENSE_TOOLS_LOADGEN_WORKLOADS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/cli/authority_client.h"
#include "tools/loadgen/load_driver.h"

namespace superlicense::loadgen {

struct WorkloadOptions {
  std::string workload;
  // Fetch calls carry an installation credential and no client certificate;
  // issue calls a client certificate and no credential; echo calls what is
  // given. Unset fields come from the SUPERLICENSE_* variables.
  cli::ConnectionFlags connection;
  // SERIAL.SECRET credentials, one a line: fetch calls take them in turn
  // (each installation has its own rate limit at the authority).
  std::string credentials_file;
  std::vector<std::string> serials;  // issue: taken in turn
  std::vector<std::string> modules;  // issue: NAME=COUNT grants
  int concurrency = 1;
  int channels = 1;
  int fetches_per_issue = 9;  // mix
  uint32_t echo_response_bytes = 0;
  uint32_t echo_request_bytes = 14;  // about a FetchLicenseSetRequest
};

struct Workload {
  std::vector<std::unique_ptr<CallSlot>> slots;
  // A line on what the calls did beyond their status ("mix: 10 issue, 90
  // fetch"); empty when there is nothing to add.
  std::function<std::string()> summary;
};

// Connects and makes `concurrency` slots spread over `channels` channels.
// Fetch workloads first ask the authority, once per installation, which
// version is newest. INVALID_ARGUMENT for a bad flag or missing file,
// otherwise the status of the failed set-up call.
absl::StatusOr<Workload> MakeWorkload(const WorkloadOptions& options);

}  // namespace superlicense::loadgen

#endif  // SUPERLICENSE_TOOLS_LOADGEN_WORKLOADS_H_
