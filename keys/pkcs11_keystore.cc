#include "keys/pkcs11_keystore.h"

#include <p11-kit/pkcs11.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "keys/internal/cryptoki_module.h"
#include "keys/sha256.h"
#include "keys/status_macros.h"

namespace superlicense::keys {
namespace {

using internal::CryptokiError;
using internal::CryptokiModule;
using internal::CryptokiSession;
using internal::TokenLogin;

// What a supported key looks like on a token and how it signs.
struct CurveParams {
  SignatureAlgorithm algorithm;
  CK_KEY_TYPE key_type;
  CK_MECHANISM_TYPE generate_mechanism;
  CK_MECHANISM_TYPE sign_mechanism;
  absl::string_view ec_params;  // CKA_EC_PARAMS: DER of the curve's OID
  size_t public_key_size;       // of the raw point in CKA_EC_POINT
};

const CurveParams kCurves[] = {
    // OID 1.3.101.112; CKM_EDDSA without parameters is pure Ed25519.
    {v1::SIGNATURE_ALGORITHM_ED25519, CKK_EC_EDWARDS,
     CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA,
     absl::string_view("\x06\x03\x2b\x65\x70", 5), 32},
    // OID 1.2.840.10045.3.1.7 (prime256v1); the point is 04 || X || Y.
    {v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256, CKK_EC, CKM_EC_KEY_PAIR_GEN,
     CKM_ECDSA,
     absl::string_view("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10), 65},
};

// PKCS#11 3.0 lets a token name the Edwards curve instead of giving its OID:
// a PrintableString (tag 0x13, length 12).
constexpr absl::string_view kEd25519ParamsByName("\023\014edwards25519", 14);

// Larger than any signature we expect, so that C_Sign never stops at
// CKR_BUFFER_TOO_SMALL (which would leave the operation active).
constexpr size_t kSignatureBufferSize = 132;

std::string KeyContext(const Pkcs11Location& location) {
  return absl::StrCat("token \"", location.token_label, "\" key \"",
                      location.key_label, "\"");
}

// ---------------------------------------------------------------------------
// Cryptoki helpers

template <typename T>
CK_ATTRIBUTE ValueAttribute(CK_ATTRIBUTE_TYPE type, const T& value) {
  // Cryptoki takes templates through non-const pointers but only reads them.
  return {type, const_cast<T*>(&value), sizeof(T)};
}

CK_ATTRIBUTE BytesAttribute(CK_ATTRIBUTE_TYPE type, absl::string_view bytes) {
  return {type, const_cast<char*>(bytes.data()), bytes.size()};
}

absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindObjects(
    const CryptokiSession& session, std::vector<CK_ATTRIBUTE> match,
    absl::string_view context) {
  const CK_FUNCTION_LIST& api = session.api();
  CK_RV rv =
      api.C_FindObjectsInit(session.handle(), match.data(), match.size());
  if (rv != CKR_OK) return CryptokiError(context, "C_FindObjectsInit", rv);
  std::vector<CK_OBJECT_HANDLE> found;
  CK_OBJECT_HANDLE batch[16];
  CK_ULONG count = 0;
  do {
    rv = api.C_FindObjects(session.handle(), batch, std::size(batch), &count);
    if (rv != CKR_OK) break;
    found.insert(found.end(), batch, batch + count);
  } while (count > 0);
  api.C_FindObjectsFinal(session.handle());
  if (rv != CKR_OK) return CryptokiError(context, "C_FindObjects", rv);
  return found;
}

// Returns the handles of the keys of `key_class` labelled `label`.
absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindKeys(
    const CryptokiSession& session, CK_OBJECT_CLASS key_class,
    absl::string_view label, absl::string_view context) {
  return FindObjects(
      session,
      {ValueAttribute(CKA_CLASS, key_class), BytesAttribute(CKA_LABEL, label)},
      context);
}

// Returns the one key of `key_class` labelled `label`: NOT_FOUND when there
// is none, FAILED_PRECONDITION when there are several.
absl::StatusOr<CK_OBJECT_HANDLE> FindOneKey(const CryptokiSession& session,
                                            CK_OBJECT_CLASS key_class,
                                            absl::string_view label,
                                            absl::string_view context) {
  const char* what = key_class == CKO_PRIVATE_KEY ? "private" : "public";
  ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> keys,
                   FindKeys(session, key_class, label, context));
  if (keys.empty()) {
    return absl::NotFoundError(
        absl::StrCat(context, ": no ", what, " key has this label"));
  }
  if (keys.size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, ": ", keys.size(), " ", what, " keys have this label"));
  }
  return keys.front();
}

absl::StatusOr<std::string> GetBytesAttribute(const CryptokiSession& session,
                                              CK_OBJECT_HANDLE object,
                                              CK_ATTRIBUTE_TYPE type,
                                              absl::string_view type_name,
                                              absl::string_view context) {
  const std::string function =
      absl::StrCat("C_GetAttributeValue(", type_name, ")");
  CK_ATTRIBUTE attribute = {type, nullptr, 0};
  CK_RV rv = session.api().C_GetAttributeValue(session.handle(), object,
                                               &attribute, 1);
  if (rv != CKR_OK) return CryptokiError(context, function, rv);
  if (attribute.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": ", function, ": no value"));
  }
  std::string value(attribute.ulValueLen, '\0');
  attribute.pValue = value.data();
  rv = session.api().C_GetAttributeValue(session.handle(), object, &attribute,
                                         1);
  if (rv != CKR_OK) return CryptokiError(context, function, rv);
  value.resize(attribute.ulValueLen);
  return value;
}

absl::StatusOr<CK_KEY_TYPE> GetKeyType(const CryptokiSession& session,
                                       CK_OBJECT_HANDLE object,
                                       absl::string_view context) {
  CK_KEY_TYPE key_type = 0;
  CK_ATTRIBUTE attribute = ValueAttribute(CKA_KEY_TYPE, key_type);
  CK_RV rv = session.api().C_GetAttributeValue(session.handle(), object,
                                               &attribute, 1);
  if (rv != CKR_OK) {
    return CryptokiError(context, "C_GetAttributeValue(CKA_KEY_TYPE)", rv);
  }
  return key_type;
}

// ---------------------------------------------------------------------------
// Curves and public keys

absl::StatusOr<const CurveParams*> CurveOf(SignatureAlgorithm algorithm) {
  for (const CurveParams& curve : kCurves) {
    if (curve.algorithm == algorithm) return &curve;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported signature algorithm ", static_cast<int>(algorithm)));
}

// Returns the curve of a key object from its CKA_KEY_TYPE and CKA_EC_PARAMS.
// FAILED_PRECONDITION for any other kind of key.
absl::StatusOr<const CurveParams*> IdentifyCurve(const CryptokiSession& session,
                                                 CK_OBJECT_HANDLE key,
                                                 absl::string_view context) {
  ASSIGN_OR_RETURN(CK_KEY_TYPE key_type, GetKeyType(session, key, context));
  if (key_type != CKK_EC_EDWARDS && key_type != CKK_EC) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": key type ", absl::Hex(key_type),
                     " is neither CKK_EC_EDWARDS nor CKK_EC"));
  }
  ASSIGN_OR_RETURN(
      std::string params,
      GetBytesAttribute(session, key, CKA_EC_PARAMS, "CKA_EC_PARAMS", context));
  for (const CurveParams& curve : kCurves) {
    if (curve.key_type == key_type && curve.ec_params == params) return &curve;
  }
  if (key_type == CKK_EC_EDWARDS && params == kEd25519ParamsByName) {
    return &kCurves[0];
  }
  return absl::FailedPreconditionError(
      absl::StrCat(context,
                   ": the key is on a curve other than Ed25519 and P-256 "
                   "(CKA_EC_PARAMS ",
                   absl::BytesToHexString(params), ")"));
}

// Returns the raw public key in CKA_EC_POINT of `public_key`.
absl::StatusOr<std::string> ReadPublicKey(const CryptokiSession& session,
                                          CK_OBJECT_HANDLE public_key,
                                          const CurveParams& curve,
                                          absl::string_view context) {
  absl::StatusOr<std::string> ec_point = GetBytesAttribute(
      session, public_key, CKA_EC_POINT, "CKA_EC_POINT", context);
  if (!ec_point.ok()) return ec_point.status();
  absl::StatusOr<std::string> point =
      internal::RawPointFromEcPoint(*ec_point, curve.public_key_size);
  const bool uncompressed_if_p256 =
      curve.algorithm != v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256 ||
      (point.ok() && (*point)[0] == 0x04);
  if (!point.ok() || !uncompressed_if_p256) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": CKA_EC_POINT (", ec_point->size(),
                     " bytes) holds no raw ", AlgorithmName(curve.algorithm),
                     " public key of ", curve.public_key_size, " bytes"));
  }
  return point;
}

// ---------------------------------------------------------------------------
// The signer

// Signs on the token with one session; `mu_` serialises its operations.
class Pkcs11Signer final : public Signer {
 public:
  Pkcs11Signer(std::unique_ptr<CryptokiSession> session,
               CK_OBJECT_HANDLE private_key, const CurveParams& curve,
               std::string public_key, std::string context)
      : session_(std::move(session)),
        private_key_(private_key),
        curve_(curve),
        public_key_(std::move(public_key)),
        key_id_(KeyIdOf(public_key_)),
        context_(std::move(context)) {}

  absl::StatusOr<std::string> Sign(absl::string_view message) const override {
    std::string digest;
    absl::string_view input = message;  // CKM_EDDSA signs the whole message
    if (curve_.sign_mechanism == CKM_ECDSA) {
      digest = Sha256(message);  // CKM_ECDSA signs a digest made by the host
      input = digest;
    }
    std::lock_guard<std::mutex> lock(mu_);
    return SignLocked(input);
  }

  const std::string& key_id() const override { return key_id_; }
  SignatureAlgorithm algorithm() const override { return curve_.algorithm; }
  const std::string& public_key() const override { return public_key_; }

 private:
  absl::StatusOr<std::string> SignLocked(absl::string_view input) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const CK_FUNCTION_LIST& api = session_->api();
    CK_MECHANISM mechanism = {curve_.sign_mechanism, nullptr, 0};
    CK_RV rv = api.C_SignInit(session_->handle(), &mechanism, private_key_);
    if (rv != CKR_OK) return CryptokiError(context_, "C_SignInit", rv);
    unsigned char signature[kSignatureBufferSize];
    CK_ULONG signature_size = sizeof(signature);
    auto* data =
        reinterpret_cast<unsigned char*>(const_cast<char*>(input.data()));
    rv = api.C_Sign(session_->handle(), data, input.size(), signature,
                    &signature_size);
    if (rv != CKR_OK) return CryptokiError(context_, "C_Sign", rv);
    if (signature_size != kSignatureSize) {
      return absl::InternalError(
          absl::StrCat(context_, ": C_Sign made a signature of ",
                       signature_size, " bytes, expected ", kSignatureSize));
    }
    return std::string(reinterpret_cast<const char*>(signature),
                       signature_size);
  }

  mutable std::mutex mu_;
  const std::unique_ptr<CryptokiSession> session_ ABSL_PT_GUARDED_BY(mu_);
  const CK_OBJECT_HANDLE private_key_;
  const CurveParams& curve_;
  const std::string public_key_;
  const std::string key_id_;
  const std::string context_;  // token and key labels, for messages
};

// ---------------------------------------------------------------------------
// Generating and opening

// Loads the module, finds the token, logs in and opens a session.
absl::StatusOr<std::unique_ptr<CryptokiSession>> OpenTokenSession(
    const Pkcs11Location& location, absl::string_view pin, bool read_write) {
  if (location.key_label.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(KeyContext(location), ": the key label is empty"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<CryptokiModule> module,
                   CryptokiModule::Load(location.module));
  ASSIGN_OR_RETURN(CK_SLOT_ID slot,
                   module->FindTokenSlot(location.token_label));
  ASSIGN_OR_RETURN(
      std::shared_ptr<TokenLogin> login,
      TokenLogin::Acquire(std::move(module), slot, location.token_label, pin));
  return TokenLogin::OpenSession(std::move(login), read_write);
}

struct KeyPair {
  CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
};

// Values that templates point at.
const CK_BBOOL kTrue = CK_TRUE;
const CK_BBOOL kFalse = CK_FALSE;
const CK_OBJECT_CLASS kPublicKeyClass = CKO_PUBLIC_KEY;
const CK_OBJECT_CLASS kPrivateKeyClass = CKO_PRIVATE_KEY;

// The public half: a token object anyone may read, for verifying.
std::vector<CK_ATTRIBUTE> PublicKeyTemplate(const CurveParams& curve,
                                            absl::string_view label) {
  return {ValueAttribute(CKA_CLASS, kPublicKeyClass),
          ValueAttribute(CKA_KEY_TYPE, curve.key_type),
          ValueAttribute(CKA_TOKEN, kTrue),
          ValueAttribute(CKA_PRIVATE, kFalse),
          ValueAttribute(CKA_VERIFY, kTrue),
          BytesAttribute(CKA_EC_PARAMS, curve.ec_params),
          BytesAttribute(CKA_LABEL, label),
          BytesAttribute(CKA_ID, label)};
}

// The private half: a token object that needs the login, never leaves the
// token (sensitive, not extractable) and may only sign.
std::vector<CK_ATTRIBUTE> PrivateKeyTemplate(const CurveParams& curve,
                                             absl::string_view label) {
  return {ValueAttribute(CKA_CLASS, kPrivateKeyClass),
          ValueAttribute(CKA_KEY_TYPE, curve.key_type),
          ValueAttribute(CKA_TOKEN, kTrue),
          ValueAttribute(CKA_PRIVATE, kTrue),
          ValueAttribute(CKA_SENSITIVE, kTrue),
          ValueAttribute(CKA_EXTRACTABLE, kFalse),
          ValueAttribute(CKA_SIGN, kTrue),
          ValueAttribute(CKA_DERIVE, kFalse),
          BytesAttribute(CKA_LABEL, label),
          BytesAttribute(CKA_ID, label)};
}

// Generates a key pair on the token. Both halves carry `label` as CKA_LABEL
// and CKA_ID.
absl::StatusOr<KeyPair> GenerateKeyPair(const CryptokiSession& session,
                                        absl::string_view label,
                                        const CurveParams& curve,
                                        absl::string_view context) {
  std::vector<CK_ATTRIBUTE> public_template = PublicKeyTemplate(curve, label);
  std::vector<CK_ATTRIBUTE> private_template = PrivateKeyTemplate(curve, label);
  CK_MECHANISM mechanism = {curve.generate_mechanism, nullptr, 0};
  KeyPair pair;
  CK_RV rv = session.api().C_GenerateKeyPair(
      session.handle(), &mechanism, public_template.data(),
      public_template.size(), private_template.data(), private_template.size(),
      &pair.public_key, &pair.private_key);
  if (rv != CKR_OK) return CryptokiError(context, "C_GenerateKeyPair", rv);
  return pair;
}

// ALREADY_EXISTS when a public or private key on the token has `label`.
absl::Status CheckLabelIsFree(const CryptokiSession& session,
                              absl::string_view label,
                              absl::string_view context) {
  for (CK_OBJECT_CLASS key_class : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
    ASSIGN_OR_RETURN(std::vector<CK_OBJECT_HANDLE> keys,
                     FindKeys(session, key_class, label, context));
    if (!keys.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat(context, ": the token already has a key so labelled"));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// pkcs11: URIs

absl::StatusOr<std::string> PercentDecode(absl::string_view name,
                                          absl::string_view value) {
  std::string decoded;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      decoded.push_back(value[i]);
      continue;
    }
    if (i + 2 >= value.size() || !absl::ascii_isxdigit(value[i + 1]) ||
        !absl::ascii_isxdigit(value[i + 2])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "pkcs11 URI: attribute \"", name, "\" has a bad %-escape"));
    }
    decoded += absl::HexStringToBytes(value.substr(i + 1, 2));
    i += 2;
  }
  return decoded;
}

// Stores one "name=value" attribute of the URI path into `location`.
absl::Status ApplyUriAttribute(absl::string_view attribute,
                               std::set<std::string>& seen,
                               Pkcs11Location& location) {
  std::pair<absl::string_view, absl::string_view> name_value =
      absl::StrSplit(attribute, absl::MaxSplits('=', 1));
  const absl::string_view name = name_value.first;
  const std::map<absl::string_view, std::string*> targets = {
      {"token", &location.token_label},
      {"object", &location.key_label},
      {"module", &location.module}};
  auto target = targets.find(name);
  if (target == targets.end()) {
    // Names only: the value of an unknown attribute (pin-value) may be secret.
    return absl::InvalidArgumentError(
        absl::StrCat("pkcs11 URI: unknown attribute \"", absl::CHexEscape(name),
                     "\" (supported: token, object, module)"));
  }
  if (!seen.insert(std::string(name)).second) {
    return absl::InvalidArgumentError(
        absl::StrCat("pkcs11 URI: attribute \"", name, "\" appears twice"));
  }
  ASSIGN_OR_RETURN(*target->second, PercentDecode(name, name_value.second));
  if (target->second->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("pkcs11 URI: attribute \"", name, "\" is empty"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Pkcs11Location> ParsePkcs11Uri(absl::string_view uri) {
  constexpr absl::string_view kScheme = "pkcs11:";
  if (!absl::StartsWithIgnoreCase(uri, kScheme)) {
    return absl::InvalidArgumentError(
        "pkcs11 URI: does not start with \"pkcs11:\"");
  }
  const absl::string_view path = uri.substr(kScheme.size());
  if (absl::StrContains(path, '?')) {
    return absl::InvalidArgumentError(
        "pkcs11 URI: query attributes (after '?') are not supported");
  }
  Pkcs11Location location;
  std::set<std::string> seen;
  for (absl::string_view attribute :
       absl::StrSplit(path, ';', absl::SkipEmpty())) {
    RETURN_IF_ERROR(ApplyUriAttribute(attribute, seen, location));
  }
  for (const char* required : {"token", "object"}) {
    if (seen.count(required) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("pkcs11 URI: attribute \"", required, "\" is missing"));
    }
  }
  return location;
}

absl::StatusOr<std::unique_ptr<Signer>> GeneratePkcs11Key(
    const Pkcs11Location& location, absl::string_view pin,
    SignatureAlgorithm algorithm) {
  ASSIGN_OR_RETURN(const CurveParams* curve, CurveOf(algorithm));
  ASSIGN_OR_RETURN(std::unique_ptr<CryptokiSession> session,
                   OpenTokenSession(location, pin, /*read_write=*/true));
  const std::string context = KeyContext(location);
  RETURN_IF_ERROR(CheckLabelIsFree(*session, location.key_label, context));
  ASSIGN_OR_RETURN(KeyPair pair, GenerateKeyPair(*session, location.key_label,
                                                 *curve, context));
  absl::StatusOr<std::string> public_key =
      ReadPublicKey(*session, pair.public_key, *curve, context);
  if (!public_key.ok()) {
    // A key whose public half cannot be read is of no use: do not leave it.
    session->api().C_DestroyObject(session->handle(), pair.private_key);
    session->api().C_DestroyObject(session->handle(), pair.public_key);
    return public_key.status();
  }
  return std::make_unique<Pkcs11Signer>(std::move(session), pair.private_key,
                                        *curve, *std::move(public_key),
                                        context);
}

absl::StatusOr<std::unique_ptr<Signer>> OpenPkcs11Key(
    const Pkcs11Location& location, absl::string_view pin) {
  ASSIGN_OR_RETURN(std::unique_ptr<CryptokiSession> session,
                   OpenTokenSession(location, pin, /*read_write=*/false));
  const std::string context = KeyContext(location);
  ASSIGN_OR_RETURN(
      CK_OBJECT_HANDLE private_key,
      FindOneKey(*session, CKO_PRIVATE_KEY, location.key_label, context));
  ASSIGN_OR_RETURN(
      CK_OBJECT_HANDLE public_key,
      FindOneKey(*session, CKO_PUBLIC_KEY, location.key_label, context));
  ASSIGN_OR_RETURN(const CurveParams* curve,
                   IdentifyCurve(*session, public_key, context));
  ASSIGN_OR_RETURN(const CurveParams* private_curve,
                   IdentifyCurve(*session, private_key, context));
  if (private_curve != curve) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, ": the private key is ",
        AlgorithmName(private_curve->algorithm), " but the public key is ",
        AlgorithmName(curve->algorithm)));
  }
  ASSIGN_OR_RETURN(std::string raw_public_key,
                   ReadPublicKey(*session, public_key, *curve, context));
  return std::make_unique<Pkcs11Signer>(std::move(session), private_key, *curve,
                                        std::move(raw_public_key), context);
}

}  // namespace superlicense::keys
