// Sign and verify through Signer / Verifier against raw Botan calls in the
// same run (the wrappers should reach >= 0.9 of raw), and a whole license set
// check. Lives under keys/ because it includes Botan.
//   build/bin/signer_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/ed25519.h>
#include <botan/pubkey.h>
#include <botan/system_rng.h>
#include <google/protobuf/text_format.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "keys/license_set_envelope.h"
#include "keys/signed_bytes.h"
#include "keys/software_signer.h"

namespace superlicense::keys {
namespace {

// A message of the size of a typical row PAE.
const std::string& Message() {
  static const std::string* message = new std::string(300, 'r');
  return *message;
}

const uint8_t* Bytes(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

std::unique_ptr<Signer> NewSigner(SignatureAlgorithm algorithm) {
  return *GenerateSoftwareSigner(algorithm);
}

void BM_Ed25519_Sign_Signer(benchmark::State& state) {
  auto signer = NewSigner(v1::SIGNATURE_ALGORITHM_ED25519);
  for (auto _ : state) benchmark::DoNotOptimize(signer->Sign(Message()));
}
BENCHMARK(BM_Ed25519_Sign_Signer);

void BM_Ed25519_Sign_RawBotan(benchmark::State& state) {
  Botan::System_RNG rng;
  Botan::Ed25519_PrivateKey key(rng);
  Botan::PK_Signer signer(key, rng, "Pure");
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        signer.sign_message(Bytes(Message()), Message().size(), rng));
  }
}
BENCHMARK(BM_Ed25519_Sign_RawBotan);

void BM_Ed25519_Verify_Verifier(benchmark::State& state) {
  auto signer = NewSigner(v1::SIGNATURE_ALGORITHM_ED25519);
  auto verifier = *Verifier::Create(signer->algorithm(), signer->public_key());
  const std::string signature = *signer->Sign(Message());
  for (auto _ : state) {
    benchmark::DoNotOptimize(verifier->Verify(Message(), signature));
  }
}
BENCHMARK(BM_Ed25519_Verify_Verifier);

void BM_Ed25519_Verify_RawBotan(benchmark::State& state) {
  Botan::System_RNG rng;
  Botan::Ed25519_PrivateKey key(rng);
  Botan::PK_Signer signer(key, rng, "Pure");
  const auto signature =
      signer.sign_message(Bytes(Message()), Message().size(), rng);
  Botan::Ed25519_PublicKey public_key(key.get_public_key());
  Botan::PK_Verifier verifier(public_key, "Pure");
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        verifier.verify_message(Bytes(Message()), Message().size(),
                                signature.data(), signature.size()));
  }
}
BENCHMARK(BM_Ed25519_Verify_RawBotan);

void BM_EcdsaP256_Sign_Signer(benchmark::State& state) {
  auto signer = NewSigner(v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256);
  for (auto _ : state) benchmark::DoNotOptimize(signer->Sign(Message()));
}
BENCHMARK(BM_EcdsaP256_Sign_Signer);

void BM_EcdsaP256_Sign_RawBotan(benchmark::State& state) {
  Botan::System_RNG rng;
  Botan::ECDSA_PrivateKey key(rng, Botan::EC_Group("secp256r1"));
  Botan::PK_Signer signer(key, rng, "EMSA1(SHA-256)");
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        signer.sign_message(Bytes(Message()), Message().size(), rng));
  }
}
BENCHMARK(BM_EcdsaP256_Sign_RawBotan);

void BM_EcdsaP256_Verify_Verifier(benchmark::State& state) {
  auto signer = NewSigner(v1::SIGNATURE_ALGORITHM_ECDSA_P256_SHA256);
  auto verifier = *Verifier::Create(signer->algorithm(), signer->public_key());
  const std::string signature = *signer->Sign(Message());
  for (auto _ : state) {
    benchmark::DoNotOptimize(verifier->Verify(Message(), signature));
  }
}
BENCHMARK(BM_EcdsaP256_Verify_Verifier);

void BM_EcdsaP256_Verify_RawBotan(benchmark::State& state) {
  Botan::System_RNG rng;
  Botan::ECDSA_PrivateKey key(rng, Botan::EC_Group("secp256r1"));
  Botan::PK_Signer signer(key, rng, "EMSA1(SHA-256)");
  const auto signature =
      signer.sign_message(Bytes(Message()), Message().size(), rng);
  Botan::ECDSA_PublicKey public_key(key.domain(), key.public_point());
  Botan::PK_Verifier verifier(public_key, "EMSA1(SHA-256)");
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        verifier.verify_message(Bytes(Message()), Message().size(),
                                signature.data(), signature.size()));
  }
}
BENCHMARK(BM_EcdsaP256_Verify_RawBotan);

v1::LicenseSet SampleSet() {
  std::ifstream in(SUPERLICENSE_TEST_DATA_DIR
                   "/format/license_set_input.textproto");
  std::stringstream text;
  text << in.rdbuf();
  v1::LicenseSet set;
  google::protobuf::TextFormat::ParseFromString(text.str(), &set);
  return set;
}

// Signing a whole set: the owner signature and one per row (7 rows).
void BM_SignLicenseSet(benchmark::State& state) {
  auto signer = NewSigner(v1::SIGNATURE_ALGORITHM_ED25519);
  const v1::LicenseSet set = SampleSet();
  for (auto _ : state) {
    benchmark::DoNotOptimize(SignLicenseSet(set, *signer, {}));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignLicenseSet);

// Checking a whole set's signatures (8 verifications and the digest).
void BM_VerifyLicenseSetSignatures(benchmark::State& state) {
  auto signer = NewSigner(v1::SIGNATURE_ALGORITHM_ED25519);
  auto verifier = *Verifier::Create(signer->algorithm(), signer->public_key());
  const v1::SignedLicenseSet envelope =
      *SignLicenseSet(SampleSet(), *signer, {});
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyLicenseSetSignatures(envelope, *verifier));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyLicenseSetSignatures);

}  // namespace
}  // namespace superlicense::keys

BENCHMARK_MAIN();
