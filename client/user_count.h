// Counting users the two ways the domain describes (docs/DOMAIN.md,
// "Counting users"), plus active users for SCIM-managed installations.
#ifndef SUPERLICENSE_CLIENT_USER_COUNT_H_
#define SUPERLICENSE_CLIENT_USER_COUNT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/crm_database.h"

namespace superlicense::client {

// One user plan (extraFlags = 1) and how many hold it.
struct PlanCount {
  std::string owner_name;
  std::string plan_name;  // moduleName, e.g. "ten-sales"
  std::string description;
  int64_t total = 0;   // licenseNumber
  int64_t in_use = 0;  // associates holding it
};

struct UserCount {
  // 1. Capacity: the licenseNumber of the SUPEROFFICE `user` and `web`
  //    licenses (0 when absent) — who could log in, not who does — and how
  //    many of each are assigned.
  int64_t user_capacity = 0;
  int64_t web_capacity = 0;
  int64_t user_in_use = 0;
  int64_t web_in_use = 0;
  // 2. Plans in use: every user plan of every owner, and the sum of their
  //    in_use — what the customer pays for.
  std::vector<PlanCount> plans;
  int64_t plans_in_use = 0;
  // SCIM: true when the `scim` system license is installed. Then the number
  // to bill is active_users: active associates holding at least one user
  // license (counted whether or not SCIM is on).
  bool scim_managed = false;
  int64_t active_users = 0;
};

// Counts from the database (one consistent read per table).
absl::StatusOr<UserCount> CountUsers(CrmReader& db);

}  // namespace superlicense::client

#endif  // SUPERLICENSE_CLIENT_USER_COUNT_H_
