// slctl keys owner-new | rotate | revoke | list: an owner's signing keys and
// their states (active, verify-only, revoked) in the owner keyring file.
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "keys/keystore.h"
#include "keys/owner_keyring.h"
#include "keys/public_key_file.h"
#include "keys/status_macros.h"
#include "keys/trust_store.h"
#include "tools/cli/cli_support.h"
#include "tools/cli/trust_bundle_files.h"
#include "tools/slctl/commands.h"

namespace superlicense::slctl {
namespace {

using cli::Hex;

// Flags every command that opens a keystore takes.
struct SecretFlags {
  std::string passphrase_file;
  std::string pin_file;

  keys::KeystoreSecrets ToSecrets() const {
    keys::KeystoreSecrets secrets;
    secrets.passphrase.file = passphrase_file;
    secrets.pin.file = pin_file;
    return secrets;
  }
};

void AddSecretFlags(CLI::App* command, SecretFlags* flags) {
  command
      ->add_option("--passphrase-file", flags->passphrase_file,
                   "Sealed keystore passphrase (default: "
                   "$SUPERLICENSE_PASSPHRASE, then a prompt)")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--pin-file", flags->pin_file,
                   "PKCS#11 PIN (default: $SUPERLICENSE_PKCS11_PIN)")
      ->check(CLI::ExistingFile);
}

struct OwnerNewFlags {
  std::string owner;
  std::string keystore;
  std::string algorithm = "ed25519";
  std::string out = "-";
  SecretFlags secrets;
};

absl::Status RunOwnerNew(const OwnerNewFlags& flags) {
  RETURN_IF_ERROR(keys::CheckOwnerName(flags.owner));
  ASSIGN_OR_RETURN(keys::SignatureAlgorithm algorithm,
                   keys::ParseAlgorithmName(flags.algorithm));
  ASSIGN_OR_RETURN(keys::KeystoreLocation location,
                   keys::ParseKeystoreUri(flags.keystore));
  ASSIGN_OR_RETURN(std::unique_ptr<keys::Signer> signer,
                   keys::CreateKeystoreKey(location, algorithm, flags.owner,
                                           flags.secrets.ToSecrets()));
  const v1::PublicKey key = keys::PublicKeyOf(*signer, flags.owner);
  RETURN_IF_ERROR(cli::WriteOutput(flags.out, keys::PublicKeyToJson(key)));
  std::cerr << "new " << keys::AlgorithmName(algorithm) << " key "
            << Hex(key.key_id()) << " for owner " << flags.owner << " in "
            << flags.keystore << "\n"
            << "Next: have it certified (slctl keys certify --public-key "
            << (flags.out == "-" ? "FILE" : flags.out) << " ...), then "
            << "slctl keys rotate.\n";
  return absl::OkStatus();
}

struct RotateFlags {
  std::string keyring;
  std::string owner;
  std::string keystore;
  std::string certificate;
  std::string trust;
  SecretFlags secrets;
};

absl::StatusOr<v1::OwnerKeyring> ReadOrStartKeyring(const RotateFlags& flags) {
  absl::StatusOr<v1::OwnerKeyring> keyring =
      keys::ReadOwnerKeyring(flags.keyring);
  if (keyring.ok() || !absl::IsNotFound(keyring.status())) return keyring;
  if (flags.owner.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flags.keyring, " does not exist: pass --owner to start a keyring"));
  }
  v1::OwnerKeyring fresh;
  fresh.set_owner_name(flags.owner);
  return fresh;
}

absl::Status RunRotate(const RotateFlags& flags) {
  ASSIGN_OR_RETURN(v1::OwnerKeyring keyring, ReadOrStartKeyring(flags));
  v1::SignedPublicKey certificate;
  RETURN_IF_ERROR(
      cli::ReadMessageFile(flags.certificate, 64 * 1024, &certificate));
  ASSIGN_OR_RETURN(keys::TrustStore trust,
                   cli::ReadTrustBundleFile(flags.trust));
  RETURN_IF_ERROR(trust.VerifyOwnerCertificate(certificate).status());
  ASSIGN_OR_RETURN(keys::KeystoreLocation location,
                   keys::ParseKeystoreUri(flags.keystore));
  ASSIGN_OR_RETURN(std::unique_ptr<keys::Signer> signer,
                   keys::OpenKeystore(location, flags.secrets.ToSecrets()));
  RETURN_IF_ERROR(keys::RotateIn(&keyring, flags.keystore, certificate,
                                 signer->public_key(),
                                 absl::ToUnixSeconds(absl::Now())));
  RETURN_IF_ERROR(keys::WriteOwnerKeyring(flags.keyring, keyring));
  std::cout << "key " << Hex(signer->key_id()) << " is now the active key of "
            << keyring.owner_name() << " (" << keyring.keys_size()
            << " key(s) in " << flags.keyring << ")\n";
  return absl::OkStatus();
}

struct RevokeFlags {
  std::string keyring;
  std::string key_id;
};

absl::Status RunRevoke(const RevokeFlags& flags) {
  ASSIGN_OR_RETURN(v1::OwnerKeyring keyring,
                   keys::ReadOwnerKeyring(flags.keyring));
  ASSIGN_OR_RETURN(std::string key_id, cli::FromHex("--key-id", flags.key_id));
  RETURN_IF_ERROR(
      keys::MarkRevoked(&keyring, key_id, absl::ToUnixSeconds(absl::Now())));
  RETURN_IF_ERROR(keys::WriteOwnerKeyring(flags.keyring, keyring));
  std::cout << "key " << flags.key_id << " is revoked in " << flags.keyring
            << ". Clients learn of it from a new trust bundle: slctl keys "
               "trust-bundle --previous OLD --revoke "
            << flags.key_id << "=REASON ...\n";
  return absl::OkStatus();
}

struct ListFlags {
  std::string keyring;
  bool json = false;
};

absl::Status RunList(const ListFlags& flags) {
  ASSIGN_OR_RETURN(v1::OwnerKeyring keyring,
                   keys::ReadOwnerKeyring(flags.keyring));
  if (flags.json) {
    std::cout << cli::ToJson(keyring);
    return absl::OkStatus();
  }
  std::cout << "owner " << keyring.owner_name() << "\n";
  for (const v1::OwnerKeyEntry& entry : keyring.keys()) {
    ASSIGN_OR_RETURN(v1::OwnerKeyCertificate content,
                     keys::CertificateContent(entry.certificate()));
    std::cout << "  " << Hex(content.key().key_id()).substr(0, 16) << "  "
              << v1::KeyState_Name(entry.state()) << "  "
              << keys::AlgorithmName(content.key().algorithm()) << "  valid to "
              << cli::FormatDate(content.valid_until()) << "  "
              << entry.keystore() << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddOwnerKeyCommands(CLI::App* keys, absl::Status* result) {
  auto owner_new = std::make_shared<OwnerNewFlags>();
  CLI::App* c = keys->add_subcommand("owner-new",
                                     "Make an owner signing key in a keystore");
  c->add_option("--owner", owner_new->owner, "Owner name (A-Z, 0-9)")
      ->check(cli::OwnerValue())
      ->required();
  c->add_option("--keystore", owner_new->keystore,
                "sealed:PATH or pkcs11:token=LABEL;object=LABEL")
      ->required();
  c->add_option("--algorithm", owner_new->algorithm,
                "ed25519 or ecdsa-p256-sha256")
      ->check(CLI::IsMember({"ed25519", "ecdsa-p256-sha256"}));
  c->add_option("--out", owner_new->out, "Public key file (default stdout)");
  AddSecretFlags(c, &owner_new->secrets);
  c->callback([=] { *result = RunOwnerNew(*owner_new); });

  auto rotate = std::make_shared<RotateFlags>();
  c = keys->add_subcommand(
      "rotate",
      "Make a certified key active; the active one turns verify-only");
  c->add_option("--keyring", rotate->keyring, "Owner keyring file")->required();
  c->add_option("--owner", rotate->owner, "Owner, when starting a keyring")
      ->check(cli::OwnerValue());
  c->add_option("--keystore", rotate->keystore, "Where the new key is")
      ->required();
  c->add_option("--certificate", rotate->certificate, "Its certificate")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("--trust", rotate->trust, "Trust bundle it must chain to")
      ->check(CLI::ExistingFile)
      ->required();
  AddSecretFlags(c, &rotate->secrets);
  c->callback([=] { *result = RunRotate(*rotate); });

  auto revoke = std::make_shared<RevokeFlags>();
  c = keys->add_subcommand("revoke", "Mark an owner key revoked");
  c->add_option("--keyring", revoke->keyring, "Owner keyring file")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("--key-id", revoke->key_id, "Key id (hex)")
      ->check(cli::HexValue())
      ->required();
  c->callback([=] { *result = RunRevoke(*revoke); });

  auto list = std::make_shared<ListFlags>();
  c = keys->add_subcommand("list", "List an owner's keys and their states");
  c->add_option("--keyring", list->keyring, "Owner keyring file")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_flag("--json", list->json, "Machine-readable output");
  c->callback([=] { *result = RunList(*list); });
}

}  // namespace superlicense::slctl
