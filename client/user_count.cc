#include "client/user_count.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "keys/status_macros.h"

namespace superlicense::client {
namespace {

constexpr char kVendorOwner[] = "SUPEROFFICE";
constexpr int64_t kSystemLicense = 1;
constexpr int64_t kUserLicense = 3;
constexpr int64_t kPlanFlag = 1;

// Adds the vendor's `user` / `web` capacity, its use and the SCIM flag.
void CountVendor(const OwnerView& owner,
                 const std::map<int64_t, int64_t>& assigned, UserCount& out) {
  for (const ModuleRecord& m : owner.modules) {
    auto it = assigned.find(m.id);
    const int64_t in_use = it == assigned.end() ? 0 : it->second;
    if (m.module_name == "user") {
      out.user_capacity += m.license_number;
      out.user_in_use += in_use;
    } else if (m.module_name == "web") {
      out.web_capacity += m.license_number;
      out.web_in_use += in_use;
    } else if (m.module_name == "scim" && m.license_type == kSystemLicense) {
      out.scim_managed = true;
    }
  }
}

// Adds the owner's plans and the associates holding a user license.
void CountPlansAndHolders(const OwnerView& owner, UserCount& out,
                          std::set<int64_t>& holders) {
  std::map<int64_t, std::set<int64_t>> plan_holders;  // module id -> assocs
  std::set<int64_t> user_modules;
  for (const ModuleRecord& m : owner.modules) {
    if (m.license_type == kUserLicense) user_modules.insert(m.id);
  }
  for (const AssocLinkRecord& link : owner.assoc_links) {
    plan_holders[link.module_license_id].insert(link.assoc_id);
    if (user_modules.count(link.module_license_id) != 0) {
      holders.insert(link.assoc_id);
    }
  }
  for (const ModuleRecord& m : owner.modules) {
    if (m.extra_flags != kPlanFlag) continue;
    PlanCount plan;
    plan.owner_name = owner.owner.owner_name;
    plan.plan_name = m.module_name;
    plan.description = m.module_description;
    plan.total = m.license_number;
    plan.in_use = static_cast<int64_t>(plan_holders[m.id].size());
    out.plans_in_use += plan.in_use;
    out.plans.push_back(std::move(plan));
  }
}

}  // namespace

absl::StatusOr<UserCount> CountUsers(CrmReader& db) {
  UserCount out;
  std::set<int64_t> holders;  // associates holding any user license
  ASSIGN_OR_RETURN(std::vector<std::string> names, db.ListOwnerNames());
  for (const std::string& name : names) {
    absl::StatusOr<OwnerView> owner = db.GetOwner(name);
    if (absl::IsNotFound(owner.status())) continue;  // deleted meanwhile
    if (!owner.ok()) return owner.status();
    if (name == kVendorOwner) {
      std::map<int64_t, int64_t> assigned;
      for (const AssocLinkRecord& link : owner->assoc_links) {
        assigned[link.module_license_id] += link.license_number;
      }
      CountVendor(*owner, assigned, out);
    }
    CountPlansAndHolders(*owner, out, holders);
  }
  ASSIGN_OR_RETURN(std::vector<Associate> associates, db.ListAssociates());
  for (const Associate& a : associates) {
    if (a.active && holders.count(a.id) != 0) ++out.active_users;
  }
  return out;
}

}  // namespace superlicense::client
