// gMock matchers for absl::Status and absl::StatusOr<T>:
//
//   EXPECT_THAT(DoIt(), IsOk());
//   EXPECT_THAT(Parse(x), StatusIs(absl::StatusCode::kInvalidArgument));
//   EXPECT_THAT(Parse(x), StatusIs(absl::StatusCode::kInvalidArgument,
//                                  HasSubstr("serial")));
//
// Debian's Abseil (20220623) ships no status_matchers.h.
#ifndef SUPERLICENSE_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define SUPERLICENSE_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace superlicense::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P(StatusIs, code,
          std::string(negation ? "has a code other than " : "has code ") +
              absl::StatusCodeToString(code)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string(negation ? "does not have code " : "has code ") +
               absl::StatusCodeToString(code) + " and a matching message") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(status.message()), result_listener);
}

}  // namespace superlicense::testing

// Fails the test and returns when `expr` (a StatusOr) is not OK; otherwise
// assigns its value to `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                       \
  SL_ASSERT_OK_AND_ASSIGN_IMPL_(SL_TEST_CONCAT_(sl_test_statusor_, __LINE__), \
                                lhs, expr)
#define SL_TEST_CONCAT_INNER_(a, b) a##b
#define SL_TEST_CONCAT_(a, b) SL_TEST_CONCAT_INNER_(a, b)
#define SL_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  ASSERT_TRUE(statusor.ok()) << statusor.status();         \
  lhs = std::move(statusor).value()

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::superlicense::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::superlicense::testing::IsOk())

#endif  // SUPERLICENSE_TESTS_SUPPORT_STATUS_MATCHERS_H_
