// PrincipalDirectory: the staff principals of the principals file
// (authority/auth/principals.proto), looked up by the common name of their
// verified mTLS client certificate. No gRPC headers.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_PRINCIPAL_DIRECTORY_H_
#define SUPERLICENSE_AUTHORITY_AUTH_PRINCIPAL_DIRECTORY_H_

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authority/auth/principal.h"
#include "authority/auth/principals.pb.h"

namespace superlicense::authority {

// Immutable after construction, so thread-safe. Copyable.
class PrincipalDirectory {
 public:
  // Reads and validates the JSON principals file at `path` (at most 1 MiB).
  // NOT_FOUND when it does not exist; INVALID_ARGUMENT as FromJson, with
  // the path in the message.
  static absl::StatusOr<PrincipalDirectory> Load(const std::string& path);

  // Parses and validates a principals file. INVALID_ARGUMENT for malformed
  // JSON or unknown fields, and naming the entry (index and name) for: an
  // empty or duplicate name, a name starting with "installation:", an empty
  // or duplicate certificate_common_name, no roles, an unknown role, a
  // repeated role, or the role "installation".
  static absl::StatusOr<PrincipalDirectory> FromJson(absl::string_view json);
  // As FromJson, for an already parsed file.
  static absl::StatusOr<PrincipalDirectory> FromProto(
      const PrincipalsFile& file);

  // Returns the principal whose certificate common name is `common_name`,
  // or nullptr. The pointer lives as long as this directory.
  const Principal* FindByCommonName(absl::string_view common_name) const;

  size_t size() const { return by_common_name_.size(); }

 private:
  PrincipalDirectory() = default;

  absl::flat_hash_map<std::string, Principal> by_common_name_;
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_PRINCIPAL_DIRECTORY_H_
