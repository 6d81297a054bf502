// Fuzzes root key share files (keys/root_ceremony.h): parsing each file and
// combining them (RebuildRootKey: field checks, agreement of the shares,
// Botan RTSS reconstruction, the rebuilt key against the ceremony's key id).
//
// An input is one or more share files separated by a line "%%" (kSeparator),
// at most kMaxShares of them. Each share file ends in a checksum line over
// everything before it; the input is tried as given and, when some checksum
// does not match, once more with every checksum recomputed, so mutations
// reach the field parser and the combination.
//
// Seeds: corpus/key_share_fuzzer/ (written by fuzz_seed_gen from a fresh
// 3-of-5 ceremony: enough shares, too few, a repeated share, ...).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "keys/root_ceremony.h"
#include "keys/sha256.h"
#include "tests/fuzz/fuzz_support.h"

namespace superlicense::fuzzing {
namespace {

constexpr char kSeparator[] = "%%\n";
constexpr size_t kMaxShares = 8;
constexpr char kChecksumField[] = "checksum: ";

// Returns `text` with its checksum line replaced by the right one (added
// when missing), as RunRootCeremony writes it.
std::string WithChecksum(absl::string_view text) {
  const size_t at = text.rfind(kChecksumField);
  const absl::string_view body =
      at == absl::string_view::npos ? text : text.substr(0, at);
  return absl::StrCat(body, kChecksumField,
                      absl::BytesToHexString(keys::Sha256(body)), "\n");
}

void Rebuild(const std::vector<std::string>& shares) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < shares.size(); ++i) {
    paths.push_back(ProcessTempDir().File(absl::StrCat("share-", i, ".txt")));
    WriteFileOrDie(paths.back(), shares[i]);
  }
  absl::StatusOr<std::unique_ptr<keys::Signer>> root =
      keys::RebuildRootKey(paths);
  Report("rebuild", root.status());
  if (root.ok() && (*root)->key_id().size() != keys::kKeyIdSize) {
    std::abort();
  }
}

}  // namespace
}  // namespace superlicense::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace superlicense;
  std::vector<std::string> shares =
      absl::StrSplit(fuzzing::AsView(data, size), fuzzing::kSeparator);
  if (shares.size() > fuzzing::kMaxShares) return 0;
  fuzzing::Rebuild(shares);
  std::vector<std::string> fixed;
  for (const std::string& share : shares) {
    fixed.push_back(fuzzing::WithChecksum(share));
  }
  if (fixed != shares) fuzzing::Rebuild(fixed);
  return 0;
}
