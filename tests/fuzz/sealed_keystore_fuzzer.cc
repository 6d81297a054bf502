// Fuzzes the bytes of a sealed keystore file (keys/sealed_keystore.h): the
// public header (ReadSealedKeystoreInfo) and opening it with the passphrase
// the seed keystores were sealed under (OpenSealedKeystore: Argon2id, then
// AES-256-GCM, then the private key).
//
// Each input is tried as given and, because the file ends in a SHA-256 of
// everything before it, once more with that checksum recomputed, so that
// mutations reach the header and body parser instead of stopping at the
// checksum.
//
// Argon2id cost: the reader accepts what the header records, up to 4 GiB and
// 64 passes (its own bounds). Deriving a key at the default cost (64 MiB)
// for every input would make the fuzzer slow and run into the RSS limit, so
// the passphrase path runs only when the recorded cost is small
// (kMaxFuzzMemoryKib, kMaxFuzzPasses); the seeds are sealed with the
// smallest cost the reader accepts (m=8 KiB, t=1, p=1). Larger recorded
// costs still go through the whole header parser and its bounds check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "keys/sealed_keystore.h"
#include "keys/sha256.h"
#include "keys/signer.h"
#include "tests/fuzz/fuzz_support.h"

namespace superlicense::fuzzing {
namespace {

// The passphrase of the seed keystores (fuzz_seed_gen).
constexpr char kPassphrase[] = "fuzz passphrase";
// Where the header records the Argon2id cost: after the 8-byte magic, the
// u16 version, the algorithm byte and the KDF byte (docs/KEYS.md).
constexpr size_t kArgon2Offset = 12;
constexpr uint32_t kMaxFuzzMemoryKib = 256;
constexpr uint32_t kMaxFuzzPasses = 4;
constexpr uint32_t kMaxFuzzLanes = 4;

uint32_t U32At(absl::string_view bytes, size_t offset) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<uint8_t>(bytes[offset + i]);
  }
  return value;
}

bool CheapToOpen(absl::string_view bytes) {
  if (bytes.size() < kArgon2Offset + 12) return false;
  return U32At(bytes, kArgon2Offset) <= kMaxFuzzMemoryKib &&
         U32At(bytes, kArgon2Offset + 4) <= kMaxFuzzPasses &&
         U32At(bytes, kArgon2Offset + 8) <= kMaxFuzzLanes;
}

void OpenFile(const std::string& path, absl::string_view bytes) {
  WriteFileOrDie(path, bytes);
  absl::StatusOr<keys::SealedKeystoreInfo> info =
      keys::ReadSealedKeystoreInfo(path);
  Report("info", info.status());
  if (!info.ok() || !CheapToOpen(bytes)) return;
  absl::StatusOr<std::unique_ptr<keys::Signer>> signer =
      keys::OpenSealedKeystore(path, kPassphrase);
  Report("open", signer.status());
  if (!signer.ok()) return;
  // An opened keystore must hold exactly the key its header announces.
  if ((*signer)->public_key() != info->public_key ||
      (*signer)->key_id() != info->key_id) {
    std::abort();
  }
  absl::StatusOr<std::string> signature = (*signer)->Sign("fuzz");
  absl::StatusOr<std::unique_ptr<keys::Verifier>> verifier =
      keys::Verifier::Create(info->algorithm, info->public_key);
  if (!signature.ok() || !verifier.ok() ||
      !(*verifier)->Verify("fuzz", *signature).ok()) {
    std::abort();
  }
}

}  // namespace
}  // namespace superlicense::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace superlicense;
  const std::string path = fuzzing::ProcessTempDir().File("sealed.key");
  const absl::string_view bytes = fuzzing::AsView(data, size);
  fuzzing::OpenFile(path, bytes);
  if (bytes.size() >= keys::kSha256Size) {
    const absl::string_view body =
        bytes.substr(0, bytes.size() - keys::kSha256Size);
    const std::string fixed = std::string(body) + keys::Sha256(body);
    if (fixed != bytes) fuzzing::OpenFile(path, fixed);
  }
  return 0;
}
