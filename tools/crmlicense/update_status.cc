#include "tools/crmlicense/update_status.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keys/status_macros.h"
#include "tools/cli/cli_support.h"
#include "tools/crmlicense/session.h"

namespace superlicense::crmlicense {
namespace {

constexpr char kCountsReason[] = "fewer licenses than are in use: ";

// Parses the modules of the importer's count rejection (LicenseImporter,
// ShortfallError): `module "NAME": A in use, B in the new set, remove C`,
// separated by "; ".
std::vector<BlockedLicense> ParseShortfalls(const std::string& message) {
  std::vector<BlockedLicense> out;
  size_t pos = message.find(kCountsReason);
  while (pos != std::string::npos &&
         (pos = message.find("module \"", pos)) != std::string::npos) {
    const size_t name_begin = pos + 8;
    const size_t name_end = message.find('"', name_begin);
    if (name_end == std::string::npos) break;
    BlockedLicense b;
    b.module = message.substr(name_begin, name_end - name_begin);
    long long in_use = 0, total = 0;
    if (std::sscanf(message.c_str() + name_end, "\": %lld in use, %lld in",
                    &in_use, &total) == 2) {
      b.in_use = in_use;
      b.new_total = total;
      out.push_back(b);
    }
    pos = name_end;
  }
  return out;
}

// Fills in who holds each blocked module now, and how many are in use now.
absl::Status AddHolders(client::CrmReader& db, const std::string& owner_name,
                        std::vector<BlockedLicense>& blocked) {
  absl::StatusOr<client::OwnerView> owner = db.GetOwner(owner_name);
  if (absl::IsNotFound(owner.status())) return absl::OkStatus();
  if (!owner.ok()) return owner.status();
  ASSIGN_OR_RETURN(std::vector<client::Associate> associates,
                   db.ListAssociates());
  std::map<int64_t, std::string> names;
  for (const client::Associate& a : associates) names[a.id] = a.name;
  for (BlockedLicense& b : blocked) {
    std::set<int64_t> ids;
    for (const client::ModuleRecord& m : owner->modules) {
      if (m.module_name == b.module) ids.insert(m.id);
    }
    b.in_use = 0;
    for (const client::AssocLinkRecord& link : owner->assoc_links) {
      if (ids.count(link.module_license_id) == 0) continue;
      b.in_use += link.license_number;
      auto it = names.find(link.assoc_id);
      b.holders.push_back(it != names.end() ? it->second
                                            : absl::StrCat("#", link.assoc_id));
    }
    std::sort(b.holders.begin(), b.holders.end());
    b.must_remove = std::max<int64_t>(0, b.in_use - b.new_total);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UpdateStatus> ReadUpdateStatus(client::CrmReader& db,
                                              const std::string& owner_name) {
  ASSIGN_OR_RETURN(std::vector<client::ImportHistoryEntry> history,
                   db.ListImportHistory(owner_name));
  UpdateStatus out;
  if (history.empty()) {
    out.kind = "none";
    out.text = "no licence imported yet";
    return out;
  }
  const client::ImportHistoryEntry& newest = history.back();
  out.version = newest.version;
  out.at = newest.at;
  out.blocked = newest.result == "accepted" ? std::vector<BlockedLicense>{}
                                            : ParseShortfalls(newest.message);
  if (out.blocked.empty()) {
    // Refused for another reason (a replay, another serial, ...): what is
    // installed is still the newest accepted set.
    const client::ImportHistoryEntry* accepted = nullptr;
    for (const client::ImportHistoryEntry& e : history) {
      if (e.result == "accepted") accepted = &e;
    }
    if (accepted != nullptr) {
      out.kind = "activated";
      out.text = absl::StrCat("New licence activated (v", accepted->version,
                              ", ", cli::FormatDate(accepted->at), ")");
    } else {
      out.kind = "rejected";
      out.text = "Activate new licence: no set accepted yet";
    }
    if (newest.result != "accepted") {
      out.last_rejection =
          absl::StrCat("v", newest.version, " refused ",
                       cli::FormatDate(newest.at), ": ", newest.message);
    }
    return out;
  }
  RETURN_IF_ERROR(AddHolders(db, owner_name, out.blocked));
  out.kind = "blocked";
  out.text = absl::StrCat("Activate new licence: blocked (v", newest.version,
                          ", ", cli::FormatDate(newest.at),
                          "): the new set has fewer licences than are in use");
  return out;
}

std::string UpdateStatusText(const UpdateStatus& status) {
  std::string text = absl::StrCat("  update status: ", status.text, "\n");
  if (!status.last_rejection.empty()) {
    absl::StrAppend(&text, "    last import attempt ", status.last_rejection,
                    "\n");
  }
  for (const BlockedLicense& b : status.blocked) {
    absl::StrAppend(&text, "    ", b.module, ": ", b.in_use, " in use, ",
                    b.new_total, " available in the new set, ",
                    b.must_remove > 0 ? absl::StrCat("remove ", b.must_remove)
                                      : std::string("nothing to remove now"),
                    "; held by ",
                    b.holders.empty() ? std::string("nobody")
                                      : absl::StrJoin(b.holders, ", "),
                    "\n");
  }
  return text;
}

google::protobuf::Struct UpdateStatusJson(const std::string& owner_name,
                                          const UpdateStatus& status) {
  google::protobuf::Struct json;
  auto& f = *json.mutable_fields();
  f["owner"] = JsonString(owner_name);
  f["status"] = JsonString(status.kind);
  f["text"] = JsonString(status.text);
  f["version"] = JsonNumber(static_cast<double>(status.version));
  if (status.at != 0) f["at"] = JsonString(cli::FormatDate(status.at));
  if (!status.last_rejection.empty()) {
    f["last_rejection"] = JsonString(status.last_rejection);
  }
  google::protobuf::ListValue* list = f["blocked"].mutable_list_value();
  for (const BlockedLicense& b : status.blocked) {
    google::protobuf::Struct row;
    auto& r = *row.mutable_fields();
    r["module"] = JsonString(b.module);
    r["in_use"] = JsonNumber(static_cast<double>(b.in_use));
    r["new_total"] = JsonNumber(static_cast<double>(b.new_total));
    r["must_remove"] = JsonNumber(static_cast<double>(b.must_remove));
    google::protobuf::ListValue* holders = r["holders"].mutable_list_value();
    for (const std::string& h : b.holders) {
      *holders->add_values() = JsonString(h);
    }
    *list->add_values() = JsonStruct(row);
  }
  return json;
}

}  // namespace superlicense::crmlicense
