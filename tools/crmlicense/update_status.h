// The update status above the licence list (docs/DOMAIN.md, "The licence
// screen"): "New licence activated" after the newest import, or "Activate
// new licence: blocked" when the newest attempt was refused because the new
// set has fewer licenses than are in use — with the licenses concerned and
// the users holding them now.
#ifndef SUPERLICENSE_TOOLS_CRMLICENSE_UPDATE_STATUS_H_
#define SUPERLICENSE_TOOLS_CRMLICENSE_UPDATE_STATUS_H_

#include <google/protobuf/struct.pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/crm_database.h"

namespace superlicense::crmlicense {

// A license the blocked set has too few of.
struct BlockedLicense {
  std::string module;
  int64_t in_use = 0;                // now
  int64_t new_total = 0;             // in the refused set
  int64_t must_remove = 0;           // max(0, in_use - new_total), now
  std::vector<std::string> holders;  // associate names, sorted
};

struct UpdateStatus {
  // "activated" (the newest set accepted is installed; a later attempt
  // refused for another reason than counts shows in last_rejection),
  // "blocked" (the newest attempt was refused for counts), "rejected"
  // (nothing accepted yet, the newest attempt refused) or "none" (no
  // attempt yet).
  std::string kind;
  std::string text;            // the line the screen shows
  int64_t version = 0;         // of the newest attempt
  int64_t at = 0;              // when it was made
  std::string last_rejection;  // "vN refused DATE: reason"; "" when none
  std::vector<BlockedLicense> blocked;  // kind "blocked"
};

// Reads the owner's import history (the newest attempt decides) and, when
// it was blocked by counts, the modules named in its recorded reason and
// who holds them now. Database errors passed through.
absl::StatusOr<UpdateStatus> ReadUpdateStatus(client::CrmReader& db,
                                              const std::string& owner_name);

// Indented lines for the text screen.
std::string UpdateStatusText(const UpdateStatus& status);
google::protobuf::Struct UpdateStatusJson(const std::string& owner_name,
                                          const UpdateStatus& status);

}  // namespace superlicense::crmlicense

#endif  // SUPERLICENSE_TOOLS_CRMLICENSE_UPDATE_STATUS_H_
