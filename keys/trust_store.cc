#include "keys/trust_store.h"

#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "keys/license_set_envelope.h"
#include "keys/public_key_file.h"
#include "keys/signed_bytes.h"
#include "keys/status_macros.h"

namespace superlicense::keys {
namespace {

using RootMap = std::map<std::string, std::shared_ptr<const Verifier>>;

std::string Time(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

std::string ShortId(const std::string& key_id) {
  return absl::BytesToHexString(key_id).substr(0, 16);
}

// Counts the distinct trusted keys whose signature over PAE(type, payload)
// verifies. Signatures by unknown keys and invalid ones are not counted.
int CountValidSignatures(
    const RootMap& roots, absl::string_view payload_type,
    absl::string_view payload,
    const google::protobuf::RepeatedPtrField<v1::Signature>& signatures) {
  std::set<std::string> valid;
  for (const v1::Signature& signature : signatures) {
    auto root = roots.find(signature.key_id());
    if (root == roots.end()) continue;
    if (VerifyPayloadSignature(*root->second, payload_type, payload, signature)
            .ok()) {
      valid.insert(signature.key_id());
    }
  }
  return static_cast<int>(valid.size());
}

absl::Status CheckBundleContent(const v1::TrustBundle& bundle) {
  if (bundle.version() < 1) {
    return absl::InvalidArgumentError("trust bundle version must be >= 1");
  }
  if (bundle.root_keys_size() < 1 || bundle.root_keys_size() > kMaxRootKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat("trust bundle has ", bundle.root_keys_size(),
                     " root keys, expected 1 to ", kMaxRootKeys));
  }
  if (bundle.threshold() < 1 ||
      static_cast<int>(bundle.threshold()) > bundle.root_keys_size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trust bundle threshold ", bundle.threshold(),
                     " is not in 1..", bundle.root_keys_size()));
  }
  for (const v1::Revocation& revocation : bundle.revocations()) {
    if (revocation.key_id().size() != kKeyIdSize ||
        revocation.reason().size() > 255) {
      return absl::InvalidArgumentError(
          "trust bundle has a malformed revocation");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RootMap> RootsOf(const v1::TrustBundle& bundle) {
  RootMap roots;
  for (const v1::PublicKey& key : bundle.root_keys()) {
    absl::Status status = CheckPublicKey(key);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("trust bundle root key: ", status.message()));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<Verifier> verifier,
                     Verifier::Create(key.algorithm(), key.public_key()));
    if (!roots.emplace(key.key_id(), std::move(verifier)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "trust bundle lists root key ", ShortId(key.key_id()), " twice"));
    }
  }
  return roots;
}

absl::Status CheckCertificateContent(const v1::OwnerKeyCertificate& c) {
  RETURN_IF_ERROR(CheckOwnerName(c.owner_name()));
  absl::Status key = CheckPublicKey(c.key());
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate key: ", key.message()));
  }
  if (c.valid_until() <= c.valid_from()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate valid_until ", Time(c.valid_until()),
                     " is not after valid_from ", Time(c.valid_from())));
  }
  return absl::OkStatus();
}

template <typename Envelope>
absl::Status Cosign(const Signer& root, absl::string_view payload_type,
                    Envelope* envelope) {
  for (const v1::Signature& signature : envelope->signatures()) {
    if (signature.key_id() == root.key_id()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "root key ", ShortId(root.key_id()), " has signed it already"));
    }
  }
  ASSIGN_OR_RETURN(*envelope->add_signatures(),
                   SignPayload(root, payload_type, envelope->payload()));
  return absl::OkStatus();
}

absl::Status NeedThreshold(int valid, uint32_t threshold,
                           absl::string_view what) {
  if (valid < static_cast<int>(threshold)) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, " is signed by ", valid, " trusted root key(s), ",
                     threshold, " needed"));
  }
  return absl::OkStatus();
}

// Decodes and checks a bundle's payload; returns it with its roots.
absl::StatusOr<std::pair<v1::TrustBundle, RootMap>> OpenBundle(
    const v1::SignedTrustBundle& signed_bundle) {
  if (signed_bundle.payload_type() != kTrustBundlePayloadType) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload_type \"", signed_bundle.payload_type().substr(0, 100),
        "\" is not \"", kTrustBundlePayloadType, "\""));
  }
  v1::TrustBundle bundle;
  RETURN_IF_ERROR(
      ParseStrict(signed_bundle.payload(), "trust bundle payload", &bundle));
  RETURN_IF_ERROR(CheckBundleContent(bundle));
  ASSIGN_OR_RETURN(RootMap roots, RootsOf(bundle));
  const int own =
      CountValidSignatures(roots, kTrustBundlePayloadType,
                           signed_bundle.payload(), signed_bundle.signatures());
  RETURN_IF_ERROR(NeedThreshold(own, bundle.threshold(),
                                "trust bundle (by its own roots)"));
  return std::make_pair(std::move(bundle), std::move(roots));
}

}  // namespace

absl::Status CheckOwnerName(absl::string_view owner_name) {
  if (owner_name.empty() || owner_name.size() > 32 ||
      owner_name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
          absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("owner_name \"", owner_name.substr(0, 64),
                     "\" must be 1 to 32 characters of A-Z and 0-9"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SignedPublicKey> CertifyOwnerKey(
    const Signer& root, const v1::OwnerKeyCertificate& certificate) {
  RETURN_IF_ERROR(CheckCertificateContent(certificate));
  v1::SignedPublicKey signed_key;
  signed_key.set_payload(DeterministicBytes(certificate));
  signed_key.set_payload_type(std::string(kOwnerKeyCertificatePayloadType));
  RETURN_IF_ERROR(Cosign(root, kOwnerKeyCertificatePayloadType, &signed_key));
  return signed_key;
}

absl::Status CosignOwnerKey(const Signer& root,
                            v1::SignedPublicKey* certificate) {
  return Cosign(root, kOwnerKeyCertificatePayloadType, certificate);
}

absl::StatusOr<v1::SignedTrustBundle> SignTrustBundle(
    const Signer& root, const v1::TrustBundle& bundle) {
  RETURN_IF_ERROR(CheckBundleContent(bundle));
  RETURN_IF_ERROR(RootsOf(bundle).status());
  v1::SignedTrustBundle signed_bundle;
  signed_bundle.set_payload(DeterministicBytes(bundle));
  signed_bundle.set_payload_type(std::string(kTrustBundlePayloadType));
  RETURN_IF_ERROR(Cosign(root, kTrustBundlePayloadType, &signed_bundle));
  return signed_bundle;
}

absl::Status CosignTrustBundle(const Signer& root,
                               v1::SignedTrustBundle* bundle) {
  return Cosign(root, kTrustBundlePayloadType, bundle);
}

absl::StatusOr<v1::SignedTrustBundle> DecodeTrustBundle(
    absl::string_view bytes) {
  if (bytes.size() > kMaxTrustBundleBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("trust bundle is ", bytes.size(), " bytes, at most ",
                     kMaxTrustBundleBytes, " allowed"));
  }
  v1::SignedTrustBundle bundle;
  RETURN_IF_ERROR(ParseStrict(bytes, "trust bundle", &bundle));
  return bundle;
}

absl::StatusOr<TrustStore> TrustStore::FromAnchor(
    const v1::SignedTrustBundle& bundle) {
  ASSIGN_OR_RETURN(auto opened, OpenBundle(bundle));
  return TrustStore(bundle, std::move(opened.first), std::move(opened.second));
}

absl::StatusOr<TrustStore> TrustStore::Update(
    const v1::SignedTrustBundle& next) const {
  ASSIGN_OR_RETURN(auto opened, OpenBundle(next));
  if (opened.first.version() <= bundle_.version()) {
    return absl::FailedPreconditionError(
        absl::StrCat("trust bundle version ", opened.first.version(),
                     " is not above the trusted version ", bundle_.version()));
  }
  const int by_current = CountValidSignatures(
      roots_, kTrustBundlePayloadType, next.payload(), next.signatures());
  RETURN_IF_ERROR(NeedThreshold(by_current, bundle_.threshold(),
                                "new trust bundle (by the roots trusted now)"));
  return TrustStore(next, std::move(opened.first), std::move(opened.second));
}

const v1::Revocation* TrustStore::FindRevocation(
    const std::string& key_id) const {
  for (const v1::Revocation& revocation : bundle_.revocations()) {
    if (revocation.key_id() == key_id) return &revocation;
  }
  return nullptr;
}

absl::StatusOr<v1::OwnerKeyCertificate> TrustStore::VerifyOwnerCertificate(
    const v1::SignedPublicKey& certificate) const {
  if (certificate.payload_type() != kOwnerKeyCertificatePayloadType) {
    return absl::InvalidArgumentError(
        absl::StrCat("owner key certificate payload_type \"",
                     certificate.payload_type().substr(0, 100), "\" is not \"",
                     kOwnerKeyCertificatePayloadType, "\""));
  }
  const int valid =
      CountValidSignatures(roots_, kOwnerKeyCertificatePayloadType,
                           certificate.payload(), certificate.signatures());
  RETURN_IF_ERROR(
      NeedThreshold(valid, bundle_.threshold(), "owner key certificate"));
  v1::OwnerKeyCertificate content;
  RETURN_IF_ERROR(
      ParseStrict(certificate.payload(), "owner key certificate", &content));
  RETURN_IF_ERROR(CheckCertificateContent(content));
  if (const v1::Revocation* revoked = FindRevocation(content.key().key_id())) {
    return absl::PermissionDeniedError(
        absl::StrCat("owner key ", ShortId(content.key().key_id()), " of ",
                     content.owner_name(), " was revoked on ",
                     Time(revoked->revoked_at()), ": ", revoked->reason()));
  }
  return content;
}

absl::StatusOr<VerifiedLicenseSet> TrustStore::VerifyLicenseSet(
    const v1::SignedLicenseSet& envelope, absl::Time now) const {
  RETURN_IF_ERROR(CheckLicenseSetEnvelopeShape(envelope));
  VerifiedLicenseSet verified;
  ASSIGN_OR_RETURN(verified.owner_certificate,
                   VerifyOwnerCertificate(envelope.owner_key()));
  const v1::OwnerKeyCertificate& cert = verified.owner_certificate;
  ASSIGN_OR_RETURN(
      std::unique_ptr<Verifier> owner,
      Verifier::Create(cert.key().algorithm(), cert.key().public_key()));
  ASSIGN_OR_RETURN(verified.set, VerifyLicenseSetSignatures(envelope, *owner));
  const v1::LicenseSet& set = verified.set;
  if (set.owner().owner_name() != cert.owner_name()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the owner key is certified for owner ", cert.owner_name(),
        ", the set is for owner ", set.owner().owner_name().substr(0, 64)));
  }
  if (set.issued_at() < cert.valid_from() ||
      set.issued_at() >= cert.valid_until()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the set was issued at ", Time(set.issued_at()),
        ", outside the owner certificate's validity ", Time(cert.valid_from()),
        " to ", Time(cert.valid_until())));
  }
  if (now >= absl::FromUnixSeconds(cert.valid_until())) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the owner certificate expired at ", Time(cert.valid_until())));
  }
  return verified;
}

}  // namespace superlicense::keys
