// The authority's module catalogue (DESIGN.md §6): for each owner, the
// modules and user plans it licenses with every field of their ModuleLicense
// rows, so that issuing needs only grant names and counts. The data model is
// proto/superlicense/v1/catalog.proto; the SuperOffice catalogue ships as
// authority/catalog/superoffice.textproto (SUPERLICENSE_DEFAULT_CATALOG).
//
// Grant names and plan tiers. A grant (ModuleGrant) names a catalogue entry:
// for a module, its module name ("web", "sale-cal"); for a user plan, the
// plan with its tier, as the licence screen shows it:
// "ten-sales-essentials" or "ten-sales-premium". Both issue module
// "ten-sales"; the tier is the marker in the plan's set= (t1 Essentials, t2
// Premium). The bare plan name ("ten-sales") is not a grant name, and a set
// holds at most one tier of a plan.
//
// What Expand builds from the grants of one owner:
//  * Every granted module gets a row with the catalogue's fields and
//    license_number = its count.
//  * A plan granted N times gets its plan row (N) and adds N to the row of
//    every module of its set= (a user license), creating the row when that
//    module is not granted explicitly. Explicit and plan counts add up, and
//    so do the counts of several plans.
//  * A plan adds its site-level markers (CatalogEntry.plan_markers, e.g.
//    "ten" and "sales-t2"; extra_flags 2), license_number 1 (or the explicit
//    count when a marker is also granted).
//  * A row is hidden when the catalogue marks the module hidden or when only
//    plans imply it (it was not granted explicitly).
//  * Rows come out sorted by the catalogue's sort_order, which is unique per
//    owner, so sort orders strictly increase.
//  * Every row's prerequisite_module must be in the resulting set.
// Errors are INVALID_ARGUMENT naming the field and value, e.g.
//   modules[2].module_name "sale-kal": not in the catalogue of owner
//   SUPEROFFICE
//   modules[0].license_number 0: must be 1 to 4294967295
//   modules[1]: module "web" is granted twice
//   module "web": prerequisite "user" is not in the set
// Bad values are echoed C-escaped and cut to 64 bytes.
#ifndef SUPERLICENSE_AUTHORITY_CATALOG_CATALOG_H_
#define SUPERLICENSE_AUTHORITY_CATALOG_CATALOG_H_

#include <google/protobuf/repeated_ptr_field.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "superlicense/v1/authority.pb.h"
#include "superlicense/v1/catalog.pb.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::authority {

#ifdef SUPERLICENSE_DEFAULT_CATALOG
// The shipped SuperOffice catalogue in the source tree (set by CMake).
inline constexpr char kDefaultCatalogPath[] = SUPERLICENSE_DEFAULT_CATALOG;
#endif

// Largest catalogue file LoadFile reads.
inline constexpr size_t kMaxCatalogFileBytes = 4 * 1024 * 1024;

// A checked, indexed module catalogue.
//
// Invariant: every entry passes the checks of Create. A value type: copyable
// and movable; const methods may be called concurrently, but nothing is
// synchronised, so a caller that Puts while others read must lock.
class Catalog {
 public:
  // Checks and indexes catalogue data. INVALID_ARGUMENT naming the entry
  // ("entries[3] (SUPEROFFICE.web): ...") and the field for: a bad owner
  // name; an empty or invalid module or grant name (a-z, 0-9 and '-', 1 to
  // 64 characters, starting with a letter or digit); a grant name on an
  // entry that is not a plan; a duplicate (owner, grant name); two entries
  // of one owner with the same module name unless both are plans; a
  // duplicate (owner, sort_order); a license_type other than SYSTEM, SITE
  // or USER; extra_flags other than 0, 1 (a USER plan) or 2 (a SYSTEM or
  // SITE marker); allowed_assocs_mask 0 on a USER license or non-zero on
  // another; strings over the limits of license.proto (description 255,
  // tooltip 1000, extra_info 3999, module_version 32 bytes); a plan whose
  // extra_info is not "set=" and a list of distinct user licenses of the
  // same owner that are not plans; plan_markers on a non-plan, or naming
  // anything but a marker (extra_flags 2) of the same owner; a
  // prerequisite_module that is the module itself or not in the catalogue
  // of the same owner.
  static absl::StatusOr<Catalog> Create(v1::Catalog data);

  // Reads a catalogue in protobuf text format (at most kMaxCatalogFileBytes)
  // and checks it as Create does. NOT_FOUND when the file does not exist;
  // INVALID_ARGUMENT naming the path for a file that is too large, does not
  // parse (with line and column) or fails a check.
  static absl::StatusOr<Catalog> LoadFile(const std::string& path);

  // Adds `entry`, or replaces the entry with the same owner and grant name
  // (`slctl catalog put`). INVALID_ARGUMENT as Create when the catalogue
  // would then fail a check; the catalogue is unchanged on error.
  absl::Status Put(const v1::CatalogEntry& entry);

  // Returns the entries of `owner_name` ("" = every owner, by owner name),
  // in sort order.
  std::vector<v1::CatalogEntry> List(absl::string_view owner_name) const;

  // Returns the entry `grant_name` of `owner_name`, or nullptr.
  const v1::CatalogEntry* Find(absl::string_view owner_name,
                               absl::string_view grant_name) const;

  // The checked data, entries in the order given.
  const v1::Catalog& data() const { return data_; }

  // Builds the module licenses of `owner_name`'s set from `grants` (see the
  // file comment for the rules). INVALID_ARGUMENT for an invalid owner name
  // or an owner without entries; an empty grant list; a name that is not in
  // the owner's catalogue; a count of 0; a module granted twice (also as two
  // tiers of one plan); a sum of counts over 4294967295; a prerequisite that
  // is not in the set.
  absl::StatusOr<std::vector<v1::ModuleLicense>> Expand(
      absl::string_view owner_name,
      const google::protobuf::RepeatedPtrField<v1::ModuleGrant>& grants) const;

 private:
  // (owner name, name) -> index into data_.entries().
  using Index = std::map<std::pair<std::string, std::string>, int>;
  // The row of one module while Expand builds a set.
  struct Row;
  using Rows = std::map<std::string, Row>;  // by module name

  Catalog(v1::Catalog data, Index by_grant, Index by_module)
      : data_(std::move(data)),
        by_grant_(std::move(by_grant)),
        by_module_(std::move(by_module)) {}

  const v1::CatalogEntry* FindModule(absl::string_view owner_name,
                                     absl::string_view module_name) const;
  bool HasOwner(absl::string_view owner_name) const;
  absl::Status AddGrant(absl::string_view owner_name, int position,
                        const v1::ModuleGrant& grant, Rows* rows) const;
  void AddPlanContents(absl::string_view owner_name,
                       const v1::CatalogEntry& plan, uint64_t count,
                       Rows* rows) const;
  static absl::StatusOr<std::vector<v1::ModuleLicense>> BuildRows(
      const Rows& rows);

  v1::Catalog data_;
  Index by_grant_;   // (owner, grant name) -> entry
  Index by_module_;  // (owner, module name) -> first entry with that name
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_CATALOG_CATALOG_H_
