#include "tests/support/format_vector_builder.h"

#include <google/protobuf/text_format.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "keys/license_set_envelope.h"
#include "keys/sha256.h"
#include "keys/signed_bytes.h"
#include "keys/software_signer.h"
#include "keys/status_macros.h"

namespace superlicense::testing {
namespace {

using keys::Signer;
using v1::LicenseSet;
using v1::SignedLicenseSet;

constexpr int64_t kCertificateIssuedAt = 1798675200;    // 2026-12-31T00:00:00Z
constexpr int64_t kCertificateValidUntil = 1893456000;  // 2030-01-01T00:00:00Z

std::string Hex(const std::string& bytes) {
  return absl::BytesToHexString(bytes);
}

// Seeds are SHA-256 of a label: public, reproducible, clearly not secret.
absl::StatusOr<KeyVector> MakeKeyVector(v1::SignatureAlgorithm algorithm,
                                        const std::string& label) {
  KeyVector vector;
  vector.set_algorithm(algorithm);
  vector.set_seed_hex(Hex(keys::Sha256(label)));
  ASSIGN_OR_RETURN(std::unique_ptr<Signer> signer, TestSigner(vector));
  vector.set_public_key_hex(Hex(signer->public_key()));
  vector.set_key_id_hex(Hex(signer->key_id()));
  return vector;
}

absl::StatusOr<LicenseSet> ReadInput(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  LicenseSet set;
  if (!in || !google::protobuf::TextFormat::ParseFromString(text.str(), &set)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse ", path));
  }
  return set;
}

absl::StatusOr<v1::SignedPublicKey> Certify(const Signer& root,
                                            const Signer& owner) {
  v1::OwnerKeyCertificate certificate;
  certificate.set_owner_name("SUPEROFFICE");
  certificate.mutable_key()->set_key_id(owner.key_id());
  certificate.mutable_key()->set_algorithm(owner.algorithm());
  certificate.mutable_key()->set_public_key(owner.public_key());
  certificate.set_issued_at(kCertificateIssuedAt);
  certificate.set_valid_from(kCertificateIssuedAt);
  certificate.set_valid_until(kCertificateValidUntil);
  v1::SignedPublicKey signed_key;
  signed_key.set_payload(keys::DeterministicBytes(certificate));
  signed_key.set_payload_type(
      std::string(keys::kOwnerKeyCertificatePayloadType));
  ASSIGN_OR_RETURN(
      *signed_key.add_signatures(),
      keys::SignPayload(root, keys::kOwnerKeyCertificatePayloadType,
                        signed_key.payload()));
  return signed_key;
}

void AddNegative(BuiltVectors* out, const std::string& name,
                 const std::string& bytes, const std::string& why,
                 const std::string& code, const std::string& message) {
  NegativeVector* negative = out->vectors.add_negatives();
  negative->set_name(name);
  negative->set_file(absl::StrCat("negative/", name, ".lic"));
  negative->set_why(why);
  negative->set_expected_code(code);
  negative->set_expected_message(message);
  out->files[negative->file()] = bytes;
}

std::string Bytes(const SignedLicenseSet& envelope) {
  return keys::DeterministicBytes(envelope);
}

// Re-signs the payload of `envelope` as `set` (a set the issuer really
// signed), keeping everything else.
absl::StatusOr<SignedLicenseSet> SignedVariant(
    const LicenseSet& set, const Signer& owner,
    const v1::SignedPublicKey& certificate) {
  LicenseSet copy = set;
  copy.clear_rows_digest();
  return keys::SignLicenseSet(std::move(copy), owner, certificate);
}

absl::Status AddNegatives(const LicenseSet& input, const SignedLicenseSet& good,
                          const Signer& owner, const Signer& other,
                          const v1::SignedPublicKey& certificate,
                          BuiltVectors* out) {
  SignedLicenseSet flipped = good;
  std::string* payload = flipped.mutable_payload();
  const size_t at = payload->find("Example Company AS");
  (*payload)[at] = static_cast<char>((*payload)[at] ^ 0x01);
  AddNegative(out, "flipped_payload_byte", Bytes(flipped),
              "One byte of the company name in the payload is flipped: the "
              "owner signature covers every payload byte.",
              "PERMISSION_DENIED", "owner signature");

  LicenseSet other_serial = input;
  other_serial.mutable_customer()->set_serial("1010000024");
  ASSIGN_OR_RETURN(SignedLicenseSet other_set,
                   SignedVariant(other_serial, owner, certificate));
  SignedLicenseSet moved = good;
  *moved.mutable_row_signatures(3) = other_set.row_signatures(3);
  AddNegative(out, "row_from_other_set", Bytes(moved),
              "The signature of the identical row \"user\" is taken from a "
              "genuine set of another customer: row signatures bind the "
              "serial, so it does not verify here.",
              "PERMISSION_DENIED", "module \"user\" (sort_order 40)");

  LicenseSet older = input;
  older.set_version(input.version() - 1);
  ASSIGN_OR_RETURN(SignedLicenseSet older_set,
                   SignedVariant(older, owner, certificate));
  SignedLicenseSet replayed_row = good;
  *replayed_row.mutable_row_signatures(6) = older_set.row_signatures(6);
  AddNegative(out, "row_from_other_version", Bytes(replayed_row),
              "The signature of row \"ten-sales\" comes from the previous "
              "version of the same customer's set: row signatures bind the "
              "set version.",
              "PERMISSION_DENIED", "module \"ten-sales\" (sort_order 70)");

  SignedLicenseSet retyped = good;
  retyped.set_payload_type(std::string(keys::kTrustBundlePayloadType));
  AddNegative(out, "other_payload_type", Bytes(retyped),
              "The envelope claims to carry a trust bundle: a license set "
              "verifier accepts only the license-set payload type.",
              "INVALID_ARGUMENT", "payload_type");

  SignedLicenseSet cross_type = good;
  ASSIGN_OR_RETURN(
      *cross_type.mutable_signatures(0),
      keys::SignPayload(owner, keys::kOwnerKeyCertificatePayloadType,
                        good.payload()));
  AddNegative(out, "signature_of_other_payload_type", Bytes(cross_type),
              "The owner key signed these exact payload bytes as an owner key "
              "certificate, not as a license set: PAE binds the payload type, "
              "so the signature does not pass as a license-set signature.",
              "PERMISSION_DENIED", "owner signature");

  const std::string good_bytes = Bytes(good);
  AddNegative(out, "truncated", good_bytes.substr(0, good_bytes.size() / 2),
              "The file is cut in half: it is not a complete envelope.",
              "INVALID_ARGUMENT", "not a valid");

  ASSIGN_OR_RETURN(SignedLicenseSet foreign,
                   SignedVariant(input, other, certificate));
  AddNegative(out, "signed_by_other_key", Bytes(foreign),
              "A well-formed set signed by a key that is not the owner key "
              "(the attached certificate is for the owner key).",
              "PERMISSION_DENIED", "no signature by the owner key");

  LicenseSet bad_digest = input;
  bad_digest.set_rows_digest(keys::Sha256("not the rows"));
  SignedLicenseSet wrong_digest = good;
  wrong_digest.set_payload(keys::DeterministicBytes(bad_digest));
  ASSIGN_OR_RETURN(*wrong_digest.mutable_signatures(0),
                   keys::SignPayload(owner, keys::kLicenseSetPayloadType,
                                     wrong_digest.payload()));
  AddNegative(out, "rows_digest_mismatch", Bytes(wrong_digest),
              "The owner signed a payload whose rows_digest is not the digest "
              "of its rows: the owner signature must cover the rows.",
              "PERMISSION_DENIED", "rows_digest");

  SignedLicenseSet missing_row = good;
  missing_row.mutable_row_signatures()->RemoveLast();
  AddNegative(out, "row_signature_missing", Bytes(missing_row),
              "The last row signature is removed: every row must carry one.",
              "PERMISSION_DENIED", "row signatures");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Signer>> TestSigner(const KeyVector& vector) {
  const std::string& hex = vector.seed_hex();
  if (hex.size() % 2 != 0 ||
      hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return absl::InvalidArgumentError("seed_hex is not hex");
  }
  return keys::InsecureTestSignerFromSeed(vector.algorithm(),
                                          absl::HexStringToBytes(hex));
}

absl::StatusOr<BuiltVectors> BuildFormatVectors(const std::string& data_dir) {
  BuiltVectors out;
  FormatVectors& v = out.vectors;
  const auto ed25519 = v1::SIGNATURE_ALGORITHM_ED25519;
  ASSIGN_OR_RETURN(*v.mutable_owner_key(),
                   MakeKeyVector(ed25519, "superlicense test vector: owner"));
  ASSIGN_OR_RETURN(*v.mutable_root_key(),
                   MakeKeyVector(ed25519, "superlicense test vector: root"));
  ASSIGN_OR_RETURN(*v.mutable_other_key(),
                   MakeKeyVector(ed25519, "superlicense test vector: other"));
  ASSIGN_OR_RETURN(*v.mutable_owner_key_p256(),
                   MakeKeyVector(v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
                                 "superlicense test vector: owner p256"));
  ASSIGN_OR_RETURN(std::unique_ptr<Signer> owner, TestSigner(v.owner_key()));
  ASSIGN_OR_RETURN(std::unique_ptr<Signer> root, TestSigner(v.root_key()));
  ASSIGN_OR_RETURN(std::unique_ptr<Signer> other, TestSigner(v.other_key()));

  for (const auto& [type, payload] :
       {std::pair<std::string, std::string>{"http://example.com/HelloWorld",
                                            "hello world"},
        {std::string(keys::kLicenseSetPayloadType), ""}}) {
    PaeVector* pae = v.add_pae();
    pae->set_payload_type(type);
    pae->set_payload(payload);
    pae->set_pae_hex(Hex(keys::PreAuthEncode(type, payload)));
  }

  v.set_input_file("license_set_input.textproto");
  ASSIGN_OR_RETURN(LicenseSet input,
                   ReadInput(absl::StrCat(data_dir, "/", v.input_file())));
  ASSIGN_OR_RETURN(v1::SignedPublicKey certificate, Certify(*root, *owner));
  ASSIGN_OR_RETURN(SignedLicenseSet good,
                   keys::SignLicenseSet(input, *owner, certificate));

  v.set_payload_hex(Hex(good.payload()));
  v.set_rows_digest_hex(Hex(keys::RowsDigest(input)));
  v.set_set_pae_hex(
      Hex(keys::PreAuthEncode(keys::kLicenseSetPayloadType, good.payload())));
  v.set_owner_signature_hex(Hex(good.signatures(0).signature()));
  const keys::RowBinding binding = keys::RowBindingOf(input);
  for (int i = 0; i < input.module_licenses_size(); ++i) {
    const v1::ModuleLicense& row = input.module_licenses(i);
    RowVector* row_vector = v.add_rows();
    row_vector->set_module_name(row.module_name());
    row_vector->set_sort_order(row.sort_order());
    row_vector->set_row_bytes_hex(Hex(keys::RowBytes(binding, row)));
    row_vector->set_signature_hex(
        Hex(good.row_signatures(i).signature().signature()));
  }
  v.set_envelope_file("license_set.lic");
  out.files[v.envelope_file()] = Bytes(good);

  input.set_rows_digest(keys::RowsDigest(input));
  RETURN_IF_ERROR(AddNegatives(input, good, *owner, *other, certificate, &out));
  return out;
}

}  // namespace superlicense::testing
