// Status propagation macros for code that returns absl::Status or
// absl::StatusOr<T>. Debian's Abseil (20220623) ships none.
//
//   RETURN_IF_ERROR(expr);            // expr yields absl::Status
//   ASSIGN_OR_RETURN(auto x, expr);   // expr yields absl::StatusOr<T>
//
// Both return the error unchanged from the enclosing function.
#ifndef SUPERLICENSE_KEYS_STATUS_MACROS_H_
#define SUPERLICENSE_KEYS_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SL_STATUS_CONCAT_INNER_(a, b) a##b
#define SL_STATUS_CONCAT_(a, b) SL_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status sl_status_ = (expr);      \
    if (!sl_status_.ok()) return sl_status_; \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr)                                         \
  SL_ASSIGN_OR_RETURN_IMPL_(SL_STATUS_CONCAT_(sl_statusor_, __LINE__), lhs, \
                            expr)

#define SL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)     \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // SUPERLICENSE_KEYS_STATUS_MACROS_H_
