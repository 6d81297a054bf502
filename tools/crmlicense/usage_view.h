// Rendering shared by `status` (the status tab), `usage report` and
// `messages`: a month of consumption and a list of system messages, as text
// and as JSON.
#ifndef SUPERLICENSE_TOOLS_CRMLICENSE_USAGE_VIEW_H_
#define SUPERLICENSE_TOOLS_CRMLICENSE_USAGE_VIEW_H_

#include <google/protobuf/struct.pb.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/consumption.h"
#include "client/crm_database.h"
#include "client/license_view.h"
#include "tools/crmlicense/session.h"

namespace superlicense::crmlicense {

// The month's consumption of owner SUPEROFFICE against the thresholds of
// its verified set in `view` (none when it is not installed).
absl::StatusOr<client::MonthUsage> UsageForScreen(
    client::CrmReader& db, const client::LicenseView& view,
    const std::string& month);

// "consumption YYYY-MM (N users ...)" and one line per service.
std::string UsageText(const client::MonthUsage& usage);
google::protobuf::Struct UsageJson(const client::MonthUsage& usage);

// One line per message: started, type, owner, operation, status, by whom,
// expected end, message.
std::string MessagesText(const std::vector<client::SystemMessage>& messages);
google::protobuf::ListValue MessagesJson(
    const std::vector<client::SystemMessage>& messages);

}  // namespace superlicense::crmlicense

#endif  // SUPERLICENSE_TOOLS_CRMLICENSE_USAGE_VIEW_H_
