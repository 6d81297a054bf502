#include "authority/service/request_checks.h"

#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "keys/status_macros.h"
#include "keys/trust_store.h"
#include "superlicense/serial_number.h"

namespace superlicense::authority {
namespace {

constexpr int64_t kMaxDate = 253402300799;  // 9999-12-31T23:59:59Z

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", why));
}

absl::Status CheckDate(absl::string_view field, int64_t value) {
  if (value < 0 || value > kMaxDate) {
    return Invalid(field, absl::StrCat(value,
                                       ": must be 0 or a time up to "
                                       "9999-12-31 (Unix seconds)"));
  }
  return absl::OkStatus();
}

absl::Status CheckDates(const v1::IssueLicenseSetRequest& r, int64_t now) {
  RETURN_IF_ERROR(CheckDate("expiration", r.expiration()));
  RETURN_IF_ERROR(CheckDate("grace_to", r.grace_to()));
  RETURN_IF_ERROR(CheckDate("maintenance_to", r.maintenance_to()));
  RETURN_IF_ERROR(CheckDate("next_check_date", r.next_check_date()));
  RETURN_IF_ERROR(CheckDate("admin_warning_date", r.admin_warning_date()));
  if (r.expiration() != 0 && r.expiration() <= now) {
    return Invalid("expiration",
                   absl::StrCat(r.expiration(), ": is in the past"));
  }
  if (r.expiration() != 0 && r.grace_to() != 0 &&
      r.grace_to() < r.expiration()) {
    return Invalid(
        "grace_to",
        absl::StrCat(r.grace_to(), ": is before expiration ", r.expiration()));
  }
  if (r.expiration() == 0 && r.grace_to() != 0) {
    return Invalid("grace_to",
                   absl::StrCat(r.grace_to(), ": set without an expiration"));
  }
  if (r.admin_warning_date() != 0 && r.expiration() != 0 &&
      r.admin_warning_date() > r.expiration()) {
    return Invalid("admin_warning_date",
                   absl::StrCat(r.admin_warning_date(),
                                ": is after expiration ", r.expiration()));
  }
  return absl::OkStatus();
}

absl::Status CheckSite(const v1::Site& site) {
  if (site.kind() == v1::SITE_KIND_CENTRAL && site.satellite_id() != 0) {
    return Invalid("site.satellite_id",
                   absl::StrCat(site.satellite_id(),
                                ": must be 0 for the central database"));
  }
  if (site.kind() == v1::SITE_KIND_SATELLITE && site.satellite_id() == 0) {
    return Invalid("site.satellite_id", "0: a satellite needs an id");
  }
  if (site.kind() != v1::SITE_KIND_CENTRAL &&
      site.kind() != v1::SITE_KIND_SATELLITE) {
    return Invalid("site.kind", absl::StrCat(static_cast<int>(site.kind()),
                                             ": must be CENTRAL or SATELLITE"));
  }
  return absl::OkStatus();
}

absl::Status CheckMetered(const v1::IssueLicenseSetRequest& r) {
  std::set<int> seen;
  for (int i = 0; i < r.metered_services_size(); ++i) {
    const v1::MeteredServiceThreshold& t = r.metered_services(i);
    const std::string field = absl::StrCat("metered_services[", i, "]");
    if (!v1::MeteredServiceKind_IsValid(t.service()) ||
        t.service() == v1::METERED_SERVICE_KIND_UNSPECIFIED) {
      return Invalid(field + ".service",
                     absl::StrCat(static_cast<int>(t.service()),
                                  ": is not a metered service"));
    }
    if (!seen.insert(t.service()).second) {
      return Invalid(field + ".service",
                     absl::StrCat(v1::MeteredServiceKind_Name(t.service()),
                                  ": is given twice"));
    }
    constexpr uint64_t kMax = uint64_t{1} << 62;
    if (t.base_amount() > kMax) {
      return Invalid(field + ".base_amount",
                     absl::StrCat(t.base_amount(), ": must be at most 2^62"));
    }
    if (t.per_user_amount() > kMax) {
      return Invalid(
          field + ".per_user_amount",
          absl::StrCat(t.per_user_amount(), ": must be at most 2^62"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckServiceUsage(const v1::ReportUsageRequest& r) {
  std::set<int> seen;
  for (int i = 0; i < r.usage_size(); ++i) {
    const v1::ServiceUsage& u = r.usage(i);
    const std::string field = absl::StrCat("usage[", i, "]");
    if (!v1::MeteredServiceKind_IsValid(u.service()) ||
        u.service() == v1::METERED_SERVICE_KIND_UNSPECIFIED) {
      return Invalid(field + ".service",
                     absl::StrCat(static_cast<int>(u.service()),
                                  ": is not a metered service"));
    }
    if (!seen.insert(u.service()).second) {
      return Invalid(field + ".service",
                     absl::StrCat(v1::MeteredServiceKind_Name(u.service()),
                                  ": is given twice"));
    }
    if (u.used() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Invalid(field + ".used",
                     absl::StrCat(u.used(), ": must be at most 2^63-1"));
    }
  }
  return absl::OkStatus();
}

// Whether `value` is well-formed UTF-8 (shortest forms, no surrogates, at
// most U+10FFFF), as protobuf requires of string fields.
bool IsUtf8(absl::string_view value) {
  size_t i = 0;
  while (i < value.size()) {
    const unsigned char lead = static_cast<unsigned char>(value[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // Continuation bytes after the lead, the lead's payload bits, and the
    // smallest code point that needs this many bytes.
    int more = 3;
    uint32_t code = lead & 0x07;
    uint32_t min = 0x10000;
    if ((lead & 0xE0) == 0xC0) {
      more = 1;
      code = lead & 0x1F;
      min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      more = 2;
      code = lead & 0x0F;
      min = 0x800;
    } else if ((lead & 0xF8) != 0xF0) {
      return false;
    }
    if (value.size() - i <= static_cast<size_t>(more)) return false;
    for (int k = 1; k <= more; ++k) {
      const unsigned char next = static_cast<unsigned char>(value[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += more + 1;
  }
  return true;
}

}  // namespace

std::string Shown(absl::string_view value) {
  std::string out;
  for (char c : value.substr(0, 64)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  }
  if (value.size() > 64) out += "...";
  return out;
}

absl::Status CheckOwnerFilter(absl::string_view field,
                              absl::string_view value) {
  if (value.empty() || keys::CheckOwnerName(value).ok()) {
    return absl::OkStatus();
  }
  return Invalid(field, absl::StrCat("\"", Shown(value),
                                     "\": must be 1 to 32 characters of A-Z "
                                     "and 0-9"));
}

absl::Status CheckUtf8(absl::string_view field, absl::string_view value) {
  if (IsUtf8(value)) return absl::OkStatus();
  return Invalid(field, absl::StrCat("\"", absl::CHexEscape(Shown(value)),
                                     "\": is not valid UTF-8"));
}

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_bytes) {
  if (value.empty() || value.size() > max_bytes) {
    return Invalid(
        field, absl::StrCat("\"", Shown(value), "\": must be 1 to ", max_bytes,
                            " bytes, not ", value.size()));
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Invalid(field, absl::StrCat("\"", Shown(value),
                                         "\": has control characters"));
    }
  }
  if (!IsUtf8(value)) {
    return Invalid(field, absl::StrCat("\"", absl::CHexEscape(Shown(value)),
                                       "\": is not valid UTF-8"));
  }
  return absl::OkStatus();
}

absl::Status CheckSerialField(absl::string_view field,
                              absl::string_view value) {
  absl::Status status = CheckSerial(value);
  if (!status.ok()) {
    // The message quotes the value; keep control characters out of it.
    std::string message(status.message());
    for (char& c : message) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
  }
  return absl::OkStatus();
}

absl::Status CheckPageSize(absl::string_view field, uint32_t value,
                           uint32_t max) {
  if (value > max) {
    return Invalid(field, absl::StrCat(value, ": must be 0 to ", max));
  }
  return absl::OkStatus();
}

absl::Status CheckIssueRequest(const v1::IssueLicenseSetRequest& request,
                               int64_t now) {
  RETURN_IF_ERROR(CheckSerialField("serial", request.serial()));
  RETURN_IF_ERROR(CheckSite(request.site()));
  RETURN_IF_ERROR(CheckDates(request, now));
  RETURN_IF_ERROR(CheckMetered(request));
  if (request.idempotency_key().size() > 128) {
    return Invalid("idempotency_key",
                   absl::StrCat("is ", request.idempotency_key().size(),
                                " bytes, at most 128"));
  }
  return absl::OkStatus();
}

absl::Status CheckMonthField(absl::string_view field, absl::string_view value) {
  const absl::Status bad = Invalid(
      field, absl::StrCat("\"", Shown(value),
                          "\": must be YYYY-MM, year 2000 to 9999, month "
                          "01 to 12"));
  if (value.size() != 7 || value[4] != '-') return bad;
  for (size_t i = 0; i < value.size(); ++i) {
    if (i != 4 && !absl::ascii_isdigit(static_cast<unsigned char>(value[i]))) {
      return bad;
    }
  }
  int year = 0;
  int month = 0;
  if (!absl::SimpleAtoi(value.substr(0, 4), &year) ||
      !absl::SimpleAtoi(value.substr(5, 2), &month)) {
    return bad;
  }
  if (year < 2000 || month < 1 || month > 12) return bad;
  return absl::OkStatus();
}

absl::Status CheckUsageReport(const v1::ReportUsageRequest& request,
                              int64_t now) {
  RETURN_IF_ERROR(CheckMonthField("month", request.month()));
  // Both are fixed-width "YYYY-MM", so text order is time order.
  const std::string current = absl::FormatTime(
      "%Y-%m", absl::FromUnixSeconds(now), absl::UTCTimeZone());
  if (request.month() > current) {
    return Invalid("month", absl::StrCat("\"", request.month(),
                                         "\": is after the current month ",
                                         current, " (UTC)"));
  }
  constexpr uint64_t kMaxUsers = 10'000'000;
  if (request.users() > kMaxUsers) {
    return Invalid("users",
                   absl::StrCat(request.users(), ": must be at most 10000000"));
  }
  return CheckServiceUsage(request);
}

}  // namespace superlicense::authority
