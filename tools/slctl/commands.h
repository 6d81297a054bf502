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
// sets sign | show; returns the `sets` command for AddIssueCommands.
CLI::App* AddSetsCommands(CLI::App* app, absl::Status* result);
// customer create | show | list | rename (against superlicensed)
void AddCustomerCommands(CLI::App* app, absl::Status* result);
// issue; sets list | get | revoke; audit list | verify (against superlicensed)
void AddIssueCommands(CLI::App* app, CLI::App* sets, absl::Status* result);
// catalog list | put; backup (against superlicensed)
void AddCatalogCommands(CLI::App* app, absl::Status* result);
// usage --serial S --month YYYY-MM (against superlicensed)
void AddUsageCommands(CLI::App* app, absl::Status* result);
// verify FILE --trust BUNDLE
void AddVerifyCommand(CLI::App* app, absl::Status* result);

}  // namespace superlicense::slctl

#endif  // SUPERLICENSE_TOOLS_SLCTL_COMMANDS_H_
