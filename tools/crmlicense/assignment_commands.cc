// crmlicense assign | unassign | check | associates add | list: who holds
// which license. Assignment refuses (exit 3) what the rules forbid: a module
// at its count, a missing prerequisite, an associate type the module does
// not allow, a hidden module, and any license of an owner whose licenses are
// stopped (tampered or past graceTo). `check` exits 0 when licensed, 1 when
// not.
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/clock_watermark.h"
#include "client/license_assigner.h"
#include "client/license_view.h"
#include "client/system_messages.h"
#include "keys/clock.h"
#include "keys/status_macros.h"
#include "tools/cli/cli_support.h"
#include "tools/crmlicense/commands.h"

namespace superlicense::crmlicense {
namespace {

constexpr size_t kMaxAssociateName = 255;

// The owner `module` ("owner.module" or a bare name) belongs to in `view`,
// or nullptr when no owner is installed.
const client::OwnerStatus* OwnerOf(const client::LicenseView& view,
                                   absl::string_view module) {
  const size_t dot = module.find('.');
  if (dot != absl::string_view::npos) {
    for (const client::OwnerStatus& o : view.owners()) {
      if (absl::EqualsIgnoreCase(o.owner_name, module.substr(0, dot))) {
        return &o;
      }
    }
  }
  for (const client::OwnerStatus& o : view.owners()) {
    if (o.owner_name == "SUPEROFFICE") return &o;
  }
  return view.owners().empty() ? nullptr : &view.owners().front();
}

// Refuses to change assignments of an owner whose licenses are stopped.
absl::Status CheckOwnerGrants(const client::LicenseView& view,
                              absl::string_view module) {
  const client::OwnerStatus* owner = OwnerOf(view, module);
  if (owner != nullptr && !owner->grants()) {
    return cli::Rejected(absl::FailedPreconditionError(absl::StrCat(
        "licenses of owner ", owner->owner_name, " are stopped (",
        client::LicenseStateName(owner->state), "): ", owner->reason)));
  }
  return absl::OkStatus();
}

struct AssignArgs {
  std::string associate;
  std::string module;
};

absl::Status RunAssign(const GlobalFlags& flags, const AssignArgs& args,
                       bool assign) {
  ASSIGN_OR_RETURN(keys::TrustStore trust, LoadTrust(flags));
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  const Clock& clock = SystemClock::Get();
  ASSIGN_OR_RETURN(std::shared_ptr<const client::LicenseView> view,
                   client::LicenseView::Load(*db, trust, clock));
  RETURN_IF_ERROR(CheckOwnerGrants(*view, args.module));
  client::LicenseAssigner assigner;
  const absl::Status done =
      assign ? assigner.Assign(*db, args.associate, args.module)
             : assigner.Unassign(*db, args.associate, args.module);
  if (absl::IsFailedPrecondition(done)) return cli::Rejected(done);
  RETURN_IF_ERROR(done);
  RETURN_IF_ERROR(client::RecordTimeSeen(*db, clock));
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["associate"] = JsonString(args.associate);
  f["module"] = JsonString(args.module);
  f["assigned"] = JsonBool(assign);
  Print(flags, json,
        assign ? absl::StrCat("assigned ", args.module, " to ", args.associate,
                              "\n")
               : absl::StrCat("removed ", args.module, " from ", args.associate,
                              "\n"));
  return absl::OkStatus();
}

// Why `associate_id` does not hold `module`.
std::string WhyNot(const client::LicenseView& view, absl::string_view module) {
  const client::OwnerStatus* owner = OwnerOf(view, module);
  if (owner == nullptr) return "no license set is installed";
  if (!owner->grants()) {
    return absl::StrCat(
        "licenses of owner ", owner->owner_name, " are stopped (",
        client::LicenseStateName(owner->state), "): ", owner->reason);
  }
  absl::string_view name = module;
  const size_t dot = module.find('.');
  if (dot != absl::string_view::npos &&
      absl::EqualsIgnoreCase(owner->owner_name, module.substr(0, dot))) {
    name = module.substr(dot + 1);
  }
  for (const client::ModuleStatus& m : view.modules()) {
    if (m.owner_name == owner->owner_name && m.module_name == name) {
      return "not assigned";
    }
  }
  return absl::StrCat("owner ", owner->owner_name, " has no module \"", name,
                      "\"");
}

absl::Status RunCheck(const GlobalFlags& flags, const AssignArgs& args) {
  ASSIGN_OR_RETURN(keys::TrustStore trust, LoadTrust(flags));
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  ASSIGN_OR_RETURN(std::shared_ptr<const client::LicenseView> view,
                   client::LicenseView::Load(*db, trust, SystemClock::Get()));
  // Best effort: the answer must not depend on whether the database can
  // take the message (a read-only replica, a busy writer).
  client::RecordStateChanges(*db, *view, ActingUser(flags)).IgnoreError();
  ASSIGN_OR_RETURN(client::Associate associate,
                   client::FindAssociate(*db, args.associate));
  const bool licensed = view->Has(associate.id, args.module);
  const std::string reason = licensed ? "" : WhyNot(*view, args.module);
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["associate"] = JsonString(associate.name);
  f["associate_id"] = JsonNumber(static_cast<double>(associate.id));
  f["module"] = JsonString(args.module);
  f["licensed"] = JsonBool(licensed);
  if (!licensed) f["reason"] = JsonString(reason);
  Print(flags, json,
        licensed ? absl::StrCat(associate.name, " is licensed for ",
                                args.module, "\n")
                 : absl::StrCat(associate.name, " is NOT licensed for ",
                                args.module, ": ", reason, "\n"));
  if (licensed) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("not licensed: ", associate.name, " / ", args.module));
}

struct AddAssociateFlags {
  std::string name;
  int64_t type = 1;
  bool inactive = false;
};

absl::Status RunAddAssociate(const GlobalFlags& flags,
                             const AddAssociateFlags& add) {
  const std::string name(absl::StripAsciiWhitespace(add.name));
  if (name.empty() || name.size() > kMaxAssociateName) {
    return absl::InvalidArgumentError(
        absl::StrCat("associate name must be 1 to ", kMaxAssociateName,
                     " characters, got ", add.name.size()));
  }
  for (char ch : name) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
      return absl::InvalidArgumentError(
          "associate name must not contain control characters");
    }
  }
  if (name.find_first_not_of("0123456789") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("associate name \"", name,
                     "\" is all digits: it would be read as an associate id"));
  }
  if (add.type <= 0 || add.type > (int64_t{1} << 30) ||
      (add.type & (add.type - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--type must be one allowedAssocsMask bit (1, 2, 4, ...), got ",
        add.type));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmTransaction> txn,
                   db->BeginWrite());
  client::Associate associate;
  associate.name = name;
  associate.type = add.type;
  associate.active = !add.inactive;
  ASSIGN_OR_RETURN(int64_t id, txn->AddAssociate(associate));
  RETURN_IF_ERROR(txn->Commit());
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["associate_id"] = JsonNumber(static_cast<double>(id));
  f["name"] = JsonString(name);
  Print(flags, json, absl::StrCat("added associate ", id, " ", name, "\n"));
  return absl::OkStatus();
}

absl::Status RunListAssociates(const GlobalFlags& flags) {
  ASSIGN_OR_RETURN(std::unique_ptr<client::CrmDatabase> db,
                   OpenDatabase(flags));
  ASSIGN_OR_RETURN(std::vector<client::Associate> associates,
                   db->ListAssociates());
  google::protobuf::Struct json;
  google::protobuf::ListValue* list =
      (*json.mutable_fields())["associates"].mutable_list_value();
  std::string text =
      absl::StrFormat("%8s  %-30s %5s %-8s\n", "id", "name", "type", "active");
  for (const client::Associate& a : associates) {
    google::protobuf::Struct row;
    auto& r = *row.mutable_fields();
    r["associate_id"] = JsonNumber(static_cast<double>(a.id));
    r["name"] = JsonString(a.name);
    r["type"] = JsonNumber(static_cast<double>(a.type));
    r["active"] = JsonBool(a.active);
    *list->add_values() = JsonStruct(row);
    absl::StrAppendFormat(&text, "%8d  %-30s %5d %-8s\n", a.id, a.name, a.type,
                          a.active ? "yes" : "no");
  }
  Print(flags, json, text);
  return absl::OkStatus();
}

}  // namespace

void AddAssignmentCommands(CLI::App* app, const GlobalFlags* flags,
                           absl::Status* result) {
  for (bool assign : {true, false}) {
    auto args = std::make_shared<AssignArgs>();
    CLI::App* c = app->add_subcommand(
        assign ? "assign" : "unassign",
        assign ? "Assign a user license or plan to an associate"
               : "Remove a user license or plan from an associate");
    c->add_option("associate", args->associate, "Associate id or name")
        ->required();
    c->add_option("module", args->module,
                  "Module or plan: sale-cal or superoffice.sale-cal")
        ->required();
    c->callback([=] { *result = RunAssign(*flags, *args, assign); });
  }

  auto check = std::make_shared<AssignArgs>();
  CLI::App* c = app->add_subcommand(
      "check", "Exit 0 when the associate holds the license, 1 when not");
  c->add_option("associate", check->associate, "Associate id or name")
      ->required();
  c->add_option("module", check->module, "Module: sale-cal or owner.module")
      ->required();
  c->callback([=] { *result = RunCheck(*flags, *check); });

  CLI::App* associates =
      app->add_subcommand("associates", "The associate table (users)");
  associates->require_subcommand(1);
  auto add = std::make_shared<AddAssociateFlags>();
  c = associates->add_subcommand("add", "Add an associate");
  c->add_option("name", add->name, "Unique name")->required();
  c->add_option("--type", add->type,
                "allowedAssocsMask bit of the associate's type (default 1)")
      ->check(CLI::IsMember({1, 2, 4, 8}));
  c->add_flag("--inactive", add->inactive, "Add as inactive");
  c->callback([=] { *result = RunAddAssociate(*flags, *add); });
  c = associates->add_subcommand("list", "List associates");
  c->callback([=] { *result = RunListAssociates(*flags); });
}

}  // namespace superlicense::crmlicense
