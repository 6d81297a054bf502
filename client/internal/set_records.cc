#include "client/internal/set_records.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "keys/license_set_envelope.h"

namespace superlicense::client::internal {
namespace {

// Appends `column` to `out` when the two values differ.
template <typename T>
void Compare(const T& stored, const T& expected, const char* column,
             std::vector<std::string>& out) {
  if (!(stored == expected)) out.push_back(column);
}

}  // namespace

std::string OwnerSignature(const v1::SignedLicenseSet& envelope,
                           const keys::VerifiedLicenseSet& verified) {
  const std::string& key_id = verified.owner_certificate.key().key_id();
  for (const v1::Signature& s : envelope.signatures()) {
    if (s.key_id() == key_id) return s.signature();
  }
  return "";
}

OwnerRecord MakeOwnerRecord(const v1::SignedLicenseSet& envelope,
                            const keys::VerifiedLicenseSet& verified,
                            int64_t now) {
  const v1::LicenseSet& set = verified.set;
  OwnerRecord o;
  o.owner_name = set.owner().owner_name();
  o.owner_description = set.owner().description();
  o.license_url = set.owner().license_url();
  o.license_version = set.owner().license_version();
  o.signed_public_key = keys::DeterministicBytes(envelope.owner_key());
  o.signature = OwnerSignature(envelope, verified);
  o.deployment_type = set.owner().deployment_type();
  o.product_type = set.owner().product_type();
  o.product_type_description = set.owner().product_type_description();
  o.extra_flags = set.owner().extra_flags();
  o.extra_info = set.owner().extra_info();
  o.expiration = set.expiration();
  o.grace_to = set.grace_to();
  o.maintenance_to = set.maintenance_to();
  if (set.next_check_date() != 0) o.next_check_date = set.next_check_date();
  if (set.admin_warning_date() != 0) {
    o.admin_warning_date = set.admin_warning_date();
  }
  o.audit.registered = now;
  o.audit.updated = now;
  return o;
}

ModuleRecord MakeModuleRecord(const v1::ModuleLicense& module, int64_t now,
                              std::string signature) {
  ModuleRecord r;
  r.module_name = module.module_name();
  r.module_description = module.description();
  r.module_version = module.module_version();
  r.tooltip = module.tooltip();
  r.license_type = module.license_type();
  r.license_number = module.license_number();
  r.allowed_assocs_mask = module.allowed_assocs_mask();
  r.extra_flags = module.extra_flags();
  r.extra_info = module.extra_info();
  r.audit.registered = now;
  r.audit.updated = now;
  r.sort_order = module.sort_order();
  r.signature = std::move(signature);
  r.unrestricted = module.unrestricted();
  r.hidden = module.hidden();
  r.prerequisite_module = module.prerequisite_module();
  return r;
}

std::vector<ModuleRecord> MakeModuleRecords(
    const v1::SignedLicenseSet& envelope,
    const keys::VerifiedLicenseSet& verified, int64_t now) {
  std::map<uint32_t, std::string> row_signatures;
  for (const v1::RowSignature& r : envelope.row_signatures()) {
    row_signatures[r.sort_order()] = r.signature().signature();
  }
  std::vector<ModuleRecord> modules;
  for (const v1::ModuleLicense& m : verified.set.module_licenses()) {
    modules.push_back(MakeModuleRecord(m, now, row_signatures[m.sort_order()]));
  }
  return modules;
}

std::vector<std::string> OwnerDifferences(const OwnerRecord& stored,
                                          const OwnerRecord& expected) {
  std::vector<std::string> out;
  const OwnerRecord& s = stored;
  const OwnerRecord& e = expected;
  Compare(s.owner_name, e.owner_name, "ownerName", out);
  Compare(s.owner_description, e.owner_description, "ownerDescription", out);
  Compare(s.license_url, e.license_url, "licenseUrl", out);
  Compare(s.license_version, e.license_version, "licenseVersion", out);
  Compare(s.signed_public_key, e.signed_public_key, "signedPublicKey", out);
  Compare(s.signature, e.signature, "signature", out);
  Compare(s.deployment_type, e.deployment_type, "deploymentType", out);
  Compare(s.product_type, e.product_type, "productType", out);
  Compare(s.product_type_description, e.product_type_description,
          "productTypeDescription", out);
  Compare(s.extra_flags, e.extra_flags, "extraFlags", out);
  Compare(s.extra_info, e.extra_info, "extraInfo", out);
  Compare(s.expiration, e.expiration, "expiration", out);
  Compare(s.grace_to, e.grace_to, "graceTo", out);
  Compare(s.maintenance_to, e.maintenance_to, "maintenanceTo", out);
  Compare(s.next_check_date, e.next_check_date, "nextCheckDate", out);
  Compare(s.admin_warning_date, e.admin_warning_date, "adminWarningDate", out);
  return out;
}

std::vector<std::string> ModuleDifferences(const ModuleRecord& stored,
                                           const ModuleRecord& expected) {
  std::vector<std::string> out;
  const ModuleRecord& s = stored;
  const ModuleRecord& e = expected;
  Compare(s.module_name, e.module_name, "moduleName", out);
  Compare(s.module_description, e.module_description, "moduleDescription", out);
  Compare(s.module_version, e.module_version, "moduleVersion", out);
  Compare(s.tooltip, e.tooltip, "tooltip", out);
  Compare(s.license_type, e.license_type, "licenseType", out);
  Compare(s.license_number, e.license_number, "licenseNumber", out);
  Compare(s.allowed_assocs_mask, e.allowed_assocs_mask, "allowedAssocsMask",
          out);
  Compare(s.extra_flags, e.extra_flags, "extraFlags", out);
  Compare(s.extra_info, e.extra_info, "extraInfo", out);
  Compare(s.sort_order, e.sort_order, "sortOrder", out);
  Compare(s.signature, e.signature, "signature", out);
  Compare(s.unrestricted, e.unrestricted, "unrestricted", out);
  Compare(s.hidden, e.hidden, "hidden", out);
  Compare(s.prerequisite_module, e.prerequisite_module, "prerequisiteModule",
          out);
  return out;
}

}  // namespace superlicense::client::internal
