// SuperLicenseService: the gRPC face of LicenseAuthority. Every handler
// first takes the caller's authorisation (recorded by the authorization
// interceptor; fail-closed), then calls the service and translates its
// absl::Status. Nothing else happens here.
#ifndef SUPERLICENSE_AUTHORITY_SERVER_GRPC_SERVICE_H_
#define SUPERLICENSE_AUTHORITY_SERVER_GRPC_SERVICE_H_

#include "authority/auth/authorizer.h"
#include "authority/service/license_authority.h"
#include "superlicense/v1/authority.grpc.pb.h"

namespace superlicense::authority {

class SuperLicenseService final : public v1::SuperLicense::Service {
 public:
  // Neither is owned; both must outlive the service.
  SuperLicenseService(LicenseAuthority* authority, const Authorizer* authorizer,
                      std::string backup_dir)
      : authority_(authority),
        authorizer_(authorizer),
        backup_dir_(std::move(backup_dir)) {}

  grpc::Status CreateCustomer(grpc::ServerContext* context,
                              const v1::CreateCustomerRequest* request,
                              v1::CreateCustomerResponse* response) override;
  grpc::Status GetCustomer(grpc::ServerContext* context,
                           const v1::GetCustomerRequest* request,
                           v1::CustomerRecord* response) override;
  grpc::Status ListCustomers(grpc::ServerContext* context,
                             const v1::ListCustomersRequest* request,
                             v1::ListCustomersResponse* response) override;
  grpc::Status RenameCustomer(grpc::ServerContext* context,
                              const v1::RenameCustomerRequest* request,
                              v1::CustomerRecord* response) override;
  grpc::Status IssueLicenseSet(grpc::ServerContext* context,
                               const v1::IssueLicenseSetRequest* request,
                               v1::IssuedLicenseSet* response) override;
  grpc::Status GetLicenseSet(grpc::ServerContext* context,
                             const v1::GetLicenseSetRequest* request,
                             v1::IssuedLicenseSet* response) override;
  grpc::Status ListLicenseSets(grpc::ServerContext* context,
                               const v1::ListLicenseSetsRequest* request,
                               v1::ListLicenseSetsResponse* response) override;
  grpc::Status RevokeLicenseSet(grpc::ServerContext* context,
                                const v1::RevokeLicenseSetRequest* request,
                                v1::IssuedLicenseSet* response) override;
  grpc::Status FetchLicenseSet(grpc::ServerContext* context,
                               const v1::FetchLicenseSetRequest* request,
                               v1::FetchLicenseSetResponse* response) override;
  grpc::Status AcceptLicenseSet(
      grpc::ServerContext* context, const v1::AcceptLicenseSetRequest* request,
      v1::AcceptLicenseSetResponse* response) override;
  grpc::Status ReportUsage(grpc::ServerContext* context,
                           const v1::ReportUsageRequest* request,
                           v1::ReportUsageResponse* response) override;
  grpc::Status GetUsage(grpc::ServerContext* context,
                        const v1::GetUsageRequest* request,
                        v1::GetUsageResponse* response) override;
  grpc::Status GetTrustBundle(grpc::ServerContext* context,
                              const v1::GetTrustBundleRequest* request,
                              v1::SignedTrustBundle* response) override;
  grpc::Status ListKeys(grpc::ServerContext* context,
                        const v1::ListKeysRequest* request,
                        v1::ListKeysResponse* response) override;
  grpc::Status ListCatalog(grpc::ServerContext* context,
                           const v1::ListCatalogRequest* request,
                           v1::ListCatalogResponse* response) override;
  grpc::Status PutCatalogEntry(grpc::ServerContext* context,
                               const v1::CatalogEntry* request,
                               v1::CatalogEntry* response) override;
  grpc::Status CreateBackup(grpc::ServerContext* context,
                            const v1::CreateBackupRequest* request,
                            v1::CreateBackupResponse* response) override;
  grpc::Status ListAuditEvents(grpc::ServerContext* context,
                               const v1::ListAuditEventsRequest* request,
                               v1::ListAuditEventsResponse* response) override;
  grpc::Status VerifyAuditChain(
      grpc::ServerContext* context, const v1::VerifyAuditChainRequest* request,
      v1::VerifyAuditChainResponse* response) override;

 private:
  // Authorises the call, runs `call` and stores its value in `response`.
  template <typename Response, typename Call>
  grpc::Status Serve(grpc::ServerContext* context, Response* response,
                     Call call);

  LicenseAuthority* const authority_;   // not owned
  const Authorizer* const authorizer_;  // not owned
  const std::string backup_dir_;
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_SERVER_GRPC_SERVICE_H_
