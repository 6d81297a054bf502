#include "client/internal/plans.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace superlicense::client::internal {

std::vector<std::string> PlanModuleNames(int64_t extra_flags,
                                         absl::string_view extra_info) {
  if (extra_flags != kPlanFlag || !absl::ConsumePrefix(&extra_info, "set=")) {
    return {};
  }
  std::vector<std::string> names;
  for (absl::string_view entry : absl::StrSplit(extra_info, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (!entry.empty()) names.emplace_back(entry);
  }
  return names;
}

}  // namespace superlicense::client::internal
