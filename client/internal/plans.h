// User plans as stored in ModuleLicense: extraFlags 1 and extraInfo
// "set=" followed by the comma-separated names of the user licenses the plan
// implies (docs/FORMAT.md).
#ifndef SUPERLICENSE_CLIENT_INTERNAL_PLANS_H_
#define SUPERLICENSE_CLIENT_INTERNAL_PLANS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace superlicense::client::internal {

// ModuleLicense.extraFlags of a user plan.
inline constexpr int64_t kPlanFlag = 1;

// The names a plan's "set=" list holds, trimmed; empty for a row that is
// not a plan or has no "set=" list.
std::vector<std::string> PlanModuleNames(int64_t extra_flags,
                                         absl::string_view extra_info);

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_PLANS_H_
