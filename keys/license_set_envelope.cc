#include "keys/license_set_envelope.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keys/signed_bytes.h"
#include "keys/status_macros.h"

namespace superlicense::keys {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool HasUnknownFields(const Message& message) {
  const Reflection* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) return true;
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        if (HasUnknownFields(
                reflection->GetRepeatedMessage(message, field, i))) {
          return true;
        }
      }
    } else if (HasUnknownFields(reflection->GetMessage(message, field))) {
      return true;
    }
  }
  return false;
}

absl::Status CheckSignatureShape(const v1::Signature& signature,
                                 absl::string_view where) {
  if (signature.key_id().size() != kKeyIdSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".key_id is ", signature.key_id().size(),
                     " bytes, expected ", kKeyIdSize));
  }
  if (signature.algorithm() != v1::SIGNATURE_ALGORITHM_ED25519 &&
      signature.algorithm() != v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".algorithm ",
                     static_cast<int>(signature.algorithm()), " is unknown"));
  }
  if (signature.signature().size() != kSignatureSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".signature is ", signature.signature().size(),
                     " bytes, expected ", kSignatureSize));
  }
  return absl::OkStatus();
}

absl::Status CheckRowOrder(const v1::LicenseSet& set) {
  if (set.module_licenses_size() > kMaxRows) {
    return absl::InvalidArgumentError(
        absl::StrCat("license set has ", set.module_licenses_size(),
                     " module licenses, at most ", kMaxRows, " allowed"));
  }
  for (int i = 1; i < set.module_licenses_size(); ++i) {
    const v1::ModuleLicense& previous = set.module_licenses(i - 1);
    const v1::ModuleLicense& row = set.module_licenses(i);
    if (row.sort_order() <= previous.sort_order()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "module \"", row.module_name(), "\": sort_order ", row.sort_order(),
          " does not follow ", previous.sort_order(), " of module \"",
          previous.module_name(), "\""));
    }
  }
  return absl::OkStatus();
}

const v1::Signature* FindSignatureBy(const v1::SignedLicenseSet& envelope,
                                     const std::string& key_id) {
  for (const v1::Signature& signature : envelope.signatures()) {
    if (signature.key_id() == key_id) return &signature;
  }
  return nullptr;
}

// Verifies rows [begin, end); returns the first failure.
absl::Status VerifyRowRange(const v1::SignedLicenseSet& envelope,
                            const v1::LicenseSet& set, const Verifier& owner,
                            const RowBinding& binding, int begin, int end) {
  for (int i = begin; i < end; ++i) {
    const v1::ModuleLicense& row = set.module_licenses(i);
    const v1::RowSignature& row_signature = envelope.row_signatures(i);
    absl::Status status;
    if (row_signature.sort_order() != row.sort_order()) {
      status = absl::PermissionDeniedError(absl::StrCat(
          "row signature is for sort_order ", row_signature.sort_order()));
    } else {
      status = VerifyPayloadSignature(owner, kModuleLicensePayloadType,
                                      RowBytes(binding, row),
                                      row_signature.signature());
    }
    if (!status.ok()) {
      return absl::PermissionDeniedError(
          absl::StrCat("module \"", row.module_name(), "\" (sort_order ",
                       row.sort_order(), "): ", status.message()));
    }
  }
  return absl::OkStatus();
}

// Sets of at least this many rows are verified on every core.
constexpr int kParallelRowThreshold = 64;

absl::Status VerifyRows(const v1::SignedLicenseSet& envelope,
                        const v1::LicenseSet& set, const Verifier& owner) {
  if (envelope.row_signatures_size() != set.module_licenses_size()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "envelope has ", envelope.row_signatures_size(), " row signatures for ",
        set.module_licenses_size(), " module licenses"));
  }
  const RowBinding binding = RowBindingOf(set);
  const int rows = set.module_licenses_size();
  const int parts = rows < kParallelRowThreshold
                        ? 1
                        : static_cast<int>(std::clamp(
                              std::thread::hardware_concurrency(), 1u, 4u));
  if (parts == 1) {
    return VerifyRowRange(envelope, set, owner, binding, 0, rows);
  }
  // Contiguous ranges, one per thread (this one takes the first); the
  // failure of the lowest range is reported, so the message names the first
  // bad row whatever the timing.
  std::vector<absl::Status> results(parts);
  std::vector<std::thread> threads;
  const auto range = [&](int part) {
    results[part] =
        VerifyRowRange(envelope, set, owner, binding, rows * part / parts,
                       rows * (part + 1) / parts);
  };
  for (int part = 1; part < parts; ++part) threads.emplace_back(range, part);
  range(0);
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& result : results) {
    if (!result.ok()) return result;
  }
  return absl::OkStatus();
}

}  // namespace

std::string DeterministicBytes(const Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

absl::Status ParseStrict(absl::string_view bytes, absl::string_view what,
                         Message* message) {
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not a valid ", message->GetTypeName()));
  }
  if (HasUnknownFields(*message)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has fields this version does not know"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SignedLicenseSet> SignLicenseSet(
    v1::LicenseSet set, const Signer& signer,
    const v1::SignedPublicKey& owner_key) {
  RETURN_IF_ERROR(CheckRowOrder(set));
  set.set_rows_digest(RowsDigest(set));

  v1::SignedLicenseSet envelope;
  envelope.set_payload(DeterministicBytes(set));
  envelope.set_payload_type(std::string(kLicenseSetPayloadType));
  ASSIGN_OR_RETURN(
      *envelope.add_signatures(),
      SignPayload(signer, kLicenseSetPayloadType, envelope.payload()));

  const RowBinding binding = RowBindingOf(set);
  for (const v1::ModuleLicense& row : set.module_licenses()) {
    v1::RowSignature* row_signature = envelope.add_row_signatures();
    row_signature->set_sort_order(row.sort_order());
    ASSIGN_OR_RETURN(
        *row_signature->mutable_signature(),
        SignPayload(signer, kModuleLicensePayloadType, RowBytes(binding, row)));
  }
  *envelope.mutable_owner_key() = owner_key;
  return envelope;
}

absl::Status CheckLicenseSetEnvelopeShape(
    const v1::SignedLicenseSet& envelope) {
  if (envelope.payload_type() != kLicenseSetPayloadType) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload_type \"", envelope.payload_type().substr(0, 100),
                     "\" is not \"", kLicenseSetPayloadType, "\""));
  }
  if (envelope.payload().empty()) {
    return absl::InvalidArgumentError("payload is empty");
  }
  if (envelope.signatures_size() < 1 ||
      envelope.signatures_size() > kMaxSignatures) {
    return absl::InvalidArgumentError(
        absl::StrCat("envelope has ", envelope.signatures_size(),
                     " signatures, expected 1 to ", kMaxSignatures));
  }
  for (int i = 0; i < envelope.signatures_size(); ++i) {
    RETURN_IF_ERROR(CheckSignatureShape(envelope.signatures(i),
                                        absl::StrCat("signatures[", i, "]")));
  }
  if (envelope.row_signatures_size() > kMaxRows) {
    return absl::InvalidArgumentError(
        absl::StrCat("envelope has ", envelope.row_signatures_size(),
                     " row signatures, at most ", kMaxRows, " allowed"));
  }
  for (int i = 0; i < envelope.row_signatures_size(); ++i) {
    RETURN_IF_ERROR(
        CheckSignatureShape(envelope.row_signatures(i).signature(),
                            absl::StrCat("row_signatures[", i, "]")));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SignedLicenseSet> DecodeSignedLicenseSet(
    absl::string_view bytes) {
  if (bytes.size() > kMaxEnvelopeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("license set file is ", bytes.size(), " bytes, at most ",
                     kMaxEnvelopeBytes, " allowed"));
  }
  v1::SignedLicenseSet envelope;
  RETURN_IF_ERROR(ParseStrict(bytes, "license set file", &envelope));
  RETURN_IF_ERROR(CheckLicenseSetEnvelopeShape(envelope));
  return envelope;
}

absl::StatusOr<v1::LicenseSet> VerifyLicenseSetSignatures(
    const v1::SignedLicenseSet& envelope, const Verifier& owner) {
  RETURN_IF_ERROR(CheckLicenseSetEnvelopeShape(envelope));
  const v1::Signature* signature = FindSignatureBy(envelope, owner.key_id());
  if (signature == nullptr) {
    return absl::PermissionDeniedError(
        "license set has no signature by the owner key");
  }
  absl::Status status = VerifyPayloadSignature(owner, envelope.payload_type(),
                                               envelope.payload(), *signature);
  if (!status.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("owner signature: ", status.message()));
  }

  v1::LicenseSet set;
  RETURN_IF_ERROR(ParseStrict(envelope.payload(), "payload", &set));
  RETURN_IF_ERROR(CheckRowOrder(set));
  if (set.rows_digest() != RowsDigest(set)) {
    return absl::PermissionDeniedError(
        "rows_digest does not match the module licenses");
  }
  RETURN_IF_ERROR(VerifyRows(envelope, set, owner));
  return set;
}

}  // namespace superlicense::keys
