// The clock watermark: the newest time this installation has seen, per
// owner. LicenseView reports a clock earlier than it as tampering (someone
// set the clock back to escape an expiry). Callers raise it whenever they
// write anyway (import, assignment, status screens).
#ifndef SUPERLICENSE_CLIENT_CLOCK_WATERMARK_H_
#define SUPERLICENSE_CLIENT_CLOCK_WATERMARK_H_

#include "absl/status/status.h"
#include "client/crm_database.h"
#include "keys/clock.h"

namespace superlicense::client {

// Raises the watermark of every installed owner to the clock's now, in one
// write transaction. Never lowers it, so a clock set back leaves it where it
// was.
absl::Status RecordTimeSeen(CrmDatabase& db, const Clock& clock);

}  // namespace superlicense::client

#endif  // SUPERLICENSE_CLIENT_CLOCK_WATERMARK_H_
