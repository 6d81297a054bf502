#include "tests/support/test_pki.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

extern char** environ;

namespace superlicense::testing {
namespace {

// Extensions for each kind of certificate; the [req] section is required by
// `openssl req` even though subjects come from -subj.
constexpr char kOpenSslConfig[] = R"(
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
)";

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Runs `openssl args...` without a shell, its output in `log_path`.
// INTERNAL with that output when it cannot start or exits with non-zero.
absl::Status RunOpenSsl(std::vector<std::string> args,
                        const std::string& log_path) {
  args.insert(args.begin(), "openssl");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawn_error =
      posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return absl::InternalError(
        absl::StrCat("cannot run openssl: ", std::strerror(spawn_error)));
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return absl::InternalError(absl::StrCat(
        "openssl ", args[1], " failed: ", ReadWholeFile(log_path)));
  }
  return absl::OkStatus();
}

absl::Status CheckCommonName(absl::string_view common_name) {
  const bool ok =
      !common_name.empty() && common_name.find_first_not_of(
                                  "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789 .-_@") == absl::string_view::npos;
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported common name \"", common_name, "\""));
}

// Makes files in one directory; `stem` names the files of each certificate.
class PkiMaker {
 public:
  explicit PkiMaker(std::string directory) : directory_(std::move(directory)) {}

  absl::Status WriteConfig() {
    std::ofstream out(Path("openssl.cnf"), std::ios::trunc);
    out << kOpenSslConfig;
    out.close();
    if (!out) return absl::InternalError("cannot write openssl.cnf");
    return absl::OkStatus();
  }

  // A self-signed CA.
  absl::StatusOr<CertificateFiles> MakeCa(const std::string& stem,
                                          const std::string& common_name) {
    CertificateFiles files = Files(stem);
    absl::Status made =
        RunOpenSsl({"req",         "-x509",
                    "-config",     Path("openssl.cnf"),
                    "-extensions", "ca_ext",
                    "-newkey",     "ec",
                    "-pkeyopt",    "ec_paramgen_curve:P-256",
                    "-nodes",      "-sha256",
                    "-days",       "3650",
                    "-subj",       absl::StrCat("/CN=", common_name),
                    "-keyout",     files.key_path,
                    "-out",        files.cert_path},
                   Path(stem + ".log"));
    if (!made.ok()) return made;
    return Load(std::move(files));
  }

  // A certificate signed by `ca` with the extensions section `extensions`.
  absl::StatusOr<CertificateFiles> MakeLeaf(const CertificateFiles& ca,
                                            const std::string& stem,
                                            const std::string& common_name,
                                            const std::string& extensions) {
    CertificateFiles files = Files(stem);
    const std::string csr = Path(stem + ".csr");
    absl::Status made =
        RunOpenSsl({"req", "-new", "-config", Path("openssl.cnf"), "-newkey",
                    "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", absl::StrCat("/CN=", common_name), "-keyout",
                    files.key_path, "-out", csr},
                   Path(stem + ".log"));
    if (!made.ok()) return made;
    made =
        RunOpenSsl({"x509", "-req", "-in", csr, "-CA", ca.cert_path, "-CAkey",
                    ca.key_path, "-set_serial", absl::StrCat(++serial_),
                    "-days", "3650", "-sha256", "-extfile", Path("openssl.cnf"),
                    "-extensions", extensions, "-out", files.cert_path},
                   Path(stem + ".log"));
    if (!made.ok()) return made;
    return Load(std::move(files));
  }

 private:
  std::string Path(const std::string& name) const {
    return absl::StrCat(directory_, "/", name);
  }
  CertificateFiles Files(const std::string& stem) const {
    CertificateFiles files;
    files.cert_path = Path(stem + ".pem");
    files.key_path = Path(stem + ".key");
    return files;
  }
  static absl::StatusOr<CertificateFiles> Load(CertificateFiles files) {
    files.cert_pem = ReadWholeFile(files.cert_path);
    files.key_pem = ReadWholeFile(files.key_path);
    if (files.cert_pem.empty() || files.key_pem.empty()) {
      return absl::InternalError(
          absl::StrCat("openssl wrote no ", files.cert_path));
    }
    return files;
  }

  const std::string directory_;
  int serial_ = 1000;
};

}  // namespace

absl::StatusOr<TestPki> MakeTestPki(
    const std::string& directory,
    const std::vector<std::string>& client_common_names,
    const std::string& untrusted_client_common_name) {
  for (const std::string& name : client_common_names) {
    if (absl::Status ok = CheckCommonName(name); !ok.ok()) return ok;
  }
  if (absl::Status ok = CheckCommonName(untrusted_client_common_name);
      !ok.ok()) {
    return ok;
  }
  PkiMaker maker(directory);
  if (absl::Status ok = maker.WriteConfig(); !ok.ok()) return ok;
  TestPki pki;
  absl::StatusOr<CertificateFiles> made =
      maker.MakeCa("ca", "SuperLicense Test CA");
  if (!made.ok()) return made.status();
  pki.ca = *std::move(made);
  made = maker.MakeLeaf(pki.ca, "server", "localhost", "server_ext");
  if (!made.ok()) return made.status();
  pki.server = *std::move(made);
  for (size_t i = 0; i < client_common_names.size(); ++i) {
    made = maker.MakeLeaf(pki.ca, absl::StrCat("client-", i),
                          client_common_names[i], "client_ext");
    if (!made.ok()) return made.status();
    pki.clients[client_common_names[i]] = *std::move(made);
  }
  made = maker.MakeCa("untrusted-ca", "Unrelated Test CA");
  if (!made.ok()) return made.status();
  pki.untrusted_ca = *std::move(made);
  made = maker.MakeLeaf(pki.untrusted_ca, "untrusted-client",
                        untrusted_client_common_name, "client_ext");
  if (!made.ok()) return made.status();
  pki.untrusted_client = *std::move(made);
  return pki;
}

}  // namespace superlicense::testing
