#include "tests/fuzz/fuzz_support.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "keys/sha256.h"
#include "keys/software_signer.h"

namespace superlicense::fuzzing {
namespace {

// The label whose SHA-256 is the root seed of tests/data/format
// (tests/support/format_vector_builder.cc).
constexpr char kTestRootLabel[] = "superlicense test vector: root";

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "fuzz set-up failed: %s\n", why.c_str());
  std::abort();
}

}  // namespace

absl::Time FuzzNow() { return absl::FromUnixSeconds(1798761600 + 3600); }

std::unique_ptr<keys::Signer> TestRootSigner() {
  absl::StatusOr<std::unique_ptr<keys::Signer>> root =
      keys::InsecureTestSignerFromSeed(v1::SIGNATURE_ALGORITHM_ED25519,
                                       keys::Sha256(kTestRootLabel));
  if (!root.ok()) Die(root.status().ToString());
  return *std::move(root);
}

v1::SignedTrustBundle TestTrustBundle(uint64_t version) {
  std::unique_ptr<keys::Signer> root = TestRootSigner();
  v1::TrustBundle bundle;
  bundle.set_version(version);
  bundle.set_issued_at(absl::ToUnixSeconds(FuzzNow()) - 86400);
  bundle.set_threshold(1);
  v1::PublicKey* key = bundle.add_root_keys();
  key->set_key_id(root->key_id());
  key->set_algorithm(root->algorithm());
  key->set_public_key(root->public_key());
  key->set_name("test-root");
  absl::StatusOr<v1::SignedTrustBundle> signed_bundle =
      keys::SignTrustBundle(*root, bundle);
  if (!signed_bundle.ok()) Die(signed_bundle.status().ToString());
  return *std::move(signed_bundle);
}

const keys::TrustStore& TestTrustStore() {
  static const keys::TrustStore* store = [] {
    absl::StatusOr<keys::TrustStore> anchored =
        keys::TrustStore::FromAnchor(TestTrustBundle(1));
    if (!anchored.ok()) Die(anchored.status().ToString());
    return new keys::TrustStore(*std::move(anchored));
  }();
  return *store;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (!in) Die(absl::StrCat("cannot read ", path));
  return bytes.str();
}

std::string ReadTestData(const std::string& relative_path) {
  return ReadFileOrDie(
      absl::StrCat(SUPERLICENSE_TEST_DATA_DIR, "/", relative_path));
}

void WriteFileOrDie(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) Die(absl::StrCat("cannot write ", path));
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      base != nullptr && *base != '\0' ? base : "/tmp", "/slfuzz-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    Die(absl::StrCat("mkdtemp ", pattern));
  }
  path_ = std::move(pattern);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::File(absl::string_view name) const {
  return absl::StrCat(path_, "/", name);
}

void Report(absl::string_view what, const absl::Status& status) {
  static const bool verbose =
      std::getenv("SUPERLICENSE_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()),
                 what.data(), status.ToString().c_str());
  }
}

const TempDir& ProcessTempDir() {
  // A function-local static: destroyed, and so removed, by exit().
  static const TempDir dir;
  return dir;
}

}  // namespace superlicense::fuzzing
