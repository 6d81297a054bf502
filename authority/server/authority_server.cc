#include "authority/server/authority_server.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <mutex>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "authority/auth/authenticator.h"
#include "authority/auth/authorization_interceptor.h"
#include "authority/auth/authorizer.h"
#include "authority/auth/role_table.h"
#include "authority/server/grpc_service.h"
#include "authority/server/server_settings.h"
#include "authority/server/store_credentials.h"
#include "keys/file_io.h"
#include "keys/owner_keyring.h"
#include "keys/status_macros.h"
#include "keys/trust_store.h"

namespace superlicense::authority {

struct AuthorityServer::Parts {
  std::unique_ptr<AuthorityStore> store;
  std::unique_ptr<LicenseAuthority> authority;
  std::unique_ptr<StoreCredentials> credentials;
  std::unique_ptr<Authorizer> authorizer;
  std::shared_ptr<CallAuthenticator> authenticator;
  std::unique_ptr<SuperLicenseService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;
};

namespace {

constexpr size_t kMaxPemBytes = 1 << 20;

absl::StatusOr<std::string> ReadFlagFile(absl::string_view flag,
                                         const std::string& path) {
  absl::StatusOr<std::string> content = ReadFileLimited(path, kMaxPemBytes);
  if (!content.ok()) {
    return absl::Status(content.status().code(),
                        absl::StrCat(flag, ": ", content.status().message()));
  }
  return content;
}

absl::Status RequireFlag(absl::string_view flag, const std::string& value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " is required"));
  }
  return absl::OkStatus();
}

// Loads the owner's active key, its certificate and the trust bundle, and
// checks that the certificate chains to the bundle.
absl::StatusOr<SigningIdentity> LoadIdentity(const ServerOptions& options) {
  SigningIdentity identity;
  ASSIGN_OR_RETURN(identity.keyring, keys::ReadOwnerKeyring(options.keyring));
  ASSIGN_OR_RETURN(v1::OwnerKeyEntry active, keys::ActiveKey(identity.keyring));
  ASSIGN_OR_RETURN(
      std::string bundle_bytes,
      ReadFileLimited(options.trust_bundle, keys::kMaxTrustBundleBytes));
  ASSIGN_OR_RETURN(identity.trust_bundle,
                   keys::DecodeTrustBundle(bundle_bytes));
  ASSIGN_OR_RETURN(keys::TrustStore trust,
                   keys::TrustStore::FromAnchor(identity.trust_bundle));
  RETURN_IF_ERROR(trust.VerifyOwnerCertificate(active.certificate()).status());
  ASSIGN_OR_RETURN(keys::KeystoreLocation location,
                   keys::ParseKeystoreUri(active.keystore()));
  ASSIGN_OR_RETURN(identity.signer,
                   keys::OpenKeystore(location, options.secrets));
  identity.certificate = active.certificate();
  if (!options.owner_info.empty()) {
    ASSIGN_OR_RETURN(std::string text,
                     ReadFlagFile("--owner-info", options.owner_info));
    const bool parsed =
        absl::EndsWith(options.owner_info, ".json")
            ? google::protobuf::util::JsonStringToMessage(text, &identity.owner)
                  .ok()
            : google::protobuf::TextFormat::ParseFromString(text,
                                                            &identity.owner);
    if (!parsed) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--owner-info ", options.owner_info, " is not a ModuleOwnerInfo"));
    }
  }
  if (identity.owner.owner_name().empty()) {
    identity.owner.set_owner_name(identity.keyring.owner_name());
  }
  if (identity.owner.owner_name() != identity.keyring.owner_name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--owner-info owner_name ", identity.owner.owner_name(),
        " is not the keyring's owner ", identity.keyring.owner_name()));
  }
  return identity;
}

absl::StatusOr<Catalog> LoadCatalog(const ServerOptions& options,
                                    const AuthorityStore& store) {
  ASSIGN_OR_RETURN(Catalog catalog,
                   Catalog::LoadFile(options.catalog.empty()
                                         ? std::string(kDefaultCatalogPath)
                                         : options.catalog));
  ASSIGN_OR_RETURN(std::vector<v1::CatalogEntry> added,
                   store.ListCatalogEntries());
  for (const v1::CatalogEntry& entry : added)
    RETURN_IF_ERROR(catalog.Put(entry));
  return catalog;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerOptions& options, AuthorityServer::Parts* parts,
    const Clock* clock) {
  ASSIGN_OR_RETURN(PrincipalDirectory staff,
                   options.principals.empty()
                       ? PrincipalDirectory::FromProto(PrincipalsFile())
                       : PrincipalDirectory::Load(options.principals));
  CallAuthenticator::Options authenticator_options;
  authenticator_options.allow_anonymous = true;  // health checks
  authenticator_options.installation_rate_limit_per_minute =
      options.installation_rate_limit_per_minute;
  parts->authenticator = std::make_shared<CallAuthenticator>(
      std::move(staff), parts->credentials.get(), clock, authenticator_options);
  if (options.tls_cert.empty() && options.tls_key.empty()) {
    // Loopback only; without TLS no client certificate names staff.
    RETURN_IF_ERROR(CheckLoopback(options.listen));
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.cert_chain,
                   ReadFlagFile("--tls-cert", options.tls_cert));
  ASSIGN_OR_RETURN(pair.private_key,
                   ReadFlagFile("--tls-key", options.tls_key));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  RETURN_IF_ERROR(RequireFlag("--client-ca", options.client_ca));
  RETURN_IF_ERROR(RequireFlag("--principals", options.principals));
  ASSIGN_OR_RETURN(ssl.pem_root_certs,
                   ReadFlagFile("--client-ca", options.client_ca));
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::SslServerCredentials(ssl);
  credentials->SetAuthMetadataProcessor(parts->authenticator);
  return credentials;
}

}  // namespace

absl::Status CheckLoopback(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen \"", listen, "\" is not host:port"));
  }
  const std::string host = listen.substr(0, colon);
  if (absl::StartsWith(host, "127.") || host == "localhost" ||
      host == "[::1]") {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("--listen ", listen,
                   " is not loopback: TLS (--tls-cert, --tls-key) is "
                   "required there"));
}

absl::StatusOr<std::unique_ptr<AuthorityServer>> AuthorityServer::Start(
    const ServerOptions& options, const Clock* clock) {
  RETURN_IF_ERROR(RequireFlag("--data-dir", options.data_dir));
  RETURN_IF_ERROR(RequireFlag("--keyring", options.keyring));
  RETURN_IF_ERROR(RequireFlag("--trust-bundle", options.trust_bundle));
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::SuperLicense::service_full_name());
  if (descriptor == nullptr)
    return absl::InternalError("no service descriptor");
  RETURN_IF_ERROR(CheckRoleTableCovers(*descriptor));
  auto parts = std::make_unique<Parts>();
  StoreOptions store_options;
  store_options.block_cache_bytes = size_t{options.block_cache_mib} << 20;
  ASSIGN_OR_RETURN(parts->store, AuthorityStore::Open(options.data_dir, clock,
                                                      store_options));
  ASSIGN_OR_RETURN(SigningIdentity identity, LoadIdentity(options));
  ASSIGN_OR_RETURN(Catalog catalog, LoadCatalog(options, *parts->store));
  parts->authority = std::make_unique<LicenseAuthority>(
      parts->store.get(), std::move(catalog), std::move(identity), clock);
  parts->credentials = std::make_unique<StoreCredentials>(parts->store.get());
  parts->authorizer = std::make_unique<Authorizer>(clock);
  parts->service = std::make_unique<SuperLicenseService>(
      parts->authority.get(), parts->authorizer.get(), options.backup_dir);
  ASSIGN_OR_RETURN(auto credentials, Credentials(options, parts.get(), clock));

  PrepareServerProcess();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &parts->port);
  builder.RegisterService(parts->service.get());
  ApplyServerSettings(options.max_message_bytes, &builder);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(NewAuthorizationInterceptorFactory(
      parts->authenticator.get(), parts->authorizer.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  parts->server = builder.BuildAndStart();
  if (parts->server == nullptr || parts->port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  return std::unique_ptr<AuthorityServer>(
      new AuthorityServer(std::move(parts)));
}

AuthorityServer::AuthorityServer(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)) {}

AuthorityServer::~AuthorityServer() { Shutdown(absl::Now()); }

int AuthorityServer::port() const { return parts_->port; }

absl::Status AuthorityServer::ReloadSigningKey(const ServerOptions& options) {
  ASSIGN_OR_RETURN(SigningIdentity identity, LoadIdentity(options));
  return parts_->authority->SetIdentity(std::move(identity));
}

void AuthorityServer::Shutdown(absl::Time deadline) {
  {
    std::lock_guard<std::mutex> lock(parts_->mu);
    if (parts_->shut_down) return;
    parts_->shut_down = true;
  }
  parts_->server->Shutdown(absl::ToChronoTime(deadline));
  parts_->server->Wait();
  parts_->authority.reset();
  parts_->store.reset();  // closes RocksDB cleanly
}

void AuthorityServer::Wait() { parts_->server->Wait(); }

}  // namespace superlicense::authority
