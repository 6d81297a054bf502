// superlicensed: the SuperLicense authority server.
//   superlicensed --data-dir DIR --keyring FILE --trust-bundle FILE
//     [--listen 127.0.0.1:8443] [--tls-cert F --tls-key F --client-ca F
//     --principals F] [--config FILE]
// Settings come from flags and/or a config file (key = value lines, the flag
// names without dashes). SIGTERM or SIGINT shut it down gracefully: in-flight
// calls finish (up to 10 s), then the store is closed. SIGHUP re-reads the
// keyring and trust bundle: a rotated owner key signs from then on.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "absl/time/clock.h"
#include "authority/server/authority_server.h"

namespace {

// Blocks SIGTERM/SIGINT in every thread (before gRPC starts any) so that
// only the waiting main thread receives them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

}  // namespace

int main(int argc, char** argv) {
  superlicense::authority::ServerOptions options;
  std::string port_file;
  CLI::App app{"superlicensed: the SuperLicense license-signing authority"};
  app.set_config("--config", "", "Read settings from this file");
  app.add_option("--listen", options.listen, "host:port (port 0: any)");
  app.add_option("--data-dir", options.data_dir, "RocksDB directory")
      ->required();
  app.add_option("--keyring", options.keyring, "Owner keyring (slctl keys)")
      ->required();
  app.add_option("--trust-bundle", options.trust_bundle, "Trust bundle file")
      ->required();
  app.add_option("--catalog", options.catalog,
                 "Module catalogue (default: the shipped SuperOffice one)");
  app.add_option("--owner-info", options.owner_info,
                 "ModuleOwnerInfo for every set (.json or .textproto)");
  app.add_option("--tls-cert", options.tls_cert, "Server certificate (PEM)");
  app.add_option("--tls-key", options.tls_key, "Server private key (PEM)");
  app.add_option("--client-ca", options.client_ca,
                 "CA of staff client certificates (PEM)");
  app.add_option("--principals", options.principals,
                 "Principals file (JSON): certificate names and roles");
  app.add_option(
      "--passphrase-file", options.secrets.passphrase.file,
      "Sealed keystore passphrase (default $SUPERLICENSE_PASSPHRASE)");
  app.add_option("--pin-file", options.secrets.pin.file,
                 "Token PIN (default $SUPERLICENSE_PKCS11_PIN)");
  app.add_option("--backup-dir", options.backup_dir,
                 "Directory for backups made with CreateBackup");
  app.add_option("--port-file", port_file, "Write the bound port here");
  app.add_option("--max-message-bytes", options.max_message_bytes,
                 "Largest request or response");
  app.add_option("--installation-rate-limit",
                 options.installation_rate_limit_per_minute,
                 "Calls per minute of each installation")
      ->check(CLI::Range(1u, 100000000u));
  app.add_option("--block-cache-mib", options.block_cache_mib,
                 "Store block cache in MiB")
      ->check(CLI::Range(8u, 65536u));
  CLI11_PARSE(app, argc, argv);

  const sigset_t signals = BlockShutdownSignals();
  options.secrets.passphrase.allow_prompt = false;  // a daemon has no terminal
  options.secrets.pin.allow_prompt = false;
  auto server = superlicense::authority::AuthorityServer::Start(
      options, &superlicense::SystemClock::Get());
  if (!server.ok()) {
    std::cerr << "superlicensed: " << server.status().message() << "\n";
    return 1;
  }
  if (!port_file.empty()) std::ofstream(port_file) << (*server)->port() << "\n";
  std::cerr << "superlicensed: listening on port " << (*server)->port() << "\n";
  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    absl::Status reloaded = (*server)->ReloadSigningKey(options);
    std::cerr << "superlicensed: SIGHUP: "
              << (reloaded.ok() ? "signing key reloaded"
                                : std::string(reloaded.message()))
              << "\n";
  }
  std::cerr << "superlicensed: signal " << signal_number << ", shutting down\n";
  (*server)->Shutdown(absl::Now() + absl::Seconds(10));
  std::cerr << "superlicensed: stopped\n";
  return 0;
}
