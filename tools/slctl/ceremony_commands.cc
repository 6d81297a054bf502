// slctl keys root-init | certify | trust-bundle | cosign: the offline
// ceremonies that hold the root key (rebuilt from shares, then wiped).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "keys/file_io.h"
#include "keys/public_key_file.h"
#include "keys/root_ceremony.h"
#include "keys/signed_bytes.h"
#include "keys/status_macros.h"
#include "keys/trust_store.h"
#include "tools/cli/cli_support.h"
#include "tools/cli/trust_bundle_files.h"
#include "tools/slctl/commands.h"

namespace superlicense::slctl {
namespace {

using cli::DescribeTrustBundle;
using cli::FormatDate;
using cli::Hex;
using cli::ReadTrustBundleFile;
using cli::RenderTrustBundle;

struct RootInitFlags {
  int shares = 5;
  int threshold = 3;
  std::string out;
  std::string algorithm = "ed25519";
  std::string name = "root";
};

absl::Status RunRootInit(const RootInitFlags& flags) {
  keys::RootCeremonyOptions options;
  options.shares = flags.shares;
  options.threshold = flags.threshold;
  options.name = flags.name;
  ASSIGN_OR_RETURN(options.algorithm,
                   keys::ParseAlgorithmName(flags.algorithm));
  ASSIGN_OR_RETURN(keys::RootCeremonyResult result,
                   keys::RunRootCeremony(flags.out, options));
  std::cout << "ceremony " << result.ceremony_id << ": root key "
            << Hex(result.root_key.key_id()) << " ("
            << keys::AlgorithmName(result.root_key.algorithm()) << "), "
            << flags.threshold << " of " << flags.shares << " shares\n";
  for (const std::string& file : result.share_files) {
    std::cout << "  share  " << file << "\n";
  }
  std::cout << "  public " << flags.out << "/root.pub.json\n"
            << "Give each share to a different custodian and move it off "
               "this machine; the whole root key was never written.\n";
  return absl::OkStatus();
}

struct CertifyFlags {
  std::vector<std::string> shares;
  std::string owner;
  std::string public_key;
  std::string valid_from;
  std::string valid_until;
  std::string out;
};

absl::Status RunCertify(const CertifyFlags& flags) {
  v1::OwnerKeyCertificate certificate;
  certificate.set_owner_name(flags.owner);
  ASSIGN_OR_RETURN(*certificate.mutable_key(),
                   keys::ReadPublicKeyFile(flags.public_key));
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  certificate.set_issued_at(now);
  certificate.set_valid_from(now);
  if (!flags.valid_from.empty()) {
    ASSIGN_OR_RETURN(int64_t from,
                     cli::ParseDate("--valid-from", flags.valid_from));
    certificate.set_valid_from(from);
  }
  ASSIGN_OR_RETURN(int64_t until,
                   cli::ParseDate("--valid-until", flags.valid_until));
  certificate.set_valid_until(until);
  ASSIGN_OR_RETURN(std::unique_ptr<keys::Signer> root,
                   keys::RebuildRootKey(flags.shares));
  ASSIGN_OR_RETURN(v1::SignedPublicKey signed_key,
                   keys::CertifyOwnerKey(*root, certificate));
  root.reset();  // wipes the rebuilt root key
  RETURN_IF_ERROR(cli::WriteOutput(flags.out, signed_key.SerializeAsString()));
  std::cout << "certified owner " << flags.owner << " key "
            << Hex(certificate.key().key_id()) << " valid "
            << FormatDate(certificate.valid_from()) << " to "
            << FormatDate(until) << " -> " << flags.out << "\n";
  return absl::OkStatus();
}

struct TrustBundleFlags {
  std::vector<std::string> shares;
  std::vector<std::string> root_public_keys;
  std::vector<std::string> revocations;  // KEY_ID_HEX=REASON
  std::string previous;
  std::string in;
  uint64_t version = 0;
  uint32_t threshold = 0;
  std::string format = "binary";
  std::string out;
};

absl::Status AddRevocations(const std::vector<std::string>& flags,
                            v1::TrustBundle* bundle) {
  for (const std::string& flag : flags) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(flag, absl::MaxSplits('=', 1));
    ASSIGN_OR_RETURN(std::string key_id,
                     cli::FromHex("--revoke key id", parts.first));
    if (key_id.size() != keys::kKeyIdSize || parts.second.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--revoke \"", flag, "\" must be KEY_ID(64 hex digits)=REASON"));
    }
    v1::Revocation* revocation = bundle->add_revocations();
    revocation->set_key_id(key_id);
    revocation->set_reason(parts.second);
    revocation->set_revoked_at(absl::ToUnixSeconds(absl::Now()));
  }
  return absl::OkStatus();
}

// Builds the new bundle's content from the flags and the previous bundle.
absl::StatusOr<v1::TrustBundle> NewBundle(const TrustBundleFlags& flags,
                                          const keys::Signer& root) {
  v1::TrustBundle bundle;
  if (!flags.previous.empty()) {
    ASSIGN_OR_RETURN(keys::TrustStore previous,
                     ReadTrustBundleFile(flags.previous));
    bundle = previous.bundle();
    bundle.set_version(bundle.version() + 1);
  } else {
    bundle.set_version(1);
    bundle.set_threshold(1);
    *bundle.add_root_keys() = keys::PublicKeyOf(root, "root");
  }
  if (!flags.root_public_keys.empty()) {
    bundle.clear_root_keys();
    for (const std::string& path : flags.root_public_keys) {
      ASSIGN_OR_RETURN(*bundle.add_root_keys(), keys::ReadPublicKeyFile(path));
    }
  }
  if (flags.version != 0) bundle.set_version(flags.version);
  if (flags.threshold != 0) bundle.set_threshold(flags.threshold);
  bundle.set_issued_at(absl::ToUnixSeconds(absl::Now()));
  RETURN_IF_ERROR(AddRevocations(flags.revocations, &bundle));
  return bundle;
}

absl::Status RunTrustBundle(const TrustBundleFlags& flags) {
  v1::SignedTrustBundle signed_bundle;
  if (!flags.in.empty()) {  // export only
    ASSIGN_OR_RETURN(keys::TrustStore store, ReadTrustBundleFile(flags.in));
    signed_bundle = store.signed_bundle();
  } else {
    if (flags.shares.empty()) {
      return absl::InvalidArgumentError(
          "--share is required to sign a new bundle (or --in to export one)");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<keys::Signer> root,
                     keys::RebuildRootKey(flags.shares));
    ASSIGN_OR_RETURN(v1::TrustBundle bundle, NewBundle(flags, *root));
    ASSIGN_OR_RETURN(signed_bundle, keys::SignTrustBundle(*root, bundle));
  }
  ASSIGN_OR_RETURN(std::string content,
                   RenderTrustBundle(signed_bundle, flags.format));
  RETURN_IF_ERROR(cli::WriteOutput(flags.out, content));
  std::cout << DescribeTrustBundle(signed_bundle) << " -> " << flags.out
            << "\n";
  return absl::OkStatus();
}

struct CosignFlags {
  std::vector<std::string> shares;
  std::string file;
};

// Adds the rebuilt root's signature to a certificate or bundle file.
absl::Status RunCosign(const CosignFlags& flags) {
  v1::SignedTrustBundle envelope;  // same fields as SignedPublicKey
  RETURN_IF_ERROR(
      cli::ReadMessageFile(flags.file, keys::kMaxTrustBundleBytes, &envelope));
  ASSIGN_OR_RETURN(std::unique_ptr<keys::Signer> root,
                   keys::RebuildRootKey(flags.shares));
  if (envelope.payload_type() == keys::kTrustBundlePayloadType) {
    RETURN_IF_ERROR(keys::CosignTrustBundle(*root, &envelope));
  } else if (envelope.payload_type() == keys::kOwnerKeyCertificatePayloadType) {
    v1::SignedPublicKey certificate;
    certificate.ParseFromString(envelope.SerializeAsString());
    RETURN_IF_ERROR(keys::CosignOwnerKey(*root, &certificate));
    envelope.ParseFromString(certificate.SerializeAsString());
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        flags.file, " is neither an owner key certificate nor a trust bundle"));
  }
  RETURN_IF_ERROR(cli::WriteOutput(flags.file, envelope.SerializeAsString()));
  std::cout << "added the signature of root key " << Hex(root->key_id())
            << " to " << flags.file << " (" << envelope.signatures_size()
            << " signatures)\n";
  return absl::OkStatus();
}

struct CheckBundleFlags {
  std::string trusted;
  std::string next;
};

// Answers what a deployed client would: may it move from `trusted` to `next`?
absl::Status RunCheckBundle(const CheckBundleFlags& flags) {
  ASSIGN_OR_RETURN(keys::TrustStore trusted,
                   ReadTrustBundleFile(flags.trusted));
  ASSIGN_OR_RETURN(std::string bytes,
                   ReadFileLimited(flags.next, keys::kMaxTrustBundleBytes));
  absl::StatusOr<v1::SignedTrustBundle> next = keys::DecodeTrustBundle(bytes);
  absl::StatusOr<keys::TrustStore> updated =
      next.ok() ? trusted.Update(*next)
                : absl::StatusOr<keys::TrustStore>(next.status());
  if (!updated.ok()) {
    return cli::Rejected(absl::Status(
        updated.status().code(),
        absl::StrCat("clients trusting ", flags.trusted, " will refuse ",
                     flags.next, ": ", updated.status().message())));
  }
  std::cout << "clients trusting "
            << DescribeTrustBundle(trusted.signed_bundle()) << " accept "
            << DescribeTrustBundle(*next) << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddCeremonyCommands(CLI::App* keys, absl::Status* result) {
  auto root_init = std::make_shared<RootInitFlags>();
  CLI::App* c = keys->add_subcommand(
      "root-init", "Make a root key and split it into M-of-N share files");
  c->add_option("--shares", root_init->shares, "N: share files to write")
      ->check(CLI::Range(1, 255))
      ->required();
  c->add_option("--threshold", root_init->threshold, "M: shares to rebuild")
      ->check(CLI::Range(1, 255))
      ->required();
  c->add_option("--out", root_init->out,
                "Directory for shares and root.pub.json")
      ->required();
  c->add_option("--algorithm", root_init->algorithm,
                "ed25519 or ecdsa-p256-sha256")
      ->check(CLI::IsMember({"ed25519", "ecdsa-p256-sha256"}));
  c->add_option("--name", root_init->name, "Label of the root key");
  c->callback([=] { *result = RunRootInit(*root_init); });

  auto certify = std::make_shared<CertifyFlags>();
  c = keys->add_subcommand(
      "certify", "Rebuild the root from shares and certify an owner key");
  c->add_option("--share", certify->shares, "A share file (M of them)")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("--owner", certify->owner, "Owner name (A-Z, 0-9)")
      ->check(cli::OwnerValue())
      ->required();
  c->add_option("--public-key", certify->public_key,
                "The owner key's .pub.json (from owner-new)")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("--valid-from", certify->valid_from, "Date; default now")
      ->check(cli::DateValue());
  c->add_option("--valid-until", certify->valid_until, "Date (YYYY-MM-DD)")
      ->check(cli::DateValue())
      ->required();
  c->add_option("--out", certify->out, "Certificate file to write")->required();
  c->callback([=] { *result = RunCertify(*certify); });

  auto bundle = std::make_shared<TrustBundleFlags>();
  c = keys->add_subcommand(
      "trust-bundle",
      "Sign a trust bundle (roots, threshold, revocations) or export one");
  c->add_option("--share", bundle->shares, "A share file of a trusted root")
      ->check(CLI::ExistingFile);
  c->add_option("--root-public-key", bundle->root_public_keys,
                "Root .pub.json files the bundle lists (default: previous "
                "bundle's, or the rebuilt root)")
      ->check(CLI::ExistingFile);
  c->add_option("--previous", bundle->previous,
                "The bundle this one replaces (version + 1, roots and "
                "revocations carried over)")
      ->check(CLI::ExistingFile);
  c->add_option("--revoke", bundle->revocations, "KEY_ID_HEX=REASON")
      ->check(cli::RevocationValue());
  c->add_option("--version", bundle->version, "Bundle version")
      ->check(CLI::PositiveNumber);
  c->add_option("--threshold", bundle->threshold, "Root signatures needed")
      ->check(CLI::Range(1, 255));
  c->add_option("--in", bundle->in, "Export this bundle instead of signing")
      ->check(CLI::ExistingFile);
  c->add_option("--format", bundle->format, "binary or cpp-header")
      ->check(CLI::IsMember({"binary", "cpp-header"}));
  c->add_option("--out", bundle->out, "File to write, - for stdout")
      ->required();
  c->callback([=] { *result = RunTrustBundle(*bundle); });

  auto check = std::make_shared<CheckBundleFlags>();
  c = keys->add_subcommand(
      "check-bundle",
      "Check that clients trusting one bundle will accept the next (exit 3 "
      "when not)");
  c->add_option("--trusted", check->trusted, "The bundle clients trust now")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("next", check->next, "The new bundle")
      ->check(CLI::ExistingFile)
      ->required();
  c->callback([=] { *result = RunCheckBundle(*check); });

  auto cosign = std::make_shared<CosignFlags>();
  c = keys->add_subcommand(
      "cosign", "Add another root's signature to a certificate or bundle");
  c->add_option("--share", cosign->shares, "A share file")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("file", cosign->file, "Certificate or bundle file")
      ->check(CLI::ExistingFile)
      ->required();
  c->callback([=] { *result = RunCosign(*cosign); });
}

}  // namespace superlicense::slctl
