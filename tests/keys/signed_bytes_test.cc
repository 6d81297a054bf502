#include "keys/signed_bytes.h"

#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/software_signer.h"
#include "tests/support/status_matchers.h"

namespace superlicense::keys {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;

// The example of the DSSE v1 specification.
TEST(PreAuthEncodeTest, MatchesDsseSpecificationExample) {
  EXPECT_EQ(PreAuthEncode("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
}

TEST(PreAuthEncodeTest, LengthsSeparateTypeFromPayload) {
  // Moving bytes between type and payload changes the encoding.
  EXPECT_NE(PreAuthEncode("ab", "c"), PreAuthEncode("a", "bc"));
  EXPECT_EQ(PreAuthEncode("", ""), "DSSEv1 0  0 ");
}

TEST(PayloadTypesTest, AreDistinct) {
  std::set<absl::string_view> types = {
      kLicenseSetPayloadType, kModuleLicensePayloadType,
      kOwnerKeyCertificatePayloadType, kTrustBundlePayloadType};
  EXPECT_EQ(types.size(), 4u);
}

v1::ModuleLicense SampleRow() {
  v1::ModuleLicense row;
  row.set_module_name("quote-cal");
  row.set_description("Quote");
  row.set_tooltip("tip");
  row.set_module_version("1");
  row.set_license_type(v1::LICENSE_TYPE_USER);
  row.set_license_number(3);
  row.set_allowed_assocs_mask(1);
  row.set_extra_flags(0);
  row.set_extra_info("x");
  row.set_sort_order(60);
  row.set_prerequisite_module("user");
  return row;
}

RowBinding SampleBinding() {
  RowBinding binding;
  binding.owner_name = "SUPEROFFICE";
  binding.serial = "1010000014";
  binding.site_kind = v1::SITE_KIND_CENTRAL;
  binding.set_version = 3;
  return binding;
}

// Every field of the row and of its binding changes the signed bytes.
TEST(RowBytesTest, EveryFieldIsCovered) {
  const std::string base = RowBytes(SampleBinding(), SampleRow());
  std::set<std::string> seen = {base};
  auto expect_new = [&](const RowBinding& binding, const v1::ModuleLicense& row,
                        const char* what) {
    EXPECT_TRUE(seen.insert(RowBytes(binding, row)).second) << what;
  };
  {
    RowBinding b = SampleBinding();
    b.owner_name = "PARTNER";
    expect_new(b, SampleRow(), "owner_name");
    b = SampleBinding();
    b.serial = "1010000024";
    expect_new(b, SampleRow(), "serial");
    b = SampleBinding();
    b.site_kind = v1::SITE_KIND_SATELLITE;
    expect_new(b, SampleRow(), "site_kind");
    b = SampleBinding();
    b.satellite_id = 7;
    expect_new(b, SampleRow(), "satellite_id");
    b = SampleBinding();
    b.set_version = 4;
    expect_new(b, SampleRow(), "set_version");
  }
  const auto mutations =
      std::vector<std::pair<const char*, void (*)(v1::ModuleLicense*)>>{
          {"module_name",
           [](v1::ModuleLicense* r) { r->set_module_name("sale-cal"); }},
          {"description",
           [](v1::ModuleLicense* r) { r->set_description("Q"); }},
          {"tooltip", [](v1::ModuleLicense* r) { r->set_tooltip(""); }},
          {"module_version",
           [](v1::ModuleLicense* r) { r->set_module_version("2"); }},
          {"license_type",
           [](v1::ModuleLicense* r) {
             r->set_license_type(v1::LICENSE_TYPE_SITE);
           }},
          {"license_number",
           [](v1::ModuleLicense* r) { r->set_license_number(4); }},
          {"allowed_assocs_mask",
           [](v1::ModuleLicense* r) { r->set_allowed_assocs_mask(3); }},
          {"extra_flags", [](v1::ModuleLicense* r) { r->set_extra_flags(1); }},
          {"extra_info",
           [](v1::ModuleLicense* r) { r->set_extra_info("set=user"); }},
          {"sort_order", [](v1::ModuleLicense* r) { r->set_sort_order(61); }},
          {"unrestricted",
           [](v1::ModuleLicense* r) { r->set_unrestricted(true); }},
          {"hidden", [](v1::ModuleLicense* r) { r->set_hidden(true); }},
          {"prerequisite_module",
           [](v1::ModuleLicense* r) { r->set_prerequisite_module(""); }},
      };
  for (const auto& [name, mutate] : mutations) {
    v1::ModuleLicense row = SampleRow();
    mutate(&row);
    expect_new(SampleBinding(), row, name);
  }
}

// The licensecc attack: moving the boundary between adjacent text fields
// ("valid-to = 2020" -> "valid-t = o2020") must change the signed bytes.
TEST(RowBytesTest, MovingBytesBetweenAdjacentFieldsChangesEncoding) {
  v1::ModuleLicense a = SampleRow();
  a.set_description("valid-to");
  a.set_tooltip("2020");
  v1::ModuleLicense b = SampleRow();
  b.set_description("valid-t");
  b.set_tooltip("o2020");
  EXPECT_NE(RowBytes(SampleBinding(), a), RowBytes(SampleBinding(), b));
}

TEST(RowBytesTest, StartsWithLengthPrefixedOwnerName) {
  const std::string bytes = RowBytes(SampleBinding(), SampleRow());
  // Field 1, length 11 (big-endian u32), "SUPEROFFICE".
  EXPECT_EQ(absl::BytesToHexString(bytes.substr(0, 16)),
            "010000000b" + absl::BytesToHexString("SUPEROFFICE"));
}

TEST(RowsDigestTest, DependsOnRowOrderAndCount) {
  v1::LicenseSet set;
  set.mutable_owner()->set_owner_name("SUPEROFFICE");
  *set.add_module_licenses() = SampleRow();
  v1::ModuleLicense second = SampleRow();
  second.set_module_name("user");
  second.set_sort_order(70);
  *set.add_module_licenses() = second;
  const std::string digest = RowsDigest(set);
  EXPECT_EQ(digest.size(), 32u);

  v1::LicenseSet swapped = set;
  swapped.mutable_module_licenses()->SwapElements(0, 1);
  EXPECT_NE(RowsDigest(swapped), digest);

  v1::LicenseSet fewer = set;
  fewer.mutable_module_licenses()->RemoveLast();
  EXPECT_NE(RowsDigest(fewer), digest);
}

TEST(SignPayloadTest, SignatureBindsPayloadType) {
  ASSERT_OK_AND_ASSIGN(auto signer,
                       GenerateSoftwareSigner(v1::SIGNATURE_ALGORITHM_ED25519));
  ASSERT_OK_AND_ASSIGN(auto verifier, Verifier::Create(signer->algorithm(),
                                                       signer->public_key()));
  ASSERT_OK_AND_ASSIGN(v1::Signature signature,
                       SignPayload(*signer, kTrustBundlePayloadType, "body"));
  EXPECT_EQ(signature.key_id(), signer->key_id());
  EXPECT_THAT(VerifyPayloadSignature(*verifier, kTrustBundlePayloadType, "body",
                                     signature),
              IsOk());
  EXPECT_THAT(VerifyPayloadSignature(*verifier, kLicenseSetPayloadType, "body",
                                     signature),
              StatusIs(absl::StatusCode::kPermissionDenied));

  v1::Signature wrong_algorithm = signature;
  wrong_algorithm.set_algorithm(v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256);
  EXPECT_THAT(VerifyPayloadSignature(*verifier, kTrustBundlePayloadType, "body",
                                     wrong_algorithm),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::Signature wrong_key = signature;
  wrong_key.set_key_id(std::string(32, 'k'));
  EXPECT_THAT(VerifyPayloadSignature(*verifier, kTrustBundlePayloadType, "body",
                                     wrong_key),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace superlicense::keys
