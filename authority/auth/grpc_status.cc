#include "authority/auth/grpc_status.h"

#include <string>

namespace superlicense::authority {

static_assert(static_cast<int>(absl::StatusCode::kUnauthenticated) ==
                  static_cast<int>(grpc::StatusCode::UNAUTHENTICATED),
              "absl and gRPC status codes must share their numbering");
static_assert(static_cast<int>(absl::StatusCode::kDataLoss) ==
                  static_cast<int>(grpc::StatusCode::DATA_LOSS),
              "absl and gRPC status codes must share their numbering");

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  if (code < 0 || code > static_cast<int>(grpc::StatusCode::UNAUTHENTICATED)) {
    return grpc::Status(grpc::StatusCode::UNKNOWN,
                        std::string(status.message()));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(code),
                      std::string(status.message()));
}

}  // namespace superlicense::authority
