// Installation credentials checked against the Argon2id hashes the store
// keeps for each customer.
#ifndef SUPERLICENSE_AUTHORITY_SERVER_STORE_CREDENTIALS_H_
#define SUPERLICENSE_AUTHORITY_SERVER_STORE_CREDENTIALS_H_

#include "authority/auth/installation_credentials.h"
#include "authority/store/authority_store.h"

namespace superlicense::authority {

class StoreCredentials final : public InstallationCredentials {
 public:
  // `store` is not owned and must outlive this object.
  explicit StoreCredentials(const AuthorityStore* store) : store_(store) {}

  // UNAUTHENTICATED for an unknown serial or a wrong secret (the same
  // answer, so serials cannot be probed); store errors pass through.
  absl::Status Verify(absl::string_view serial,
                      absl::string_view secret) override;

 private:
  const AuthorityStore* const store_;
};

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_SERVER_STORE_CREDENTIALS_H_
