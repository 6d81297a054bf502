#include "keys/root_ceremony.h"

#include <botan/system_rng.h>
#include <botan/tss.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "keys/file_io.h"
#include "keys/internal/botan_keys.h"
#include "keys/public_key_file.h"
#include "keys/sha256.h"
#include "keys/status_macros.h"

namespace superlicense::keys {
namespace {

constexpr char kShareHeader[] = "SUPERLICENSE ROOT KEY SHARE 1";
constexpr size_t kMaxShareFileBytes = 8192;
constexpr size_t kCeremonyIdBytes = 16;

// One parsed share file. `data` is secret.
struct ShareFile {
  std::string path;
  std::string ceremony_id;  // hex
  std::string name;
  int index = 0;
  int shares = 0;
  int threshold = 0;
  SignatureAlgorithm algorithm = v1::SIGNATURE_ALGORITHM_UNSPECIFIED;
  std::string root_key_id;  // hex
  Botan::secure_vector<uint8_t> data;
};

// The fields of a share file, in their order; the checksum line follows.
constexpr const char* kShareFields[] = {"ceremony",    "name",      "share",
                                        "shares",      "threshold", "algorithm",
                                        "root-key-id", "data"};

std::string RenderShare(const ShareFile& share) {
  std::string body = absl::StrCat(
      kShareHeader, "\n", "ceremony: ", share.ceremony_id, "\n",
      "name: ", share.name, "\n", "share: ", share.index, "\n",
      "shares: ", share.shares, "\n", "threshold: ", share.threshold, "\n",
      "algorithm: ", AlgorithmName(share.algorithm), "\n",
      "root-key-id: ", share.root_key_id, "\n", "data: ",
      absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(share.data.data()), share.data.size())),
      "\n");
  return absl::StrCat(body, "checksum: ", absl::BytesToHexString(Sha256(body)),
                      "\n");
}

bool IsHex(absl::string_view s) {
  return !s.empty() && s.size() % 2 == 0 &&
         s.find_first_not_of("0123456789abcdef") == absl::string_view::npos;
}

absl::Status ShareError(const std::string& path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("share ", path, ": ", why));
}

// Splits "key: value" lines after the header; checks order and checksum.
absl::StatusOr<std::map<std::string, std::string>> ParseShareLines(
    const std::string& path, const std::string& text) {
  const size_t checksum_at = text.rfind("checksum: ");
  if (text.rfind(kShareHeader, 0) != 0 || checksum_at == std::string::npos) {
    return ShareError(path, "not a root key share file");
  }
  const std::string body = text.substr(0, checksum_at);
  const std::string checksum(absl::StripAsciiWhitespace(
      absl::string_view(text).substr(checksum_at + 10)));
  if (checksum != absl::BytesToHexString(Sha256(body))) {
    return ShareError(path, "corrupt (checksum mismatch)");
  }
  std::vector<std::string> lines =
      absl::StrSplit(body, '\n', absl::SkipEmpty());
  if (lines.size() != 1 + std::size(kShareFields)) {
    return ShareError(path, "has the wrong number of lines");
  }
  std::map<std::string, std::string> fields;
  for (size_t i = 0; i < std::size(kShareFields); ++i) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(lines[i + 1], absl::MaxSplits(": ", 1));
    if (kv.first != kShareFields[i]) {
      return ShareError(
          path, absl::StrCat("expected field \"", kShareFields[i], "\""));
    }
    fields[kv.first] = kv.second;
  }
  return fields;
}

absl::StatusOr<ShareFile> ReadShareFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileLimited(path, kMaxShareFileBytes);
  if (!text.ok()) return ShareError(path, text.status().message());
  ASSIGN_OR_RETURN(auto fields, ParseShareLines(path, *text));
  ShareFile share;
  share.path = path;
  share.ceremony_id = fields["ceremony"];
  share.name = fields["name"];
  share.root_key_id = fields["root-key-id"];
  absl::StatusOr<SignatureAlgorithm> algorithm =
      ParseAlgorithmName(fields["algorithm"]);
  if (!absl::SimpleAtoi(fields["share"], &share.index) ||
      !absl::SimpleAtoi(fields["shares"], &share.shares) ||
      !absl::SimpleAtoi(fields["threshold"], &share.threshold) ||
      !algorithm.ok() || !IsHex(share.ceremony_id) ||
      !IsHex(share.root_key_id) || !IsHex(fields["data"])) {
    return ShareError(path, "has a malformed field");
  }
  share.algorithm = *algorithm;
  const std::string data = absl::HexStringToBytes(fields["data"]);
  share.data.assign(data.begin(), data.end());
  return share;
}

absl::Status CheckCounts(const RootCeremonyOptions& options) {
  if (options.shares < 2 || options.shares > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("shares ", options.shares, " is not in 2..255"));
  }
  if (options.threshold < 2 || options.threshold > options.shares) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threshold ", options.threshold, " is not in 2..", options.shares));
  }
  if (options.name.empty() || options.name.size() > 64 ||
      options.name.find('\n') != std::string::npos) {
    return absl::InvalidArgumentError("name must be 1 to 64 bytes, one line");
  }
  return absl::OkStatus();
}

absl::Status CheckSharesAgree(const std::vector<ShareFile>& shares) {
  const ShareFile& first = shares.front();
  std::map<int, std::string> seen;
  for (const ShareFile& share : shares) {
    if (share.ceremony_id != first.ceremony_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shares of two different ceremonies: ", first.path, " is of ",
          first.ceremony_id, ", ", share.path, " of ", share.ceremony_id));
    }
    if (share.threshold != first.threshold || share.shares != first.shares ||
        share.algorithm != first.algorithm ||
        share.root_key_id != first.root_key_id) {
      return ShareError(share.path, "disagrees with " + first.path);
    }
    if (!seen.emplace(share.index, share.path).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "share ", share.index, " is given twice: ", seen[share.index],
          " and ", share.path));
    }
  }
  if (static_cast<int>(shares.size()) < first.threshold) {
    return absl::InvalidArgumentError(absl::StrCat(
        first.threshold, " shares are needed, ", shares.size(), " given"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Botan::secure_vector<uint8_t>> Combine(
    const std::vector<ShareFile>& shares) {
  try {
    std::vector<Botan::RTSS_Share> rtss;
    for (const ShareFile& share : shares) {
      rtss.emplace_back(share.data.data(), share.data.size());
    }
    return Botan::RTSS_Share::reconstruct(rtss);
  } catch (const std::exception& e) {
    return absl::DataLossError(
        "the shares do not combine into the root key (a share is damaged)");
  }
}

}  // namespace

absl::StatusOr<RootCeremonyResult> RunRootCeremony(
    const std::string& out_dir, const RootCeremonyOptions& options) {
  RETURN_IF_ERROR(CheckCounts(options));
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create ", out_dir, ": ", error.message()));
  }
  Botan::System_RNG rng;
  ASSIGN_OR_RETURN(Botan::secure_vector<uint8_t> secret,
                   internal::GeneratePrivateBytes(options.algorithm, rng));
  ASSIGN_OR_RETURN(std::unique_ptr<Signer> root,
                   internal::SignerFromPrivateBytes(options.algorithm, secret));
  const Botan::secure_vector<uint8_t> id = rng.random_vec(kCeremonyIdBytes);

  RootCeremonyResult result;
  result.ceremony_id = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
  result.root_key = PublicKeyOf(*root, options.name);
  std::vector<Botan::RTSS_Share> parts;
  try {
    parts = Botan::RTSS_Share::split(
        static_cast<uint8_t>(options.threshold),
        static_cast<uint8_t>(options.shares), secret.data(),
        static_cast<uint16_t>(secret.size()),
        std::vector<uint8_t>(id.begin(), id.end()), "SHA-256", rng);
  } catch (const std::exception& e) {
    return internal::BotanError("split root key", e);
  }
  RETURN_IF_ERROR(WriteFileAtomically(out_dir + "/root.pub.json",
                                      PublicKeyToJson(result.root_key), 0644,
                                      WriteMode::kCreateNew));
  for (const Botan::RTSS_Share& part : parts) {
    ShareFile share;
    share.ceremony_id = result.ceremony_id;
    share.name = options.name;
    share.index = part.share_id();
    share.shares = options.shares;
    share.threshold = options.threshold;
    share.algorithm = options.algorithm;
    share.root_key_id = absl::BytesToHexString(root->key_id());
    share.data = part.data();
    const std::string path = absl::StrCat(out_dir, "/share-", share.index,
                                          "-of-", options.shares, ".txt");
    RETURN_IF_ERROR(WriteFileAtomically(path, RenderShare(share), 0600,
                                        WriteMode::kCreateNew));
    result.share_files.push_back(path);
  }
  return result;
}

absl::StatusOr<std::unique_ptr<Signer>> RebuildRootKey(
    const std::vector<std::string>& share_files) {
  if (share_files.empty()) {
    return absl::InvalidArgumentError("no share files given");
  }
  std::vector<ShareFile> shares;
  for (const std::string& path : share_files) {
    ASSIGN_OR_RETURN(ShareFile share, ReadShareFile(path));
    shares.push_back(std::move(share));
  }
  RETURN_IF_ERROR(CheckSharesAgree(shares));
  ASSIGN_OR_RETURN(Botan::secure_vector<uint8_t> secret, Combine(shares));
  absl::StatusOr<std::unique_ptr<Signer>> root =
      internal::SignerFromPrivateBytes(shares.front().algorithm, secret);
  if (!root.ok() ||
      absl::BytesToHexString((*root)->key_id()) != shares.front().root_key_id) {
    return absl::DataLossError(
        "the rebuilt key is not the root key of the ceremony");
  }
  return root;
}

}  // namespace superlicense::keys
