#include "keys/public_key_file.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"

namespace superlicense::keys {

v1::PublicKey PublicKeyOf(const Signer& signer, const std::string& name) {
  v1::PublicKey key;
  key.set_key_id(signer.key_id());
  key.set_algorithm(signer.algorithm());
  key.set_public_key(signer.public_key());
  key.set_name(name);
  return key;
}

std::string PublicKeyToJson(const v1::PublicKey& key) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(key, &json, options);
  return json;
}

absl::Status CheckPublicKey(const v1::PublicKey& key) {
  absl::StatusOr<std::unique_ptr<Verifier>> verifier =
      Verifier::Create(key.algorithm(), key.public_key());
  if (!verifier.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("public_key: ", verifier.status().message()));
  }
  if (key.key_id() != KeyIdOf(key.public_key())) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_id ", absl::BytesToHexString(key.key_id()),
                     " is not the SHA-256 of the public key"));
  }
  if (key.name().size() > 128) {
    return absl::InvalidArgumentError("name is longer than 128 bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PublicKey> PublicKeyFromJson(const std::string& json) {
  v1::PublicKey key;
  auto status = google::protobuf::util::JsonStringToMessage(json, &key);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a public key file: ", status.message().as_string()));
  }
  RETURN_IF_ERROR(CheckPublicKey(key));
  return key;
}

absl::StatusOr<v1::PublicKey> ReadPublicKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string json, ReadFileLimited(path, 64 * 1024));
  absl::StatusOr<v1::PublicKey> key = PublicKeyFromJson(json);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", key.status().message()));
  }
  return key;
}

}  // namespace superlicense::keys
