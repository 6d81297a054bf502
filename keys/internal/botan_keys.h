// The Botan adapter: the only place that turns Botan keys and exceptions into
// Signer / Verifier objects and absl::Status. Included only by keys/*.cc.
#ifndef SUPERLICENSE_KEYS_INTERNAL_BOTAN_KEYS_H_
#define SUPERLICENSE_KEYS_INTERNAL_BOTAN_KEYS_H_

#include <botan/pk_keys.h>

#include <exception>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/signer.h"

namespace superlicense::keys::internal {

// Wraps a Botan private key (Ed25519 or ECDSA P-256) as a Signer that reuses
// one Botan::PK_Signer under a mutex.
absl::StatusOr<std::unique_ptr<Signer>> MakeBotanSigner(
    std::unique_ptr<Botan::Private_Key> key);

// Translates an exception thrown by Botan into INTERNAL naming `what`.
// The exception text never contains key material (Botan reports sizes and
// algorithm names only), but it is truncated for safety.
absl::Status BotanError(absl::string_view what, const std::exception& e);

}  // namespace superlicense::keys::internal

#endif  // SUPERLICENSE_KEYS_INTERNAL_BOTAN_KEYS_H_
