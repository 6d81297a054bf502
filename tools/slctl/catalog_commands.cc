// slctl catalog list | put, and slctl backup, against superlicensed.
#include <iostream>
#include <memory>
#include <string>

#include "keys/status_macros.h"
#include "tools/cli/authority_client.h"
#include "tools/cli/cli_support.h"
#include "tools/slctl/commands.h"

namespace superlicense::slctl {
namespace {

using cli::AuthorityClient;

struct CatalogFlags {
  cli::ConnectionFlags connection;
  std::string owner;
  std::string entry;
  bool json = false;
};

absl::Status RunList(const CatalogFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::ListCatalogRequest request;
  request.set_owner_name(flags.owner);
  v1::ListCatalogResponse response;
  RETURN_IF_ERROR(cli::FromGrpc(
      "ListCatalog", client->stub().ListCatalog(client->NewContext().get(),
                                                request, &response)));
  if (flags.json) {
    std::cout << cli::ToJson(response);
    return absl::OkStatus();
  }
  for (const v1::CatalogEntry& entry : response.entries()) {
    const v1::ModuleLicense& m = entry.module();
    const char* type = m.license_type() == v1::LICENSE_TYPE_SYSTEM ? "system"
                       : m.license_type() == v1::LICENSE_TYPE_SITE ? "site"
                                                                   : "user";
    std::cout << entry.owner_name() << "  "
              << (entry.grant_name().empty() ? m.module_name()
                                             : entry.grant_name())
              << "  " << type << (m.extra_flags() == 1 ? " plan" : "")
              << (m.hidden() ? " hidden" : "")
              << (m.unrestricted() ? " unrestricted" : "")
              << (m.prerequisite_module().empty()
                      ? ""
                      : "  requires " + m.prerequisite_module())
              << "  " << m.description() << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunPut(const CatalogFlags& flags) {
  v1::CatalogEntry entry;
  RETURN_IF_ERROR(cli::ReadMessageFile(flags.entry, 64 * 1024, &entry));
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::CatalogEntry stored;
  RETURN_IF_ERROR(cli::FromGrpc(
      "PutCatalogEntry", client->stub().PutCatalogEntry(
                             client->NewContext().get(), entry, &stored)));
  std::cout << "catalogue entry " << stored.owner_name() << "."
            << stored.module().module_name() << " stored\n";
  return absl::OkStatus();
}

absl::Status RunBackup(const CatalogFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::CreateBackupResponse response;
  RETURN_IF_ERROR(cli::FromGrpc(
      "CreateBackup",
      client->stub().CreateBackup(client->NewContext().get(),
                                  v1::CreateBackupRequest(), &response)));
  std::cout << "backup written on the server to " << response.path() << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddCatalogCommands(CLI::App* app, absl::Status* result) {
  auto flags = std::make_shared<CatalogFlags>();
  CLI::App* catalog = app->add_subcommand("catalog", "The module catalogue");
  catalog->require_subcommand(1);

  CLI::App* c = catalog->add_subcommand("list", "List catalogue entries");
  c->add_option("--owner", flags->owner, "Only this owner")
      ->check(cli::OwnerValue());
  c->add_flag("--json", flags->json, "Machine-readable output");
  cli::AddConnectionFlags(c, &flags->connection);
  c->callback([=] { *result = RunList(*flags); });

  c = catalog->add_subcommand(
      "put", "Add or replace an entry (a CatalogEntry as .json or .textproto)");
  c->add_option("--entry", flags->entry, "The entry file")
      ->check(CLI::ExistingFile)
      ->required();
  cli::AddConnectionFlags(c, &flags->connection);
  c->callback([=] { *result = RunPut(*flags); });

  c = app->add_subcommand(
      "backup", "Have the authority write a backup of its store (key-admin)");
  cli::AddConnectionFlags(c, &flags->connection);
  c->callback([=] { *result = RunBackup(*flags); });
}

}  // namespace superlicense::slctl
