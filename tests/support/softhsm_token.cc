#include "tests/support/softhsm_token.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace superlicense::testing {
namespace {

constexpr char kConfigVariable[] = "SOFTHSM2_CONF";
// The security officer PIN; tests never log in as the SO.
constexpr char kSoPin[] = "so-pin-for-tests";

// Runs `argv` (found on PATH) with its output in `log_path` and waits for it.
// INTERNAL when it cannot start or does not exit with 0.
absl::Status RunCommand(const std::vector<std::string>& argv,
                        const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawn_error =
      posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return absl::InternalError(
        absl::StrCat("cannot run ", argv[0], ": ", std::strerror(spawn_error)));
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    std::ifstream log(log_path);
    std::stringstream output;
    output << log.rdbuf();
    return absl::InternalError(
        absl::StrCat(argv[0], " failed: ", output.str()));
  }
  return absl::OkStatus();
}

}  // namespace

SoftHsmToken::SoftHsmToken(std::string label, std::string user_pin)
    : label_(std::move(label)), user_pin_(std::move(user_pin)) {}

absl::StatusOr<std::unique_ptr<SoftHsmToken>> SoftHsmToken::Create(
    const std::string& label, const std::string& user_pin) {
  std::unique_ptr<SoftHsmToken> token(new SoftHsmToken(label, user_pin));
  if (absl::Status configured = token->Configure(); !configured.ok()) {
    return configured;
  }
  if (absl::Status initialised = token->InitToken(); !initialised.ok()) {
    return initialised;
  }
  return token;
}

SoftHsmToken::~SoftHsmToken() {
  if (previous_config_.has_value()) {
    setenv(kConfigVariable, previous_config_->c_str(), /*overwrite=*/1);
  } else {
    unsetenv(kConfigVariable);
  }
}

keys::Pkcs11Location SoftHsmToken::Location(
    const std::string& key_label) const {
  keys::Pkcs11Location location;
  location.module = keys::kDefaultPkcs11Module;
  location.token_label = label_;
  location.key_label = key_label;
  return location;
}

absl::Status SoftHsmToken::Configure() {
  const std::string token_dir = dir_.File("tokens");
  if (mkdir(token_dir.c_str(), 0700) != 0) {
    return absl::InternalError(
        absl::StrCat("mkdir ", token_dir, ": ", std::strerror(errno)));
  }
  std::ofstream config(config_path(), std::ios::trunc);
  config << "directories.tokendir = " << token_dir << "\n"
         << "objectstore.backend = file\n"
         << "log.level = ERROR\n"
         << "slots.removable = false\n";
  config.close();
  if (!config) {
    return absl::InternalError(absl::StrCat("cannot write ", config_path()));
  }
  if (const char* previous = std::getenv(kConfigVariable);
      previous != nullptr) {
    previous_config_ = previous;
  }
  setenv(kConfigVariable, config_path().c_str(), /*overwrite=*/1);
  return absl::OkStatus();
}

absl::Status SoftHsmToken::InitToken() const {
  return RunCommand({"softhsm2-util", "--init-token", "--free", "--label",
                     label_, "--pin", user_pin_, "--so-pin", kSoPin},
                    dir_.File("softhsm2-util.log"));
}

}  // namespace superlicense::testing
