// slctl customer create | show | list | rename, against superlicensed.
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "keys/file_io.h"
#include "keys/status_macros.h"
#include "tools/cli/authority_client.h"
#include "tools/cli/cli_support.h"
#include "tools/slctl/commands.h"

namespace superlicense::slctl {
namespace {

using cli::AuthorityClient;

struct CustomerFlags {
  cli::ConnectionFlags connection;
  std::string company;
  std::string serial;
  std::string credential_out;
  uint32_t page_size = 100;
  bool json = false;
};

void PrintCustomer(const v1::CustomerRecord& record) {
  std::cout << record.customer().serial() << "  "
            << record.customer().company_name() << "  newest v"
            << record.newest_version() << "  created "
            << cli::FormatDate(record.created_at()) << "\n";
}

absl::Status RunCreate(const CustomerFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::CreateCustomerRequest request;
  request.set_company_name(flags.company);
  request.set_serial(flags.serial);
  v1::CreateCustomerResponse response;
  RETURN_IF_ERROR(cli::FromGrpc(
      "CreateCustomer", client->stub().CreateCustomer(
                            client->NewContext().get(), request, &response)));
  if (!flags.credential_out.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(
        flags.credential_out, response.installation_credential() + "\n", 0600,
        WriteMode::kCreateNew));
  }
  if (flags.json) {
    std::cout << cli::ToJson(response);
    return absl::OkStatus();
  }
  std::cout << "created customer " << response.customer().customer().serial()
            << " " << response.customer().customer().company_name() << "\n";
  if (flags.credential_out.empty()) {
    std::cout << "installation credential (shown once): "
              << response.installation_credential() << "\n";
  } else {
    std::cout << "installation credential written to " << flags.credential_out
              << " (mode 0600)\n";
  }
  return absl::OkStatus();
}

absl::Status RunShow(const CustomerFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::GetCustomerRequest request;
  request.set_serial(flags.serial);
  v1::CustomerRecord record;
  RETURN_IF_ERROR(cli::FromGrpc(
      "GetCustomer", client->stub().GetCustomer(client->NewContext().get(),
                                                request, &record)));
  if (flags.json) {
    std::cout << cli::ToJson(record);
  } else {
    PrintCustomer(record);
  }
  return absl::OkStatus();
}

absl::Status RunList(const CustomerFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::ListCustomersRequest request;
  request.set_page_size(flags.page_size);
  v1::ListCustomersResponse all;
  do {
    v1::ListCustomersResponse page;
    RETURN_IF_ERROR(cli::FromGrpc(
        "ListCustomers", client->stub().ListCustomers(
                             client->NewContext().get(), request, &page)));
    for (const auto& record : page.customers()) *all.add_customers() = record;
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  if (flags.json) {
    std::cout << cli::ToJson(all);
    return absl::OkStatus();
  }
  for (const auto& record : all.customers()) PrintCustomer(record);
  return absl::OkStatus();
}

absl::Status RunRename(const CustomerFlags& flags) {
  ASSIGN_OR_RETURN(auto client, AuthorityClient::Connect(flags.connection));
  v1::RenameCustomerRequest request;
  request.set_serial(flags.serial);
  request.set_company_name(flags.company);
  v1::CustomerRecord record;
  RETURN_IF_ERROR(cli::FromGrpc(
      "RenameCustomer", client->stub().RenameCustomer(
                            client->NewContext().get(), request, &record)));
  PrintCustomer(record);
  return absl::OkStatus();
}

}  // namespace

void AddCustomerCommands(CLI::App* app, absl::Status* result) {
  CLI::App* customer = app->add_subcommand("customer", "Customers");
  customer->require_subcommand(1);
  auto flags = std::make_shared<CustomerFlags>();

  CLI::App* c = customer->add_subcommand(
      "create", "Create a customer; prints its installation credential once");
  c->add_option("--company", flags->company, "Company name")->required();
  c->add_option("--serial", flags->serial,
                "Serial to use (default: the next free one)")
      ->check(cli::SerialValue());
  c->add_option("--credential-out", flags->credential_out,
                "Write the credential to this new file instead of printing");
  c->add_flag("--json", flags->json, "Machine-readable output");
  cli::AddConnectionFlags(c, &flags->connection);
  c->callback([=] { *result = RunCreate(*flags); });

  c = customer->add_subcommand("show", "Show one customer");
  c->add_option("--serial", flags->serial, "Serial")
      ->check(cli::SerialValue())
      ->required();
  c->add_flag("--json", flags->json, "Machine-readable output");
  cli::AddConnectionFlags(c, &flags->connection);
  c->callback([=] { *result = RunShow(*flags); });

  c = customer->add_subcommand("list", "List customers");
  c->add_option("--page-size", flags->page_size, "Customers per request")
      ->check(CLI::Range(1, 1000));
  c->add_flag("--json", flags->json, "Machine-readable output");
  cli::AddConnectionFlags(c, &flags->connection);
  c->callback([=] { *result = RunList(*flags); });

  c = customer->add_subcommand("rename", "Change a customer's company name");
  c->add_option("--serial", flags->serial, "Serial")
      ->check(cli::SerialValue())
      ->required();
  c->add_option("--company", flags->company, "New company name")->required();
  cli::AddConnectionFlags(c, &flags->connection);
  c->callback([=] { *result = RunRename(*flags); });
}

}  // namespace superlicense::slctl
