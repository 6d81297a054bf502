// slctl sets sign | show: offline signing of a license set with the owner's
// active key, and a look inside a set file.
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "keys/keystore.h"
#include "keys/license_set_envelope.h"
#include "keys/owner_keyring.h"
#include "keys/status_macros.h"
#include "tools/cli/cli_support.h"
#include "tools/slctl/commands.h"

namespace superlicense::slctl {
namespace {

struct SignFlags {
  std::string set;
  std::string keyring;
  std::string out;
  std::string passphrase_file;
  std::string pin_file;
};

absl::StatusOr<std::unique_ptr<keys::Signer>> OpenActiveKey(
    const v1::OwnerKeyEntry& active, const SignFlags& flags) {
  keys::KeystoreSecrets secrets;
  secrets.passphrase.file = flags.passphrase_file;
  secrets.pin.file = flags.pin_file;
  ASSIGN_OR_RETURN(keys::KeystoreLocation location,
                   keys::ParseKeystoreUri(active.keystore()));
  ASSIGN_OR_RETURN(std::unique_ptr<keys::Signer> signer,
                   keys::OpenKeystore(location, secrets));
  ASSIGN_OR_RETURN(v1::OwnerKeyCertificate content,
                   keys::CertificateContent(active.certificate()));
  if (content.key().key_id() != signer->key_id()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "keystore ", active.keystore(), " holds key ",
        cli::Hex(signer->key_id()), ", not the certified active key"));
  }
  return signer;
}

absl::Status RunSign(const SignFlags& flags) {
  v1::LicenseSet set;
  RETURN_IF_ERROR(
      cli::ReadMessageFile(flags.set, keys::kMaxEnvelopeBytes, &set));
  ASSIGN_OR_RETURN(v1::OwnerKeyring keyring,
                   keys::ReadOwnerKeyring(flags.keyring));
  if (set.owner().owner_name() != keyring.owner_name()) {
    return absl::InvalidArgumentError(
        absl::StrCat("set owner.owner_name \"", set.owner().owner_name(),
                     "\" is not the keyring's owner ", keyring.owner_name()));
  }
  if (set.issued_at() == 0) set.set_issued_at(absl::ToUnixSeconds(absl::Now()));
  ASSIGN_OR_RETURN(v1::OwnerKeyEntry active, keys::ActiveKey(keyring));
  ASSIGN_OR_RETURN(std::unique_ptr<keys::Signer> signer,
                   OpenActiveKey(active, flags));
  ASSIGN_OR_RETURN(v1::SignedLicenseSet envelope,
                   keys::SignLicenseSet(set, *signer, active.certificate()));
  RETURN_IF_ERROR(cli::WriteOutput(flags.out, envelope.SerializeAsString()));
  std::cout << "signed " << set.owner().owner_name() << " set for "
            << set.customer().serial() << " v" << set.version() << " ("
            << set.module_licenses_size() << " module licenses) with key "
            << cli::Hex(signer->key_id()).substr(0, 16) << " -> " << flags.out
            << "\n";
  return absl::OkStatus();
}

struct ShowFlags {
  std::string file;
};

absl::Status RunShow(const ShowFlags& flags) {
  v1::SignedLicenseSet envelope;
  RETURN_IF_ERROR(
      cli::ReadMessageFile(flags.file, keys::kMaxEnvelopeBytes, &envelope));
  v1::LicenseSet set;
  RETURN_IF_ERROR(keys::ParseStrict(envelope.payload(), "payload", &set));
  std::cerr << "NOT VERIFIED: use `slctl verify` to check the signatures\n";
  std::cout << cli::ToJson(set);
  return absl::OkStatus();
}

}  // namespace

CLI::App* AddSetsCommands(CLI::App* app, absl::Status* result) {
  CLI::App* sets = app->add_subcommand("sets", "License set files");
  sets->require_subcommand(1);

  auto sign = std::make_shared<SignFlags>();
  CLI::App* c = sets->add_subcommand(
      "sign", "Sign a license set offline with the owner's active key");
  c->add_option("--set", sign->set, "LicenseSet as .json or .textproto")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("--keyring", sign->keyring, "Owner keyring file")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("--out", sign->out, "Signed set file (.lic)")->required();
  c->add_option("--passphrase-file", sign->passphrase_file,
                "Keystore passphrase (default $SUPERLICENSE_PASSPHRASE)")
      ->check(CLI::ExistingFile);
  c->add_option("--pin-file", sign->pin_file,
                "Token PIN (default $SUPERLICENSE_PKCS11_PIN)")
      ->check(CLI::ExistingFile);
  c->callback([=] { *result = RunSign(*sign); });

  auto show = std::make_shared<ShowFlags>();
  c = sets->add_subcommand("show", "Print a set file's content (unverified)");
  c->add_option("file", show->file, "Signed set file")
      ->check(CLI::ExistingFile)
      ->required();
  c->callback([=] { *result = RunShow(*show); });
  return sets;
}

}  // namespace superlicense::slctl
