// PostgresServer: a real PostgreSQL 15 server for one test binary.
//
//   ASSERT_OK_AND_ASSIGN(PostgresServer* server, PostgresServer::Shared());
//   ASSERT_OK_AND_ASSIGN(std::string url, server->CreateDatabase());
//   ... CrmDatabase::Open(url) ...
//
// The server is started lazily on first use and serves the whole binary:
// a fresh cluster (initdb, trust authentication) in a temporary directory
// owned by the `postgres` user when the binary runs as root (PostgreSQL
// refuses to run as root; commands go through `runuser -u postgres --`),
// listening only on a Unix socket inside that directory (no TCP port to
// collide with). It is stopped (pg_ctl stop -m fast) and the directory
// removed when the process exits.
//
// Thread-safe.
#ifndef SUPERLICENSE_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define SUPERLICENSE_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense::testing {

class PostgresServer {
 public:
  // Returns the binary's server, starting it on first call.
  // FAILED_PRECONDITION when PostgreSQL 15 is not installed (package
  // `postgresql`, installed by tools/setup); INTERNAL when it fails to
  // start (the message includes the server log's tail). A failed start is
  // remembered: later calls return the same error.
  static absl::StatusOr<PostgresServer*> Shared();

  // Creates a new, empty database and returns its libpq URI.
  absl::StatusOr<std::string> CreateDatabase();
  // Runs `sql` with psql in database `dbname`.
  absl::Status ExecuteSql(absl::string_view dbname, absl::string_view sql);
  // Returns the libpq URI of database `dbname`.
  std::string Url(absl::string_view dbname) const;

  ~PostgresServer();

 private:
  PostgresServer() = default;
  absl::Status Start();
  void Stop();
  // Runs a PostgreSQL program (as `postgres` when root); returns its status.
  absl::Status RunPg(const std::string& program,
                     const std::vector<std::string>& args);

  std::string dir_;     // temporary directory
  std::string socket_;  // Unix socket directory (== dir_)
  bool as_postgres_ = false;
  bool running_ = false;
  std::mutex mu_;
  int next_database_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_SUPPORT_POSTGRES_SERVER_H_
