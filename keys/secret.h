// Secret: a passphrase or PIN held in memory that is wiped when released.
// Private key bytes never use this type: they live only in
// Botan::secure_vector inside keys/.
#ifndef SUPERLICENSE_KEYS_SECRET_H_
#define SUPERLICENSE_KEYS_SECRET_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense::keys {

// Move-only; the bytes are overwritten with zeros on destruction and move.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
    other.Wipe();
  }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      Wipe();
      value_ = std::move(other.value_);
      other.Wipe();
    }
    return *this;
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret() { Wipe(); }

  absl::string_view view() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  void Wipe() {
    volatile char* p = value_.empty() ? nullptr : &value_[0];
    for (size_t i = 0; i < value_.size(); ++i) p[i] = 0;
    value_.clear();
  }
  std::string value_;
};

// Where a passphrase or PIN comes from, tried in this order: the file (when
// set), the environment variable (when set and non-empty), an interactive
// prompt on the terminal (when allowed and stdin is a terminal).
struct SecretSource {
  std::string file;     // a file whose first line is the secret
  std::string env_var;  // e.g. "SUPERLICENSE_PASSPHRASE"
  bool allow_prompt = true;
  std::string prompt;    // e.g. "Keystore passphrase: "
  bool confirm = false;  // prompt twice (new secrets)
};

// Reads the secret. NOT_FOUND when no source yields one; INVALID_ARGUMENT
// when the file is unreadable or the two prompted entries differ. Never puts
// the secret in an error message.
absl::StatusOr<Secret> ReadSecret(const SecretSource& source);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_SECRET_H_
