// AuthorityServer: superlicensed's server, startable in-process (tests use
// port 0). It wires the store, the catalogue, the owner's active key, the
// authenticator and authorizer, the SuperLicense service, the health
// service and server reflection.
#ifndef SUPERLICENSE_AUTHORITY_SERVER_AUTHORITY_SERVER_H_
#define SUPERLICENSE_AUTHORITY_SERVER_AUTHORITY_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "keys/clock.h"
#include "keys/keystore.h"

namespace superlicense::authority {

struct ServerOptions {
  std::string listen = "127.0.0.1:8443";  // host:port; port 0 picks one
  std::string data_dir;                   // RocksDB directory
  std::string keyring;            // owner keyring (keys/owner_keyring.h)
  std::string trust_bundle;       // served by GetTrustBundle
  std::string catalog;            // default: the shipped catalogue
  std::string owner_info;         // optional ModuleOwnerInfo (.json/.textproto)
  std::string tls_cert, tls_key;  // PEM; required off loopback
  std::string client_ca;          // PEM; staff present certificates from it
  std::string principals;         // JSON principals file
  std::string backup_dir;         // where CreateBackup writes (empty: none)
  keys::KeystoreSecrets secrets;  // passphrase / PIN sources
  int max_message_bytes = 8 << 20;
  // Calls per minute of each installation (a burst of this many, then an
  // even rate); staff limits come from the principals file.
  uint32_t installation_rate_limit_per_minute = 600;
  // The store's block cache (StoreOptions::block_cache_bytes).
  uint32_t block_cache_mib = 64;
};

// Returns OK when `listen` is host:port with a loopback host (127.0.0.0/8,
// localhost, [::1]); INVALID_ARGUMENT when malformed; FAILED_PRECONDITION
// when it is not loopback.
absl::Status CheckLoopback(const std::string& listen);

class AuthorityServer {
 public:
  // Checks the options (INVALID_ARGUMENT naming the flag), opens everything
  // and starts listening. FAILED_PRECONDITION when asked to listen off
  // loopback without TLS. `clock` is not owned.
  static absl::StatusOr<std::unique_ptr<AuthorityServer>> Start(
      const ServerOptions& options, const Clock* clock);
  ~AuthorityServer();

  // The port it listens on.
  int port() const;

  // Re-reads the keyring and trust bundle of `options` and makes the
  // keyring's active key sign from the next call on (rotation without a
  // restart; superlicensed does it on SIGHUP). On any error the key in use
  // stays; errors as Start.
  absl::Status ReloadSigningKey(const ServerOptions& options);

  // Stops accepting calls, lets in-flight calls finish until `deadline`
  // (then cancels them), and closes the store. Idempotent.
  void Shutdown(absl::Time deadline);

  // Blocks until the server has shut down.
  void Wait();

  struct Parts;  // defined in the .cc

 private:
  explicit AuthorityServer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_SERVER_AUTHORITY_SERVER_H_
