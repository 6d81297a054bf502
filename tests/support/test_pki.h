// TestPki: certificates for TLS tests, made with the `openssl` command-line
// tool in a directory the test owns: a CA, a server certificate for
// "localhost" (subjectAltName IP:127.0.0.1 and DNS:localhost), client
// certificates for given common names signed by that CA, and an unrelated
// second CA with one client certificate of its own (an "untrusted client");
// on request, client certificates a server must refuse although they name a
// known principal (expired, self-signed). All keys are ECDSA P-256, which
// gRPC's TLS accepts.
#ifndef SUPERLICENSE_TESTS_SUPPORT_TEST_PKI_H_
#define SUPERLICENSE_TESTS_SUPPORT_TEST_PKI_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace superlicense::testing {

// A certificate and its private key, as files and as PEM text.
struct CertificateFiles {
  std::string cert_path;
  std::string key_path;
  std::string cert_pem;
  std::string key_pem;
};

struct TestPki {
  // The trusted CA (its key stays in the directory).
  CertificateFiles ca;
  // CN=localhost, for 127.0.0.1 and localhost, signed by `ca`.
  CertificateFiles server;
  // Client certificates signed by `ca`, by common name.
  std::map<std::string, CertificateFiles> clients;
  // An unrelated CA and a client certificate it signed.
  CertificateFiles untrusted_ca;
  CertificateFiles untrusted_client;
};

// Makes the PKI in `directory` (which must exist; files are created in it,
// and nothing else is touched). Common names are limited to letters, digits
// and " .-_@" (they go into an OpenSSL subject). INVALID_ARGUMENT for another
// common name; INTERNAL with openssl's output when a command fails.
// Not thread-safe for the same directory.
absl::StatusOr<TestPki> MakeTestPki(
    const std::string& directory,
    const std::vector<std::string>& client_common_names,
    const std::string& untrusted_client_common_name = "untrusted-client");

// Client certificates with a known principal's common name that TLS must
// still refuse.
struct RefusedClientCertificates {
  // Signed by the trusted CA; valid from two days ago until yesterday.
  CertificateFiles expired;
  // Its own issuer (not signed by any CA the server trusts).
  CertificateFiles self_signed;
};

// Makes them for `common_name` in `directory`, where MakeTestPki made `pki`
// (it uses the CA's key and the openssl configuration left there). Errors as
// MakeTestPki. Not thread-safe for the same directory.
absl::StatusOr<RefusedClientCertificates> MakeRefusedClientCertificates(
    const std::string& directory, const TestPki& pki,
    const std::string& common_name);

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_SUPPORT_TEST_PKI_H_
