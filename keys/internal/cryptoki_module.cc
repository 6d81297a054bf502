#include "keys/internal/cryptoki_module.h"

#include <botan/hash.h>
#include <botan/mem_ops.h>
#include <botan/secmem.h>
#include <botan/system_rng.h>
#include <dlfcn.h>
#include <stdlib.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "keys/status_macros.h"

namespace superlicense::keys::internal {
namespace {

struct CkrName {
  CK_RV rv;
  const char* name;
};

// The return codes a signing service is likely to meet; others print as
// "CKR_?" with their value, which the PKCS#11 specification resolves.
constexpr CkrName kCkrNames[] = {
    {CKR_OK, "CKR_OK"},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
    {CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY"},
    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE"},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
    {CKR_DATA_INVALID, "CKR_DATA_INVALID"},
    {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE"},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
    {CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED"},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID"},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT"},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
    {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY"},
    {CKR_SIGNATURE_LEN_RANGE, "CKR_SIGNATURE_LEN_RANGE"},
    {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE"},
    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
    {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED"},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
    {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID"},
    {CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN"},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
    {CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED"},
};

// Shared objects by key. GetOrCreate returns the live object for a key or
// makes one. The last reference destroys the object under the registry's
// lock and only then forgets the key, so no new object for a key is made
// while the old one is being torn down (a C_Initialize racing a C_Finalize,
// a C_Login racing a C_Logout). Registries live for the whole process.
template <typename Key, typename Value>
class SharedRegistry {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Value>>()>;

  absl::StatusOr<std::shared_ptr<Value>> GetOrCreate(const Key& key,
                                                     const Factory& make) {
    std::unique_lock<std::mutex> lock(mu_);
    for (auto it = entries_.find(key); it != entries_.end();
         it = entries_.find(key)) {
      if (std::shared_ptr<Value> live = it->second.lock()) return live;
      entry_removed_.wait(lock);  // its last owner is destroying it
    }
    ASSIGN_OR_RETURN(std::unique_ptr<Value> made, make());
    std::shared_ptr<Value> shared(
        made.release(), [this, key](Value* value) { Destroy(key, value); });
    entries_[key] = shared;
    return shared;
  }

 private:
  void Destroy(const Key& key, Value* value) {
    std::lock_guard<std::mutex> lock(mu_);
    delete value;
    entries_.erase(key);
    entry_removed_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable entry_removed_;
  std::map<Key, std::weak_ptr<Value>> entries_ ABSL_GUARDED_BY(mu_);
};

using ModuleRegistry = SharedRegistry<std::string, CryptokiModule>;
// Logins by module path and slot.
using LoginRegistry =
    SharedRegistry<std::pair<std::string, CK_SLOT_ID>, TokenLogin>;

ModuleRegistry& Modules() {
  static auto* registry = new ModuleRegistry();
  return *registry;
}

LoginRegistry& Logins() {
  static auto* registry = new LoginRegistry();
  return *registry;
}

struct LibraryCloser {
  void operator()(void* library) const { dlclose(library); }
};
using LibraryHandle = std::unique_ptr<void, LibraryCloser>;

std::string ModuleContext(absl::string_view path) {
  return absl::StrCat("PKCS#11 module \"", path, "\"");
}

std::string TokenContext(absl::string_view token_label) {
  return absl::StrCat("token \"", token_label, "\"");
}

// Resolves symbolic links so that two spellings of one library share one
// CryptokiModule (dlopen would hand both the same, once-initialised code).
absl::StatusOr<std::string> CanonicalPath(absl::string_view path) {
  std::string requested(path);
  char* resolved = realpath(requested.c_str(), nullptr);
  if (resolved == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(ModuleContext(path), ": ", std::strerror(errno)));
  }
  std::string canonical(resolved);
  free(resolved);
  return canonical;
}

// Returns the contents of a DER OCTET STRING no longer than 255 bytes, or
// nothing when `der` is not exactly one such string.
std::optional<absl::string_view> DerOctetStringContent(absl::string_view der) {
  constexpr unsigned char kOctetStringTag = 0x04;
  if (der.size() < 2 || static_cast<unsigned char>(der[0]) != kOctetStringTag) {
    return std::nullopt;
  }
  size_t length = static_cast<unsigned char>(der[1]);
  size_t header_size = 2;
  if (length == 0x81) {  // long form, one length byte
    if (der.size() < 3) return std::nullopt;
    length = static_cast<unsigned char>(der[2]);
    header_size = 3;
    if (length < 0x80) return std::nullopt;  // DER takes the short form then
  } else if (length >= 0x80) {               // indefinite or longer than 255
    return std::nullopt;
  }
  if (der.size() != header_size + length) return std::nullopt;
  return der.substr(header_size);
}

}  // namespace

absl::StatusOr<std::string> RawPointFromEcPoint(absl::string_view ec_point,
                                                size_t point_size) {
  std::optional<absl::string_view> content = DerOctetStringContent(ec_point);
  if (content.has_value() && content->size() == point_size) {
    return std::string(*content);
  }
  // A bare point is never a DER OCTET STRING of itself: the header would
  // make it longer than point_size.
  if (ec_point.size() == point_size) return std::string(ec_point);
  return absl::InvalidArgumentError(
      absl::StrCat("CKA_EC_POINT of ", ec_point.size(),
                   " bytes is neither a DER OCTET STRING of a ", point_size,
                   "-byte point nor the bare point"));
}

std::string CkrToString(CK_RV rv) {
  for (const CkrName& entry : kCkrNames) {
    if (entry.rv == rv)
      return absl::StrCat(entry.name, " (0x", absl::Hex(rv), ")");
  }
  return absl::StrCat("CKR_? (0x", absl::Hex(rv), ")");
}

absl::StatusCode CkrToStatusCode(CK_RV rv) {
  switch (rv) {
    case CKR_OK:
      return absl::StatusCode::kOk;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_EXPIRED:
    case CKR_PIN_LOCKED:
      return absl::StatusCode::kPermissionDenied;
    case CKR_DEVICE_ERROR:
    case CKR_DEVICE_MEMORY:
    case CKR_DEVICE_REMOVED:
    case CKR_SESSION_CLOSED:
    case CKR_SESSION_COUNT:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return absl::StatusCode::kUnavailable;
    case CKR_USER_ALREADY_LOGGED_IN:
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_USER_ANOTHER_ALREADY_LOGGED_IN:
    case CKR_USER_PIN_NOT_INITIALIZED:
    case CKR_TOKEN_WRITE_PROTECTED:
      return absl::StatusCode::kFailedPrecondition;
    case CKR_MECHANISM_INVALID:
    case CKR_CURVE_NOT_SUPPORTED:
    case CKR_FUNCTION_NOT_SUPPORTED:
      return absl::StatusCode::kUnimplemented;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status CryptokiError(absl::string_view context,
                           absl::string_view function, CK_RV rv) {
  return absl::Status(CkrToStatusCode(rv), absl::StrCat(context, ": ", function,
                                                        ": ", CkrToString(rv)));
}

// ---------------------------------------------------------------------------
// CryptokiModule

CryptokiModule::CryptokiModule(std::string path, void* library,
                               CK_FUNCTION_LIST* api,
                               bool finalize_on_destruction)
    : path_(std::move(path)),
      library_(library),
      api_(api),
      finalize_on_destruction_(finalize_on_destruction) {}

CryptokiModule::~CryptokiModule() {
  if (finalize_on_destruction_) api_->C_Finalize(nullptr);
  dlclose(library_);
}

absl::StatusOr<std::shared_ptr<CryptokiModule>> CryptokiModule::Load(
    absl::string_view path) {
  ASSIGN_OR_RETURN(std::string canonical, CanonicalPath(path));
  return Modules().GetOrCreate(
      canonical, [&canonical] { return LoadUnshared(canonical); });
}

absl::StatusOr<std::unique_ptr<CryptokiModule>> CryptokiModule::LoadUnshared(
    const std::string& path) {
  LibraryHandle library(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (library == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(ModuleContext(path), ": dlopen: ", dlerror()));
  }
  auto get_function_list = reinterpret_cast<CK_C_GetFunctionList>(
      dlsym(library.get(), "C_GetFunctionList"));
  if (get_function_list == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        ModuleContext(path), ": not a Cryptoki module (no C_GetFunctionList)"));
  }
  CK_FUNCTION_LIST* api = nullptr;
  CK_RV rv = get_function_list(&api);
  if (rv != CKR_OK || api == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        ModuleContext(path), ": C_GetFunctionList: ", CkrToString(rv)));
  }
  CK_C_INITIALIZE_ARGS args = {};
  args.flags = CKF_OS_LOCKING_OK;
  rv = api->C_Initialize(&args);
  // Already initialised by other code in the process: use it, and leave
  // C_Finalize to that code.
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return absl::UnavailableError(
        absl::StrCat(ModuleContext(path), ": C_Initialize: ", CkrToString(rv)));
  }
  return std::unique_ptr<CryptokiModule>(
      new CryptokiModule(path, library.release(), api, rv == CKR_OK));
}

absl::StatusOr<CK_SLOT_ID> CryptokiModule::FindTokenSlot(
    absl::string_view token_label) const {
  if (token_label.empty() || token_label.size() > kTokenLabelSize) {
    return absl::InvalidArgumentError(absl::StrCat(TokenContext(token_label),
                                                   ": a token label is 1 to ",
                                                   kTokenLabelSize, " bytes"));
  }
  ASSIGN_OR_RETURN(std::vector<CK_SLOT_ID> slots, SlotsWithToken());
  std::string padded(token_label);
  padded.resize(kTokenLabelSize, ' ');
  std::vector<CK_SLOT_ID> matches;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info;
    CK_RV rv = api_->C_GetTokenInfo(slot, &info);
    if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SLOT_ID_INVALID) continue;
    if (rv != CKR_OK) {
      return CryptokiError(ModuleContext(path_), "C_GetTokenInfo", rv);
    }
    if ((info.flags & CKF_TOKEN_INITIALIZED) != 0 &&
        std::memcmp(info.label, padded.data(), kTokenLabelSize) == 0) {
      matches.push_back(slot);
    }
  }
  if (matches.empty()) {
    return absl::NotFoundError(absl::StrCat(
        ModuleContext(path_), ": no token labelled \"", token_label, "\""));
  }
  if (matches.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(ModuleContext(path_), ": ", matches.size(),
                     " tokens are labelled \"", token_label, "\""));
  }
  return matches.front();
}

absl::StatusOr<std::vector<CK_SLOT_ID>> CryptokiModule::SlotsWithToken() const {
  // The list may grow between the two calls when a token is plugged in.
  for (int attempt = 0; attempt < 3; ++attempt) {
    CK_ULONG count = 0;
    CK_RV rv = api_->C_GetSlotList(CK_TRUE, nullptr, &count);
    if (rv != CKR_OK) {
      return CryptokiError(ModuleContext(path_), "C_GetSlotList", rv);
    }
    std::vector<CK_SLOT_ID> slots(count);
    if (count == 0) return slots;
    rv = api_->C_GetSlotList(CK_TRUE, slots.data(), &count);
    if (rv == CKR_BUFFER_TOO_SMALL) continue;
    if (rv != CKR_OK) {
      return CryptokiError(ModuleContext(path_), "C_GetSlotList", rv);
    }
    slots.resize(count);
    return slots;
  }
  return absl::UnavailableError(
      absl::StrCat(ModuleContext(path_), ": the slot list keeps changing"));
}

// ---------------------------------------------------------------------------
// TokenLogin

// Remembers the PIN that logged a token in as a salted SHA-256 digest in
// locked memory, so that later users of the login can be held to it.
class TokenLogin::PinCheck {
 public:
  // INTERNAL when the system's random generator or SHA-256 fails.
  static absl::StatusOr<std::unique_ptr<PinCheck>> Create(
      absl::string_view pin) {
    auto check = std::unique_ptr<PinCheck>(new PinCheck());
    try {
      check->salt_.resize(16);
      Botan::system_rng().randomize(check->salt_.data(), check->salt_.size());
    } catch (const std::exception& e) {
      return absl::InternalError("cannot draw a salt to remember the PIN");
    }
    check->digest_ = check->Digest(pin);
    if (check->digest_.empty()) {
      return absl::InternalError("SHA-256 is not available");
    }
    return check;
  }

  // Returns whether `pin` is the remembered PIN, in constant time.
  bool Matches(absl::string_view pin) const {
    Botan::secure_vector<uint8_t> digest = Digest(pin);
    return digest.size() == digest_.size() &&
           Botan::constant_time_compare(digest.data(), digest_.data(),
                                        digest.size());
  }

 private:
  PinCheck() = default;

  // Returns SHA-256(salt || pin), or nothing when SHA-256 is unavailable.
  Botan::secure_vector<uint8_t> Digest(absl::string_view pin) const {
    std::unique_ptr<Botan::HashFunction> sha256 =
        Botan::HashFunction::create("SHA-256");
    if (sha256 == nullptr) return {};
    sha256->update(salt_);
    sha256->update(reinterpret_cast<const uint8_t*>(pin.data()), pin.size());
    return sha256->final();
  }

  Botan::secure_vector<uint8_t> salt_;
  Botan::secure_vector<uint8_t> digest_;
};

TokenLogin::TokenLogin(std::shared_ptr<CryptokiModule> module, CK_SLOT_ID slot,
                       std::string token_label,
                       CK_SESSION_HANDLE anchor_session,
                       std::unique_ptr<PinCheck> pin_check)
    : module_(std::move(module)),
      slot_(slot),
      token_label_(std::move(token_label)),
      anchor_session_(anchor_session),
      pin_check_(std::move(pin_check)) {}

TokenLogin::~TokenLogin() {
  module_->api().C_Logout(anchor_session_);
  module_->api().C_CloseSession(anchor_session_);
}

absl::StatusOr<std::shared_ptr<TokenLogin>> TokenLogin::Acquire(
    std::shared_ptr<CryptokiModule> module, CK_SLOT_ID slot,
    absl::string_view token_label, absl::string_view pin) {
  bool logged_in_here = false;
  std::pair<std::string, CK_SLOT_ID> key(module->path(), slot);
  ASSIGN_OR_RETURN(std::shared_ptr<TokenLogin> login,
                   Logins().GetOrCreate(key, [&] {
                     logged_in_here = true;
                     return LogIn(module, slot, token_label, pin);
                   }));
  if (!logged_in_here && !login->pin_check_->Matches(pin)) {
    return absl::PermissionDeniedError(
        absl::StrCat(TokenContext(token_label),
                     ": the PIN differs from the one the token is logged in "
                     "with"));
  }
  return login;
}

absl::StatusOr<std::unique_ptr<TokenLogin>> TokenLogin::LogIn(
    std::shared_ptr<CryptokiModule> module, CK_SLOT_ID slot,
    absl::string_view token_label, absl::string_view pin) {
  ASSIGN_OR_RETURN(std::unique_ptr<PinCheck> pin_check, PinCheck::Create(pin));
  const CK_FUNCTION_LIST& api = module->api();
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  CK_RV rv =
      api.C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session);
  if (rv != CKR_OK) {
    return CryptokiError(TokenContext(token_label), "C_OpenSession", rv);
  }
  // Cryptoki takes a non-const pointer but does not write through it.
  auto* pin_bytes =
      reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin.data()));
  rv = api.C_Login(session, CKU_USER, pin_bytes, pin.size());
  if (rv != CKR_OK) {
    api.C_CloseSession(session);
    // CKR_USER_ALREADY_LOGGED_IN: other code in the process logged the token
    // in, outside this registry, and `pin` cannot be checked.
    return CryptokiError(TokenContext(token_label), "C_Login", rv);
  }
  return std::unique_ptr<TokenLogin>(
      new TokenLogin(std::move(module), slot, std::string(token_label), session,
                     std::move(pin_check)));
}

absl::StatusOr<std::unique_ptr<CryptokiSession>> TokenLogin::OpenSession(
    std::shared_ptr<TokenLogin> login, bool read_write) {
  CK_FLAGS flags = CKF_SERIAL_SESSION | (read_write ? CKF_RW_SESSION : 0);
  CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
  CK_RV rv = login->module().api().C_OpenSession(login->slot(), flags, nullptr,
                                                 nullptr, &handle);
  if (rv != CKR_OK) {
    return CryptokiError(TokenContext(login->token_label()), "C_OpenSession",
                         rv);
  }
  return std::make_unique<CryptokiSession>(std::move(login), handle);
}

CryptokiSession::~CryptokiSession() { api().C_CloseSession(handle_); }

}  // namespace superlicense::keys::internal
