#include "keys/pkcs11_keystore.h"

#include <p11-kit/pkcs11.h>
#include <unistd.h>

#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/internal/cryptoki_module.h"
#include "tests/support/softhsm_token.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

// Every test gets a fresh SoftHSM2 token in its own directory (SetUp points
// SOFTHSM2_CONF at it). Signers live only inside a test body, so the module
// is finalised between tests and the next test's C_Initialize reads the next
// configuration.

// SoftHSM 2.6.1 leaks an ASN.1 string in every EdDSA C_SignInit (fixed
// upstream: softhsm/SoftHSMv2 pull requests 858 and 863). LeakSanitizer
// reports it after the keystore has dlclosed the module, when SoftHSM's own
// frames can no longer be named, so the suppression names the OpenSSL
// library SoftHSM allocates through; nothing else here calls OpenSSL.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libcrypto.so\n";
}

namespace superlicense::keys {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::SoftHsmToken;
using ::superlicense::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTokenLabel[] = "superlicense-test";
constexpr char kPin[] = "user-pin-2718";
constexpr char kKeyLabel[] = "license-signing-2026";

class Pkcs11KeystoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(token_, SoftHsmToken::Create(kTokenLabel, kPin));
  }

  Pkcs11Location Location(const std::string& key_label = kKeyLabel) const {
    return token_->Location(key_label);
  }

  std::unique_ptr<SoftHsmToken> token_;
};

class Pkcs11KeyTest : public Pkcs11KeystoreTest,
                      public ::testing::WithParamInterface<SignatureAlgorithm> {
 protected:
  // Checks that `signer` made `signature` of `message` by verifying it with
  // the software (Botan) verifier of its public key.
  static void ExpectVerifies(const Signer& signer, absl::string_view message,
                             absl::string_view signature) {
    auto verifier = Verifier::Create(signer.algorithm(), signer.public_key());
    ASSERT_THAT(verifier, IsOk());
    EXPECT_THAT((*verifier)->Verify(message, signature), IsOk());
  }
};

INSTANTIATE_TEST_SUITE_P(
    Algorithms, Pkcs11KeyTest,
    ::testing::Values(v1::SIGNATURE_ALGORITHM_ED25519,
                      v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256),
    [](const ::testing::TestParamInfo<SignatureAlgorithm>& param_info) {
      return param_info.param == v1::SIGNATURE_ALGORITHM_ED25519
                 ? std::string("Ed25519")
                 : std::string("EcdsaP256");
    });

TEST_P(Pkcs11KeyTest, GeneratedKeySignsVerifiably) {
  ASSERT_OK_AND_ASSIGN(auto signer,
                       GeneratePkcs11Key(Location(), kPin, GetParam()));
  EXPECT_EQ(signer->algorithm(), GetParam());
  EXPECT_EQ(signer->public_key().size(),
            GetParam() == v1::SIGNATURE_ALGORITHM_ED25519 ? 32u : 65u);
  EXPECT_EQ(signer->key_id(), KeyIdOf(signer->public_key()));

  ASSERT_OK_AND_ASSIGN(std::string signature, signer->Sign("license set"));
  EXPECT_EQ(signature.size(), kSignatureSize);
  ExpectVerifies(*signer, "license set", signature);

  ASSERT_OK_AND_ASSIGN(auto verifier, Verifier::Create(signer->algorithm(),
                                                       signer->public_key()));
  EXPECT_THAT(verifier->Verify("license sex", signature),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(Pkcs11KeyTest, ReopenedKeyHasTheSamePublicKeyAndSigns) {
  std::string public_key;
  {
    ASSERT_OK_AND_ASSIGN(auto generated,
                         GeneratePkcs11Key(Location(), kPin, GetParam()));
    public_key = generated->public_key();
    // Opened while the generating signer still holds the token logged in.
    ASSERT_OK_AND_ASSIGN(auto opened, OpenPkcs11Key(Location(), kPin));
    EXPECT_EQ(opened->public_key(), public_key);
    EXPECT_EQ(opened->key_id(), generated->key_id());
    EXPECT_EQ(opened->algorithm(), GetParam());
    ASSERT_OK_AND_ASSIGN(std::string signature, opened->Sign("message"));
    ExpectVerifies(*generated, "message", signature);
  }
  // Opened after the module was finalised: the key is on the token.
  ASSERT_OK_AND_ASSIGN(auto reopened, OpenPkcs11Key(Location(), kPin));
  EXPECT_EQ(reopened->public_key(), public_key);
  ASSERT_OK_AND_ASSIGN(std::string signature, reopened->Sign("message"));
  ExpectVerifies(*reopened, "message", signature);
}

TEST_P(Pkcs11KeyTest, GeneratingAnExistingLabelIsAlreadyExists) {
  ASSERT_OK_AND_ASSIGN(auto first,
                       GeneratePkcs11Key(Location(), kPin, GetParam()));
  for (SignatureAlgorithm algorithm :
       {v1::SIGNATURE_ALGORITHM_ED25519,
        v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256}) {
    EXPECT_THAT(
        GeneratePkcs11Key(Location(), kPin, algorithm),
        StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(kKeyLabel)));
  }
  // The refusal left the first key alone and added nothing.
  ASSERT_OK_AND_ASSIGN(auto opened, OpenPkcs11Key(Location(), kPin));
  EXPECT_EQ(opened->public_key(), first->public_key());
}

TEST_P(Pkcs11KeyTest, TwoKeysOnOneTokenSignIndependently) {
  ASSERT_OK_AND_ASSIGN(auto first,
                       GeneratePkcs11Key(Location("first"), kPin, GetParam()));
  ASSERT_OK_AND_ASSIGN(auto second,
                       GeneratePkcs11Key(Location("second"), kPin, GetParam()));
  EXPECT_NE(first->key_id(), second->key_id());
  ASSERT_OK_AND_ASSIGN(std::string signature, second->Sign("message"));
  ExpectVerifies(*second, "message", signature);
  ASSERT_OK_AND_ASSIGN(
      auto verifier, Verifier::Create(first->algorithm(), first->public_key()));
  EXPECT_THAT(verifier->Verify("message", signature), Not(IsOk()));
}

TEST_P(Pkcs11KeyTest, ConcurrentSignaturesAllVerify) {
  ASSERT_OK_AND_ASSIGN(auto signer,
                       GeneratePkcs11Key(Location(), kPin, GetParam()));
  constexpr int kThreads = 4;
  constexpr int kSignaturesPerThread = 25;
  std::vector<std::vector<absl::StatusOr<std::string>>> signatures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&signer, &signatures, t] {
      for (int i = 0; i < kSignaturesPerThread; ++i) {
        signatures[t].push_back(signer->Sign(absl::StrCat("message ", t, i)));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  ASSERT_OK_AND_ASSIGN(auto verifier, Verifier::Create(signer->algorithm(),
                                                       signer->public_key()));
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(signatures[t].size(), kSignaturesPerThread);
    for (int i = 0; i < kSignaturesPerThread; ++i) {
      ASSERT_THAT(signatures[t][i], IsOk());
      EXPECT_THAT(
          verifier->Verify(absl::StrCat("message ", t, i), *signatures[t][i]),
          IsOk())
          << "thread " << t << " signature " << i;
    }
  }
}

// Threads that open and drop signers race the module's and the login's
// teardown against their re-creation.
TEST_P(Pkcs11KeyTest, ConcurrentOpensAndClosesAllSign) {
  std::string public_key;
  {
    ASSERT_OK_AND_ASSIGN(auto generated,
                         GeneratePkcs11Key(Location(), kPin, GetParam()));
    public_key = generated->public_key();
  }
  ASSERT_OK_AND_ASSIGN(auto verifier, Verifier::Create(GetParam(), public_key));
  constexpr int kThreads = 4;
  constexpr int kOpensPerThread = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, &verifier] {
      for (int i = 0; i < kOpensPerThread; ++i) {
        absl::StatusOr<std::unique_ptr<Signer>> signer =
            OpenPkcs11Key(Location(), kPin);
        ASSERT_THAT(signer, IsOk());
        absl::StatusOr<std::string> signature = (*signer)->Sign("message");
        ASSERT_THAT(signature, IsOk());
        EXPECT_THAT(verifier->Verify("message", *signature), IsOk());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// Returns the one private key labelled `label`, found with raw Cryptoki.
CK_OBJECT_HANDLE FindPrivateKeyOrZero(const internal::CryptokiSession& session,
                                      std::string label) {
  const CK_FUNCTION_LIST& api = session.api();
  CK_OBJECT_CLASS private_class = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE match[] = {{CKA_CLASS, &private_class, sizeof(private_class)},
                          {CKA_LABEL, label.data(), label.size()}};
  CK_OBJECT_HANDLE keys[2] = {};
  CK_ULONG count = 0;
  if (api.C_FindObjectsInit(session.handle(), match, 2) != CKR_OK) return 0;
  CK_RV rv = api.C_FindObjects(session.handle(), keys, 2, &count);
  api.C_FindObjectsFinal(session.handle());
  return rv == CKR_OK && count == 1 ? keys[0] : 0;
}

// Reads attributes of the private key with raw Cryptoki calls, as anyone
// holding the PIN could: its value must stay on the token.
TEST_P(Pkcs11KeyTest, PrivateKeyCannotBeReadOffTheToken) {
  ASSERT_OK_AND_ASSIGN(auto signer,
                       GeneratePkcs11Key(Location(), kPin, GetParam()));
  ASSERT_OK_AND_ASSIGN(auto module,
                       internal::CryptokiModule::Load(kDefaultPkcs11Module));
  ASSERT_OK_AND_ASSIGN(CK_SLOT_ID slot, module->FindTokenSlot(kTokenLabel));
  ASSERT_OK_AND_ASSIGN(auto login, internal::TokenLogin::Acquire(
                                       module, slot, kTokenLabel, kPin));
  ASSERT_OK_AND_ASSIGN(auto session, internal::TokenLogin::OpenSession(
                                         login, /*read_write=*/false));
  const CK_FUNCTION_LIST& api = session->api();
  const CK_OBJECT_HANDLE key = FindPrivateKeyOrZero(*session, kKeyLabel);
  ASSERT_NE(key, 0u);

  unsigned char value[256];
  CK_ATTRIBUTE value_attribute = {CKA_VALUE, value, sizeof(value)};
  EXPECT_EQ(
      api.C_GetAttributeValue(session->handle(), key, &value_attribute, 1),
      CKR_ATTRIBUTE_SENSITIVE);
  EXPECT_EQ(value_attribute.ulValueLen, CK_UNAVAILABLE_INFORMATION);

  CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
  CK_BBOOL never_extractable = CK_FALSE, always_sensitive = CK_FALSE;
  CK_BBOOL on_token = CK_FALSE, signs = CK_FALSE, derives = CK_TRUE;
  CK_ATTRIBUTE flags[] = {
      {CKA_SENSITIVE, &sensitive, sizeof(CK_BBOOL)},
      {CKA_EXTRACTABLE, &extractable, sizeof(CK_BBOOL)},
      {CKA_NEVER_EXTRACTABLE, &never_extractable, sizeof(CK_BBOOL)},
      {CKA_ALWAYS_SENSITIVE, &always_sensitive, sizeof(CK_BBOOL)},
      {CKA_TOKEN, &on_token, sizeof(CK_BBOOL)},
      {CKA_SIGN, &signs, sizeof(CK_BBOOL)},
      {CKA_DERIVE, &derives, sizeof(CK_BBOOL)}};
  ASSERT_EQ(
      api.C_GetAttributeValue(session->handle(), key, flags, std::size(flags)),
      CKR_OK);
  EXPECT_EQ(sensitive, CK_TRUE);
  EXPECT_EQ(extractable, CK_FALSE);
  EXPECT_EQ(never_extractable, CK_TRUE);
  EXPECT_EQ(always_sensitive, CK_TRUE);
  EXPECT_EQ(on_token, CK_TRUE);
  EXPECT_EQ(signs, CK_TRUE);
  EXPECT_EQ(derives, CK_FALSE);
}

TEST_F(Pkcs11KeystoreTest, WrongPinIsPermissionDenied) {
  const auto wrong_pin_error =
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(HasSubstr(kTokenLabel), HasSubstr("C_Login"),
                     HasSubstr("CKR_PIN_INCORRECT (0xa0)"),
                     Not(HasSubstr("wrong-pin")), Not(HasSubstr(kPin))));
  EXPECT_THAT(GeneratePkcs11Key(Location(), "wrong-pin",
                                v1::SIGNATURE_ALGORITHM_ED25519),
              wrong_pin_error);
  {
    ASSERT_OK_AND_ASSIGN(
        auto generated,
        GeneratePkcs11Key(Location(), kPin, v1::SIGNATURE_ALGORITHM_ED25519));
  }
  EXPECT_THAT(OpenPkcs11Key(Location(), "wrong-pin"), wrong_pin_error);
}

// A token stays logged in for the whole process while a signer uses it: a
// later open must still prove it knows the PIN.
TEST_F(Pkcs11KeystoreTest, WrongPinIsPermissionDeniedWhileLoggedIn) {
  ASSERT_OK_AND_ASSIGN(
      auto signer,
      GeneratePkcs11Key(Location(), kPin, v1::SIGNATURE_ALGORITHM_ED25519));
  EXPECT_THAT(OpenPkcs11Key(Location(), "wrong-pin"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr(kTokenLabel), Not(HasSubstr(kPin)),
                             Not(HasSubstr("wrong-pin")))));
  EXPECT_THAT(GeneratePkcs11Key(Location("other"), "wrong-pin",
                                v1::SIGNATURE_ALGORITHM_ED25519),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(OpenPkcs11Key(Location(), kPin), IsOk());
}

// Two spellings of one library are one module (dlopen returns the same
// handle, initialised once) and share the token's login.
TEST_F(Pkcs11KeystoreTest, ModuleReachedThroughASymlinkIsShared) {
  ASSERT_OK_AND_ASSIGN(
      auto generated,
      GeneratePkcs11Key(Location(), kPin, v1::SIGNATURE_ALGORITHM_ED25519));
  ::superlicense::testing::TempDir dir;
  const std::string link = dir.File("libpkcs11.so");
  ASSERT_EQ(symlink(kDefaultPkcs11Module, link.c_str()), 0);
  Pkcs11Location location = Location();
  location.module = link;
  ASSERT_OK_AND_ASSIGN(auto opened, OpenPkcs11Key(location, kPin));
  EXPECT_EQ(opened->public_key(), generated->public_key());
}

// When other code in the process logged the token in, the keystore cannot
// check the PIN it is given, so it refuses rather than trusting it.
TEST_F(Pkcs11KeystoreTest, TokenLoggedInByOtherCodeIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(auto module,
                       internal::CryptokiModule::Load(kDefaultPkcs11Module));
  ASSERT_OK_AND_ASSIGN(CK_SLOT_ID slot, module->FindTokenSlot(kTokenLabel));
  const CK_FUNCTION_LIST& api = module->api();
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  ASSERT_EQ(
      api.C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session),
      CKR_OK);
  std::string pin = kPin;
  ASSERT_EQ(api.C_Login(session, CKU_USER,
                        reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size()),
            CKR_OK);

  EXPECT_THAT(
      GeneratePkcs11Key(Location(), "wrong-pin",
                        v1::SIGNATURE_ALGORITHM_ED25519),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("C_Login: CKR_USER_ALREADY_LOGGED_IN (0x100)")));
  api.C_Logout(session);
  api.C_CloseSession(session);
}

TEST_F(Pkcs11KeystoreTest, UnknownTokenLabelIsNotFound) {
  Pkcs11Location location = Location();
  location.token_label = "no-such-token";
  EXPECT_THAT(
      OpenPkcs11Key(location, kPin),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-token")));
  EXPECT_THAT(
      GeneratePkcs11Key(location, kPin, v1::SIGNATURE_ALGORITHM_ED25519),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-token")));
}

TEST_F(Pkcs11KeystoreTest, UnknownKeyLabelIsNotFound) {
  EXPECT_THAT(OpenPkcs11Key(Location("no-such-key"), kPin),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-key")));
}

TEST_F(Pkcs11KeystoreTest, TokenLabelLongerThan32BytesIsInvalidArgument) {
  Pkcs11Location location = Location();
  location.token_label = std::string(33, 't');
  EXPECT_THAT(OpenPkcs11Key(location, kPin),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11KeystoreTest, EmptyKeyLabelIsInvalidArgument) {
  EXPECT_THAT(OpenPkcs11Key(Location(""), kPin),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11KeystoreTest, UnspecifiedAlgorithmIsInvalidArgument) {
  EXPECT_THAT(
      GeneratePkcs11Key(Location(), kPin, v1::SIGNATURE_ALGORITHM_UNSPECIFIED),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(Pkcs11KeystoreTest, MissingModuleIsUnavailable) {
  Pkcs11Location location = Location();
  location.module = "/nonexistent/libpkcs11.so";
  EXPECT_THAT(OpenPkcs11Key(location, kPin),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("/nonexistent/libpkcs11.so")));
}

// --- CKA_EC_POINT decoding -------------------------------------------------

TEST(RawPointFromEcPointTest, UnwrapsDerOctetStrings) {
  const std::string point32(32, '\x07');
  EXPECT_EQ(
      internal::RawPointFromEcPoint("\x04\x20" + point32, 32).value_or(""),
      point32);
  const std::string point65 = "\x04" + std::string(64, '\x09');
  EXPECT_EQ(
      internal::RawPointFromEcPoint("\x04\x41" + point65, 65).value_or(""),
      point65);
  const std::string point133 = "\x04" + std::string(132, '\x05');
  EXPECT_EQ(internal::RawPointFromEcPoint("\x04\x81\x85" + point133, 133)
                .value_or(""),
            point133);
}

// A bare point may itself start like a DER OCTET STRING.
TEST(RawPointFromEcPointTest, AcceptsBarePoints) {
  const std::string point32 = "\x04\x1e" + std::string(30, '\x04');
  EXPECT_EQ(internal::RawPointFromEcPoint(point32, 32).value_or(""), point32);
  const std::string point65 = "\x04\x3f" + std::string(63, '\x41');
  EXPECT_EQ(internal::RawPointFromEcPoint(point65, 65).value_or(""), point65);
}

TEST(RawPointFromEcPointTest, RejectsOtherEncodings) {
  const std::string point32(32, '\x07');
  for (const std::string& bad : {
           "\x03\x20" + point32,            // BIT STRING, not OCTET STRING
           "\x04\x1f" + point32.substr(1),  // OCTET STRING of 31 bytes
           "\x04\x21" + point32,            // length beyond the end
           "\x04\x81\x20" + point32,        // long form where short is due
           "\x04\x80" + point32,            // indefinite length
           point32.substr(1),               // bare, too short
           std::string(),
       }) {
    EXPECT_THAT(internal::RawPointFromEcPoint(bad, 32),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << absl::CHexEscape(bad);
  }
}

// --- pkcs11: URIs -----------------------------------------------------------

TEST(ParsePkcs11UriTest, ParsesTokenAndObject) {
  ASSERT_OK_AND_ASSIGN(Pkcs11Location location,
                       ParsePkcs11Uri("pkcs11:token=signing;object=root-2026"));
  EXPECT_EQ(location.token_label, "signing");
  EXPECT_EQ(location.key_label, "root-2026");
  EXPECT_EQ(location.module, kDefaultPkcs11Module);
}

TEST(ParsePkcs11UriTest, ParsesModuleInAnyOrder) {
  ASSERT_OK_AND_ASSIGN(
      Pkcs11Location location,
      ParsePkcs11Uri("pkcs11:module=/opt/hsm/lib.so;object=k;token=t"));
  EXPECT_EQ(location.module, "/opt/hsm/lib.so");
  EXPECT_EQ(location.token_label, "t");
  EXPECT_EQ(location.key_label, "k");
}

TEST(ParsePkcs11UriTest, DecodesPercentEscapes) {
  ASSERT_OK_AND_ASSIGN(
      Pkcs11Location location,
      ParsePkcs11Uri("pkcs11:token=Super%20License%3b%3D;object=key%2f1%25;"
                     "module=%2Fusr%2Flib%2Fmy%20hsm.so"));
  EXPECT_EQ(location.token_label, "Super License;=");
  EXPECT_EQ(location.key_label, "key/1%");
  EXPECT_EQ(location.module, "/usr/lib/my hsm.so");
}

struct BadUri {
  const char* name;
  const char* uri;
  const char* named_in_message;
};

// Names the case by its URI in test output (and in ctest's test names).
void PrintTo(const BadUri& bad, std::ostream* os) { *os << bad.uri; }

class ParsePkcs11UriBadTest : public ::testing::TestWithParam<BadUri> {};

TEST_P(ParsePkcs11UriBadTest, IsInvalidArgumentNamingTheProblem) {
  EXPECT_THAT(ParsePkcs11Uri(GetParam().uri),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(GetParam().named_in_message)));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParsePkcs11UriBadTest,
    ::testing::Values(
        BadUri{"MissingToken", "pkcs11:object=k", "\"token\" is missing"},
        BadUri{"MissingObject", "pkcs11:token=t", "\"object\" is missing"},
        BadUri{"EmptyPath", "pkcs11:", "\"token\" is missing"},
        BadUri{"UnknownAttribute", "pkcs11:token=t;object=k;slot-id=3",
               "unknown attribute \"slot-id\""},
        BadUri{"WrongScheme", "pkcs12:token=t;object=k", "pkcs11:"},
        BadUri{"NoScheme", "token=t;object=k", "pkcs11:"},
        BadUri{"DuplicateAttribute", "pkcs11:token=t;token=u;object=k",
               "\"token\" appears twice"},
        BadUri{"EmptyValue", "pkcs11:token=;object=k", "\"token\" is empty"},
        BadUri{"NoValue", "pkcs11:token;object=k", "\"token\" is empty"},
        BadUri{"TruncatedEscape", "pkcs11:token=t;object=k%2",
               "\"object\" has a bad %-escape"},
        BadUri{"NonHexEscape", "pkcs11:token=t%zz;object=k",
               "\"token\" has a bad %-escape"},
        BadUri{"QueryAttributes", "pkcs11:token=t;object=k?module-path=/x",
               "query"}),
    [](const ::testing::TestParamInfo<BadUri>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(ParsePkcs11UriTest, NeverEchoesAPinValue) {
  for (const char* uri : {"pkcs11:token=t;object=k;pin-value=s3cret-pin",
                          "pkcs11:token=t;object=k?pin-value=s3cret-pin"}) {
    EXPECT_THAT(ParsePkcs11Uri(uri),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         Not(HasSubstr("s3cret-pin"))))
        << uri;
  }
}

}  // namespace
}  // namespace superlicense::keys
