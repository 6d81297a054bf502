#include "keys/credential_hash.h"

#include <botan/argon2.h>
#include <botan/system_rng.h>

#include "absl/strings/escaping.h"
#include "keys/internal/botan_keys.h"

namespace superlicense::keys {
namespace {

constexpr size_t kLanes = 1;
constexpr size_t kMemoryKib = 19456;
constexpr size_t kPasses = 2;
constexpr uint8_t kArgon2id = 2;

}  // namespace

std::string NewCredentialSecret() {
  Botan::System_RNG rng;
  const Botan::secure_vector<uint8_t> bytes = rng.random_vec(32);
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

absl::StatusOr<std::string> HashCredentialSecret(absl::string_view secret) {
  try {
    Botan::System_RNG rng;
    return Botan::argon2_generate_pwhash(secret.data(), secret.size(), rng,
                                         kLanes, kMemoryKib, kPasses,
                                         kArgon2id);
  } catch (const std::exception& e) {
    return internal::BotanError("hash credential", e);
  }
}

absl::Status CheckCredentialSecret(absl::string_view secret,
                                   const std::string& hash) {
  bool match = false;
  try {
    match = Botan::argon2_check_pwhash(secret.data(), secret.size(), hash);
  } catch (const std::exception&) {
    match = false;
  }
  if (!match) return absl::UnauthenticatedError("credential does not match");
  return absl::OkStatus();
}

}  // namespace superlicense::keys
