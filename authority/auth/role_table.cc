#include "authority/auth/role_table.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"

namespace superlicense::authority {
namespace {

constexpr Role kIssuer = Role::kIssuer;
constexpr Role kInstallation = Role::kInstallation;
constexpr Role kKeyAdmin = Role::kKeyAdmin;
constexpr Role kAuditor = Role::kAuditor;

#define SL_METHOD(name) "/superlicense.v1.SuperLicense/" name

// From the comments in proto/superlicense/v1/authority.proto. Adding an RPC
// means adding one line here; CheckRoleTableCovers fails until it is added.
constexpr MethodRoles kRoleTable[] = {
    {SL_METHOD("CreateCustomer"), {kIssuer}},
    {SL_METHOD("GetCustomer"), {kIssuer, kAuditor}},
    {SL_METHOD("ListCustomers"), {kIssuer, kAuditor}},
    {SL_METHOD("RenameCustomer"), {kIssuer}},
    {SL_METHOD("IssueLicenseSet"), {kIssuer}},
    {SL_METHOD("GetLicenseSet"), {kIssuer, kAuditor}},
    {SL_METHOD("ListLicenseSets"), {kIssuer, kAuditor}},
    {SL_METHOD("RevokeLicenseSet"), {kIssuer}},
    {SL_METHOD("FetchLicenseSet"), {kInstallation}},
    {SL_METHOD("AcceptLicenseSet"), {kInstallation}},
    {SL_METHOD("ReportUsage"), {kInstallation}},
    {SL_METHOD("GetUsage"), {kIssuer, kAuditor}},
    {SL_METHOD("GetTrustBundle"),
     {kIssuer, kInstallation, kKeyAdmin, kAuditor}},
    {SL_METHOD("ListKeys"), {kKeyAdmin, kAuditor}},
    {SL_METHOD("ListCatalog"), {kIssuer, kAuditor}},
    {SL_METHOD("PutCatalogEntry"), {kIssuer}},
    {SL_METHOD("CreateBackup"), {kKeyAdmin}},
    {SL_METHOD("ListAuditEvents"), {kAuditor}},
    {SL_METHOD("VerifyAuditChain"), {kAuditor}},
};

#undef SL_METHOD

// Full method name -> roles; built once.
const absl::flat_hash_map<std::string, RoleSet>& TableByMethod() {
  static const auto* table = [] {
    auto* map = new absl::flat_hash_map<std::string, RoleSet>();
    for (const MethodRoles& row : kRoleTable)
      map->emplace(row.method, row.allowed);
    return map;
  }();
  return *table;
}

}  // namespace

absl::Span<const MethodRoles> RoleTable() { return kRoleTable; }

absl::optional<RoleSet> AllowedRoles(absl::string_view method) {
  const auto& table = TableByMethod();
  auto it = table.find(method);
  if (it == table.end()) return absl::nullopt;
  return it->second;
}

absl::Status CheckRoleTableCovers(
    absl::Span<const google::protobuf::ServiceDescriptor* const> services) {
  absl::flat_hash_map<std::string, int> entries;
  std::vector<std::string> problems;
  for (const MethodRoles& row : kRoleTable) {
    if (++entries[row.method] == 2) {
      problems.push_back(absl::StrCat("duplicate entry ", row.method));
    }
  }
  for (const google::protobuf::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method = absl::StrCat("/", service->full_name(), "/",
                                              service->method(i)->name());
      if (entries.erase(method) == 0) {
        problems.push_back(absl::StrCat("method ", method, " has no entry"));
      }
    }
  }
  for (const MethodRoles& row : kRoleTable) {
    if (entries.contains(row.method)) {
      problems.push_back(absl::StrCat("entry ", row.method,
                                      " names no method of the service"));
      entries.erase(row.method);
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("role table (authority/auth/role_table.cc) does not match "
                   "the service: ",
                   absl::StrJoin(problems, "; ")));
}

absl::Status CheckRoleTableCovers(
    const google::protobuf::ServiceDescriptor& service) {
  const google::protobuf::ServiceDescriptor* services[] = {&service};
  return CheckRoleTableCovers(services);
}

}  // namespace superlicense::authority
