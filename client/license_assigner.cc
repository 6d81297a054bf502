#include "client/license_assigner.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/internal/plans.h"

namespace superlicense::client {
namespace {

constexpr int64_t kUserLicense = 3;
using internal::kPlanFlag;
constexpr char kDefaultOwner[] = "SUPEROFFICE";

// Everything one call needs, read inside the write transaction after the
// owner's module rows are locked.
struct Context {
  Associate associate;
  OwnerView owner;
  std::map<int64_t, ModuleUsage> usage;  // by ModuleLicense_id
  std::map<std::string, const ModuleRecord*> by_name;
  std::map<std::string, AssocLinkRecord> held;  // moduleName -> link
};

bool IsPlan(const ModuleRecord& m) { return m.extra_flags == kPlanFlag; }

// Splits "owner.module" into the installed owner's name and the module name.
absl::Status SplitModule(CrmReader& reader, absl::string_view module,
                         std::string* owner, std::string* name) {
  absl::StatusOr<std::vector<std::string>> owners = reader.ListOwnerNames();
  if (!owners.ok()) return owners.status();
  size_t dot = module.find('.');
  if (dot != absl::string_view::npos) {
    for (const std::string& o : *owners) {
      if (absl::EqualsIgnoreCase(o, module.substr(0, dot))) {
        *owner = o;
        *name = std::string(module.substr(dot + 1));
        return absl::OkStatus();
      }
    }
  }
  *name = std::string(module);
  for (const std::string& o : *owners) {
    if (o == kDefaultOwner) *owner = o;
  }
  if (owner->empty() && !owners->empty()) *owner = owners->front();
  if (owner->empty()) {
    return absl::NotFoundError(
        absl::StrCat("module \"", module, "\" not found: no owner installed"));
  }
  return absl::OkStatus();
}

// Locks the owner's modules and loads the associate's links.
absl::Status Load(CrmTransaction& txn, absl::string_view associate,
                  absl::string_view module, Context* ctx, std::string* name) {
  absl::StatusOr<Associate> assoc = FindAssociate(txn, associate);
  if (!assoc.ok()) return assoc.status();
  ctx->associate = *assoc;
  std::string owner;
  if (absl::Status s = SplitModule(txn, module, &owner, name); !s.ok()) {
    return s;
  }
  absl::StatusOr<OwnerView> view = txn.LockOwner(owner);
  if (!view.ok()) return view.status();
  ctx->owner = *std::move(view);
  absl::StatusOr<std::vector<ModuleUsage>> usage = txn.CountAssigned(owner);
  if (!usage.ok()) return usage.status();
  for (const ModuleUsage& u : *usage) ctx->usage[u.module_license_id] = u;
  std::map<int64_t, const ModuleRecord*> by_id;
  for (const ModuleRecord& m : ctx->owner.modules) {
    ctx->by_name.emplace(m.module_name, &m);
    by_id[m.id] = &m;
  }
  for (const AssocLinkRecord& link : ctx->owner.assoc_links) {
    auto it = by_id.find(link.module_license_id);
    if (link.assoc_id == ctx->associate.id && it != by_id.end()) {
      ctx->held[it->second->module_name] = link;
    }
  }
  if (ctx->by_name.count(*name) == 0) {
    return absl::NotFoundError(
        absl::StrCat("module \"", module, "\" not found for owner ", owner));
  }
  return absl::OkStatus();
}

// The user licenses a plan implies (its set= list), the plan excluded.
std::vector<const ModuleRecord*> Implied(const Context& ctx,
                                         const ModuleRecord& plan) {
  std::vector<const ModuleRecord*> implied;
  for (const std::string& name :
       internal::PlanModuleNames(plan.extra_flags, plan.extra_info)) {
    auto it = ctx.by_name.find(name);
    if (it == ctx.by_name.end()) continue;
    const ModuleRecord& m = *it->second;
    if (m.license_type != kUserLicense || m.extra_flags != 0) continue;
    if (m.module_name == plan.module_name) continue;
    implied.push_back(&m);
  }
  return implied;
}

absl::Status CheckModule(const Context& ctx, const ModuleRecord& m,
                         const std::set<std::string>& added) {
  const std::string q = absl::StrCat("module \"", m.module_name, "\": ");
  if (m.license_type != kUserLicense) {
    return absl::FailedPreconditionError(q + "not a user license");
  }
  if ((m.allowed_assocs_mask & ctx.associate.type) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(q, "not allowed for associate type ", ctx.associate.type));
  }
  const std::string& pre = m.prerequisite_module;
  if (!pre.empty() && ctx.held.count(pre) == 0 && added.count(pre) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(q, "requires \"", pre, "\", which \"", ctx.associate.name,
                     "\" does not hold"));
  }
  auto it = ctx.usage.find(m.id);
  int64_t assigned = it == ctx.usage.end() ? 0 : it->second.assigned;
  if (!m.unrestricted && assigned + 1 > m.license_number) {
    return absl::FailedPreconditionError(
        absl::StrCat(q, "all ", m.license_number, " licenses are in use"));
  }
  return absl::OkStatus();
}

absl::Status InsertLink(CrmTransaction& txn, const Context& ctx,
                        const ModuleRecord& m, const std::string& comment) {
  AssocLinkRecord link;
  link.module_license_id = m.id;
  link.assoc_id = ctx.associate.id;
  link.comment = comment;
  return txn.InsertAssocLink(link).status();
}

// Plans of the associate other than `except` that imply `module`.
bool OtherPlanImplies(const Context& ctx, const std::string& except,
                      const std::string& module) {
  for (const auto& [name, link] : ctx.held) {
    const ModuleRecord& m = *ctx.by_name.at(name);
    if (name == except || !IsPlan(m)) continue;
    for (const ModuleRecord* i : Implied(ctx, m)) {
      if (i->module_name == module) return true;
    }
  }
  return false;
}

// The held module names Unassign(name) removes.
std::set<std::string> ToRemove(const Context& ctx, const std::string& name) {
  std::set<std::string> removed = {name};
  const ModuleRecord& m = *ctx.by_name.at(name);
  for (const ModuleRecord* i : Implied(ctx, m)) {
    auto held = ctx.held.find(i->module_name);
    if (held == ctx.held.end()) continue;
    if (!absl::StartsWith(held->second.comment, kPlanCommentPrefix)) continue;
    if (OtherPlanImplies(ctx, name, i->module_name)) continue;
    removed.insert(i->module_name);
  }
  return removed;
}

}  // namespace

absl::StatusOr<Associate> FindAssociate(CrmReader& reader,
                                        absl::string_view associate) {
  int64_t id = 0;
  if (!associate.empty() &&
      associate.find_first_not_of("0123456789") == absl::string_view::npos &&
      absl::SimpleAtoi(associate, &id)) {
    absl::StatusOr<Associate> found = reader.FindAssociateById(id);
    if (found.ok() || !absl::IsNotFound(found.status())) return found;
  }
  absl::StatusOr<Associate> found = reader.FindAssociateByName(associate);
  if (absl::IsNotFound(found.status())) {
    return absl::NotFoundError(
        absl::StrCat("associate \"", associate, "\" not found"));
  }
  return found;
}

absl::Status LicenseAssigner::Assign(CrmDatabase& db,
                                     absl::string_view associate,
                                     absl::string_view module) {
  absl::StatusOr<std::unique_ptr<CrmTransaction>> txn = db.BeginWrite();
  if (!txn.ok()) return txn.status();
  Context ctx;
  std::string name;
  if (absl::Status s = Load(**txn, associate, module, &ctx, &name); !s.ok()) {
    return s;
  }
  const ModuleRecord& m = *ctx.by_name.at(name);
  if (ctx.held.count(name) != 0) {
    return absl::AlreadyExistsError(absl::StrCat(
        "\"", ctx.associate.name, "\" already holds module \"", name, "\""));
  }
  if (m.hidden && !IsPlan(m)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "module \"", name, "\" is hidden: it comes only through plans"));
  }
  std::vector<const ModuleRecord*> add;
  for (const ModuleRecord* i : Implied(ctx, m)) {
    if (ctx.held.count(i->module_name) == 0) add.push_back(i);
  }
  std::set<std::string> added = {name};
  for (const ModuleRecord* i : add) added.insert(i->module_name);
  if (absl::Status s = CheckModule(ctx, m, added); !s.ok()) return s;
  for (const ModuleRecord* i : add) {
    if (absl::Status s = CheckModule(ctx, *i, added); !s.ok()) return s;
  }
  if (absl::Status s = InsertLink(**txn, ctx, m, ""); !s.ok()) return s;
  const std::string comment = absl::StrCat(kPlanCommentPrefix, name);
  for (const ModuleRecord* i : add) {
    if (absl::Status s = InsertLink(**txn, ctx, *i, comment); !s.ok()) {
      return s;
    }
  }
  return (*txn)->Commit();
}

absl::Status LicenseAssigner::Unassign(CrmDatabase& db,
                                       absl::string_view associate,
                                       absl::string_view module) {
  absl::StatusOr<std::unique_ptr<CrmTransaction>> txn = db.BeginWrite();
  if (!txn.ok()) return txn.status();
  Context ctx;
  std::string name;
  if (absl::Status s = Load(**txn, associate, module, &ctx, &name); !s.ok()) {
    return s;
  }
  if (ctx.held.count(name) == 0) {
    return absl::NotFoundError(absl::StrCat(
        "\"", ctx.associate.name, "\" does not hold module \"", name, "\""));
  }
  const std::set<std::string> removed = ToRemove(ctx, name);
  for (const auto& [held, link] : ctx.held) {
    const std::string& pre = ctx.by_name.at(held)->prerequisite_module;
    if (removed.count(held) == 0 && removed.count(pre) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("module \"", pre, "\" is required by module \"", held,
                       "\", which \"", ctx.associate.name, "\" holds"));
    }
  }
  for (const std::string& r : removed) {
    if (absl::Status s = (*txn)->DeleteAssocLink(ctx.held.at(r).id); !s.ok()) {
      return s;
    }
  }
  return (*txn)->Commit();
}

}  // namespace superlicense::client
