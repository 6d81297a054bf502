// The root key ceremony: the vendor's root key exists only in locked memory
// (Botan::secure_vector) while it is made or used, and on disk only as M-of-N
// Shamir shares (Botan RTSS). Share file layout: docs/KEYS.md.
#ifndef SUPERLICENSE_KEYS_ROOT_CEREMONY_H_
#define SUPERLICENSE_KEYS_ROOT_CEREMONY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/signer.h"

namespace superlicense::keys {

struct RootCeremonyOptions {
  int shares = 5;     // N: share files written, 2..255
  int threshold = 3;  // M: shares needed to rebuild, 2..N
  SignatureAlgorithm algorithm = v1::SIGNATURE_ALGORITHM_ED25519;
  std::string name = "root";  // label of the root key, e.g. "root-2027"
};

struct RootCeremonyResult {
  std::string ceremony_id;  // 32 hex digits, named in every share
  v1::PublicKey root_key;   // also written as root.pub.json
  std::vector<std::string> share_files;
};

// Makes a root key and writes into `out_dir` (created if missing, must be
// empty of ceremony files) share-1-of-N.txt ... share-N-of-N.txt (mode 0600)
// and root.pub.json. The whole private key is never written.
// INVALID_ARGUMENT for bad counts; ALREADY_EXISTS when a file exists.
absl::StatusOr<RootCeremonyResult> RunRootCeremony(
    const std::string& out_dir, const RootCeremonyOptions& options);

// Rebuilds the root key from share files and returns it as a Signer (the key
// stays in locked memory and is wiped when the Signer is destroyed).
// INVALID_ARGUMENT naming the file for an unreadable or corrupt share, a
// repeated share, shares of different ceremonies, or fewer shares than the
// threshold; DATA_LOSS when the rebuilt key does not match the ceremony.
absl::StatusOr<std::unique_ptr<Signer>> RebuildRootKey(
    const std::vector<std::string>& share_files);

}  // namespace superlicense::keys

#endif  // SUPERLICENSE_KEYS_ROOT_CEREMONY_H_
