// SHA-256, the one digest of the signed-bytes format.
#ifndef SUPERLICENSE_KEYS_SHA256_H_
#define SUPERLICENSE_KEYS_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace superlicense::keys {

inline constexpr size_t kSha256Size = 32;

// Returns the 32-byte SHA-256 digest of `data`.
std::string Sha256(absl::string_view data);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_SHA256_H_
