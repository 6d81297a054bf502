#include "authority/auth/installation_credentials.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "keys/sha256.h"
#include "superlicense/serial_number.h"

namespace superlicense::authority {
namespace {

constexpr size_t kMaxSecretBytes = 256;

absl::Status InvalidCredential() {
  return absl::UnauthenticatedError("invalid installation credential");
}

}  // namespace

std::string FormatCredential(absl::string_view serial,
                             absl::string_view secret) {
  return absl::StrCat(serial, ".", secret);
}

absl::StatusOr<CredentialParts> ParseCredential(absl::string_view credential) {
  const size_t dot = credential.find('.');
  if (dot == absl::string_view::npos) return InvalidCredential();
  CredentialParts parts{credential.substr(0, dot), credential.substr(dot + 1)};
  if (!CheckSerial(parts.serial).ok()) return InvalidCredential();
  if (parts.secret.empty() || parts.secret.size() > kMaxSecretBytes) {
    return InvalidCredential();
  }
  return parts;
}

CachedCredentialVerifier::CachedCredentialVerifier(
    InstallationCredentials* credentials, const Clock* clock, Options options)
    : credentials_(credentials), clock_(clock), options_(options) {}

absl::StatusOr<std::string> CachedCredentialVerifier::Verify(
    absl::string_view credential) {
  absl::StatusOr<CredentialParts> parts = ParseCredential(credential);
  if (!parts.ok()) return parts.status();
  // Runs on gRPC's threads. keys::Sha256 keeps a Botan object per thread,
  // which crashes a thread that exits after main() returned; see
  // tests/authority/auth_end_to_end_test.cc (kBotanPoolDisabled).
  const std::string digest = keys::Sha256(credential);
  if (absl::optional<std::string> serial = Lookup(digest)) return *serial;

  const absl::Status verified =
      credentials_->Verify(parts->serial, parts->secret);
  if (!verified.ok()) {
    if (absl::IsUnavailable(verified) || absl::IsInternal(verified)) {
      return absl::Status(verified.code(),
                          "installation credential could not be checked");
    }
    return InvalidCredential();
  }
  Remember(digest, parts->serial);
  return std::string(parts->serial);
}

absl::optional<std::string> CachedCredentialVerifier::Lookup(
    const std::string& digest) {
  const absl::Time now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(digest);
  if (it == entries_.end()) return absl::nullopt;
  if (it->second.expires <= now) {
    entries_.erase(it);
    return absl::nullopt;
  }
  return it->second.serial;
}

void CachedCredentialVerifier::Remember(const std::string& digest,
                                        absl::string_view serial) {
  if (options_.max_entries == 0) return;
  const absl::Time expires = clock_->Now() + options_.ttl;
  std::lock_guard<std::mutex> lock(mu_);
  if (!entries_.contains(digest)) MakeRoomLocked();
  entries_[digest] = Entry{std::string(serial), expires};
}

void CachedCredentialVerifier::MakeRoomLocked() {
  if (entries_.size() < options_.max_entries) return;
  const absl::Time now = clock_->Now();
  absl::erase_if(entries_, [now](const auto& entry) {
    return entry.second.expires <= now;
  });
  if (entries_.size() < options_.max_entries) return;
  auto oldest = entries_.begin();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.expires < oldest->second.expires) oldest = it;
  }
  entries_.erase(oldest);
}

void CachedCredentialVerifier::Forget(absl::string_view serial) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::erase_if(entries_, [serial](const auto& entry) {
    return entry.second.serial == serial;
  });
}

size_t CachedCredentialVerifier::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace superlicense::authority
