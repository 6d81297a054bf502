// The command groups of slctl. Each Add*Commands registers subcommands on
// `app`; a command that runs stores its outcome in `*result`.
#ifndef SUPERLICENSE_TOOLS_SLCTL_COMMANDS_H_
#define SUPERLICENSE_TOOLS_SLCTL_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "absl/status/status.h"

namespace superlicense::slctl {

// keys root-init | certify | trust-bundle | cosign
void AddCeremonyCommands(CLI::App* keys, absl::Status* result);
// keys owner-new | rotate | revoke | list
void AddOwnerKeyCommands(CLI::App* keys, absl::Status* result);
// sets sign | show
void AddSetsCommands(CLI::App* app, absl::Status* result);
// verify FILE --trust BUNDLE
void AddVerifyCommand(CLI::App* app, absl::Status* result);

}  // namespace superlicense::slctl

#endif  // SUPERLICENSE_TOOLS_SLCTL_COMMANDS_H_
