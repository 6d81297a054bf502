#include "authority/catalog/catalog.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"
#include "keys/trust_store.h"

namespace superlicense::authority {

struct Catalog::Row {
  const v1::CatalogEntry* entry = nullptr;  // not owned; never null when built
  uint64_t count = 0;
  bool granted = false;  // named by a grant, not only implied by plans
};

namespace {

using EntryIndex = std::map<std::pair<std::string, std::string>, int>;

constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxEchoBytes = 64;
constexpr size_t kMaxDescriptionBytes = 255;
constexpr size_t kMaxTooltipBytes = 1000;
constexpr size_t kMaxExtraInfoBytes = 3999;
constexpr size_t kMaxVersionBytes = 32;
constexpr uint64_t kMaxCount = std::numeric_limits<uint32_t>::max();
constexpr absl::string_view kSetPrefix = "set=";

// Returns `value` quoted for an error message: C-escaped, cut to
// kMaxEchoBytes ("..." marks a cut), so no input can flood a log line.
std::string Quote(absl::string_view value) {
  std::string quoted = absl::StrCat(
      "\"", absl::CHexEscape(value.substr(0, kMaxEchoBytes)), "\"");
  if (value.size() > kMaxEchoBytes) quoted += "...";
  return quoted;
}

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

bool IsModuleName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes && name[0] != '-' &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") ==
             absl::string_view::npos;
}

bool IsPlan(const v1::ModuleLicense& module) {
  return module.extra_flags() == 1;
}

bool IsMarker(const v1::ModuleLicense& module) {
  return module.extra_flags() == 2;
}

const std::string& GrantNameOf(const v1::CatalogEntry& entry) {
  return entry.grant_name().empty() ? entry.module().module_name()
                                    : entry.grant_name();
}

// Returns the module names of a plan's extra_info ("set=a,b,c"); empty when
// it does not start with "set=" or lists nothing.
std::vector<std::string> SetMembers(absl::string_view extra_info) {
  if (!absl::ConsumePrefix(&extra_info, kSetPrefix) || extra_info.empty()) {
    return {};
  }
  return absl::StrSplit(extra_info, ',');
}

// Prefixes a failed check with the entry it is about, e.g.
// "entries[3] (SUPEROFFICE.web): ".
absl::Status InEntry(int i, const v1::CatalogEntry& entry,
                     const absl::Status& status) {
  if (status.ok()) return status;
  std::string label = absl::StrCat("entries[", i, "]");
  if (keys::CheckOwnerName(entry.owner_name()).ok() &&
      IsModuleName(GrantNameOf(entry))) {
    absl::StrAppend(&label, " (", entry.owner_name(), ".", GrantNameOf(entry),
                    ")");
  }
  return absl::Status(status.code(),
                      absl::StrCat(label, ": ", status.message()));
}

// keys::CheckOwnerName's rule, with the value escaped: owner names also come
// from requests.
absl::Status CheckOwner(absl::string_view owner_name) {
  if (keys::CheckOwnerName(owner_name).ok()) return absl::OkStatus();
  return Invalid(absl::StrCat("owner_name ", Quote(owner_name),
                              ": must be 1 to 32 characters of A-Z and 0-9"));
}

absl::Status CheckName(absl::string_view field, absl::string_view name) {
  if (IsModuleName(name)) return absl::OkStatus();
  return Invalid(absl::StrCat(field, " ", Quote(name),
                              ": must be 1 to 64 characters of a-z, 0-9 and "
                              "'-', starting with a letter or digit"));
}

absl::Status CheckLength(absl::string_view field, absl::string_view value,
                         size_t max_bytes) {
  if (value.size() <= max_bytes) return absl::OkStatus();
  return Invalid(
      absl::StrCat(field, ": ", value.size(), " bytes, at most ", max_bytes));
}

absl::Status CheckDistinctNames(absl::string_view field,
                                const std::vector<std::string>& names) {
  std::set<absl::string_view> seen;
  for (const std::string& name : names) {
    RETURN_IF_ERROR(CheckName(field, name));
    if (!seen.insert(name).second) {
      return Invalid(absl::StrCat(field, " ", Quote(name), ": listed twice"));
    }
  }
  return absl::OkStatus();
}

// Checks the owner, module, grant and prerequisite names of one entry.
absl::Status CheckNames(const v1::CatalogEntry& entry) {
  const v1::ModuleLicense& module = entry.module();
  RETURN_IF_ERROR(CheckOwner(entry.owner_name()));
  RETURN_IF_ERROR(CheckName("module.module_name", module.module_name()));
  if (!entry.grant_name().empty()) {
    RETURN_IF_ERROR(CheckName("grant_name", entry.grant_name()));
    if (!IsPlan(module)) {
      return Invalid(absl::StrCat("grant_name ", Quote(entry.grant_name()),
                                  ": only plans (module.extra_flags 1) have "
                                  "one"));
    }
  }
  const std::string& prerequisite = module.prerequisite_module();
  if (prerequisite.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(CheckName("module.prerequisite_module", prerequisite));
  if (prerequisite == module.module_name()) {
    return Invalid(absl::StrCat("module.prerequisite_module ",
                                Quote(prerequisite),
                                ": a module cannot require itself"));
  }
  return absl::OkStatus();
}

absl::Status CheckLengths(const v1::ModuleLicense& module) {
  RETURN_IF_ERROR(CheckLength("module.description", module.description(),
                              kMaxDescriptionBytes));
  RETURN_IF_ERROR(
      CheckLength("module.tooltip", module.tooltip(), kMaxTooltipBytes));
  RETURN_IF_ERROR(CheckLength("module.extra_info", module.extra_info(),
                              kMaxExtraInfoBytes));
  return CheckLength("module.module_version", module.module_version(),
                     kMaxVersionBytes);
}

// Checks license_type, allowed_assocs_mask and extra_flags together.
absl::Status CheckTypeAndFlags(const v1::ModuleLicense& module) {
  const v1::LicenseType type = module.license_type();
  if (type != v1::LICENSE_TYPE_SYSTEM && type != v1::LICENSE_TYPE_SITE &&
      type != v1::LICENSE_TYPE_USER) {
    return Invalid(absl::StrCat("module.license_type ", static_cast<int>(type),
                                ": must be LICENSE_TYPE_SYSTEM, "
                                "LICENSE_TYPE_SITE or LICENSE_TYPE_USER"));
  }
  const bool user = type == v1::LICENSE_TYPE_USER;
  if (user != (module.allowed_assocs_mask() != 0)) {
    return Invalid(absl::StrCat(
        "module.allowed_assocs_mask ", module.allowed_assocs_mask(),
        user ? ": a user license needs at least one associate type"
             : ": must be 0 for a system or site license"));
  }
  const uint32_t flags = module.extra_flags();
  if (flags > 2) {
    return Invalid(absl::StrCat("module.extra_flags ", flags,
                                ": must be 0 (normal), 1 (user plan) or 2 "
                                "(plan marker)"));
  }
  if (IsPlan(module) && !user) {
    return Invalid("module.extra_flags 1: a plan must be a user license");
  }
  if (IsMarker(module) && user) {
    return Invalid(
        "module.extra_flags 2: a plan marker must be a system or site "
        "license");
  }
  return absl::OkStatus();
}

// Checks the syntax of a plan's set= list and plan markers.
absl::Status CheckPlanSyntax(const v1::CatalogEntry& entry) {
  if (!IsPlan(entry.module())) {
    if (entry.plan_markers().empty()) return absl::OkStatus();
    return Invalid("plan_markers: only plans (module.extra_flags 1) have them");
  }
  const std::string& info = entry.module().extra_info();
  if (!absl::StartsWith(info, kSetPrefix)) {
    return Invalid(absl::StrCat("module.extra_info ", Quote(info),
                                ": a plan's must be \"set=\" and a "
                                "comma-separated list of module names"));
  }
  RETURN_IF_ERROR(
      CheckDistinctNames("module.extra_info set=", SetMembers(info)));
  return CheckDistinctNames("plan_markers", {entry.plan_markers().begin(),
                                             entry.plan_markers().end()});
}

// Checks what one entry can check without the others.
absl::Status CheckEntry(const v1::CatalogEntry& entry) {
  RETURN_IF_ERROR(CheckNames(entry));
  RETURN_IF_ERROR(CheckTypeAndFlags(entry.module()));
  RETURN_IF_ERROR(CheckLengths(entry.module()));
  return CheckPlanSyntax(entry);
}

struct Indexes {
  EntryIndex by_grant;
  EntryIndex by_module;
  std::map<std::pair<std::string, uint32_t>, int> by_sort_order;
};

// Adds entry `i` to the indexes; fails on a duplicate key.
absl::Status AddToIndexes(const v1::Catalog& data, int i, Indexes* indexes) {
  const v1::CatalogEntry& entry = data.entries(i);
  const v1::ModuleLicense& module = entry.module();
  const std::string& owner = entry.owner_name();
  auto grant =
      indexes->by_grant.emplace(std::make_pair(owner, GrantNameOf(entry)), i);
  if (!grant.second) {
    return Invalid(absl::StrCat(
        entry.grant_name().empty() ? "module.module_name " : "grant_name ",
        Quote(GrantNameOf(entry)), ": already in entries[", grant.first->second,
        "]"));
  }
  auto name = indexes->by_module.emplace(
      std::make_pair(owner, module.module_name()), i);
  if (!name.second &&
      !(IsPlan(module) && IsPlan(data.entries(name.first->second).module()))) {
    return Invalid(
        absl::StrCat("module.module_name ", Quote(module.module_name()),
                     ": already in entries[", name.first->second,
                     "]; only the tiers of a plan share a module name"));
  }
  auto order = indexes->by_sort_order.emplace(
      std::make_pair(owner, module.sort_order()), i);
  if (!order.second) {
    return Invalid(absl::StrCat("module.sort_order ", module.sort_order(),
                                ": also used by entries[", order.first->second,
                                "]"));
  }
  return absl::OkStatus();
}

// Returns the first module of `owner` named `module_name`, or nullptr.
const v1::ModuleLicense* FindIn(const v1::Catalog& data,
                                const EntryIndex& by_module,
                                const std::string& owner,
                                const std::string& module_name) {
  auto it = by_module.find(std::make_pair(owner, module_name));
  return it == by_module.end() ? nullptr : &data.entries(it->second).module();
}

absl::Status NotInCatalogue(absl::string_view field, absl::string_view name,
                            absl::string_view owner) {
  return Invalid(absl::StrCat(field, " ", Quote(name),
                              ": not in the catalogue of owner ", owner));
}

// Checks that the modules an entry names exist in its owner's catalogue and
// have the right kind.
absl::Status CheckReferences(const v1::Catalog& data,
                             const EntryIndex& by_module,
                             const v1::CatalogEntry& entry) {
  const std::string& owner = entry.owner_name();
  const std::string& prerequisite = entry.module().prerequisite_module();
  if (!prerequisite.empty() &&
      FindIn(data, by_module, owner, prerequisite) == nullptr) {
    return NotInCatalogue("module.prerequisite_module", prerequisite, owner);
  }
  for (const std::string& name : SetMembers(entry.module().extra_info())) {
    const v1::ModuleLicense* member = FindIn(data, by_module, owner, name);
    if (member == nullptr) {
      return NotInCatalogue("module.extra_info set=", name, owner);
    }
    if (member->license_type() != v1::LICENSE_TYPE_USER || IsPlan(*member)) {
      return Invalid(absl::StrCat("module.extra_info set= ", Quote(name),
                                  ": must be a user license that is not a "
                                  "plan"));
    }
  }
  for (const std::string& name : entry.plan_markers()) {
    const v1::ModuleLicense* marker = FindIn(data, by_module, owner, name);
    if (marker == nullptr) return NotInCatalogue("plan_markers", name, owner);
    if (!IsMarker(*marker)) {
      return Invalid(absl::StrCat("plan_markers ", Quote(name),
                                  ": must be a plan marker "
                                  "(module.extra_flags 2)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPrerequisites(
    const std::vector<v1::ModuleLicense>& licenses) {
  std::set<absl::string_view> names;
  for (const v1::ModuleLicense& license : licenses) {
    names.insert(license.module_name());
  }
  for (const v1::ModuleLicense& license : licenses) {
    const std::string& prerequisite = license.prerequisite_module();
    if (!prerequisite.empty() && names.count(prerequisite) == 0) {
      return Invalid(absl::StrCat("module ", Quote(license.module_name()),
                                  ": prerequisite ", Quote(prerequisite),
                                  " is not in the set"));
    }
  }
  return absl::OkStatus();
}

// Keeps the first error the text-format parser reports, with its position.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (error_.empty()) {
      error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
    }
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

}  // namespace

absl::StatusOr<Catalog> Catalog::Create(v1::Catalog data) {
  Indexes indexes;
  for (int i = 0; i < data.entries_size(); ++i) {
    const v1::CatalogEntry& entry = data.entries(i);
    RETURN_IF_ERROR(InEntry(i, entry, CheckEntry(entry)));
    RETURN_IF_ERROR(InEntry(i, entry, AddToIndexes(data, i, &indexes)));
  }
  for (int i = 0; i < data.entries_size(); ++i) {
    const v1::CatalogEntry& entry = data.entries(i);
    RETURN_IF_ERROR(
        InEntry(i, entry, CheckReferences(data, indexes.by_module, entry)));
  }
  return Catalog(std::move(data), std::move(indexes.by_grant),
                 std::move(indexes.by_module));
}

absl::StatusOr<Catalog> Catalog::LoadFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text,
                   ReadFileLimited(path, kMaxCatalogFileBytes));
  v1::Catalog data;
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &data)) {
    return Invalid(absl::StrCat(path, ":", errors.error()));
  }
  absl::StatusOr<Catalog> catalog = Create(std::move(data));
  if (!catalog.ok()) {
    return absl::Status(catalog.status().code(),
                        absl::StrCat(path, ": ", catalog.status().message()));
  }
  return catalog;
}

absl::Status Catalog::Put(const v1::CatalogEntry& entry) {
  v1::Catalog data = data_;
  auto it =
      by_grant_.find(std::make_pair(entry.owner_name(), GrantNameOf(entry)));
  if (it != by_grant_.end()) {
    *data.mutable_entries(it->second) = entry;
  } else {
    *data.add_entries() = entry;
  }
  ASSIGN_OR_RETURN(Catalog updated, Create(std::move(data)));
  *this = std::move(updated);
  return absl::OkStatus();
}

std::vector<v1::CatalogEntry> Catalog::List(
    absl::string_view owner_name) const {
  std::vector<v1::CatalogEntry> entries;
  for (const v1::CatalogEntry& entry : data_.entries()) {
    if (owner_name.empty() || entry.owner_name() == owner_name) {
      entries.push_back(entry);
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const v1::CatalogEntry& a, const v1::CatalogEntry& b) {
              if (a.owner_name() != b.owner_name()) {
                return a.owner_name() < b.owner_name();
              }
              return a.module().sort_order() < b.module().sort_order();
            });
  return entries;
}

const v1::CatalogEntry* Catalog::Find(absl::string_view owner_name,
                                      absl::string_view grant_name) const {
  auto it = by_grant_.find(
      std::make_pair(std::string(owner_name), std::string(grant_name)));
  return it == by_grant_.end() ? nullptr : &data_.entries(it->second);
}

const v1::CatalogEntry* Catalog::FindModule(
    absl::string_view owner_name, absl::string_view module_name) const {
  auto it = by_module_.find(
      std::make_pair(std::string(owner_name), std::string(module_name)));
  return it == by_module_.end() ? nullptr : &data_.entries(it->second);
}

bool Catalog::HasOwner(absl::string_view owner_name) const {
  auto it = by_grant_.lower_bound(
      std::make_pair(std::string(owner_name), std::string()));
  return it != by_grant_.end() && it->first.first == owner_name;
}

absl::StatusOr<std::vector<v1::ModuleLicense>> Catalog::Expand(
    absl::string_view owner_name,
    const google::protobuf::RepeatedPtrField<v1::ModuleGrant>& grants) const {
  RETURN_IF_ERROR(CheckOwner(owner_name));
  if (!HasOwner(owner_name)) {
    return Invalid(absl::StrCat("owner_name ", Quote(owner_name),
                                ": no catalogue for this owner"));
  }
  if (grants.empty()) {
    return Invalid("modules: empty; grant at least one module");
  }
  Rows rows;
  for (int i = 0; i < grants.size(); ++i) {
    RETURN_IF_ERROR(AddGrant(owner_name, i, grants[i], &rows));
  }
  return BuildRows(rows);
}

absl::Status Catalog::AddGrant(absl::string_view owner_name, int position,
                               const v1::ModuleGrant& grant, Rows* rows) const {
  const std::string field = absl::StrCat("modules[", position, "]");
  const v1::CatalogEntry* entry = Find(owner_name, grant.module_name());
  if (entry == nullptr) {
    return NotInCatalogue(absl::StrCat(field, ".module_name"),
                          grant.module_name(), owner_name);
  }
  if (grant.license_number() == 0) {
    return Invalid(
        absl::StrCat(field, ".license_number 0: must be 1 to ", kMaxCount));
  }
  const v1::ModuleLicense& module = entry->module();
  Row& row = (*rows)[module.module_name()];
  if (row.granted) {
    return Invalid(absl::StrCat(
        field, ": module ", Quote(module.module_name()), " is granted twice",
        entry->grant_name().empty()
            ? ""
            : absl::StrCat(" (here as ", Quote(entry->grant_name()), ")")));
  }
  row.entry = entry;
  row.granted = true;
  row.count += grant.license_number();
  if (IsPlan(module)) {
    AddPlanContents(owner_name, *entry, grant.license_number(), rows);
  }
  return absl::OkStatus();
}

void Catalog::AddPlanContents(absl::string_view owner_name,
                              const v1::CatalogEntry& plan, uint64_t count,
                              Rows* rows) const {
  for (const std::string& name : SetMembers(plan.module().extra_info())) {
    Row& row = (*rows)[name];
    row.entry = FindModule(owner_name, name);
    row.count += count;
  }
  // A marker's count stays 0 unless granted; BuildRows makes it 1.
  for (const std::string& name : plan.plan_markers()) {
    (*rows)[name].entry = FindModule(owner_name, name);
  }
}

absl::StatusOr<std::vector<v1::ModuleLicense>> Catalog::BuildRows(
    const Rows& rows) {
  std::vector<v1::ModuleLicense> licenses;
  licenses.reserve(rows.size());
  for (const auto& [name, row] : rows) {
    const uint64_t count = std::max<uint64_t>(row.count, 1);
    if (count > kMaxCount) {
      return Invalid(absl::StrCat("module ", Quote(name), ": license_number ",
                                  count, " exceeds ", kMaxCount,
                                  " (explicit and plan counts add up)"));
    }
    v1::ModuleLicense& license = licenses.emplace_back(row.entry->module());
    license.set_license_number(static_cast<uint32_t>(count));
    license.set_hidden(license.hidden() || !row.granted);
  }
  std::sort(licenses.begin(), licenses.end(),
            [](const v1::ModuleLicense& a, const v1::ModuleLicense& b) {
              return a.sort_order() < b.sort_order();
            });
  RETURN_IF_ERROR(CheckPrerequisites(licenses));
  return licenses;
}

}  // namespace superlicense::authority
