// Validation of the authority's request fields. Every check returns
// INVALID_ARGUMENT naming the field and the bad value (cut to a printable
// length), and nothing is stored when one fails.
#ifndef SUPERLICENSE_AUTHORITY_SERVICE_REQUEST_CHECKS_H_
#define SUPERLICENSE_AUTHORITY_SERVICE_REQUEST_CHECKS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "superlicense/v1/authority.pb.h"

namespace superlicense::authority {

// A short, printable rendering of a bad value for error messages.
std::string Shown(absl::string_view value);

// 1 to `max_bytes` bytes of well-formed UTF-8 text without control
// characters.
absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_bytes);

// Empty (no filter) or an owner name: 1 to 32 characters of A-Z and 0-9.
absl::Status CheckOwnerFilter(absl::string_view field, absl::string_view value);

// Well-formed UTF-8 (possibly empty), as protobuf requires of strings.
absl::Status CheckUtf8(absl::string_view field, absl::string_view value);

// A serial with a valid check digit (superlicense/serial_number.h).
absl::Status CheckSerialField(absl::string_view field, absl::string_view value);

// Page size 0 (default) or 1 to `max`.
absl::Status CheckPageSize(absl::string_view field, uint32_t value,
                           uint32_t max);

// The non-module fields of an issue request: site, dates in order,
// metered thresholds (known service, at most one each), idempotency key.
absl::Status CheckIssueRequest(const v1::IssueLicenseSetRequest& request,
                               int64_t now);

// A calendar month "YYYY-MM": year 2000 to 9999, month 01 to 12.
absl::Status CheckMonthField(absl::string_view field, absl::string_view value);

// The fields of a usage report other than the serial: month (also not after
// the UTC calendar month of `now`, Unix seconds), users (at most
// 10,000,000), and per usage entry a metered service (not UNSPECIFIED, at
// most once) with used at most 2^63-1.
absl::Status CheckUsageReport(const v1::ReportUsageRequest& request,
                              int64_t now);

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_SERVICE_REQUEST_CHECKS_H_
