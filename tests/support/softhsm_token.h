// SoftHsmToken: a fresh SoftHSM2 token in a temporary directory, for tests
// of the PKCS#11 keystore.
//
// Creating one writes a private softhsm2.conf whose token directory lies in a
// TempDir, points SOFTHSM2_CONF at it and initialises a token there with
// softhsm2-util. SoftHSM reads SOFTHSM2_CONF only in C_Initialize, so:
// create the token before the first Signer of a test loads the module, and
// destroy every Signer of the previous token first (the keystore finalises
// the module when its last user goes, and the next load reads the new
// configuration). The slot id SoftHSM gives the token is random: the keystore
// finds the token by label().
//
// The destructor restores SOFTHSM2_CONF and removes the directory. Not
// thread-safe: it changes the process environment.
#ifndef SUPERLICENSE_TESTS_SUPPORT_SOFTHSM_TOKEN_H_
#define SUPERLICENSE_TESTS_SUPPORT_SOFTHSM_TOKEN_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "keys/pkcs11_keystore.h"
#include "tests/support/temp_dir.h"

namespace superlicense::testing {

class SoftHsmToken {
 public:
  // Creates a token labelled `label` whose user PIN is `user_pin`.
  // INTERNAL when the configuration cannot be written or softhsm2-util fails
  // (its output is in the message).
  static absl::StatusOr<std::unique_ptr<SoftHsmToken>> Create(
      const std::string& label, const std::string& user_pin);

  ~SoftHsmToken();
  SoftHsmToken(const SoftHsmToken&) = delete;
  SoftHsmToken& operator=(const SoftHsmToken&) = delete;

  const std::string& label() const { return label_; }
  const std::string& user_pin() const { return user_pin_; }
  // The softhsm2.conf that SOFTHSM2_CONF points at.
  std::string config_path() const { return dir_.File("softhsm2.conf"); }

  // Returns where a key labelled `key_label` lives on this token.
  keys::Pkcs11Location Location(const std::string& key_label) const;

 private:
  SoftHsmToken(std::string label, std::string user_pin);

  // Writes the configuration and points SOFTHSM2_CONF at it.
  absl::Status Configure();
  // Runs softhsm2-util --init-token.
  absl::Status InitToken() const;

  const std::string label_;
  const std::string user_pin_;
  // SOFTHSM2_CONF before Configure(), restored by the destructor.
  std::optional<std::string> previous_config_;
  TempDir dir_;
};

}  // namespace superlicense::testing

#endif  // SUPERLICENSE_TESTS_SUPPORT_SOFTHSM_TOKEN_H_
