// The one conversion from absl::Status to grpc::Status for the service
// layer. The canonical codes share their numbering.
#ifndef SUPERLICENSE_AUTHORITY_AUTH_GRPC_STATUS_H_
#define SUPERLICENSE_AUTHORITY_AUTH_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace superlicense::authority {

// Returns a grpc::Status with the same code and message (payloads dropped).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace superlicense::authority

#endif  // SUPERLICENSE_AUTHORITY_AUTH_GRPC_STATUS_H_
