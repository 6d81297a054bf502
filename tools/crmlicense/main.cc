// crmlicense: the SuperLicense tool for CRM administrators: initialise the
// licensing tables, import or fetch license sets, show the license status,
// assign licenses, check them and count users.
// Exit codes: 0 success (check: licensed), 1 error (check: not licensed),
// 2 usage, 3 rejected by policy or verification.
#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "tools/cli/cli_support.h"
#include "tools/crmlicense/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "crmlicense: license sets, assignments and checks for a CRM database"};
  app.require_subcommand(1);
  app.fallthrough();
  superlicense::crmlicense::GlobalFlags flags;
  superlicense::crmlicense::AddGlobalFlags(&app, &flags);
  absl::Status result;
  superlicense::crmlicense::AddSetupCommands(&app, &flags, &result);
  superlicense::crmlicense::AddStatusCommands(&app, &flags, &result);
  superlicense::crmlicense::AddAssignmentCommands(&app, &flags, &result);
  superlicense::crmlicense::AddUsageCommands(&app, &flags, &result);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : superlicense::cli::kExitUsage;
  }
  return superlicense::cli::ExitCodeFor("crmlicense", result);
}
