// slctl: the SuperLicense tool for licensing staff and release engineers.
// Exit codes: 0 success, 1 error, 2 usage, 3 rejected by verification.
#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "tools/cli/cli_support.h"
#include "tools/slctl/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "slctl: key ceremonies, owner keys, trust bundles, license sets and "
      "verification for SuperLicense"};
  app.require_subcommand(1);
  absl::Status result;

  CLI::App* keys = app.add_subcommand(
      "keys", "Root key ceremony, owner keys, certificates, trust bundles");
  keys->require_subcommand(1);
  superlicense::slctl::AddCeremonyCommands(keys, &result);
  superlicense::slctl::AddOwnerKeyCommands(keys, &result);
  CLI::App* sets = superlicense::slctl::AddSetsCommands(&app, &result);
  superlicense::slctl::AddCustomerCommands(&app, &result);
  superlicense::slctl::AddIssueCommands(&app, sets, &result);
  superlicense::slctl::AddCatalogCommands(&app, &result);
  superlicense::slctl::AddUsageCommands(&app, &result);
  superlicense::slctl::AddVerifyCommand(&app, &result);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : superlicense::cli::kExitUsage;
  }
  return superlicense::cli::ExitCodeFor("slctl", result);
}
