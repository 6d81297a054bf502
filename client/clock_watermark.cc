#include "client/clock_watermark.h"

#include <memory>
#include <string>
#include <vector>

#include "keys/status_macros.h"

namespace superlicense::client {

absl::Status RecordTimeSeen(CrmDatabase& db, const Clock& clock) {
  const int64_t now = absl::ToUnixSeconds(clock.Now());
  ASSIGN_OR_RETURN(std::unique_ptr<CrmTransaction> txn, db.BeginWrite());
  ASSIGN_OR_RETURN(std::vector<std::string> owners, txn->ListOwnerNames());
  for (const std::string& owner : owners) {
    RETURN_IF_ERROR(txn->RaiseClockWatermark(owner, now));
  }
  return txn->Commit();
}

}  // namespace superlicense::client
