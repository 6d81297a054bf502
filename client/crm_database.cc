#include "client/crm_database.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/internal/postgres_database.h"
#include "client/internal/sql_crm_database.h"
#include "client/internal/sqlite_database.h"
#include "keys/status_macros.h"

namespace superlicense::client {

std::string RedactUrl(absl::string_view url) {
  std::string out(url);
  // user:PASSWORD@host in the authority part.
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t end = out.find_first_of("/?", start);
    size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at > start) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // password=VALUE in the query string or a keyword/value string.
  for (size_t pos = 0;
       (pos = out.find("password=", pos)) != std::string::npos;) {
    size_t start = pos + 9;
    size_t end = out.find_first_of("& ", start);
    out.replace(start, (end == std::string::npos ? out.size() : end) - start,
                "***");
    pos = start;
  }
  return out;
}

absl::StatusOr<std::unique_ptr<CrmDatabase>> CrmDatabase::Open(
    absl::string_view url) {
  std::unique_ptr<internal::SqlConnection> connection;
  if (absl::StartsWith(url, "sqlite:")) {
    absl::string_view path = url.substr(7);
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "CRM database url \"sqlite:\" names no file");
    }
    ASSIGN_OR_RETURN(connection, internal::OpenSqlite(path));
  } else if (absl::StartsWith(url, "postgresql://") ||
             absl::StartsWith(url, "postgres://")) {
    ASSIGN_OR_RETURN(connection, internal::OpenPostgres(url));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("CRM database url \"", RedactUrl(url),
                     "\" is neither sqlite:PATH nor postgresql://..."));
  }
  return internal::MakeSqlCrmDatabase(std::move(connection));
}

}  // namespace superlicense::client
