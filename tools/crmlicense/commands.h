// The commands of crmlicense, the CRM administrator's tool (DESIGN.md §7).
// Each Add*Commands registers subcommands on `app`; a command that runs
// stores its outcome in `*result`.
#ifndef SUPERLICENSE_TOOLS_CRMLICENSE_COMMANDS_H_
#define SUPERLICENSE_TOOLS_CRMLICENSE_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "tools/crmlicense/session.h"

namespace superlicense::crmlicense {

// init, import FILE, fetch
void AddSetupCommands(CLI::App* app, const GlobalFlags* flags,
                      absl::Status* result);
// status, count-users
void AddStatusCommands(CLI::App* app, const GlobalFlags* flags,
                       absl::Status* result);
// assign, unassign, check, associates add | list
void AddAssignmentCommands(CLI::App* app, const GlobalFlags* flags,
                           absl::Status* result);
// usage record | usage report, messages
void AddUsageCommands(CLI::App* app, const GlobalFlags* flags,
                      absl::Status* result);

}  // namespace superlicense::crmlicense

#endif  // SUPERLICENSE_TOOLS_CRMLICENSE_COMMANDS_H_
