#include "keys/secret.h"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "keys/file_io.h"

namespace superlicense::keys {
namespace {

constexpr size_t kMaxSecretFileBytes = 4096;

std::string FirstLine(std::string content) {
  const size_t end = content.find_first_of("\r\n");
  if (end != std::string::npos) content.resize(end);
  return content;
}

// Reads one line from the terminal without echo.
absl::StatusOr<Secret> PromptOnce(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios old_settings;
  const bool is_tty = ::tcgetattr(STDIN_FILENO, &old_settings) == 0;
  if (is_tty) {
    termios quiet = old_settings;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (is_tty) ::tcsetattr(STDIN_FILENO, TCSANOW, &old_settings);
  std::cerr << "\n";
  return Secret(std::move(line));
}

}  // namespace

absl::StatusOr<Secret> ReadSecret(const SecretSource& source) {
  if (!source.file.empty()) {
    absl::StatusOr<std::string> content =
        ReadFileLimited(source.file, kMaxSecretFileBytes);
    if (!content.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("secret file: ", content.status().message()));
    }
    Secret secret(FirstLine(*std::move(content)));
    if (secret.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("secret file ", source.file, " is empty"));
    }
    return secret;
  }
  if (!source.env_var.empty()) {
    const char* value = std::getenv(source.env_var.c_str());
    if (value != nullptr && *value != '\0') return Secret(value);
  }
  if (source.allow_prompt && ::isatty(STDIN_FILENO)) {
    absl::StatusOr<Secret> first = PromptOnce(source.prompt);
    if (!first.ok() || first->empty()) {
      return absl::InvalidArgumentError("no secret entered");
    }
    if (source.confirm) {
      absl::StatusOr<Secret> second = PromptOnce("Repeat: ");
      if (!second.ok() || second->view() != first->view()) {
        return absl::InvalidArgumentError("the two entries differ");
      }
    }
    return first;
  }
  return absl::NotFoundError(
      absl::StrCat("no secret given: set ",
                   source.env_var.empty() ? "a secret file" : source.env_var,
                   " or pass a file"));
}

}  // namespace superlicense::keys
