#include "tests/support/test_pki.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
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

// `openssl ca`, used only for certificates with validity dates in the past
// (`openssl x509` in OpenSSL 3.0 can only start a certificate now).
constexpr char kOpenSslCaConfig[] = R"(
[ca]
default_ca = test_ca
[test_ca]
database = @DIR@/ca-db/index.txt
new_certs_dir = @DIR@/ca-db
serial = @DIR@/ca-db/serial
default_md = sha256
policy = any_name
unique_subject = no
[any_name]
commonName = supplied
)";

// `unix_seconds` as openssl's -startdate/-enddate want it.
std::string OpenSslTime(time_t unix_seconds) {
  struct tm utc;
  gmtime_r(&unix_seconds, &utc);
  char text[32];
  strftime(text, sizeof(text), "%Y%m%d%H%M%SZ", &utc);
  return text;
}

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

  // A self-signed certificate with the client extensions.
  absl::StatusOr<CertificateFiles> MakeSelfSignedClient(
      const std::string& stem, const std::string& common_name) {
    CertificateFiles files = Files(stem);
    absl::Status made =
        RunOpenSsl({"req",         "-x509",
                    "-config",     Path("openssl.cnf"),
                    "-extensions", "client_ext",
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

  // A client certificate signed by `ca`, valid from two days ago until
  // yesterday.
  absl::StatusOr<CertificateFiles> MakeExpiredClient(
      const CertificateFiles& ca, const std::string& stem,
      const std::string& common_name) {
    if (absl::Status ok = WriteCaDatabase(); !ok.ok()) return ok;
    CertificateFiles files = Files(stem);
    const std::string csr = Path(stem + ".csr");
    absl::Status made =
        RunOpenSsl({"req", "-new", "-config", Path("openssl.cnf"), "-newkey",
                    "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", absl::StrCat("/CN=", common_name), "-keyout",
                    files.key_path, "-out", csr},
                   Path(stem + ".log"));
    if (!made.ok()) return made;
    const time_t now = time(nullptr);
    made = RunOpenSsl(
        {"ca", "-batch", "-notext", "-config", Path("openssl-ca.cnf"), "-cert",
         ca.cert_path, "-keyfile", ca.key_path, "-in", csr, "-out",
         files.cert_path, "-startdate", OpenSslTime(now - 2 * 86400),
         "-enddate", OpenSslTime(now - 86400), "-extensions", "client_ext"},
        Path(stem + ".log"));
    if (!made.ok()) return made;
    return Load(std::move(files));
  }

 private:
  // The configuration and the (empty) database of `openssl ca`.
  absl::Status WriteCaDatabase() {
    std::error_code error;
    std::filesystem::create_directories(Path("ca-db"), error);
    std::string config = absl::StrCat(kOpenSslConfig, kOpenSslCaConfig);
    for (size_t at = config.find("@DIR@"); at != std::string::npos;
         at = config.find("@DIR@", at)) {
      config.replace(at, 5, directory_);
      at += directory_.size();
    }
    std::ofstream(Path("openssl-ca.cnf"), std::ios::trunc) << config;
    std::ofstream(Path("ca-db/index.txt"), std::ios::trunc);
    std::ofstream(Path("ca-db/serial"), std::ios::trunc) << "2000\n";
    if (error || ReadWholeFile(Path("openssl-ca.cnf")) != config) {
      return absl::InternalError("cannot write the openssl ca database");
    }
    return absl::OkStatus();
  }

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

absl::StatusOr<RefusedClientCertificates> MakeRefusedClientCertificates(
    const std::string& directory, const TestPki& pki,
    const std::string& common_name) {
  if (absl::Status ok = CheckCommonName(common_name); !ok.ok()) return ok;
  PkiMaker maker(directory);
  RefusedClientCertificates refused;
  absl::StatusOr<CertificateFiles> made =
      maker.MakeExpiredClient(pki.ca, "expired-client", common_name);
  if (!made.ok()) return made.status();
  refused.expired = *std::move(made);
  made = maker.MakeSelfSignedClient("self-signed-client", common_name);
  if (!made.ok()) return made.status();
  refused.self_signed = *std::move(made);
  return refused;
}

}  // namespace superlicense::testing
