#include "keys/internal/botan_keys.h"

#include <botan/bigint.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/ed25519.h>
#include <botan/hash.h>
#include <botan/pubkey.h>
#include <botan/system_rng.h>

#include <array>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "keys/sha256.h"
#include "keys/software_signer.h"
#include "keys/status_macros.h"

namespace superlicense::keys {
namespace internal {
namespace {

constexpr char kP256Curve[] = "secp256r1";
constexpr char kEd25519Padding[] = "Pure";
// EMSA1 with a 256-bit hash on a 256-bit curve signs SHA-256(message)
// unchanged: the same bytes a token signs with CKM_ECDSA over a host digest.
constexpr char kEcdsaPadding[] = "EMSA1(SHA-256)";

const char* PaddingFor(SignatureAlgorithm algorithm) {
  return algorithm == v1::SIGNATURE_ALGORITHM_ED25519 ? kEd25519Padding
                                                      : kEcdsaPadding;
}

std::string ToString(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

class BotanSigner final : public Signer {
 public:
  BotanSigner(std::unique_ptr<Botan::Private_Key> key,
              SignatureAlgorithm algorithm, std::string public_key)
      : key_(std::move(key)),
        algorithm_(algorithm),
        public_key_(std::move(public_key)),
        key_id_(KeyIdOf(public_key_)),
        signer_(*key_, rng_, PaddingFor(algorithm)) {}

  absl::StatusOr<std::string> Sign(absl::string_view message) const override {
    try {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<uint8_t> signature =
          signer_.sign_message(reinterpret_cast<const uint8_t*>(message.data()),
                               message.size(), rng_);
      return ToString(signature);
    } catch (const std::exception& e) {
      return BotanError("sign", e);
    }
  }

  const std::string& key_id() const override { return key_id_; }
  SignatureAlgorithm algorithm() const override { return algorithm_; }
  const std::string& public_key() const override { return public_key_; }

 private:
  const std::unique_ptr<Botan::Private_Key> key_;
  const SignatureAlgorithm algorithm_;
  const std::string public_key_;
  const std::string key_id_;
  mutable Botan::System_RNG rng_;
  mutable std::mutex mu_;
  mutable Botan::PK_Signer signer_ ABSL_GUARDED_BY(mu_);
};

class BotanVerifier final : public Verifier {
 public:
  BotanVerifier(std::unique_ptr<Botan::Public_Key> key,
                SignatureAlgorithm algorithm, std::string public_key)
      : key_(std::move(key)),
        algorithm_(algorithm),
        public_key_(std::move(public_key)),
        key_id_(KeyIdOf(public_key_)) {
    for (Slot& slot : slots_) {
      slot.verifier =
          std::make_unique<Botan::PK_Verifier>(*key_, PaddingFor(algorithm));
    }
  }

  absl::Status Verify(absl::string_view message,
                      absl::string_view signature) const override {
    if (signature.size() != kSignatureSize) {
      return absl::PermissionDeniedError(
          absl::StrCat("signature is ", signature.size(), " bytes, expected ",
                       kSignatureSize));
    }
    bool valid = false;
    try {
      // A free verifier if there is one, else wait for the first.
      Slot* slot = &slots_[0];
      std::unique_lock<std::mutex> lock(slot->mu, std::try_to_lock);
      for (size_t i = 1; !lock.owns_lock() && i < slots_.size(); ++i) {
        slot = &slots_[i];
        lock = std::unique_lock<std::mutex>(slot->mu, std::try_to_lock);
      }
      if (!lock.owns_lock()) {
        slot = &slots_[0];
        lock = std::unique_lock<std::mutex>(slot->mu);
      }
      valid = slot->verifier->verify_message(
          reinterpret_cast<const uint8_t*>(message.data()), message.size(),
          reinterpret_cast<const uint8_t*>(signature.data()), signature.size());
    } catch (const std::exception& e) {
      return BotanError("verify", e);
    }
    if (!valid) {
      return absl::PermissionDeniedError(
          "signature does not verify with the given key");
    }
    return absl::OkStatus();
  }

  const std::string& key_id() const override { return key_id_; }
  SignatureAlgorithm algorithm() const override { return algorithm_; }
  const std::string& public_key() const override { return public_key_; }

 private:
  const std::unique_ptr<Botan::Public_Key> key_;
  const SignatureAlgorithm algorithm_;
  const std::string public_key_;
  const std::string key_id_;
  // A few verifiers, so that threads verifying rows of one set in parallel
  // (VerifyLicenseSetEnvelope) do not wait for each other.
  struct Slot {
    std::mutex mu;
    std::unique_ptr<Botan::PK_Verifier> verifier ABSL_PT_GUARDED_BY(mu);
  };
  mutable std::array<Slot, 4> slots_;
};

absl::Status UnsupportedAlgorithm(SignatureAlgorithm algorithm) {
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported signature algorithm ", static_cast<int>(algorithm)));
}

std::string EcdsaPublicPoint(const Botan::ECDSA_PublicKey& key) {
  return ToString(key.public_point().encode(Botan::PointGFp::UNCOMPRESSED));
}

absl::StatusOr<std::unique_ptr<Verifier>> MakeBotanVerifier(
    SignatureAlgorithm algorithm, absl::string_view public_key) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(public_key.data());
  if (algorithm == v1::SIGNATURE_ALGORITHM_ED25519) {
    if (public_key.size() != 32) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ed25519 public key is ", public_key.size(), " bytes, expected 32"));
    }
    auto key = std::make_unique<Botan::Ed25519_PublicKey>(bytes, 32);
    return std::make_unique<BotanVerifier>(std::move(key), algorithm,
                                           std::string(public_key));
  }
  if (algorithm == v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256) {
    if (public_key.size() != 65 || public_key[0] != 0x04) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ecdsa-p256-sha256 public key must be a 65-byte uncompressed point, "
          "got ",
          public_key.size(), " bytes"));
    }
    Botan::EC_Group group(kP256Curve);
    Botan::PointGFp point = group.OS2ECP(bytes, public_key.size());
    if (!point.on_the_curve() || point.is_zero()) {
      return absl::InvalidArgumentError(
          "ecdsa-p256-sha256 public key is not a point on P-256");
    }
    auto key = std::make_unique<Botan::ECDSA_PublicKey>(group, point);
    return std::make_unique<BotanVerifier>(std::move(key), algorithm,
                                           std::string(public_key));
  }
  return UnsupportedAlgorithm(algorithm);
}

}  // namespace

absl::StatusOr<Botan::secure_vector<uint8_t>> GeneratePrivateBytes(
    SignatureAlgorithm algorithm, Botan::RandomNumberGenerator& rng) {
  try {
    if (algorithm == v1::SIGNATURE_ALGORITHM_ED25519) {
      return rng.random_vec(kPrivateKeyBytes);
    }
    if (algorithm == v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256) {
      Botan::EC_Group group(kP256Curve);
      Botan::BigInt scalar =
          Botan::BigInt::random_integer(rng, 1, group.get_order());
      return Botan::BigInt::encode_1363(scalar, kPrivateKeyBytes);
    }
  } catch (const std::exception& e) {
    return BotanError("generate key", e);
  }
  return UnsupportedAlgorithm(algorithm);
}

absl::StatusOr<std::unique_ptr<Signer>> SignerFromPrivateBytes(
    SignatureAlgorithm algorithm, const Botan::secure_vector<uint8_t>& bytes) {
  if (bytes.size() != kPrivateKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("private key is ", bytes.size(), " bytes, expected ",
                     kPrivateKeyBytes));
  }
  try {
    if (algorithm == v1::SIGNATURE_ALGORITHM_ED25519) {
      return MakeBotanSigner(
          std::make_unique<Botan::Ed25519_PrivateKey>(bytes));
    }
    if (algorithm == v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256) {
      Botan::EC_Group group(kP256Curve);
      Botan::BigInt scalar(bytes.data(), bytes.size());
      if (scalar.is_zero() || scalar >= group.get_order()) {
        return absl::InvalidArgumentError("private key is not a P-256 scalar");
      }
      Botan::System_RNG rng;
      return MakeBotanSigner(
          std::make_unique<Botan::ECDSA_PrivateKey>(rng, group, scalar));
    }
  } catch (const std::exception& e) {
    return BotanError("load private key", e);
  }
  return UnsupportedAlgorithm(algorithm);
}

absl::Status BotanError(absl::string_view what, const std::exception& e) {
  std::string detail = e.what();
  if (detail.size() > 200) detail.resize(200);
  return absl::InternalError(absl::StrCat(what, ": ", detail));
}

absl::StatusOr<std::unique_ptr<Signer>> MakeBotanSigner(
    std::unique_ptr<Botan::Private_Key> key) {
  if (auto* ed = dynamic_cast<Botan::Ed25519_PrivateKey*>(key.get())) {
    std::string public_key = ToString(ed->get_public_key());
    return std::make_unique<BotanSigner>(
        std::move(key), v1::SIGNATURE_ALGORITHM_ED25519, std::move(public_key));
  }
  if (auto* ec = dynamic_cast<Botan::ECDSA_PrivateKey*>(key.get())) {
    if (ec->domain().get_curve_oid() != Botan::OID::from_string(kP256Curve)) {
      return absl::InvalidArgumentError("ECDSA key is not on P-256");
    }
    std::string public_key = EcdsaPublicPoint(*ec);
    return std::make_unique<BotanSigner>(
        std::move(key), v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
        std::move(public_key));
  }
  return absl::InvalidArgumentError("unsupported private key type");
}

}  // namespace internal

absl::string_view AlgorithmName(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case v1::SIGNATURE_ALGORITHM_ED25519:
      return "ed25519";
    case v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256:
      return "ecdsa-p256-sha256";
    default:
      return "unspecified";
  }
}

absl::StatusOr<SignatureAlgorithm> ParseAlgorithmName(absl::string_view name) {
  if (name == "ed25519") return v1::SIGNATURE_ALGORITHM_ED25519;
  if (name == "ecdsa-p256-sha256") {
    return v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "algorithm \"", name, "\" is not one of ed25519, ecdsa-p256-sha256"));
}

std::string KeyIdOf(absl::string_view public_key) { return Sha256(public_key); }

std::string Sha256(absl::string_view data) {
  // One object per call: a thread_local one would be destroyed when a
  // foreign thread (gRPC's) exits after Botan's memory pool is gone.
  std::unique_ptr<Botan::HashFunction> hash =
      Botan::HashFunction::create_or_throw("SHA-256");
  hash->update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  Botan::secure_vector<uint8_t> digest = hash->final();
  return std::string(digest.begin(), digest.end());
}

absl::StatusOr<std::unique_ptr<Verifier>> Verifier::Create(
    SignatureAlgorithm algorithm, absl::string_view public_key) {
  try {
    return internal::MakeBotanVerifier(algorithm, public_key);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(AlgorithmName(algorithm), " public key is malformed"));
  }
}

absl::StatusOr<std::unique_ptr<Signer>> GenerateSoftwareSigner(
    SignatureAlgorithm algorithm) {
  Botan::System_RNG rng;
  ASSIGN_OR_RETURN(Botan::secure_vector<uint8_t> bytes,
                   internal::GeneratePrivateBytes(algorithm, rng));
  return internal::SignerFromPrivateBytes(algorithm, bytes);
}

absl::StatusOr<std::unique_ptr<Signer>> InsecureTestSignerFromSeed(
    SignatureAlgorithm algorithm, absl::string_view seed) {
  Botan::secure_vector<uint8_t> bytes(seed.begin(), seed.end());
  return internal::SignerFromPrivateBytes(algorithm, bytes);
}

}  // namespace superlicense::keys
