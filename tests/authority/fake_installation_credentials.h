// FakeInstallationCredentials: an in-memory InstallationCredentials that
// counts how often each serial is verified.
#ifndef SUPERLICENSE_TESTS_AUTHORITY_FAKE_INSTALLATION_CREDENTIALS_H_
#define SUPERLICENSE_TESTS_AUTHORITY_FAKE_INSTALLATION_CREDENTIALS_H_

#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "authority/auth/installation_credentials.h"

namespace superlicense::testing {

// Thread-safe.
class FakeInstallationCredentials final
    : public authority::InstallationCredentials {
 public:
  void SetSecret(absl::string_view serial, absl::string_view secret) {
    std::lock_guard<std::mutex> lock(mu_);
    secrets_[serial] = std::string(secret);
  }
  // Makes Verify answer `status` whatever it is asked (OK: normal answers).
  void SetOutage(absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    outage_ = std::move(status);
  }
  // Number of Verify calls for `serial`.
  int calls(absl::string_view serial) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = calls_.find(serial);
    return it == calls_.end() ? 0 : it->second;
  }

  absl::Status Verify(absl::string_view serial,
                      absl::string_view secret) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_[serial];
    if (!outage_.ok()) return outage_;
    auto it = secrets_.find(serial);
    if (it == secrets_.end()) return absl::NotFoundError("no such serial");
    if (it->second != secret) return absl::UnauthenticatedError("wrong secret");
    return absl::OkStatus();
  }

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::string> secrets_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  absl::Status outage_ ABSL_GUARDED_BY(mu_);
};

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_AUTHORITY_FAKE_INSTALLATION_CREDENTIALS_H_
