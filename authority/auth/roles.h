// Roles of the authority's callers (docs/DESIGN.md §6) and sets of them.
// No gRPC headers: code that only checks roles includes this.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_ROLES_H_
#define SUPERLICENSE_AUTHORITY_AUTH_ROLES_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense::authority {

enum class Role : uint8_t {
  kIssuer,        // "issuer": creates customers, issues and revokes sets
  kInstallation,  // "installation": one serial; fetches and accepts its sets
  kKeyAdmin,      // "key-admin": owner keys
  kAuditor,       // "auditor": reads everything, audit log
};

inline constexpr Role kAllRoles[] = {Role::kIssuer, Role::kInstallation,
                                     Role::kKeyAdmin, Role::kAuditor};

// Returns the role's name as written in the principals file and in errors.
absl::string_view RoleName(Role role);

// Returns the role named `name`; INVALID_ARGUMENT naming it when unknown.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// A set of roles; a value type, constexpr-constructible so tables of them
// can be constants. Thread-compatible.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role role : roles) bits_ |= Bit(role);
  }

  // Every role.
  static constexpr RoleSet All() {
    return RoleSet(
        {Role::kIssuer, Role::kInstallation, Role::kKeyAdmin, Role::kAuditor});
  }

  constexpr void Add(Role role) { bits_ |= Bit(role); }
  constexpr bool Contains(Role role) const { return (bits_ & Bit(role)) != 0; }
  // True when the two sets share a role.
  constexpr bool Intersects(RoleSet other) const {
    return (bits_ & other.bits_) != 0;
  }
  constexpr bool empty() const { return bits_ == 0; }

  // Returns "[issuer, auditor]", in the order of the enum.
  std::string ToString() const;

  friend constexpr bool operator==(RoleSet a, RoleSet b) {
    return a.bits_ == b.bits_;
  }
  friend constexpr bool operator!=(RoleSet a, RoleSet b) { return !(a == b); }

 private:
  static constexpr uint8_t Bit(Role role) {
    return static_cast<uint8_t>(1u << static_cast<unsigned>(role));
  }
  uint8_t bits_ = 0;
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_ROLES_H_
