#include "tests/support/postgres_server.h"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace superlicense::testing {
namespace {

constexpr char kBinDir[] = "/usr/lib/postgresql/15/bin/";
constexpr int kPort = 5432;  // only names the socket file in our directory

// Runs argv, waits, returns the exit status (-1 when it could not run).
// stdout goes to stderr so test output stays readable.
int RunArgv(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(STDERR_FILENO, STDOUT_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

PostgresServer* g_server = nullptr;

void StopAtExit() {
  delete g_server;
  g_server = nullptr;
}

}  // namespace

absl::StatusOr<PostgresServer*> PostgresServer::Shared() {
  static std::mutex mu;
  static absl::Status* start_error = nullptr;
  std::lock_guard<std::mutex> lock(mu);
  if (g_server != nullptr) return g_server;
  if (start_error != nullptr) return *start_error;
  auto* server = new PostgresServer();
  absl::Status status = server->Start();
  if (!status.ok()) {
    delete server;
    start_error = new absl::Status(status);
    return status;
  }
  g_server = server;
  std::atexit(StopAtExit);
  return g_server;
}

absl::Status PostgresServer::RunPg(const std::string& program,
                                   const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  if (as_postgres_) argv = {"runuser", "-u", "postgres", "--"};
  argv.push_back(kBinDir + program);
  argv.insert(argv.end(), args.begin(), args.end());
  int rc = RunArgv(argv);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("\"", absl::StrJoin(argv, " "), "\" exited with ", rc,
                     "; server log tail:\n", LogTail(dir_ + "/server.log")));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::Start() {
  if (access((std::string(kBinDir) + "initdb").c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "PostgreSQL 15 is not installed (no ", kBinDir,
        "initdb): install the Debian package `postgresql` (tools/setup does)"));
  }
  std::string pattern = "/tmp/superlicense-pg-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed for the PostgreSQL cluster");
  }
  dir_ = pattern;
  socket_ = dir_;
  as_postgres_ = geteuid() == 0;
  if (as_postgres_) {
    struct passwd* pw = getpwnam("postgres");
    if (pw == nullptr || chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::FailedPreconditionError(
          "running as root but there is no usable `postgres` user to run "
          "PostgreSQL as");
    }
  }
  const std::string data = dir_ + "/data";
  if (absl::Status s =
          RunPg("initdb", {"-D", data, "-A", "trust", "-U", "postgres", "-E",
                           "UTF8", "--locale=C", "--no-sync"});
      !s.ok()) {
    return s;
  }
  const std::string options =
      absl::StrCat("-c listen_addresses= -k ", socket_, " -p ", kPort,
                   " -c fsync=off -c max_connections=200");
  if (absl::Status s =
          RunPg("pg_ctl", {"start", "-D", data, "-w", "-t", "60", "-l",
                           dir_ + "/server.log", "-o", options});
      !s.ok()) {
    return s;
  }
  running_ = true;
  return absl::OkStatus();
}

void PostgresServer::Stop() {
  if (running_) {
    RunPg("pg_ctl", {"stop", "-D", dir_ + "/data", "-m", "fast", "-w"})
        .IgnoreError();
    running_ = false;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

PostgresServer::~PostgresServer() { Stop(); }

std::string PostgresServer::Url(absl::string_view dbname) const {
  return absl::StrCat("postgresql://postgres@/", dbname, "?host=", socket_,
                      "&port=", kPort);
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase() {
  int n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = next_database_++;
  }
  std::string name = absl::StrCat("crm_", getpid(), "_", n);
  if (absl::Status s = RunPg(
          "createdb",
          {"-h", socket_, "-p", absl::StrCat(kPort), "-U", "postgres", name});
      !s.ok()) {
    return s;
  }
  return Url(name);
}

absl::Status PostgresServer::ExecuteSql(absl::string_view dbname,
                                        absl::string_view sql) {
  return RunPg("psql", {"-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", socket_,
                        "-p", absl::StrCat(kPort), "-U", "postgres", "-d",
                        std::string(dbname), "-c", std::string(sql)});
}

}  // namespace superlicense::testing
