#include "superlicense/serial_number.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace superlicense {
namespace {

using ::superlicense::testing::IsOk;
using ::superlicense::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SerialNumberTest, AcceptsDomainExamples) {
  EXPECT_THAT(CheckSerial("1010000014"), IsOk());
  EXPECT_THAT(CheckSerial("1010000004"), IsOk());
  EXPECT_TRUE(IsDemoSerial("1010000004"));
  EXPECT_FALSE(IsDemoSerial("1010000014"));
}

TEST(SerialNumberTest, RejectsWrongCheckDigitNamingTheExpectedOne) {
  EXPECT_THAT(CheckSerial("1010000015"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("check digit 5, expected 4")));
}

TEST(SerialNumberTest, RejectsWrongLengthAndNonDigits) {
  EXPECT_THAT(CheckSerial("101000001"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not 9")));
  EXPECT_THAT(
      CheckSerial("10100000x4"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("digits only")));
  EXPECT_THAT(CheckSerial(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Every single-digit typo in the first four digits is caught except those
// the weights map to the same sum mod 10 (a change of 5 at weight 2).
TEST(SerialNumberTest, CatchesSingleDigitTyposInCheckedDigits) {
  const std::string good = "1234000004";
  ASSERT_THAT(CheckSerial(good), IsOk());
  int caught = 0, total = 0;
  for (int position = 0; position < 4; ++position) {
    for (char digit = '0'; digit <= '9'; ++digit) {
      if (digit == good[position]) continue;
      std::string typo = good;
      typo[position] = digit;
      ++total;
      if (!CheckSerial(typo).ok()) ++caught;
    }
  }
  EXPECT_EQ(total, 36);
  EXPECT_EQ(caught, 34);
}

TEST(SerialNumberTest, SerialFromBodyAppendsCheckDigit) {
  ASSERT_OK_AND_ASSIGN(std::string serial, SerialFromBody(101000001));
  EXPECT_EQ(serial, "1010000014");
  ASSERT_OK_AND_ASSIGN(serial, SerialFromBody(7));
  EXPECT_EQ(serial, "0000000070");
  EXPECT_THAT(CheckSerial(serial), IsOk());
  EXPECT_THAT(SerialFromBody(1000000000),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace superlicense
