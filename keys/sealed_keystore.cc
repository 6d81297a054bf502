#include "keys/sealed_keystore.h"

#include <botan/aead.h>
#include <botan/pwdhash.h>
#include <botan/system_rng.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "keys/file_io.h"
#include "keys/internal/botan_keys.h"
#include "keys/internal/byte_reader.h"
#include "keys/sha256.h"
#include "keys/status_macros.h"

namespace superlicense::keys {
namespace {

using internal::ByteReader;
using internal::ByteWriter;

constexpr char kMagic[] = "SLSEALED";  // 8 bytes, no terminator in the file
constexpr size_t kMagicSize = 8;
constexpr uint8_t kKdfArgon2id = 1;
constexpr size_t kSaltSize = 16;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr size_t kMaxFileBytes = 64 * 1024;
constexpr size_t kMaxLabelBytes = 255;
// Bounds on the recorded Argon2id cost, so a crafted header cannot make
// opening the file exhaust memory or time.
constexpr uint32_t kMaxMemoryKib = 4u << 20;  // 4 GiB
constexpr uint32_t kMaxIterations = 64;
constexpr uint32_t kMaxParallelism = 16;

// The parsed file. `header` is every byte before the ciphertext: the AEAD's
// associated data.
struct SealedFile {
  SealedKeystoreInfo info;
  std::string salt;
  std::string nonce;
  std::string header;
  std::string ciphertext;
};

std::string Describe(const std::string& path) {
  return absl::StrCat("keystore ", path);
}

absl::StatusOr<Botan::secure_vector<uint8_t>> DeriveKey(
    absl::string_view passphrase, const std::string& salt,
    const Argon2Params& argon2) {
  try {
    auto family = Botan::PasswordHashFamily::create_or_throw("Argon2id");
    auto hash = family->from_params(argon2.memory_kib, argon2.iterations,
                                    argon2.parallelism);
    Botan::secure_vector<uint8_t> key(32);
    hash->derive_key(
        key.data(), key.size(), passphrase.data(), passphrase.size(),
        reinterpret_cast<const uint8_t*>(salt.data()), salt.size());
    return key;
  } catch (const std::exception& e) {
    return internal::BotanError("derive keystore key", e);
  }
}

std::string SerializeHeader(const SealedKeystoreInfo& info,
                            const std::string& salt, const std::string& nonce,
                            uint32_t ciphertext_size) {
  ByteWriter w;
  w.Raw(absl::string_view(kMagic, kMagicSize));
  w.U16(kSealedKeystoreVersion);
  w.U8(static_cast<uint8_t>(info.algorithm));
  w.U8(kKdfArgon2id);
  w.U32(info.argon2.memory_kib);
  w.U32(info.argon2.iterations);
  w.U32(info.argon2.parallelism);
  w.Raw(salt);
  w.Raw(nonce);
  w.Bytes16(info.public_key);
  w.Bytes16(info.label);
  w.U32(ciphertext_size);
  return w.Finish();
}

absl::Status CheckArgon2Bounds(const Argon2Params& p) {
  if (p.memory_kib < 8 * p.parallelism || p.memory_kib > kMaxMemoryKib ||
      p.iterations < 1 || p.iterations > kMaxIterations || p.parallelism < 1 ||
      p.parallelism > kMaxParallelism) {
    return absl::DataLossError(absl::StrCat(
        "Argon2id parameters m=", p.memory_kib, " KiB t=", p.iterations,
        " p=", p.parallelism, " are out of bounds"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SealedFile> ParseBody(const std::string& bytes) {
  SealedFile file;
  ByteReader r(bytes);
  uint8_t algorithm = 0, kdf = 0;
  uint32_t ciphertext_size = 0;
  Argon2Params& argon2 = file.info.argon2;
  r.Skip(kMagicSize);
  r.U16(&file.info.version);
  r.U8(&algorithm);
  r.U8(&kdf);
  r.U32(&argon2.memory_kib);
  r.U32(&argon2.iterations);
  r.U32(&argon2.parallelism);
  r.Raw(kSaltSize, &file.salt);
  r.Raw(kNonceSize, &file.nonce);
  r.Bytes16(&file.info.public_key);
  r.Bytes16(&file.info.label);
  r.U32(&ciphertext_size);
  file.header = bytes.substr(0, r.offset());
  r.Raw(ciphertext_size, &file.ciphertext);
  if (!r.ok() || r.remaining() != kSha256Size) {
    return absl::DataLossError("truncated or has trailing bytes");
  }
  if (kdf != kKdfArgon2id) {
    return absl::DataLossError(absl::StrCat("unknown KDF ", kdf));
  }
  file.info.algorithm = static_cast<SignatureAlgorithm>(algorithm);
  file.info.key_id = KeyIdOf(file.info.public_key);
  RETURN_IF_ERROR(CheckArgon2Bounds(argon2));
  return file;
}

absl::StatusOr<SealedFile> ParseSealedFile(const std::string& bytes) {
  if (bytes.size() < kMagicSize + 2 ||
      bytes.compare(0, kMagicSize, kMagic, kMagicSize) != 0) {
    return absl::InvalidArgumentError("not a SuperLicense sealed keystore");
  }
  const uint16_t version =
      static_cast<uint16_t>((static_cast<uint8_t>(bytes[kMagicSize]) << 8) |
                            static_cast<uint8_t>(bytes[kMagicSize + 1]));
  if (version != kSealedKeystoreVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("format version ", version,
                     " is not supported (this build reads version ",
                     kSealedKeystoreVersion, ")"));
  }
  if (bytes.size() < kSha256Size ||
      Sha256(absl::string_view(bytes).substr(0, bytes.size() - kSha256Size)) !=
          bytes.substr(bytes.size() - kSha256Size)) {
    return absl::DataLossError("damaged or truncated (checksum mismatch)");
  }
  return ParseBody(bytes);
}

absl::StatusOr<SealedFile> ReadSealedFile(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileLimited(path, kMaxFileBytes);
  if (!bytes.ok()) {
    return absl::Status(
        bytes.status().code(),
        absl::StrCat(Describe(path), ": ", bytes.status().message()));
  }
  absl::StatusOr<SealedFile> file = ParseSealedFile(*bytes);
  if (!file.ok()) {
    return absl::Status(
        file.status().code(),
        absl::StrCat(Describe(path), ": ", file.status().message()));
  }
  return file;
}

absl::StatusOr<std::string> Seal(const Botan::secure_vector<uint8_t>& secret,
                                 const Botan::secure_vector<uint8_t>& key,
                                 const std::string& nonce,
                                 const std::string& header) {
  try {
    auto mode =
        Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::ENCRYPTION);
    mode->set_key(key);
    mode->set_associated_data(reinterpret_cast<const uint8_t*>(header.data()),
                              header.size());
    mode->start(reinterpret_cast<const uint8_t*>(nonce.data()), nonce.size());
    Botan::secure_vector<uint8_t> buffer = secret;
    mode->finish(buffer);
    return std::string(buffer.begin(), buffer.end());  // ciphertext || tag
  } catch (const std::exception& e) {
    return internal::BotanError("seal keystore", e);
  }
}

// Returns the private key bytes, or PERMISSION_DENIED when the tag fails.
absl::StatusOr<Botan::secure_vector<uint8_t>> Unseal(
    const SealedFile& file, const Botan::secure_vector<uint8_t>& key) {
  try {
    auto mode =
        Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::DECRYPTION);
    mode->set_key(key);
    mode->set_associated_data(
        reinterpret_cast<const uint8_t*>(file.header.data()),
        file.header.size());
    mode->start(reinterpret_cast<const uint8_t*>(file.nonce.data()),
                file.nonce.size());
    Botan::secure_vector<uint8_t> buffer(file.ciphertext.begin(),
                                         file.ciphertext.end());
    mode->finish(buffer);
    return buffer;
  } catch (const Botan::Invalid_Authentication_Tag&) {
    return absl::PermissionDeniedError(
        "wrong passphrase, or the file was altered");
  } catch (const std::exception& e) {
    return internal::BotanError("open keystore", e);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Signer>> CreateSealedKeystore(
    const std::string& path, SignatureAlgorithm algorithm,
    absl::string_view passphrase, absl::string_view label,
    const Argon2Params& argon2) {
  if (passphrase.empty()) {
    return absl::InvalidArgumentError("passphrase must not be empty");
  }
  if (label.size() > kMaxLabelBytes) {
    return absl::InvalidArgumentError(absl::StrCat("label is ", label.size(),
                                                   " bytes, at most ",
                                                   kMaxLabelBytes, " allowed"));
  }
  absl::Status bounds = CheckArgon2Bounds(argon2);
  if (!bounds.ok()) return absl::InvalidArgumentError(bounds.message());

  Botan::System_RNG rng;
  ASSIGN_OR_RETURN(Botan::secure_vector<uint8_t> secret,
                   internal::GeneratePrivateBytes(algorithm, rng));
  ASSIGN_OR_RETURN(std::unique_ptr<Signer> signer,
                   internal::SignerFromPrivateBytes(algorithm, secret));
  SealedKeystoreInfo info;
  info.algorithm = algorithm;
  info.public_key = signer->public_key();
  info.label = std::string(label);
  info.argon2 = argon2;
  const Botan::secure_vector<uint8_t> salt_bytes = rng.random_vec(kSaltSize);
  const Botan::secure_vector<uint8_t> nonce_bytes = rng.random_vec(kNonceSize);
  const std::string salt(salt_bytes.begin(), salt_bytes.end());
  const std::string nonce(nonce_bytes.begin(), nonce_bytes.end());
  const std::string header = SerializeHeader(
      info, salt, nonce, static_cast<uint32_t>(secret.size() + kTagSize));

  ASSIGN_OR_RETURN(Botan::secure_vector<uint8_t> key,
                   DeriveKey(passphrase, salt, argon2));
  ASSIGN_OR_RETURN(std::string ciphertext, Seal(secret, key, nonce, header));
  std::string file = header + ciphertext;
  file += Sha256(file);
  RETURN_IF_ERROR(WriteFileAtomically(path, file, 0600, WriteMode::kCreateNew));
  return signer;
}

absl::StatusOr<std::unique_ptr<Signer>> OpenSealedKeystore(
    const std::string& path, absl::string_view passphrase) {
  ASSIGN_OR_RETURN(SealedFile file, ReadSealedFile(path));
  ASSIGN_OR_RETURN(Botan::secure_vector<uint8_t> key,
                   DeriveKey(passphrase, file.salt, file.info.argon2));
  absl::StatusOr<Botan::secure_vector<uint8_t>> secret = Unseal(file, key);
  if (!secret.ok()) {
    return absl::Status(
        secret.status().code(),
        absl::StrCat(Describe(path), ": ", secret.status().message()));
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<Signer> signer,
      internal::SignerFromPrivateBytes(file.info.algorithm, *secret));
  if (signer->public_key() != file.info.public_key) {
    return absl::DataLossError(
        absl::StrCat(Describe(path),
                     ": private key does not match the recorded public key"));
  }
  return signer;
}

absl::StatusOr<SealedKeystoreInfo> ReadSealedKeystoreInfo(
    const std::string& path) {
  ASSIGN_OR_RETURN(SealedFile file, ReadSealedFile(path));
  return file.info;
}

}  // namespace superlicense::keys
