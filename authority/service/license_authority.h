// LicenseAuthority: what the SuperLicense service does, without gRPC.
// Each method mirrors one RPC of proto/superlicense/v1/authority.proto, takes
// the authorised caller, validates every request field (INVALID_ARGUMENT
// naming the field and value; nothing stored), and records every mutating
// call, failed or not, in the audit log. The gRPC layer only translates.
//
// Thread-safe.
#ifndef SUPERLICENSE_AUTHORITY_SERVICE_LICENSE_AUTHORITY_H_
#define SUPERLICENSE_AUTHORITY_SERVICE_LICENSE_AUTHORITY_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "authority/auth/caller.h"
#include "authority/catalog/catalog.h"
#include "authority/store/authority_store.h"
#include "keys/clock.h"
#include "keys/signer.h"
#include "superlicense/v1/authority.pb.h"
#include "superlicense/v1/keyring.pb.h"

namespace superlicense::authority {

// What the authority signs with and publishes.
struct SigningIdentity {
  v1::ModuleOwnerInfo owner;             // owner fields of every set
  std::unique_ptr<keys::Signer> signer;  // the owner's active key
  v1::SignedPublicKey certificate;       // its certificate
  v1::OwnerKeyring keyring;              // every key of the owner, for ListKeys
  v1::SignedTrustBundle trust_bundle;    // what GetTrustBundle returns
};

class LicenseAuthority {
 public:
  // `store` and `clock` are not owned and must outlive this object.
  LicenseAuthority(AuthorityStore* store, Catalog catalog,
                   SigningIdentity identity, const Clock* clock);

  absl::StatusOr<v1::CreateCustomerResponse> CreateCustomer(
      const Caller& caller, const v1::CreateCustomerRequest& request);
  absl::StatusOr<v1::CustomerRecord> GetCustomer(
      const Caller& caller, const v1::GetCustomerRequest& request);
  absl::StatusOr<v1::ListCustomersResponse> ListCustomers(
      const Caller& caller, const v1::ListCustomersRequest& request);
  absl::StatusOr<v1::CustomerRecord> RenameCustomer(
      const Caller& caller, const v1::RenameCustomerRequest& request);

  absl::StatusOr<v1::IssuedLicenseSet> IssueLicenseSet(
      const Caller& caller, const v1::IssueLicenseSetRequest& request);
  absl::StatusOr<v1::IssuedLicenseSet> GetLicenseSet(
      const Caller& caller, const v1::GetLicenseSetRequest& request);
  absl::StatusOr<v1::ListLicenseSetsResponse> ListLicenseSets(
      const Caller& caller, const v1::ListLicenseSetsRequest& request);
  absl::StatusOr<v1::IssuedLicenseSet> RevokeLicenseSet(
      const Caller& caller, const v1::RevokeLicenseSetRequest& request);

  // The caller's newest valid set above its installed version, parsed.
  absl::StatusOr<v1::FetchLicenseSetResponse> FetchLicenseSet(
      const Caller& caller, const v1::FetchLicenseSetRequest& request);
  // The same answer with the set in the bytes it was stored as (nullopt:
  // not modified). The service sends these bytes on without parsing them.
  absl::StatusOr<std::optional<EncodedSet>> FetchEncodedLicenseSet(
      const Caller& caller, const v1::FetchLicenseSetRequest& request);
  absl::StatusOr<v1::AcceptLicenseSetResponse> AcceptLicenseSet(
      const Caller& caller, const v1::AcceptLicenseSetRequest& request);

  // Replaces the month's totals of the caller's serial (the installation is
  // the source of truth: lower totals are accepted, a repeated report
  // changes nothing but received_at). Audited, failed or not.
  // INVALID_ARGUMENT per CheckUsageReport; PERMISSION_DENIED for another
  // installation's serial; NOT_FOUND for an unknown customer.
  absl::StatusOr<v1::ReportUsageResponse> ReportUsage(
      const Caller& caller, const v1::ReportUsageRequest& request);
  // The month's reported use against the thresholds of the customer's
  // newest set that is not revoked, computed now with the reported users.
  // INVALID_ARGUMENT for a bad serial or month; NOT_FOUND for an unknown
  // customer. A month without a report is not an error (reported=false).
  absl::StatusOr<v1::GetUsageResponse> GetUsage(
      const Caller& caller, const v1::GetUsageRequest& request);

  absl::StatusOr<v1::SignedTrustBundle> GetTrustBundle(const Caller& caller);
  absl::StatusOr<v1::ListKeysResponse> ListKeys(
      const Caller& caller, const v1::ListKeysRequest& request);
  absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const Caller& caller, const v1::ListAuditEventsRequest& request);
  absl::StatusOr<v1::VerifyAuditChainResponse> VerifyAuditChain(
      const Caller& caller);

  // Replaces the signing identity (a rotated owner key) for every call that
  // starts afterwards; calls in flight finish with the old one.
  // INVALID_ARGUMENT when the new identity is for another owner.
  absl::Status SetIdentity(SigningIdentity identity);

  // The module catalogue (slctl catalog list|put).
  absl::StatusOr<v1::ListCatalogResponse> ListCatalog(
      const Caller& caller, const v1::ListCatalogRequest& request) const;
  absl::StatusOr<v1::CatalogEntry> PutCatalogEntry(
      const Caller& caller, const v1::CatalogEntry& entry);
  // Writes a backup into `backup_dir` (FAILED_PRECONDITION when empty: the
  // server has no --backup-dir).
  absl::StatusOr<v1::CreateBackupResponse> CreateBackup(
      const Caller& caller, const std::string& backup_dir);

 private:
  // Records a failed mutating call, then returns its status unchanged.
  absl::Status AuditFailure(const Caller& caller, absl::string_view method,
                            absl::string_view subject,
                            const absl::Status& status);
  absl::StatusOr<std::string> AllocateSerial(const std::string& requested);
  // INVALID_ARGUMENT for a usage entry naming a module that version does
  // not hold, or one named twice; NOT_FOUND for an unknown version.
  absl::Status CheckUsageAgainstSet(const std::string& owner,
                                    const v1::AcceptLicenseSetRequest& request);
  absl::StatusOr<v1::LicenseSet> BuildSet(
      const v1::IssueLicenseSetRequest& request,
      const v1::CustomerRecord& customer) ABSL_LOCKS_EXCLUDED(catalog_mu_);
  int64_t Now() const;

  // The identity in force; replaced whole by SetIdentity.
  std::shared_ptr<const SigningIdentity> Identity() const
      ABSL_LOCKS_EXCLUDED(identity_mu_);

  AuthorityStore* const store_;  // not owned
  const Clock* const clock_;     // not owned
  mutable std::mutex catalog_mu_;
  Catalog catalog_ ABSL_GUARDED_BY(catalog_mu_);
  mutable std::mutex identity_mu_;
  std::shared_ptr<const SigningIdentity> identity_
      ABSL_GUARDED_BY(identity_mu_);
  std::mutex serial_mu_;  // serial allocation
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_SERVICE_LICENSE_AUTHORITY_H_
