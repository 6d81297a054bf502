// Customer serial numbers (docs/FORMAT.md, "Serial numbers"): ten ASCII
// digits d1..d10, where d10 = (2*d1 + d2 + 2*d3 + d4) mod 10. A demo serial
// has d5..d9 all zero.
#ifndef SUPERLICENSE_PROTO_SUPERLICENSE_SERIAL_NUMBER_H_
#define SUPERLICENSE_PROTO_SUPERLICENSE_SERIAL_NUMBER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense {

inline constexpr size_t kSerialDigits = 10;

// Returns OK for a well-formed serial; INVALID_ARGUMENT naming the value and
// what is wrong (length, a non-digit, the check digit) otherwise.
absl::Status CheckSerial(absl::string_view serial);

// Makes the serial of the nine leading digits `body` (0 to 999999999) by
// appending its check digit. INVALID_ARGUMENT when `body` is out of range.
absl::StatusOr<std::string> SerialFromBody(uint64_t body);

// True for a valid demo serial.
bool IsDemoSerial(absl::string_view serial);

}  // namespace superlicense

#endif  // SUPERLICENSE_PROTO_SUPERLICENSE_SERIAL_NUMBER_H_
