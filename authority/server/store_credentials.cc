#include "authority/server/store_credentials.h"

#include "keys/credential_hash.h"

namespace superlicense::authority {

absl::Status StoreCredentials::Verify(absl::string_view serial,
                                      absl::string_view secret) {
  absl::StatusOr<StoredCustomer> customer =
      store_->GetCustomer(std::string(serial));
  if (absl::IsNotFound(customer.status())) {
    return absl::UnauthenticatedError("installation credential is not valid");
  }
  if (!customer.ok()) return customer.status();
  if (!keys::CheckCredentialSecret(secret, customer->credential_hash()).ok()) {
    return absl::UnauthenticatedError("installation credential is not valid");
  }
  return absl::OkStatus();
}

}  // namespace superlicense::authority
