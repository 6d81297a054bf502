// What the fuzz targets of tests/fuzz share: the fixed test trust chain of
// tests/data/format (a root key made from a PUBLIC test seed, so that the
// committed license_set.lic verifies), a temporary directory per process for
// parsers that read files, and reading and writing whole files.
//
// Everything here aborts on failure: a fuzzer whose set-up fails must stop,
// not fuzz a different path silently.
#ifndef SUPERLICENSE_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define SUPERLICENSE_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "keys/signer.h"
#include "keys/trust_store.h"
#include "superlicense/v1/license.pb.h"

namespace superlicense::fuzzing {

// The moment every fuzzer verifies at: 2027-01-01T01:00:00Z, an hour after
// the test set of tests/data/format was issued, inside its certificate.
absl::Time FuzzNow();

// Returns the root signer of tests/data/format/vectors.textproto (its seed
// is SHA-256 of a fixed label; PUBLIC, never trust it outside tests).
std::unique_ptr<keys::Signer> TestRootSigner();

// Returns a trust bundle of `version` with the test root as its only root
// (threshold 1), signed by it.
v1::SignedTrustBundle TestTrustBundle(uint64_t version);

// Returns the store anchored in TestTrustBundle(1); built once.
const keys::TrustStore& TestTrustStore();

// Returns the bytes of tests/data/`relative_path`.
std::string ReadTestData(const std::string& relative_path);

// Returns the bytes of `path`.
std::string ReadFileOrDie(const std::string& path);

// Writes `bytes` to `path`, replacing it.
void WriteFileOrDie(const std::string& path, absl::string_view bytes);

// A directory under $TMPDIR (or /tmp), removed with its content when the
// object is destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Returns path()/name.
  std::string File(absl::string_view name) const;

 private:
  std::string path_;
};

// Returns this process's temporary directory, created on first use and
// removed when the process exits normally (libFuzzer's -max_total_time and
// -runs exit that way).
const TempDir& ProcessTempDir();

// Prints "what: status" to stderr when SUPERLICENSE_FUZZ_VERBOSE is set in
// the environment (to see which path a seed takes); does nothing otherwise.
void Report(absl::string_view what, const absl::Status& status);

// Returns the input as a string_view.
inline absl::string_view AsView(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace superlicense::fuzzing

#endif  // SUPERLICENSE_TESTS_FUZZ_FUZZ_SUPPORT_H_
