// LicenseFetcher: the online flow of docs/DOMAIN.md ("What the issuer
// sends"): ask the authority for the installation's newest license set,
// import it with the same checks as an offline import (LicenseImporter),
// then tell the authority it was accepted, with the licenses in use per
// module. A separate library (superlicense_client_online) so that CRMs that
// only import files do not link gRPC.
#ifndef SUPERLICENSE_CLIENT_ONLINE_LICENSE_FETCHER_H_
#define SUPERLICENSE_CLIENT_ONLINE_LICENSE_FETCHER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/crm_database.h"
#include "client/license_importer.h"

namespace superlicense::client {

// Where the authority is and how this installation proves who it is.
struct AuthorityEndpoint {
  std::string target;      // host:port, e.g. "127.0.0.1:7443"
  std::string ca_pem;      // PEM of the CA that signed the server certificate
  std::string credential;  // the installation credential "SERIAL.SECRET"
  absl::Duration deadline = absl::Seconds(30);  // per call
};

// One month of metered use, as reported to the authority.
struct MonthlyUsageReport {
  std::string month;  // "YYYY-MM" (UTC calendar month)
  // Users as the client counts them for thresholds (CountUsers: active users
  // when SCIM-managed, else user licenses in use).
  int64_t users = 0;
  // Total used in the month per service, by the short service name:
  // "storage" (bytes), "mailing_emails", "customer_centre_logins",
  // "chat_sessions", "form_submissions".
  std::map<std::string, uint64_t> used;
};

struct FetchResult {
  bool modified = false;    // false: the installed version is the newest
  ImportResult import;      // when modified
  int64_t accepted_at = 0;  // when the authority recorded the acceptance
};

// A connection to the authority for one installation. Holds the channel and
// the credential; the CrmDatabase and LicenseImporter are borrowed per call.
// Thread-safe: calls may run concurrently, each with its own CrmDatabase
// connection.
class LicenseFetcher {
 public:
  // Makes the TLS channel to endpoint.target, trusting only endpoint.ca_pem
  // (nothing is sent yet; an unreachable authority shows on the first call).
  // INVALID_ARGUMENT naming an empty target, CA or credential, a credential
  // with characters other than printable ASCII, or a deadline that is not
  // positive. The credential is sent only as call metadata
  // ("x-superlicense-credential") and never appears in errors.
  static absl::StatusOr<std::unique_ptr<LicenseFetcher>> Connect(
      const AuthorityEndpoint& endpoint);
  virtual ~LicenseFetcher() = default;

  // Fetches the newest set for the installation's serial (sending the
  // installed version of owner SUPEROFFICE, or of the only owner when
  // exactly one other owner is installed); when it is newer, imports it with
  // `importer`, then calls AcceptLicenseSet with the usage of the imported
  // set's owner: per module name, SUM(LicenseAssocLink.licenseNumber), every
  // module listed (0 when unused). Every call carries endpoint.deadline.
  // `shortfalls` (optional) is cleared first.
  //
  // Returns modified=false, having written nothing, when the installed
  // version is the newest; it then reports that version again with today's
  // usage (AcceptLicenseSet is idempotent), so the vendor sees current usage
  // and an acceptance lost after an earlier import is made good. Errors:
  //  FAILED_PRECONDITION "installation not initialised: run crmlicense init"
  //                      when the database has no installation row.
  //  The authority's, with gRPC's code and the message prefixed
  //  "FetchLicenseSet: " (UNAUTHENTICATED wrong credential,
  //  PERMISSION_DENIED another installation's serial, UNAVAILABLE authority
  //  unreachable or its certificate not from endpoint.ca_pem,
  //  DEADLINE_EXCEEDED, ...). Nothing is written.
  //  The importer's, unchanged (see LicenseImporter::Import; on a count
  //  failure `shortfalls` lists the modules). Nothing is accepted.
  //  After a successful import, a failed AcceptLicenseSet (or reading the
  //  usage) keeps its code, and the message says the set IS installed:
  //  "license set SERIAL version N of owner OWNER imported;
  //  AcceptLicenseSet: ...". The next call reports it again.
  //  Database errors are passed through.
  virtual absl::StatusOr<FetchResult> FetchAndImport(
      CrmDatabase& db, const LicenseImporter& importer,
      std::vector<CountShortfall>* shortfalls = nullptr) = 0;

  // Sends the month's totals for the installation's serial (ReportUsage
  // RPC). Idempotent: the authority keeps the latest totals per serial and
  // month, so sending the same report twice changes nothing. Errors as for
  // FetchAndImport ("ReportUsage: ..."); INVALID_ARGUMENT for a malformed
  // month or an unknown service name (named).
  virtual absl::Status ReportUsage(CrmDatabase& db,
                                   const MonthlyUsageReport& report) = 0;
};

}  // namespace superlicense::client

#endif  // SUPERLICENSE_CLIENT_ONLINE_LICENSE_FETCHER_H_
