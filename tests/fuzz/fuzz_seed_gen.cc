// fuzz_seed_gen OUT_DIR: writes the seed inputs of the fuzzers that must be
// made by code into OUT_DIR/<fuzzer>/ (tests/fuzz/corpus when refreshing the
// committed seeds):
//   trust_bundle_fuzzer/     bundles signed by the PUBLIC test root
//   sealed_keystore_fuzzer/  keystores at the cheapest Argon2id cost the
//                            reader accepts, sealed under the fuzzer's
//                            passphrase
//   key_share_fuzzer/        shares of fresh ceremonies, joined by "%%" lines
//   license_set_envelope_fuzzer/, license_file_import_fuzzer/
//                            variants of tests/data/format/license_set.lic
//                            signed by its PUBLIC test owner key, so that
//                            the importer's checks after verification
//                            (serial, site, dates, version) are reached
// The other seeds are copies of committed files (corpus/README.md).
// Keys made here are fresh and worthless: only the fuzzers use them.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keys/license_set_envelope.h"
#include "keys/root_ceremony.h"
#include "keys/sealed_keystore.h"
#include "keys/sha256.h"
#include "keys/signed_bytes.h"
#include "keys/software_signer.h"
#include "keys/trust_store.h"
#include "tests/fuzz/fuzz_support.h"

namespace superlicense::fuzzing {
namespace {

void Check(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz_seed_gen: %s\n", status.ToString().c_str());
    std::exit(1);
  }
}

template <typename T>
T Value(absl::StatusOr<T> value) {
  Check(value.status());
  return *std::move(value);
}

std::string Directory(const std::string& out, const std::string& fuzzer) {
  const std::string dir = absl::StrCat(out, "/", fuzzer);
  std::filesystem::create_directories(dir);
  return dir;
}

v1::PublicKey PublicKeyOf(const keys::Signer& signer, const std::string& name) {
  v1::PublicKey key;
  key.set_key_id(signer.key_id());
  key.set_algorithm(signer.algorithm());
  key.set_public_key(signer.public_key());
  key.set_name(name);
  return key;
}

void WriteTrustBundles(const std::string& out) {
  const std::string dir = Directory(out, "trust_bundle_fuzzer");
  WriteFileOrDie(dir + "/v1.bundle", TestTrustBundle(1).SerializeAsString());
  WriteFileOrDie(dir + "/v2.bundle", TestTrustBundle(2).SerializeAsString());

  // Version 3: revokes the owner key of license_set.lic.
  const v1::SignedLicenseSet envelope = Value(
      keys::DecodeSignedLicenseSet(ReadTestData("format/license_set.lic")));
  const v1::OwnerKeyCertificate certificate =
      Value(TestTrustStore().VerifyOwnerCertificate(envelope.owner_key()));
  std::unique_ptr<keys::Signer> root = TestRootSigner();
  v1::TrustBundle bundle;
  bundle.set_version(3);
  bundle.set_issued_at(absl::ToUnixSeconds(FuzzNow()) - 3600);
  bundle.set_threshold(1);
  *bundle.add_root_keys() = PublicKeyOf(*root, "test-root");
  v1::Revocation* revocation = bundle.add_revocations();
  revocation->set_key_id(certificate.key().key_id());
  revocation->set_reason("key compromise");
  revocation->set_revoked_at(absl::ToUnixSeconds(FuzzNow()) - 86400);
  WriteFileOrDie(
      dir + "/v3-revokes-owner.bundle",
      Value(keys::SignTrustBundle(*root, bundle)).SerializeAsString());

  // Version 4: two roots (the second a P-256 key), threshold 2.
  std::unique_ptr<keys::Signer> second = Value(keys::InsecureTestSignerFromSeed(
      v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256,
      keys::Sha256("superlicense fuzz seed: second root")));
  bundle.clear_revocations();
  bundle.set_version(4);
  bundle.set_threshold(2);
  *bundle.add_root_keys() = PublicKeyOf(*second, "second-root");
  v1::SignedTrustBundle two = Value(keys::SignTrustBundle(*root, bundle));
  Check(keys::CosignTrustBundle(*second, &two));
  WriteFileOrDie(dir + "/v4-threshold-2.bundle", two.SerializeAsString());
}

void WriteSealedKeystores(const std::string& out) {
  const std::string dir = Directory(out, "sealed_keystore_fuzzer");
  keys::Argon2Params cheapest;
  cheapest.memory_kib = 8;
  cheapest.iterations = 1;
  cheapest.parallelism = 1;
  for (const auto& [name, algorithm] :
       {std::pair{"ed25519.key", v1::SIGNATURE_ALGORITHM_ED25519},
        std::pair{"p256.key", v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256}}) {
    const std::string path = absl::StrCat(dir, "/", name);
    std::filesystem::remove(path);
    Value(keys::CreateSealedKeystore(path, algorithm, "fuzz passphrase",
                                     "SUPEROFFICE", cheapest));
  }
}

std::string JoinShares(const std::vector<std::string>& paths) {
  std::vector<std::string> texts;
  for (const std::string& path : paths) texts.push_back(ReadFileOrDie(path));
  return absl::StrJoin(texts, "%%\n");
}

void WriteShares(const std::string& out) {
  const std::string dir = Directory(out, "key_share_fuzzer");
  TempDir temp;
  keys::RootCeremonyOptions options;  // 3 of 5, Ed25519
  options.name = "fuzz-root";
  const std::vector<std::string> s =
      Value(keys::RunRootCeremony(temp.File("ed25519"), options)).share_files;
  WriteFileOrDie(dir + "/three-of-five", JoinShares({s[0], s[2], s[4]}));
  WriteFileOrDie(dir + "/all-five", JoinShares(s));
  WriteFileOrDie(dir + "/two-of-five", JoinShares({s[1], s[3]}));
  WriteFileOrDie(dir + "/repeated", JoinShares({s[0], s[0], s[1]}));
  WriteFileOrDie(dir + "/one", JoinShares({s[3]}));

  options.shares = 3;
  options.threshold = 2;
  options.algorithm = v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256;
  options.name = "fuzz-root-p256";
  const std::vector<std::string> p =
      Value(keys::RunRootCeremony(temp.File("p256"), options)).share_files;
  WriteFileOrDie(dir + "/p256-two-of-three", JoinShares({p[0], p[2]}));
  // Shares of two different ceremonies.
  WriteFileOrDie(dir + "/mixed", JoinShares({s[0], p[1], s[2]}));
}

// Writes `set` signed by the test owner key of tests/data/format, with the
// certificate of license_set.lic, to both license set corpora.
void WriteSignedSet(const std::string& out, const std::string& name,
                    v1::LicenseSet set) {
  const v1::SignedLicenseSet original = Value(
      keys::DecodeSignedLicenseSet(ReadTestData("format/license_set.lic")));
  std::unique_ptr<keys::Signer> owner = Value(keys::InsecureTestSignerFromSeed(
      v1::SIGNATURE_ALGORITHM_ED25519,
      keys::Sha256("superlicense test vector: owner")));
  set.clear_rows_digest();
  const std::string bytes =
      Value(keys::SignLicenseSet(std::move(set), *owner, original.owner_key()))
          .SerializeAsString();
  for (const char* fuzzer :
       {"license_set_envelope_fuzzer", "license_file_import_fuzzer"}) {
    WriteFileOrDie(absl::StrCat(Directory(out, fuzzer), "/", name), bytes);
  }
}

void WriteSignedSets(const std::string& out) {
  const v1::SignedLicenseSet original = Value(
      keys::DecodeSignedLicenseSet(ReadTestData("format/license_set.lic")));
  v1::LicenseSet base;
  Check(keys::ParseStrict(original.payload(), "license set", &base));
  const int64_t now = absl::ToUnixSeconds(FuzzNow());

  v1::LicenseSet set = base;
  set.mutable_customer()->set_serial("1010000104");
  WriteSignedSet(out, "signed-other-serial.lic", set);

  set = base;
  set.mutable_site()->set_kind(v1::SITE_KIND_SATELLITE);
  set.mutable_site()->set_satellite_id(7);
  WriteSignedSet(out, "signed-satellite.lic", set);

  set = base;
  set.set_issued_at(now + 86400);
  WriteSignedSet(out, "signed-issued-tomorrow.lic", set);

  set = base;  // issued inside the certificate, graced before now
  set.set_issued_at(now - 12 * 3600);
  set.set_expiration(now - 6 * 3600);
  set.set_maintenance_to(now - 6 * 3600);
  set.set_grace_to(now - 3600);
  set.clear_next_check_date();
  set.clear_admin_warning_date();
  WriteSignedSet(out, "signed-past-grace.lic", set);

  set = base;
  set.set_version(4);
  set.mutable_module_licenses(3)->set_license_number(20);
  WriteSignedSet(out, "signed-v4-more.lic", set);

  set = base;
  set.set_version(4);
  set.mutable_module_licenses()->DeleteSubrange(1, 3);
  set.mutable_module_licenses(0)->set_unrestricted(true);
  WriteSignedSet(out, "signed-v4-fewer-rows.lic", set);
}

}  // namespace
}  // namespace superlicense::fuzzing

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_gen OUT_DIR\n");
    return 2;
  }
  const std::string out = argv[1];
  superlicense::fuzzing::WriteTrustBundles(out);
  superlicense::fuzzing::WriteSealedKeystores(out);
  superlicense::fuzzing::WriteShares(out);
  superlicense::fuzzing::WriteSignedSets(out);
  return 0;
}
