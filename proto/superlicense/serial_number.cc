#include "superlicense/serial_number.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace superlicense {
namespace {

char CheckDigit(absl::string_view digits) {
  const int sum = 2 * (digits[0] - '0') + (digits[1] - '0') +
                  2 * (digits[2] - '0') + (digits[3] - '0');
  return static_cast<char>('0' + sum % 10);
}

}  // namespace

absl::Status CheckSerial(absl::string_view serial) {
  const std::string shown(serial.substr(0, 32));
  if (serial.size() != kSerialDigits) {
    return absl::InvalidArgumentError(
        absl::StrCat("serial \"", shown, "\" must be ", kSerialDigits,
                     " digits, not ", serial.size()));
  }
  for (char c : serial) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat("serial \"", shown, "\" must be digits only"));
    }
  }
  if (serial[9] != CheckDigit(serial)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "serial \"", shown, "\" has check digit ", serial.substr(9),
        ", expected ", std::string(1, CheckDigit(serial))));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SerialFromBody(uint64_t body) {
  if (body > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat("serial body ", body, " has more than 9 digits"));
  }
  std::string serial = absl::StrFormat("%09d", body);
  serial.push_back(CheckDigit(serial));
  return serial;
}

bool IsDemoSerial(absl::string_view serial) {
  return CheckSerial(serial).ok() && serial.substr(4, 5) == "00000";
}

}  // namespace superlicense
