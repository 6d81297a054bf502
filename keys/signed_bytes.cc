#include "keys/signed_bytes.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "keys/sha256.h"
#include "keys/status_macros.h"

namespace superlicense::keys {
namespace {

// Field numbers of the row encoding; each field is written as its number
// (one byte) followed by its value. The order is fixed.
enum RowField : uint8_t {
  kOwnerName = 1,
  kSerial = 2,
  kSiteKind = 3,
  kSatelliteId = 4,
  kSetVersion = 5,
  kSortOrder = 6,
  kModuleName = 7,
  kDescription = 8,
  kTooltip = 9,
  kModuleVersion = 10,
  kLicenseType = 11,
  kLicenseNumber = 12,
  kAllowedAssocsMask = 13,
  kExtraFlags = 14,
  kExtraInfo = 15,
  kUnrestricted = 16,
  kHidden = 17,
  kPrerequisiteModule = 18,
};

void AppendU32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void AppendU64(std::string* out, uint64_t value) {
  AppendU32(out, static_cast<uint32_t>(value >> 32));
  AppendU32(out, static_cast<uint32_t>(value));
}

class RowWriter {
 public:
  void String(RowField field, absl::string_view value) {
    out_.push_back(static_cast<char>(field));
    AppendU32(&out_, static_cast<uint32_t>(value.size()));
    out_.append(value.data(), value.size());
  }
  void U32(RowField field, uint32_t value) {
    out_.push_back(static_cast<char>(field));
    AppendU32(&out_, value);
  }
  void U64(RowField field, uint64_t value) {
    out_.push_back(static_cast<char>(field));
    AppendU64(&out_, value);
  }
  void Bool(RowField field, bool value) {
    out_.push_back(static_cast<char>(field));
    out_.push_back(value ? 1 : 0);
  }
  std::string Finish() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string PreAuthEncode(absl::string_view payload_type,
                          absl::string_view payload) {
  return absl::StrCat("DSSEv1 ", payload_type.size(), " ", payload_type, " ",
                      payload.size(), " ", payload);
}

absl::StatusOr<v1::Signature> SignPayload(const Signer& signer,
                                          absl::string_view payload_type,
                                          absl::string_view payload) {
  ASSIGN_OR_RETURN(std::string bytes,
                   signer.Sign(PreAuthEncode(payload_type, payload)));
  v1::Signature signature;
  signature.set_key_id(signer.key_id());
  signature.set_algorithm(signer.algorithm());
  signature.set_signature(std::move(bytes));
  return signature;
}

absl::Status VerifyPayloadSignature(const Verifier& verifier,
                                    absl::string_view payload_type,
                                    absl::string_view payload,
                                    const v1::Signature& signature) {
  if (signature.key_id() != verifier.key_id()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "signature key id ", absl::BytesToHexString(signature.key_id()),
        " is not the verifying key ",
        absl::BytesToHexString(verifier.key_id())));
  }
  if (signature.algorithm() != verifier.algorithm()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "signature algorithm ", AlgorithmName(signature.algorithm()),
        " does not match key algorithm ", AlgorithmName(verifier.algorithm())));
  }
  return verifier.Verify(PreAuthEncode(payload_type, payload),
                         signature.signature());
}

RowBinding RowBindingOf(const v1::LicenseSet& set) {
  RowBinding binding;
  binding.owner_name = set.owner().owner_name();
  binding.serial = set.customer().serial();
  binding.site_kind = set.site().kind();
  binding.satellite_id = set.site().satellite_id();
  binding.set_version = set.version();
  return binding;
}

std::string RowBytes(const RowBinding& binding, const v1::ModuleLicense& row) {
  RowWriter w;
  w.String(kOwnerName, binding.owner_name);
  w.String(kSerial, binding.serial);
  w.U32(kSiteKind, static_cast<uint32_t>(binding.site_kind));
  w.U32(kSatelliteId, binding.satellite_id);
  w.U64(kSetVersion, binding.set_version);
  w.U32(kSortOrder, row.sort_order());
  w.String(kModuleName, row.module_name());
  w.String(kDescription, row.description());
  w.String(kTooltip, row.tooltip());
  w.String(kModuleVersion, row.module_version());
  w.U32(kLicenseType, static_cast<uint32_t>(row.license_type()));
  w.U32(kLicenseNumber, row.license_number());
  w.U32(kAllowedAssocsMask, row.allowed_assocs_mask());
  w.U32(kExtraFlags, row.extra_flags());
  w.String(kExtraInfo, row.extra_info());
  w.Bool(kUnrestricted, row.unrestricted());
  w.Bool(kHidden, row.hidden());
  w.String(kPrerequisiteModule, row.prerequisite_module());
  return w.Finish();
}

std::string RowsDigest(const v1::LicenseSet& set) {
  const RowBinding binding = RowBindingOf(set);
  std::string input;
  AppendU32(&input, static_cast<uint32_t>(set.module_licenses_size()));
  for (const v1::ModuleLicense& row : set.module_licenses()) {
    std::string row_bytes = RowBytes(binding, row);
    AppendU32(&input, static_cast<uint32_t>(row_bytes.size()));
    input += row_bytes;
  }
  return Sha256(input);
}

}  // namespace superlicense::keys
