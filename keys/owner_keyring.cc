#include "keys/owner_keyring.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "keys/file_io.h"
#include "keys/license_set_envelope.h"
#include "keys/signed_bytes.h"
#include "keys/status_macros.h"
#include "keys/trust_store.h"

namespace superlicense::keys {
namespace {

constexpr size_t kMaxKeyringBytes = 1 << 20;

absl::Status CheckKeyring(const v1::OwnerKeyring& keyring) {
  RETURN_IF_ERROR(CheckOwnerName(keyring.owner_name()));
  int active = 0;
  for (const v1::OwnerKeyEntry& entry : keyring.keys()) {
    ASSIGN_OR_RETURN(v1::OwnerKeyCertificate content,
                     CertificateContent(entry.certificate()));
    if (content.owner_name() != keyring.owner_name()) {
      return absl::InvalidArgumentError(
          absl::StrCat("keyring of ", keyring.owner_name(),
                       " holds a certificate for ", content.owner_name()));
    }
    if (entry.state() == v1::KEY_STATE_ACTIVE) ++active;
  }
  if (active > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("keyring has ", active, " active keys, at most 1"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::OwnerKeyCertificate> CertificateContent(
    const v1::SignedPublicKey& certificate) {
  if (certificate.payload_type() != kOwnerKeyCertificatePayloadType) {
    return absl::InvalidArgumentError(
        "certificate is not an owner key certificate");
  }
  v1::OwnerKeyCertificate content;
  RETURN_IF_ERROR(ParseStrict(certificate.payload(), "certificate", &content));
  return content;
}

absl::StatusOr<v1::OwnerKeyring> ReadOwnerKeyring(const std::string& path) {
  ASSIGN_OR_RETURN(std::string json, ReadFileLimited(path, kMaxKeyringBytes));
  v1::OwnerKeyring keyring;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, &keyring);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is not an owner keyring: ", parsed.message().as_string()));
  }
  absl::Status status = CheckKeyring(keyring);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", status.message()));
  }
  return keyring;
}

absl::Status WriteOwnerKeyring(const std::string& path,
                               const v1::OwnerKeyring& keyring) {
  RETURN_IF_ERROR(CheckKeyring(keyring));
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(keyring, &json, options);
  return WriteFileAtomically(path, json, 0644, WriteMode::kReplace);
}

absl::Status RotateIn(v1::OwnerKeyring* keyring, const std::string& keystore,
                      const v1::SignedPublicKey& certificate,
                      const std::string& public_key, int64_t now) {
  ASSIGN_OR_RETURN(v1::OwnerKeyCertificate content,
                   CertificateContent(certificate));
  if (content.owner_name() != keyring->owner_name()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate is for owner ", content.owner_name(),
                     ", the keyring for ", keyring->owner_name()));
  }
  if (content.key().public_key() != public_key) {
    return absl::InvalidArgumentError(
        "certificate is for another key than the one in the keystore");
  }
  for (v1::OwnerKeyEntry& entry : *keyring->mutable_keys()) {
    ASSIGN_OR_RETURN(v1::OwnerKeyCertificate other,
                     CertificateContent(entry.certificate()));
    if (other.key().key_id() == content.key().key_id()) {
      return absl::AlreadyExistsError(
          absl::StrCat("key ", absl::BytesToHexString(content.key().key_id()),
                       " is in the keyring already"));
    }
  }
  for (v1::OwnerKeyEntry& entry : *keyring->mutable_keys()) {
    if (entry.state() == v1::KEY_STATE_ACTIVE) {
      entry.set_state(v1::KEY_STATE_VERIFY_ONLY);
      entry.set_state_since(now);
    }
  }
  v1::OwnerKeyEntry* entry = keyring->add_keys();
  entry->set_keystore(keystore);
  *entry->mutable_certificate() = certificate;
  entry->set_state(v1::KEY_STATE_ACTIVE);
  entry->set_state_since(now);
  return absl::OkStatus();
}

absl::Status MarkRevoked(v1::OwnerKeyring* keyring, const std::string& key_id,
                         int64_t now) {
  for (v1::OwnerKeyEntry& entry : *keyring->mutable_keys()) {
    ASSIGN_OR_RETURN(v1::OwnerKeyCertificate content,
                     CertificateContent(entry.certificate()));
    if (content.key().key_id() == key_id) {
      entry.set_state(v1::KEY_STATE_REVOKED);
      entry.set_state_since(now);
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(
      absl::StrCat("keyring holds no key ", absl::BytesToHexString(key_id)));
}

absl::StatusOr<v1::OwnerKeyEntry> ActiveKey(const v1::OwnerKeyring& keyring) {
  for (const v1::OwnerKeyEntry& entry : keyring.keys()) {
    if (entry.state() == v1::KEY_STATE_ACTIVE) return entry;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "owner ", keyring.owner_name(), " has no active key (rotate one in)"));
}

}  // namespace superlicense::keys
