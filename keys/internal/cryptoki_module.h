// The Cryptoki (PKCS#11) adapter: loads a module with dlopen, shares it and
// the login state of each token within the process, and turns CK_RV codes
// into absl::Status. Included only by keys/*.cc and the keystore's tests: no
// public header may include <p11-kit/pkcs11.h>.
//
// Cryptoki state is per process, not per caller: C_Initialize may run once
// per module, and a token is logged in for every session of the process at
// once. So modules and logins are shared objects, reference-counted, and
// torn down (C_Logout, C_Finalize, dlclose) only when the last user is gone.
#ifndef SUPERLICENSE_KEYS_INTERNAL_CRYPTOKI_MODULE_H_
#define SUPERLICENSE_KEYS_INTERNAL_CRYPTOKI_MODULE_H_

#include <p11-kit/pkcs11.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace superlicense::keys::internal {

// Length of CK_TOKEN_INFO.label: token labels are padded to it with spaces.
inline constexpr size_t kTokenLabelSize = 32;

// Returns the name and hex value of a return code: "CKR_PIN_INCORRECT (0xa0)",
// or "CKR_? (0x...)" for codes outside the table.
std::string CkrToString(CK_RV rv);

// Returns the canonical code for a failed call: PERMISSION_DENIED for PIN
// errors, UNAVAILABLE when the device, token or session is gone,
// FAILED_PRECONDITION for login states (already logged in, not logged in,
// PIN not set) and write protection, UNIMPLEMENTED for mechanisms and curves
// the token lacks, INTERNAL otherwise.
absl::StatusCode CkrToStatusCode(CK_RV rv);

// Returns the status for `function` failing with `rv`, with the message
// "<context>: <function>: <CkrToString(rv)>". `context` names the module,
// token or key; it must never contain a PIN.
absl::Status CryptokiError(absl::string_view context,
                           absl::string_view function, CK_RV rv);

// Returns the raw point in a CKA_EC_POINT value. PKCS#11 wants it wrapped in
// a DER OCTET STRING, but some tokens return the bare point; both are taken.
// `point_size` is the raw size on the key's curve (32 for Ed25519, 65 for an
// uncompressed P-256 point). INVALID_ARGUMENT when `ec_point` is neither.
absl::StatusOr<std::string> RawPointFromEcPoint(absl::string_view ec_point,
                                                size_t point_size);

// A Cryptoki library loaded with dlopen and initialised (with OS locking,
// so every function may be called from any thread). There is at most one per
// library file in the process: Load returns the live instance when there is
// one. Destroying the last reference calls C_Finalize (unless another part of
// the process had initialised the library first) and dlclose.
class CryptokiModule {
 public:
  // Returns the module at `path`, loading and initialising it on first use.
  // UNAVAILABLE when the file is missing, cannot be loaded, is not a Cryptoki
  // module or C_Initialize fails.
  static absl::StatusOr<std::shared_ptr<CryptokiModule>> Load(
      absl::string_view path);

  ~CryptokiModule();
  CryptokiModule(const CryptokiModule&) = delete;
  CryptokiModule& operator=(const CryptokiModule&) = delete;

  // The function list of the module, valid as long as this object lives.
  const CK_FUNCTION_LIST& api() const { return *api_; }
  // Canonical path of the library file.
  const std::string& path() const { return path_; }

  // Returns the slot whose token is labelled `token_label`. INVALID_ARGUMENT
  // when the label is empty or longer than 32 bytes; NOT_FOUND when no token
  // has it; FAILED_PRECONDITION when several have it.
  absl::StatusOr<CK_SLOT_ID> FindTokenSlot(absl::string_view token_label) const;

 private:
  CryptokiModule(std::string path, void* library, CK_FUNCTION_LIST* api,
                 bool finalize_on_destruction);

  // Returns the slots that hold a token.
  absl::StatusOr<std::vector<CK_SLOT_ID>> SlotsWithToken() const;

  // Loads and initialises the library at canonical `path`, unshared.
  static absl::StatusOr<std::unique_ptr<CryptokiModule>> LoadUnshared(
      const std::string& path);

  const std::string path_;
  void* const library_;          // dlopen handle, closed by the destructor
  CK_FUNCTION_LIST* const api_;  // owned by the library
  const bool finalize_on_destruction_;
};

class CryptokiSession;

// The logged-in (CKU_USER) state of one token. There is at most one per token
// in the process; while it lives every session on the token is a user
// session. It keeps a session of its own open (a token logs out when its last
// session closes) and logs out when the last reference goes away.
// Thread-safe.
class TokenLogin {
 public:
  // Returns the login of the token in `slot`, logging in with `pin` on first
  // use. When the token is already logged in through another TokenLogin,
  // `pin` must be the PIN that logged it in. PERMISSION_DENIED for a wrong
  // PIN; FAILED_PRECONDITION when something else in the process logged the
  // token in (the PIN cannot be checked then); UNAVAILABLE when the token is
  // gone. `token_label` only names the token in messages.
  static absl::StatusOr<std::shared_ptr<TokenLogin>> Acquire(
      std::shared_ptr<CryptokiModule> module, CK_SLOT_ID slot,
      absl::string_view token_label, absl::string_view pin);

  ~TokenLogin();
  TokenLogin(const TokenLogin&) = delete;
  TokenLogin& operator=(const TokenLogin&) = delete;

  // Opens a new session on the token; read-write ones may create objects.
  // The session keeps this login (and the module) alive.
  static absl::StatusOr<std::unique_ptr<CryptokiSession>> OpenSession(
      std::shared_ptr<TokenLogin> login, bool read_write);

  const CryptokiModule& module() const { return *module_; }
  CK_SLOT_ID slot() const { return slot_; }
  const std::string& token_label() const { return token_label_; }

 private:
  class PinCheck;

  TokenLogin(std::shared_ptr<CryptokiModule> module, CK_SLOT_ID slot,
             std::string token_label, CK_SESSION_HANDLE anchor_session,
             std::unique_ptr<PinCheck> pin_check);

  static absl::StatusOr<std::unique_ptr<TokenLogin>> LogIn(
      std::shared_ptr<CryptokiModule> module, CK_SLOT_ID slot,
      absl::string_view token_label, absl::string_view pin);

  const std::shared_ptr<CryptokiModule> module_;
  const CK_SLOT_ID slot_;
  const std::string token_label_;
  const CK_SESSION_HANDLE anchor_session_;
  const std::unique_ptr<PinCheck> pin_check_;
};

// An open session on a logged-in token; closed by the destructor. Cryptoki
// sessions hold one operation at a time (find, sign): callers that share a
// session between threads must serialise its use.
class CryptokiSession {
 public:
  CryptokiSession(std::shared_ptr<TokenLogin> login, CK_SESSION_HANDLE handle)
      : login_(std::move(login)), handle_(handle) {}
  ~CryptokiSession();
  CryptokiSession(const CryptokiSession&) = delete;
  CryptokiSession& operator=(const CryptokiSession&) = delete;

  const CK_FUNCTION_LIST& api() const { return login_->module().api(); }
  CK_SESSION_HANDLE handle() const { return handle_; }
  const TokenLogin& login() const { return *login_; }

 private:
  const std::shared_ptr<TokenLogin> login_;
  const CK_SESSION_HANDLE handle_;
};

}  // namespace superlicense::keys::internal

#endif  // SUPERLICENSE_KEYS_INTERNAL_CRYPTOKI_MODULE_H_
