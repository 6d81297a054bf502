// Fuzzes the module catalogue file (authority/catalog/catalog.h): reading
// and checking a protobuf text-format catalogue with Catalog::LoadFile, and,
// for a catalogue that loads, expanding grants of its entries into license
// rows (Catalog::Expand), with the rows checked against the promises of
// catalog.h (sort orders strictly increase).
//
// Seeds: corpus/catalog_file_fuzzer/ (the shipped
// authority/catalog/superoffice.textproto and small catalogues).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "authority/catalog/catalog.h"
#include "tests/fuzz/fuzz_support.h"

namespace superlicense::fuzzing {
namespace {

// At most this many entries of an owner are granted.
constexpr int kMaxGrants = 64;
// ModuleLicense.extra_flags of a user plan.
constexpr uint32_t kPlanFlag = 1;

std::string GrantName(const v1::CatalogEntry& entry) {
  return entry.grant_name().empty() ? entry.module().module_name()
                                    : entry.grant_name();
}

void Expand(const authority::Catalog& catalog, const std::string& owner_name,
            const google::protobuf::RepeatedPtrField<v1::ModuleGrant>& grants) {
  absl::StatusOr<std::vector<v1::ModuleLicense>> rows =
      catalog.Expand(owner_name, grants);
  Report("expand", rows.status());
  if (!rows.ok()) return;
  for (size_t i = 1; i < rows->size(); ++i) {
    if ((*rows)[i].sort_order() <= (*rows)[i - 1].sort_order()) std::abort();
  }
}

// Expands every entry of `owner_name` on its own (plans with what they
// imply), then all its entries that are not plans together.
void ExpandOwner(const authority::Catalog& catalog,
                 const std::string& owner_name) {
  google::protobuf::RepeatedPtrField<v1::ModuleGrant> modules;
  int granted = 0;
  for (const v1::CatalogEntry& entry : catalog.List(owner_name)) {
    if (++granted > kMaxGrants) break;
    google::protobuf::RepeatedPtrField<v1::ModuleGrant> one;
    one.Add()->set_module_name(GrantName(entry));
    one[0].set_license_number(2);
    Expand(catalog, owner_name, one);
    if (entry.module().extra_flags() != kPlanFlag) {
      v1::ModuleGrant* grant = modules.Add();
      grant->set_module_name(GrantName(entry));
      grant->set_license_number(1 + granted % 3);
    }
  }
  Expand(catalog, owner_name, modules);
}

}  // namespace
}  // namespace superlicense::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace superlicense;
  const std::string path = fuzzing::ProcessTempDir().File("catalog.textproto");
  fuzzing::WriteFileOrDie(path, fuzzing::AsView(data, size));
  absl::StatusOr<authority::Catalog> catalog =
      authority::Catalog::LoadFile(path);
  fuzzing::Report("load", catalog.status());
  if (!catalog.ok()) return 0;
  std::set<std::string> owners;
  for (const v1::CatalogEntry& entry : catalog->data().entries()) {
    owners.insert(entry.owner_name());
  }
  for (const std::string& owner : owners) {
    fuzzing::ExpandOwner(*catalog, owner);
  }
  return 0;
}
