// crmlicense init | import FILE | fetch: identify the installation and
// install license sets, offline from a file or online from the authority.
// A set the rules refuse exits 3; a count shortfall lists every module with
// in use, new total and how many licenses must be removed first.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/clock_watermark.h"
#include "client/license_importer.h"
#include "client/online/license_fetcher.h"
#include "keys/clock.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"
#include "superlicense/serial_number.h"
#include "tools/cli/cli_support.h"
#include "tools/crmlicense/authority_flags.h"
#include "tools/crmlicense/commands.h"

namespace superlicense::crmlicense {
namespace {

constexpr size_t kMaxCompanyName = 255;

struct InitFlags {
  std::string serial;
  std::string company;
  int64_t satellite = -1;  // -1: central
};

absl::Status RunInit(const GlobalFlags& flags, const InitFlags& init) {
  RETURN_IF_ERROR(CheckSerial(init.serial));
  const std::string company(absl::StripAsciiWhitespace(init.company));
  if (company.empty() || company.size() > kMaxCompanyName) {
    return absl::InvalidArgumentError(
        absl::StrCat("--company must be 1 to ", kMaxCompanyName,
                     " characters, got ", init.company.size()));
  }
  if (init.satellite == 0 || init.satellite < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--satellite must be a positive satellite id, got ", init.satellite));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmTransaction> txn,
                   db->BeginWrite());
  absl::StatusOr<client::Installation> existing = txn->GetInstallation();
  if (!existing.ok() && !absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  ASSIGN_OR_RETURN(std::vector<std::string> owners, txn->ListOwnerNames());
  if (existing.ok() && existing->serial != init.serial && !owners.empty()) {
    return cli::Rejected(absl::FailedPreconditionError(absl::StrCat(
        "the database holds licenses for serial ", existing->serial,
        "; it cannot be re-initialised for serial ", init.serial)));
  }
  client::Installation installation;
  installation.serial = init.serial;
  installation.company_name = company;
  if (init.satellite > 0) {
    installation.site_kind = client::SiteKind::kSatellite;
    installation.satellite_id = init.satellite;
  }
  RETURN_IF_ERROR(txn->SetInstallation(installation));
  RETURN_IF_ERROR(txn->Commit());

  const std::string site = init.satellite > 0
                               ? absl::StrCat("satellite ", init.satellite)
                               : std::string("central");
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["serial"] = JsonString(init.serial);
  f["company_name"] = JsonString(company);
  f["site"] = JsonString(site);
  Print(flags, json,
        absl::StrCat("initialised ", init.serial, " (", company, ", ", site,
                     ")\n"));
  return absl::OkStatus();
}

// The import rules, with the acting user for the import's system messages.
client::ImportPolicy ImportPolicyFor(const GlobalFlags& flags) {
  client::ImportPolicy policy;
  policy.started_by = ActingUser(flags);
  return policy;
}

// Prints the outcome of an import; returns the status with the exit code
// rules applied (policy and verification failures exit 3).
absl::Status ReportImport(const GlobalFlags& flags,
                          const absl::StatusOr<client::ImportResult>& result,
                          const std::vector<client::CountShortfall>& shortfalls,
                          const std::string& already_text) {
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["accepted"] = JsonBool(result.ok());
  if (result.ok()) {
    f["owner"] = JsonString(result->owner_name);
    f["version"] = JsonNumber(static_cast<double>(result->version));
    f["modules"] = JsonNumber(result->modules);
    Print(flags, json,
          absl::StrCat(already_text, "imported ", result->owner_name,
                       " license set v", result->version, " (", result->modules,
                       " modules)\n"));
    return absl::OkStatus();
  }
  const absl::Status& status = result.status();
  f["reason"] = JsonString(std::string(status.message()));
  std::string text;
  if (!shortfalls.empty()) {
    google::protobuf::ListValue* list = f["shortfalls"].mutable_list_value();
    text =
        "REJECTED: the new set has fewer licenses than are in use.\n"
        "Remove superfluous licenses first:\n";
    absl::StrAppendFormat(&text, "  %-28s %8s %10s %12s\n", "module", "in use",
                          "new total", "must remove");
    for (const client::CountShortfall& s : shortfalls) {
      google::protobuf::Struct row;
      auto& r = *row.mutable_fields();
      r["module"] = JsonString(s.module_name);
      r["in_use"] = JsonNumber(static_cast<double>(s.in_use));
      r["new_total"] = JsonNumber(static_cast<double>(s.new_total));
      r["must_remove"] = JsonNumber(static_cast<double>(s.must_remove));
      *list->add_values() = JsonStruct(row);
      absl::StrAppendFormat(&text, "  %-28s %8d %10d %12d\n", s.module_name,
                            s.in_use, s.new_total, s.must_remove);
    }
  }
  if (flags.json || !text.empty()) Print(flags, json, text);
  const bool policy = absl::IsFailedPrecondition(status) ||
                      absl::IsPermissionDenied(status) ||
                      absl::IsInvalidArgument(status);
  absl::Status out(
      status.code(),
      shortfalls.empty()
          ? absl::StrCat("import rejected: ", status.message())
          : absl::StrCat("import rejected: ", shortfalls.size(),
                         " module(s) have fewer licenses than are in use; "
                         "remove the licenses listed first"));
  return policy ? cli::Rejected(out) : out;
}

absl::Status RunImport(const GlobalFlags& flags, const std::string& file) {
  ASSIGN_OR_RETURN(keys::TrustStore trust, LoadTrust(flags));
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  const Clock& clock = SystemClock::Get();
  client::LicenseImporter importer(&trust, &clock, ImportPolicyFor(flags));
  std::vector<client::CountShortfall> shortfalls;
  absl::StatusOr<client::ImportResult> result =
      importer.ImportFile(*db, file, &shortfalls);
  if (result.ok()) RETURN_IF_ERROR(client::RecordTimeSeen(*db, clock));
  if (!result.ok() && absl::IsNotFound(result.status())) {
    return result.status();  // a missing file or installation: exit 1
  }
  return ReportImport(flags, result, shortfalls, "");
}

absl::Status RunFetch(const GlobalFlags& flags, const AuthorityFlags& fetch) {
  ASSIGN_OR_RETURN(std::unique_ptr<client::LicenseFetcher> fetcher,
                   ConnectAuthority(fetch));
  ASSIGN_OR_RETURN(keys::TrustStore trust, LoadTrust(flags));
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  const Clock& clock = SystemClock::Get();
  client::LicenseImporter importer(&trust, &clock, ImportPolicyFor(flags));
  std::vector<client::CountShortfall> shortfalls;
  absl::StatusOr<client::FetchResult> fetched =
      fetcher->FetchAndImport(*db, importer, &shortfalls);
  if (!fetched.ok() && shortfalls.empty() &&
      !absl::IsFailedPrecondition(fetched.status()) &&
      !absl::IsPermissionDenied(fetched.status())) {
    return fetched.status();  // the authority or the network: exit 1
  }
  if (fetched.ok()) RETURN_IF_ERROR(client::RecordTimeSeen(*db, clock));
  if (fetched.ok() && !fetched->modified) {
    google::protobuf::Struct json;
    (*json.mutable_fields())["modified"] = JsonBool(false);
    Print(flags, json,
          "up to date: the authority has no newer license set; usage "
          "reported\n");
    return absl::OkStatus();
  }
  if (fetched.ok()) {
    google::protobuf::Struct json;
    auto& f = *json.mutable_fields();
    f["modified"] = JsonBool(true);
    f["owner"] = JsonString(fetched->import.owner_name);
    f["version"] = JsonNumber(static_cast<double>(fetched->import.version));
    f["modules"] = JsonNumber(fetched->import.modules);
    f["accepted_at"] = JsonString(cli::FormatDate(fetched->accepted_at));
    Print(flags, json,
          absl::StrCat("fetched and imported ", fetched->import.owner_name,
                       " license set v", fetched->import.version, " (",
                       fetched->import.modules,
                       " modules); acceptance reported to the authority\n"));
    return absl::OkStatus();
  }
  return ReportImport(flags, fetched.status(), shortfalls, "");
}

}  // namespace

void AddSetupCommands(CLI::App* app, const GlobalFlags* flags,
                      absl::Status* result) {
  auto init = std::make_shared<InitFlags>();
  CLI::App* c = app->add_subcommand(
      "init", "Create the licensing tables and record this installation");
  c->add_option("--serial", init->serial, "Serial number (10 digits)")
      ->check(cli::SerialValue())
      ->required();
  c->add_option("--company", init->company, "Company name")->required();
  c->add_option("--satellite", init->satellite,
                "Satellite id (omit for the central database)")
      ->check(CLI::PositiveNumber);
  c->callback([=] { *result = RunInit(*flags, *init); });

  auto file = std::make_shared<std::string>();
  c = app->add_subcommand("import", "Import a signed license set file");
  c->add_option("file", *file, "Signed set file (.lic)")
      ->check(CLI::ExistingFile)
      ->required();
  c->callback([=] { *result = RunImport(*flags, *file); });

  auto fetch = std::make_shared<AuthorityFlags>();
  c = app->add_subcommand(
      "fetch",
      "Fetch the newest license set from the authority, import it and report "
      "the acceptance");
  AddAuthorityFlags(c, fetch.get());
  c->callback([=] { *result = RunFetch(*flags, *fetch); });
}

}  // namespace superlicense::crmlicense
