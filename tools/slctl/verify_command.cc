// slctl verify FILE --trust BUNDLE: checks a signed license set completely
// (chain to the bundle, owner certificate, every row, the owner signature).
// Exit 0 when valid, 3 with the reason when not.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "keys/file_io.h"
#include "keys/license_set_envelope.h"
#include "keys/status_macros.h"
#include "tools/cli/cli_support.h"
#include "tools/cli/trust_bundle_files.h"
#include "tools/slctl/commands.h"

namespace superlicense::slctl {
namespace {

struct VerifyFlags {
  std::string file;
  std::string trust;
  std::string at;
  bool json = false;
};

void PrintSummary(const keys::VerifiedLicenseSet& verified) {
  const v1::LicenseSet& set = verified.set;
  std::cout << "VALID " << set.owner().owner_name() << " license set v"
            << set.version() << "\n"
            << "  customer    " << set.customer().company_name() << " ("
            << set.customer().serial() << ")\n"
            << "  site        "
            << (set.site().kind() == v1::SITE_KIND_SATELLITE
                    ? absl::StrCat("satellite ", set.site().satellite_id())
                    : "central")
            << "\n"
            << "  issued      " << cli::FormatDate(set.issued_at()) << "\n"
            << "  expires     " << cli::FormatDate(set.expiration())
            << ", grace to " << cli::FormatDate(set.grace_to()) << "\n"
            << "  modules     " << set.module_licenses_size()
            << " (every row signature checked)\n"
            << "  signed by   "
            << cli::Hex(verified.owner_certificate.key().key_id())
            << " (certified until "
            << cli::FormatDate(verified.owner_certificate.valid_until())
            << ")\n";
}

void PrintJson(const absl::StatusOr<keys::VerifiedLicenseSet>& verified) {
  google::protobuf::Struct out;
  auto& fields = *out.mutable_fields();
  fields["valid"].set_bool_value(verified.ok());
  if (!verified.ok()) {
    fields["reason"].set_string_value(std::string(verified.status().message()));
  } else {
    fields["owner_key_id"].set_string_value(
        cli::Hex(verified->owner_certificate.key().key_id()));
    google::protobuf::Struct set;
    (void)google::protobuf::util::JsonStringToMessage(
        cli::ToJson(verified->set), &set);
    *fields["license_set"].mutable_struct_value() = set;
  }
  std::cout << cli::ToJson(out);
}

absl::StatusOr<keys::VerifiedLicenseSet> Verify(const keys::TrustStore& trust,
                                                const std::string& bytes,
                                                absl::Time at) {
  ASSIGN_OR_RETURN(v1::SignedLicenseSet envelope,
                   keys::DecodeSignedLicenseSet(bytes));
  return trust.VerifyLicenseSet(envelope, at);
}

absl::Status RunVerify(const VerifyFlags& flags) {
  ASSIGN_OR_RETURN(keys::TrustStore trust,
                   cli::ReadTrustBundleFile(flags.trust));
  absl::Time at = absl::Now();
  if (!flags.at.empty()) {
    ASSIGN_OR_RETURN(int64_t seconds, cli::ParseDate("--at", flags.at));
    at = absl::FromUnixSeconds(seconds);
  }
  // Anything larger than the limit is rejected as a malformed set.
  absl::StatusOr<std::string> bytes =
      ReadFileLimited(flags.file, keys::kMaxEnvelopeBytes);
  if (!bytes.ok() && absl::IsNotFound(bytes.status())) return bytes.status();
  absl::StatusOr<keys::VerifiedLicenseSet> verified =
      bytes.ok() ? Verify(trust, *bytes, at)
                 : absl::StatusOr<keys::VerifiedLicenseSet>(bytes.status());
  if (flags.json) {
    PrintJson(verified);
  } else if (verified.ok()) {
    PrintSummary(*verified);
  }
  if (!verified.ok()) {
    return cli::Rejected(absl::Status(
        verified.status().code(), absl::StrCat("INVALID ", flags.file, ": ",
                                               verified.status().message())));
  }
  return absl::OkStatus();
}

}  // namespace

void AddVerifyCommand(CLI::App* app, absl::Status* result) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* c = app->add_subcommand(
      "verify", "Check a signed license set file against a trust bundle");
  c->add_option("file", flags->file, "Signed set file (.lic)")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("--trust", flags->trust, "Trust bundle file")
      ->check(CLI::ExistingFile)
      ->required();
  c->add_option("--at", flags->at, "Check as of this date (default now)")
      ->check(cli::DateValue());
  c->add_flag("--json", flags->json, "Machine-readable output");
  c->callback([=] { *result = RunVerify(*flags); });
}

}  // namespace superlicense::slctl
