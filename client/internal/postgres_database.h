// The PostgreSQL adapter (libpq): the only file that includes libpq headers.
#ifndef SUPERLICENSE_CLIENT_INTERNAL_POSTGRES_DATABASE_H_
#define SUPERLICENSE_CLIENT_INTERNAL_POSTGRES_DATABASE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/internal/sql_connection.h"

namespace superlicense::client::internal {

// Connects to the libpq connection URI `url`. UNAVAILABLE when the server
// cannot be reached or refuses the connection (the message shows the url
// without its password).
absl::StatusOr<std::unique_ptr<SqlConnection>> OpenPostgres(
    absl::string_view url);

}  // namespace superlicense::client::internal

#endif  // SUPERLICENSE_CLIENT_INTERNAL_POSTGRES_DATABASE_H_
